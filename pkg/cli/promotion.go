package cli

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/slipway-dev/slipway/pkg/client"
)

// Promotion states.
const (
	promotionPending   = "pending"
	promotionDeploying = "deploying"
	promotionDeployed  = "deployed"
	promotionRejected  = "rejected"
	promotionFailed    = "failed"
)

var promotionStates = []string{promotionPending, promotionDeploying, promotionDeployed, promotionRejected, promotionFailed}

func (c *cli) promotionCommand() *cobra.Command {
	var state string
	list := &cobra.Command{
		Use:   "list APP",
		Short: "List the app's promotions, newest first",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, p, err := c.forProject()
			if err != nil {
				return err
			}
			var params client.ListPromotionsParams
			if state != "" {
				st := client.ListPromotionsParamsState(state)
				params.State = &st
			}
			r, err := check(s.api.ListPromotionsWithResponse(cmd.Context(), p, args[0], &params))
			if err != nil {
				return err
			}
			b := block{header: []string{"ID", "FROM", "TO", "STATE", "REVISION", "RELEASE", "REQUESTED BY", "APPROVALS", "CREATED"}}
			var names []string
			for _, pr := range *r.JSON200 {
				b.rows = append(b.rows, []string{pr.Id, pr.From, pr.To, pr.State, pr.Revision, pr.Release, pr.RequestedBy, approvals(pr), formatTime(pr.CreatedAt)})
				names = append(names, pr.Id)
			}
			return c.print(view{body: r.Body, names: names, blocks: []block{b}})
		},
	}
	list.Flags().StringVar(&state, "state", "", "only promotions in this state: pending, deploying, deployed, rejected or failed")
	_ = list.RegisterFlagCompletionFunc("state", cobra.FixedCompletions(promotionStates, cobra.ShellCompDirectiveNoFileComp))

	describe := &cobra.Command{
		Use:   "describe APP ID",
		Short: "Show a promotion: what it promotes, its approvals, what became of it",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, p, err := c.forProject()
			if err != nil {
				return err
			}
			r, err := check(s.api.GetPromotionWithResponse(cmd.Context(), p, args[0], args[1]))
			if err != nil {
				return err
			}
			return c.print(promotionView(r.Body, r.JSON200))
		},
	}

	var approveMessage string
	approve := &cobra.Command{
		Use:   "approve APP ID",
		Short: "Approve a pending promotion; the last approval it needs deploys it",
		Long: `Approve a pending promotion. The approval that makes as many as the target environment
requires deploys the release there, as a new revision. The target's policy may refuse the
approval (exit 7, with its rule): the requester's own where self-approval is forbidden
(selfApproval), someone outside its approving groups (notApprover), a second approval by
the same person (alreadyApproved), a promotion no longer pending (notPending), or closed
windows (window, with the next opening).`,
		Example: `  slipway promotion approve hello hello-20261202120000123-3f2a --message "checked the dashboards"`,
		Args:    cobra.ExactArgs(2),
	}
	approve.Flags().StringVar(&approveMessage, "message", "", "why: kept with the approval and in the history")
	approve.RunE = func(cmd *cobra.Command, args []string) error {
		s, p, err := c.forProject()
		if err != nil {
			return err
		}
		r, err := check(s.api.ApprovePromotionWithResponse(cmd.Context(), p, args[0], args[1], client.DecisionRequest{Message: approveMessage}))
		if err != nil {
			return err
		}
		return c.print(promotionView(r.Body, r.JSON200))
	}

	var rejectMessage string
	reject := &cobra.Command{
		Use:     "reject APP ID",
		Short:   "Reject a pending promotion",
		Example: `  slipway promotion reject hello hello-20261202120000123-3f2a --message "wait for the schema migration"`,
		Args:    cobra.ExactArgs(2),
	}
	reject.Flags().StringVar(&rejectMessage, "message", "", "why: kept with the rejection and in the history")
	reject.RunE = func(cmd *cobra.Command, args []string) error {
		s, p, err := c.forProject()
		if err != nil {
			return err
		}
		r, err := check(s.api.RejectPromotionWithResponse(cmd.Context(), p, args[0], args[1], client.DecisionRequest{Message: rejectMessage}))
		if err != nil {
			return err
		}
		return c.print(promotionView(r.Body, r.JSON200))
	}
	return group("promotion", "List, describe, approve and reject an app's promotions", list, describe, approve, reject)
}

// approvals is a promotion's approvals as n/required.
func approvals(p client.Promotion) string {
	return strconv.Itoa(len(p.Approvals)) + "/" + strconv.Itoa(p.RequiredApprovals)
}

// decision is an approval, rejection or break-glass as one cell: who, when, why.
func decision(d client.Decision) string {
	if d.User == "" {
		return ""
	}
	s := d.User + " at " + formatTime(d.Time)
	if d.Message != "" {
		s += ": " + d.Message
	}
	return s
}

// formatStrategy is a strategy as the flags that ask for it would say it.
func formatStrategy(s client.Strategy) string {
	switch s.Type {
	case "canary":
		if s.Percent != nil {
			return fmt.Sprintf("canary %d%%", *s.Percent)
		}
	case "header":
		m := formatMatch(s.Match, s.Lane)
		if s.Tag != "" {
			m += " (tag " + s.Tag + ")"
		}
		return "header " + m
	case "":
		return "replace"
	}
	return s.Type
}

// promotionView shows one promotion; its name is its ID.
func promotionView(body []byte, p *client.Promotion) view {
	fields := [][2]string{
		{"ID", p.Id},
		{"App", p.App},
		{"State", p.State},
		{"From", p.From},
		{"To", p.To},
		{"Revision", p.Revision},
		{"Release", p.Release},
		{"Strategy", formatStrategy(p.Strategy)},
		{"Message", p.Message},
		{"Requested by", p.RequestedBy},
		{"Created", formatTime(p.CreatedAt)},
		{"Updated", formatTime(p.UpdatedAt)},
		{"Approvals", approvals(*p)},
	}
	if p.BreakGlass.User != "" {
		fields = append(fields, [2]string{"Break-glass", decision(p.BreakGlass)})
	}
	if p.Rejection.User != "" {
		fields = append(fields, [2]string{"Rejected", decision(p.Rejection)})
	}
	if p.DeployedRevision != "" {
		fields = append(fields, [2]string{"Deployed revision", p.DeployedRevision})
	}
	if p.Error != "" {
		fields = append(fields, [2]string{"Error", p.Error})
	}
	blocks := []block{{fields: fields}}
	if len(p.Approvals) > 0 {
		b := block{title: "Approvals", header: []string{"USER", "TIME", "MESSAGE"}}
		for _, a := range p.Approvals {
			b.rows = append(b.rows, []string{a.User, formatTime(a.Time), a.Message})
		}
		blocks = append(blocks, b)
	}
	return view{body: body, names: []string{p.Id}, blocks: blocks}
}
