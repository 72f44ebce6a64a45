package cli

import (
	"github.com/spf13/cobra"

	"github.com/slipway-dev/slipway/pkg/client"
)

// Project roles, viewer ⊂ developer ⊂ admin (pkg/identity).
var roles = []string{"viewer", "developer", "admin"}

func (c *cli) memberCommand() *cobra.Command {
	var role string
	var isGroup bool
	add := &cobra.Command{
		Use:   "add NAME --role viewer|developer|admin",
		Short: "Grant a user (or --group) a role in every environment of the project",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, p, err := c.forProject()
			if err != nil {
				return err
			}
			req := client.MemberRequest{Kind: "User", Name: args[0], Role: role}
			if isGroup {
				req.Kind = "Group"
			}
			r, err := check(s.api.AddMemberWithResponse(cmd.Context(), p, req))
			if err != nil {
				return err
			}
			return c.print(membersView(r.Body, []client.Member{*r.JSON201}))
		},
	}
	add.Flags().StringVar(&role, "role", "", "viewer, developer or admin")
	add.Flags().BoolVar(&isGroup, "group", false, "NAME is a group, not a user")
	_ = add.MarkFlagRequired("role")
	_ = add.RegisterFlagCompletionFunc("role", cobra.FixedCompletions(roles, cobra.ShellCompDirectiveNoFileComp))

	list := &cobra.Command{
		Use:   "list",
		Short: "List the project's members and their roles",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, p, err := c.forProject()
			if err != nil {
				return err
			}
			r, err := check(s.api.ListMembersWithResponse(cmd.Context(), p))
			if err != nil {
				return err
			}
			return c.print(membersView(r.Body, *r.JSON200))
		},
	}
	return group("member", "Grant roles in a project", add, list)
}

func membersView(body []byte, ms []client.Member) view {
	b := block{header: []string{"NAME", "KIND", "ROLE"}}
	var names []string
	for _, m := range ms {
		b.rows = append(b.rows, []string{m.Name, m.Kind, m.Role})
		names = append(names, m.Name)
	}
	return view{body: body, names: names, blocks: []block{b}}
}
