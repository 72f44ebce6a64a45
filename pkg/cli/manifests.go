package cli

import (
	"io"
	"net/http"

	"github.com/spf13/cobra"
)

func (c *cli) manifestsCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "manifests APP",
		Short: "Print every object Slipway manages for the app, as YAML to re-apply elsewhere",
		Long:  "Print the app's objects as the API serves them (YAML documents); -o does not apply.",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, a, err := c.forApp(args[0])
			if err != nil {
				return err
			}
			return c.copyRaw(open(s.api.GetManifests(cmd.Context(), a.project, a.app, a.env)))
		},
	}
}

// copyRaw prints an answer as served (YAML, which -o does not apply to).
func (c *cli) copyRaw(r *http.Response, err error) error {
	if err != nil {
		return err
	}
	defer r.Body.Close()
	_, err = io.Copy(c.io.Out, r.Body)
	return err
}
