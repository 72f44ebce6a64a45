package cli

import (
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/slipway-dev/slipway/pkg/client"
)

func (c *cli) revisionCommand() *cobra.Command {
	list := &cobra.Command{
		Use:   "list APP",
		Short: "List the app's revisions with their traffic as served",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, a, err := c.forApp(args[0])
			if err != nil {
				return err
			}
			r, err := check(s.api.ListRevisionsWithResponse(cmd.Context(), a.project, a.app, a.env))
			if err != nil {
				return err
			}
			b := block{header: []string{"NAME", "READY", "PERCENT", "TAGS", "IMAGE", "CREATED", "BY", "MESSAGE"}}
			var names []string
			for _, rev := range *r.JSON200 {
				b.rows = append(b.rows, []string{rev.Name, readiness(rev), strconv.FormatInt(rev.Percent, 10), strings.Join(rev.Tags, ","),
					rev.Image, formatTime(rev.Created), rev.DeployedBy, rev.Message})
				names = append(names, rev.Name)
			}
			return c.print(view{body: r.Body, names: names, blocks: []block{b}})
		},
	}
	describe := &cobra.Command{
		Use:   "describe APP REVISION",
		Short: "Show a revision",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, a, err := c.forApp(args[0])
			if err != nil {
				return err
			}
			r, err := check(s.api.GetRevisionWithResponse(cmd.Context(), a.project, a.app, a.env, args[1]))
			if err != nil {
				return err
			}
			rev := r.JSON200
			var logPaths []string
			for _, lp := range rev.LogPaths {
				logPaths = append(logPaths, lp.Path)
			}
			fields := [][2]string{
				{"Name", rev.Name},
				{"Ready", readiness(*rev)},
				{"Image", rev.Image},
				{"Created", formatTime(rev.Created)},
				{"Deployed by", rev.DeployedBy},
				{"Message", rev.Message},
				{"Percent", strconv.FormatInt(rev.Percent, 10)},
				{"Tags", strings.Join(rev.Tags, ", ")},
				{"Log paths", strings.Join(logPaths, ", ")},
			}
			if rev.Source.PipelineRun != "" {
				fields = append(fields, [2]string{"Pipeline run", rev.Source.PipelineRun}, [2]string{"Commit", rev.Source.Commit})
			}
			return c.print(view{body: r.Body, names: []string{rev.Name}, blocks: []block{{fields: fields}}})
		},
	}
	return group("revision", "List and describe an app's revisions", list, describe)
}

func readiness(r client.Revision) string {
	s := yesNo(r.Ready)
	if r.Reason != "" {
		s += " (" + r.Reason + ")"
	}
	return s
}
