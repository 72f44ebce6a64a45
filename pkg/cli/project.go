package cli

import (
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/slipway-dev/slipway/pkg/client"
)

func (c *cli) projectCommand() *cobra.Command {
	create := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a project (a namespace per environment); you become its admin",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := c.session()
			if err != nil {
				return err
			}
			r, err := check(s.api.CreateProjectWithResponse(cmd.Context(), client.CreateRequest{Name: args[0]}))
			if err != nil {
				return err
			}
			return c.print(projectsView(r.Body, []client.Project{*r.JSON201}))
		},
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List the projects you may see",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := c.session()
			if err != nil {
				return err
			}
			r, err := check(s.api.ListProjectsWithResponse(cmd.Context()))
			if err != nil {
				return err
			}
			return c.print(projectsView(r.Body, *r.JSON200))
		},
	}
	return group("project", "Create and list projects", create, list)
}

func projectsView(body []byte, ps []client.Project) view {
	b := block{header: []string{"NAME", "NAMESPACES"}}
	var names []string
	for _, p := range ps {
		var ns []string
		for env, n := range p.Namespaces {
			ns = append(ns, env+"="+n)
		}
		sort.Strings(ns)
		b.rows = append(b.rows, []string{p.Name, strings.Join(ns, ", ")})
		names = append(names, p.Name)
	}
	return view{body: body, names: names, blocks: []block{b}}
}
