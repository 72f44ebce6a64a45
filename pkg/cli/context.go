package cli

import (
	"github.com/spf13/cobra"
)

func (c *cli) contextCommand() *cobra.Command {
	list := &cobra.Command{
		Use:   "list",
		Short: "List the contexts of the config file",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			cfg, _, err := c.loadConfig()
			if err != nil {
				return err
			}
			b := block{header: []string{"CURRENT", "NAME", "SERVER", "PROJECT", "ENVIRONMENT"}}
			var names []string
			for _, ctx := range cfg.Contexts {
				cur := ""
				if ctx.Name == cfg.CurrentContext {
					cur = "*"
				}
				b.rows = append(b.rows, []string{cur, ctx.Name, ctx.Server, ctx.Project, ctx.Environment})
				names = append(names, ctx.Name)
			}
			return c.print(view{body: rawJSON(cfg), names: names, blocks: []block{b}})
		},
	}
	use := &cobra.Command{
		Use:               "use NAME",
		Short:             "Make a context the current one",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: c.completeContexts,
		RunE: func(_ *cobra.Command, args []string) error {
			return c.editConfig(args[0], func(cfg *Config, ctx *Context) {
				cfg.CurrentContext = ctx.Name
				c.note("Switched to context %q.", ctx.Name)
			})
		},
	}
	setProject := &cobra.Command{
		Use:   "set-project PROJECT",
		Short: "Store the default project in the current context (or --context)",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return c.editConfig("", func(_ *Config, ctx *Context) { ctx.Project = args[0] })
		},
	}
	setEnv := &cobra.Command{
		Use:   "set-environment ENVIRONMENT",
		Short: "Store the default environment in the current context (or --context)",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return c.editConfig("", func(_ *Config, ctx *Context) { ctx.Environment = args[0] })
		},
	}
	return group("context", "Switch between servers, projects and environments (the config file)", list, use, setProject, setEnv)
}

// editConfig changes a context (name, else --context, else the current one) and saves.
func (c *cli) editConfig(name string, edit func(*Config, *Context)) error {
	cfg, path, err := c.loadConfig()
	if err != nil {
		return err
	}
	name = firstOf(name, c.configContext, cfg.CurrentContext)
	if name == "" {
		return usagef("no current context: run slipway login, or pass --context")
	}
	ctx := cfg.Find(name)
	if ctx == nil {
		return usagef("no context %q in %s", name, path)
	}
	edit(cfg, ctx)
	return saveConfig(path, cfg)
}

func (c *cli) completeContexts(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	cfg, _, err := c.loadConfig()
	if err != nil || len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var names []string
	for _, ctx := range cfg.Contexts {
		names = append(names, ctx.Name)
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}
