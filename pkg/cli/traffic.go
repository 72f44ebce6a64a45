package cli

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/slipway-dev/slipway/pkg/client"
)

func (c *cli) trafficCommand() *cobra.Command {
	show := &cobra.Command{
		Use:   "show APP",
		Short: "Show the app's traffic split and header rules",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, a, err := c.forApp(args[0])
			if err != nil {
				return err
			}
			r, err := check(s.api.GetTrafficWithResponse(cmd.Context(), a.project, a.app, a.env))
			if err != nil {
				return err
			}
			return c.print(trafficView(r.Body, r.JSON200.Traffic, r.JSON200.Rules))
		},
	}

	var tags []string
	var message string
	set := &cobra.Command{
		Use:   "set APP REVISION=PERCENT... [@latest=PERCENT]",
		Short: "Replace the traffic split, keeping the header rules",
		Long: `Replace the traffic split; the percentages must sum to 100. @latest follows the latest
ready revision. The header rules stay as they are: the split is read, changed and written
back on the version read (If-Match), so a change made in between is refused (exit 5)
rather than overwritten.`,
		Example: `  slipway traffic set hello hello-00001=90 hello-00002=10 --tag hello-00002=next
  slipway traffic set hello hello-00001=50 @latest=50`,
		Args: cobra.MinimumNArgs(2),
	}
	set.Flags().StringArrayVar(&tags, "tag", nil, "tag a revision of the split, REVISION=TAG (its own host; a revision outside the split joins it at 0%)")
	set.Flags().StringVar(&message, "message", "", "why: kept in the history")
	setWait := addWaitFlags(set, true, "Knative's Route serves the split")
	set.RunE = func(cmd *cobra.Command, args []string) error {
		targets, err := parseSplit(args[1:], tags)
		if err != nil {
			return err
		}
		return c.changeTraffic(cmd.Context(), args[0], message, setWait, func(req *client.TrafficRequest) error {
			req.Targets = targets
			return nil
		})
	}
	return group("traffic", "Show and set an app's traffic split", show, set)
}

// changeTraffic is the read-modify-write of an app's split and rules that traffic set and
// the rule verbs share: GET …/traffic gives them with their version (ETag), change edits
// them, and PUT with If-Match writes them back only if nobody changed them in between
// (412, exit 5). With wait, it then waits until Knative serves the new split.
func (c *cli) changeTraffic(ctx context.Context, app, message string, wait *waitOptions, change func(*client.TrafficRequest) error) error {
	s, a, err := c.forApp(app)
	if err != nil {
		return err
	}
	cur, err := check(s.api.GetTrafficWithResponse(ctx, a.project, a.app, a.env))
	if err != nil {
		return err
	}
	version := cur.HTTPResponse.Header.Get("ETag")
	if version == "" {
		return errors.New("the API sent no version (ETag) with the traffic, so it cannot be changed safely")
	}
	req := client.TrafficRequest{Targets: cur.JSON200.Traffic, Rules: cur.JSON200.Rules, Message: message}
	if err := change(&req); err != nil {
		return err
	}
	r, err := check(s.api.SetTrafficWithResponse(ctx, a.project, a.app, a.env, &client.SetTrafficParams{IfMatch: &version}, req))
	if err != nil {
		return err
	}
	return c.printTrafficAndWait(ctx, s, a, r.Body, r.JSON200, wait)
}

// printTrafficAndWait prints a new split and, with wait, waits until Knative serves it.
func (c *cli) printTrafficAndWait(ctx context.Context, s *session, a appRef, body []byte, res *client.TrafficResult, wait *waitOptions) error {
	if err := c.print(trafficView(body, res.Traffic, res.Rules)); err != nil || !wait.enabled() {
		return err
	}
	_, err := poll(ctx, c.poller(wait), s.getApp(a), serves(res.Traffic))
	return err
}

// parseSplit reads REVISION=PERCENT arguments (@latest for the latest ready revision) and
// REVISION=TAG tags.
func parseSplit(args, tags []string) ([]client.Target, error) {
	var out []client.Target
	for _, arg := range args {
		rev, pct, ok := strings.Cut(arg, "=")
		n, err := strconv.ParseInt(strings.TrimSuffix(pct, "%"), 10, 64)
		if !ok || rev == "" || err != nil {
			return nil, usagef("%q: want REVISION=PERCENT (or @latest=PERCENT)", arg)
		}
		out = append(out, newTarget(rev, n))
	}
	for _, t := range tags {
		rev, tag, err := keyValue("--tag", t)
		if err != nil {
			return nil, err
		}
		i := indexTarget(out, rev)
		if i < 0 {
			out = append(out, newTarget(rev, 0))
			i = len(out) - 1
		}
		out[i].Tag = tag
	}
	return out, nil
}

func newTarget(rev string, pct int64) client.Target {
	if rev == latestName {
		return client.Target{Latest: true, Percent: pct}
	}
	return client.Target{Revision: rev, Percent: pct}
}

func indexTarget(ts []client.Target, rev string) int {
	for i, t := range ts {
		if (rev == latestName && t.Latest) || (!t.Latest && t.Revision == rev) {
			return i
		}
	}
	return -1
}

// trafficView shows a split and its rules; its names are the split's revisions.
func trafficView(body []byte, ts []client.Target, rules []client.Rule) view {
	blocks := []block{targetsBlock("Traffic", ts)}
	if len(rules) > 0 {
		blocks = append(blocks, rulesBlock(rules))
	}
	return view{body: body, names: targetNames(ts), blocks: blocks}
}
