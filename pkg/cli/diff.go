package cli

import (
	"github.com/spf13/cobra"

	"github.com/slipway-dev/slipway/pkg/client"
)

func (c *cli) diffCommand() *cobra.Command {
	var params client.DiffEnvironmentsParams
	cmd := &cobra.Command{
		Use:   "diff APP --from ENV --to ENV",
		Short: "How what an app serves in one environment differs from another",
		Long: `Compare the revisions that serve most of an app's traffic in two environments: image,
environment variable names (each environment's own variables aside; values show only as
set, they may be secrets), scaling, port and log paths. A field the two agree on is not
listed.`,
		Example: `  slipway diff hello --from test --to prod
  slipway diff hello --from test --to prod -o json`,
		Args: cobra.ExactArgs(1),
	}
	cmd.Flags().StringVar(&params.From, "from", "", "an environment (default: the environment, -e)")
	cmd.Flags().StringVar(&params.To, "to", "", "the environment to compare it with")
	_ = cmd.MarkFlagRequired("to")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		s, p, err := c.forProject()
		if err != nil {
			return err
		}
		if params.From == "" {
			if params.From = s.environment; params.From == "" {
				return usagef("no environment to compare: pass --from, or --environment (-e)")
			}
		}
		r, err := check(s.api.DiffEnvironmentsWithResponse(cmd.Context(), p, args[0], &params))
		if err != nil {
			return err
		}
		d := r.JSON200
		head := block{fields: [][2]string{{d.From, serving(d.FromRevision, d.FromRelease)}, {d.To, serving(d.ToRevision, d.ToRelease)}}}
		b := block{header: []string{"FIELD", "FROM", "TO"}}
		var names []string
		for _, df := range d.Differences {
			b.rows = append(b.rows, []string{df.Field, df.From, df.To})
			names = append(names, df.Field)
		}
		v := view{body: r.Body, names: names, blocks: []block{head, b}}
		if len(d.Differences) == 0 {
			v.blocks = []block{head}
			v.text = "No differences."
		}
		return c.print(v)
	}
	return cmd
}

// serving is an environment's side of a diff: its revision and release, or not deployed.
func serving(rev, release string) string {
	if rev == "" {
		return "not deployed"
	}
	if release != "" {
		rev += " (release " + release + ")"
	}
	return rev
}
