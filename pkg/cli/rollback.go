package cli

import (
	"github.com/spf13/cobra"

	"github.com/slipway-dev/slipway/pkg/client"
)

func (c *cli) rollbackCommand() *cobra.Command {
	var message string
	cmd := &cobra.Command{
		Use:     "rollback APP REVISION",
		Short:   "Send all traffic to an earlier revision (header rules keep theirs)",
		Example: `  slipway rollback hello hello-00001 --message "v2 is slow"`,
		Args:    cobra.ExactArgs(2),
	}
	cmd.Flags().StringVar(&message, "message", "", "why: kept in the history")
	wait := addWaitFlags(cmd, true, "Knative's Route serves the revision")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		s, a, err := c.forApp(args[0])
		if err != nil {
			return err
		}
		r, err := check(s.api.RollbackWithResponse(cmd.Context(), a.project, a.app, a.env, client.RollbackRequest{Revision: args[1], Message: message}))
		if err != nil {
			return err
		}
		return c.printTrafficAndWait(cmd.Context(), s, a, r.Body, r.JSON200, wait)
	}
	return cmd
}
