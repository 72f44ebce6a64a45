package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/slipway-dev/slipway/pkg/client"
)

func (c *cli) promoteCommand() *cobra.Command {
	var (
		req        client.Request
		breakGlass string
	)
	cmd := &cobra.Command{
		Use:   "promote APP --to ENV [--from ENV]",
		Short: "Promote the release an app runs in one environment to the next on the promotion path",
		Long: `Ask for the release of a revision in --from (default: the environment, -e) to run in --to,
the next environment on the platform's promotion path. The revision is the one named by
--revision, else what serves 100% in --from, else its newest Ready revision; the release is
what it runs (the image pinned to its digest, its spec), without --from's own variables.

Where --to requires approvals the promotion waits, pending (exit 0, unless --wait): others
approve it with "slipway promotion approve", and the last approval deploys it. Otherwise it
deploys now, as a new revision that records where it came from. --break-glass REASON skips
approvals and windows (it needs the breakGlass right in --to, and is audited).

The target's policy may refuse the promotion (exit 7, with its rule): not the next step on
the path (notNextStep), a revision not Ready (notReady), one that has not soaked long
enough (soak) or closed windows (window), the last two with the next opening.

With --wait slipway polls the promotion until it is deployed (exit 0); rejected or failed
is exit 1, and one still waiting for approval when --wait-timeout runs out is exit 7.`,
		Example: `  slipway -e test promote hello --to prod --message "v3 has soaked in test"
  slipway promote hello --from test --to prod --revision hello-00003 --canary 10 --wait
  slipway promote hello --from test --to prod --break-glass "INC-42: the fix cannot wait for approvals"`,
		Args: cobra.ExactArgs(1),
	}
	f := cmd.Flags()
	f.StringVar(&req.From, "from", "", "the environment the release runs in now (default: the environment, -e)")
	f.StringVar(&req.To, "to", "", "the next environment on the promotion path")
	f.StringVar(&req.Revision, "revision", "", "the revision in --from to promote (default: what serves 100% there, else its newest Ready revision)")
	f.StringVar(&req.Message, "message", "", "why: kept with the promotion, its revision and in the history")
	strategy := addStrategyFlags(cmd)
	f.StringVar(&breakGlass, "break-glass", "", "skip approvals and windows, for this reason (needs the breakGlass right in --to; audited)")
	_ = cmd.MarkFlagRequired("to")
	wait := addWaitFlags(cmd, false, "the promotion is deployed (exit 1 if rejected or failed, 7 if still waiting for approval)")

	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		var err error
		set := cmd.Flags().Changed
		if req.Strategy, err = strategy.strategy(set); err != nil {
			return err
		}
		if req.BreakGlass, err = breakGlassReason(set, breakGlass); err != nil {
			return err
		}
		s, p, err := c.forProject()
		if err != nil {
			return err
		}
		if req.From == "" {
			if req.From = s.environment; req.From == "" {
				return usagef("no environment to promote from: pass --from, or --environment (-e)")
			}
		}
		app := args[0]
		r, err := check(s.api.CreatePromotionWithResponse(cmd.Context(), p, app, req))
		if err != nil {
			return err
		}
		pr := r.JSON201
		v := promotionView(r.Body, pr)
		v.text = promotedText(app, pr)
		// The answer first: a script gets the promotion's ID even when the wait fails.
		if err := c.print(v); err != nil || !wait.enabled() {
			return err
		}
		_, err = c.waitPromoted(cmd.Context(), s, p, app, pr.Id, wait)
		return err
	}
	return cmd
}

// promotedText is the line a new promotion is shown with.
func promotedText(app string, p *client.Promotion) string {
	s := fmt.Sprintf("Promotion %s of %s (release %s) from %s to %s: %s", p.Id, p.Revision, p.Release, p.From, p.To, p.State)
	switch p.State {
	case promotionPending:
		return s + fmt.Sprintf(", %s approvals.\nApprove it with: slipway promotion approve %s %s", approvals(*p), app, p.Id)
	case promotionDeployed:
		return s + " as " + p.DeployedRevision + "."
	}
	return s + "."
}

// waitPromoted polls a promotion until it is deployed. Rejected and failed end the wait
// (exit 1); still pending when the time runs out is exit 7, waiting for approval.
func (c *cli) waitPromoted(ctx context.Context, s *session, project, app, id string, w *waitOptions) (*client.Promotion, error) {
	var last *client.Promotion
	get := func(ctx context.Context) (*client.Promotion, error) {
		r, err := check(s.api.GetPromotionWithResponse(ctx, project, app, id))
		if err != nil {
			return nil, err
		}
		last = r.JSON200
		return r.JSON200, nil
	}
	p, err := poll(ctx, c.poller(w), get, promoted)
	var ee *exitError
	if errors.As(err, &ee) && ee.code == ExitTimeout && last != nil && last.State == promotionPending {
		return last, &exitError{code: ExitRefused, err: fmt.Errorf("promotion %s still waits for approval (%s approvals) after %s: slipway promotion approve %s %s",
			id, approvals(*last), w.timeout, app, id)}
	}
	return p, err
}

// promoted holds once the promotion is deployed; rejected and failed are exit 1.
func promoted(p *client.Promotion) (bool, string, error) {
	switch p.State {
	case promotionDeployed:
		return true, fmt.Sprintf("promotion %s deployed %s to %s as %s", p.Id, p.Release, p.To, p.DeployedRevision), nil
	case promotionRejected:
		msg := "promotion " + p.Id + " was rejected"
		if d := decision(p.Rejection); d != "" {
			msg += " by " + d
		}
		return false, "", errors.New(msg)
	case promotionFailed:
		msg := "promotion " + p.Id + " failed"
		if p.Error != "" {
			msg += ": " + p.Error
		}
		return false, "", errors.New(msg)
	case promotionPending:
		return false, fmt.Sprintf("promotion %s waits for approval (%s approvals)", p.Id, approvals(*p)), nil
	}
	return false, "promotion " + p.Id + " " + p.State, nil
}
