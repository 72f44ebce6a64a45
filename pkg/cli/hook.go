package cli

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/slipway-dev/slipway/pkg/client"
)

func (c *cli) hookCommand() *cobra.Command {
	rotate := &cobra.Command{
		Use:   "rotate APP",
		Short: "Make the app's Git hook, or give it a new token and secret (shown once)",
		Long: `Make the app's Git hook, or replace its credentials: prints the hook's URL, and the
token (X-Slipway-Token) and secret (GitHub's signing secret, GitLab's token) that the API
shows this once. The old ones stop working.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, a, err := c.forApp(args[0])
			if err != nil {
				return err
			}
			r, err := check(s.api.RotateHookWithResponse(cmd.Context(), a.project, a.app, a.env))
			if err != nil {
				return err
			}
			h := r.JSON200
			url := hookURL(s.server, h)
			if c.output == formatTable {
				c.note("The token and the secret are shown this once: store them now.")
			}
			return c.print(view{body: r.Body, names: []string{url}, blocks: []block{{fields: [][2]string{
				{"URL", url}, {"Token", h.Token}, {"Secret", h.Secret},
			}}}})
		},
	}
	show := &cobra.Command{
		Use:   "show APP",
		Short: "Show the app's Git hook URL (without credentials)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, a, err := c.forApp(args[0])
			if err != nil {
				return err
			}
			r, err := check(s.api.GetHookWithResponse(cmd.Context(), a.project, a.app, a.env))
			if err != nil {
				return err
			}
			url := hookURL(s.server, r.JSON200)
			return c.print(view{body: r.Body, names: []string{url}, blocks: []block{{fields: [][2]string{
				{"URL", url}, {"Branch", r.JSON200.Branch},
			}}}})
		},
	}
	return group("hook", "The app's Git push hook", rotate, show)
}

// hookURL is where a Git host sends pushes: the API gives a path on the server.
func hookURL(server string, h *client.Hook) string {
	if strings.HasPrefix(h.Url, "/") {
		return strings.TrimSuffix(server, "/") + h.Url
	}
	return h.Url
}
