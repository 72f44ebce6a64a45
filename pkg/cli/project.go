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
	access := &cobra.Command{
		Use:   "access [PROJECT]",
		Short: "Show what you may do in each environment of a project (default: --project)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := c.session()
			if err != nil {
				return err
			}
			p := s.project
			if len(args) == 1 {
				p = args[0]
			} else if p, err = s.needProject(); err != nil {
				return err
			}
			r, err := check(s.api.GetProjectAccessWithResponse(cmd.Context(), p))
			if err != nil {
				return err
			}
			acc := r.JSON200
			b := block{header: []string{"ENV", "READ", "CHANGE", "DELETE", "START RUNS", "CANCEL RUNS"}}
			envs := make([]string, 0, len(acc.Envs))
			for env := range acc.Envs {
				envs = append(envs, env)
			}
			sort.Strings(envs)
			for _, env := range envs {
				e := acc.Envs[env]
				b.rows = append(b.rows, []string{env, yesNo(e.Read), yesNo(e.Change), yesNo(e.Delete), yesNo(e.StartRuns), yesNo(e.ChangeRuns)})
			}
			return c.print(view{body: r.Body, names: envs, blocks: []block{{fields: [][2]string{{"Manage members", yesNo(acc.ManageMembers)}}}, b}})
		},
	}
	return group("project", "Create and list projects, and see your access", create, list, access)
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
