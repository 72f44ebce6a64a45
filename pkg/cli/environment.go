package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (c *cli) environmentCommand() *cobra.Command {
	list := &cobra.Command{
		Use:   "list",
		Short: "List the platform's environments and their scaling policy",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := c.session()
			if err != nil {
				return err
			}
			r, err := check(s.api.ListEnvironmentsWithResponse(cmd.Context()))
			if err != nil {
				return err
			}
			b := block{header: []string{"NAME", "MIN SCALE", "MAX SCALE", "DESCRIPTION"}}
			var names []string
			for _, e := range *r.JSON200 {
				maxScale := ""
				if e.MaxScale > 0 {
					maxScale = fmt.Sprint(e.MaxScale)
				}
				b.rows = append(b.rows, []string{e.Name, fmt.Sprint(e.MinScale), maxScale, e.Description})
				names = append(names, e.Name)
			}
			return c.print(view{body: r.Body, names: names, blocks: []block{b}})
		},
	}
	cmd := group("environment", "List the platform's environments", list)
	cmd.Aliases = []string{"env"}
	return cmd
}

func (c *cli) loggingCommand() *cobra.Command {
	filebeat := &cobra.Command{
		Use:   "filebeat",
		Short: "Print filebeat inputs for every project namespace (YAML; for platform operators)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := c.session()
			if err != nil {
				return err
			}
			return c.copyRaw(open(s.api.GetFilebeatInputs(cmd.Context())))
		},
	}
	return group("logging", "The platform's log collection", filebeat)
}
