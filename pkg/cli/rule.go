package cli

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/slipway-dev/slipway/pkg/client"
)

func (c *cli) ruleCommand() *cobra.Command {
	var (
		headers  []string
		cookie   string
		lane     string
		revision string
		message  string
	)
	add := &cobra.Command{
		Use:   "add APP --header name=value... --revision REVISION",
		Short: "Send the requests that match to a revision, ahead of the split",
		Long: `Add a header rule: requests with every --header (exact values) and the --cookie, or
with header x-slipway-lane: LANE (--lane), go to the revision; the rest follow the split.
Rules are tried in order, this one last. The split and the other rules are kept: they are
read and written back on the version read (If-Match), so a change made in between is
refused (exit 5).`,
		Example: `  slipway rule add hello --header x-user-group=beta --revision hello-00002`,
		Args:    cobra.ExactArgs(1),
	}
	add.Flags().StringArrayVar(&headers, "header", nil, "a header the request must have, name=value (repeatable: all must match)")
	add.Flags().StringVar(&cookie, "cookie", "", "a cookie the request must have, name=value")
	add.Flags().StringVar(&lane, "lane", "", "match requests with header x-slipway-lane: LANE")
	add.Flags().StringVar(&revision, "revision", "", "the revision the requests go to")
	add.Flags().StringVar(&message, "message", "", "why: kept in the history")
	_ = add.MarkFlagRequired("revision")
	add.MarkFlagsOneRequired("header", "cookie", "lane")
	add.MarkFlagsMutuallyExclusive("lane", "header")
	add.MarkFlagsMutuallyExclusive("lane", "cookie")
	addWait := addWaitFlags(add, true, "Knative's Route serves the split")
	add.RunE = func(cmd *cobra.Command, args []string) error {
		rule := client.Rule{Revision: revision, Lane: lane}
		var err error
		if len(headers) > 0 {
			if rule.Match.Headers, err = exactHeaders(headers); err != nil {
				return err
			}
		}
		if cookie != "" {
			name, value, err := keyValue("--cookie", cookie)
			if err != nil {
				return err
			}
			rule.Match.Cookie = client.CookieMatch{Name: name, Value: value}
		}
		return c.changeTraffic(cmd.Context(), args[0], message, addWait, func(req *client.TrafficRequest) error {
			req.Rules = append(req.Rules, rule)
			return nil
		})
	}

	list := &cobra.Command{
		Use:   "list APP",
		Short: "List the app's header rules in the order they are tried",
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
			// json and yaml show the traffic answer, which holds the rules.
			v := view{body: r.Body, blocks: []block{rulesBlock(r.JSON200.Rules)}}
			for i := range r.JSON200.Rules {
				v.names = append(v.names, strconv.Itoa(i))
			}
			return c.print(v)
		},
	}

	var rmMessage string
	rm := &cobra.Command{
		Use:   "rm APP INDEX",
		Short: "Remove a header rule (INDEX as rule list shows it)",
		Args:  cobra.ExactArgs(2),
	}
	rm.Flags().StringVar(&rmMessage, "message", "", "why: kept in the history")
	rmWait := addWaitFlags(rm, true, "Knative's Route serves the split")
	rm.RunE = func(cmd *cobra.Command, args []string) error {
		i, err := strconv.Atoi(args[1])
		if err != nil || i < 0 {
			return usagef("INDEX %q: want a rule's index from slipway rule list", args[1])
		}
		return c.changeTraffic(cmd.Context(), args[0], rmMessage, rmWait, func(req *client.TrafficRequest) error {
			if i >= len(req.Rules) {
				return &exitError{code: ExitNotFound, err: fmt.Errorf("no rule %d: the app has %d", i, len(req.Rules))}
			}
			req.Rules = append(req.Rules[:i], req.Rules[i+1:]...)
			return nil
		})
	}
	return group("rule", "Route requests by header or cookie to a revision", add, list, rm)
}
