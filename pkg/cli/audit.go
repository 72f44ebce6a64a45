package cli

import (
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/slipway-dev/slipway/pkg/client"
)

func (c *cli) auditCommand() *cobra.Command {
	var user, app, action, since string
	var limit int
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "The audit trail: who changed what, when, and how it ended (newest first)",
		Long: `List the audit trail, newest first: every mutating call, refused ones too. Filters are
the flags; --project and --environment filter only when given as flags (not from the
context). Without the right to see the whole platform you see the records of your
projects.`,
		Example: `  slipway audit --since 1h
  slipway audit -p demo --app hello --action deploy --limit 20`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var params client.ListAuditParams
			for p, v := range map[**string]string{&params.User: user, &params.App: app, &params.Action: action, &params.Project: c.project, &params.Env: c.environment} {
				if v != "" {
					*p = &v
				}
			}
			if since != "" {
				t, err := sinceTime(since, c.io.Now())
				if err != nil {
					return err
				}
				params.Since = &t
			}
			if cmd.Flags().Changed("limit") {
				params.Limit = &limit
			}
			s, err := c.session()
			if err != nil {
				return err
			}
			r, err := check(s.api.ListAuditWithResponse(cmd.Context(), &params))
			if err != nil {
				return err
			}
			b := block{header: []string{"TIME", "USER", "ACTION", "PROJECT", "APP", "ENV", "STATUS", "RESULT", "AFTER"}}
			var names []string
			for _, rec := range *r.JSON200 {
				b.rows = append(b.rows, []string{formatTime(rec.Time), rec.User, rec.Action, rec.Project, rec.App, rec.Env,
					strconv.Itoa(rec.Status), rec.Result, rec.After})
				names = append(names, rec.Id)
			}
			return c.print(view{body: r.Body, names: names, blocks: []block{b}})
		},
	}
	f := cmd.Flags()
	f.StringVar(&user, "user", "", "records of this user")
	f.StringVar(&app, "app", "", "records of this app")
	f.StringVar(&action, "action", "", "records of this action (deploy, traffic, rollback, …)")
	f.StringVar(&since, "since", "", "records since a time: a duration ago (1h, 30m) or an RFC 3339 time")
	f.IntVar(&limit, "limit", 100, "at most this many records (1-1000)")
	return cmd
}

// sinceTime reads --since: a duration before now, or a time.
func sinceTime(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d).UTC().Truncate(time.Second), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, usagef("--since %q: want a duration such as 1h, or an RFC 3339 time such as 2026-11-24T10:00:00Z", s)
}
