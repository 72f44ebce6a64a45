package cli

import (
	"github.com/spf13/cobra"
)

func (c *cli) historyCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "history APP",
		Short: "The app's deploys, traffic changes and rollbacks, oldest first",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, a, err := c.forApp(args[0])
			if err != nil {
				return err
			}
			r, err := check(s.api.GetHistoryWithResponse(cmd.Context(), a.project, a.app, a.env))
			if err != nil {
				return err
			}
			b := block{header: []string{"TIME", "USER", "ACTION", "REVISION", "TRAFFIC", "MESSAGE"}}
			var names []string
			for _, h := range *r.JSON200 {
				b.rows = append(b.rows, []string{formatTime(h.Time), h.User, h.Action, h.Revision, formatTargets(h.Traffic), h.Message})
				names = append(names, h.Revision)
			}
			return c.print(view{body: r.Body, names: names, blocks: []block{b}})
		},
	}
}
