package cli

import (
	"bytes"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/slipway-dev/slipway/pkg/client"
)

func (c *cli) pipelineCommand() *cobra.Command {
	var (
		p     client.Pipeline
		gates []string
		file  string
	)
	set := &cobra.Command{
		Use:   "set APP --repo URL [--branch B] [--context-dir DIR] [--gate NAME=AT]... | -f pipeline.yaml",
		Short: "Set the app's pipeline: its repository and the project's stages",
		Long: `Set the app's pipeline in the environment: the repository to build (https), its branch,
the build context and Dockerfile, and stages around the standard clone, build and deploy
steps. --gate NAME=AT adds an approval gate at AT (before-build, after-build,
before-deploy or after-deploy);
stages with templates of their own are given in a file (-f, YAML or JSON as the API takes
it; - reads stdin). The whole run it makes is checked with Argo's validator.`,
		Example: `  slipway pipeline set hello --repo https://git.example/demo/hello --gate approve=before-deploy
  slipway pipeline set hello -f pipeline.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var body []byte
			if file != "" {
				b, err := c.readInput(file)
				if err != nil {
					return err
				}
				if body, err = yaml.YAMLToJSON(b); err != nil {
					return usagef("%s: %v", file, err)
				}
			} else {
				for _, g := range gates {
					name, at, err := keyValue("--gate", g)
					if err != nil {
						return err
					}
					p.Stages = append(p.Stages, client.Stage{Name: name, At: at, Approval: true})
				}
				body = rawJSON(p)
			}
			s, a, err := c.forApp(args[0])
			if err != nil {
				return err
			}
			// The body as read, so a file's fields reach the API's strict decoding unchanged.
			r, err := check(s.api.SetPipelineWithBodyWithResponse(cmd.Context(), a.project, a.app, a.env, "application/json", bytes.NewReader(body)))
			if err != nil {
				return err
			}
			return c.print(pipelineView(r.Body, a.app, r.JSON200))
		},
	}
	f := set.Flags()
	f.StringVar(&p.Repo, "repo", "", "the Git repository, an https URL")
	f.StringVar(&p.Branch, "branch", "", "the branch built by default and by push hooks (default main)")
	f.StringVar(&p.ContextDir, "context-dir", "", "the build context, relative to the repository's root")
	f.StringVar(&p.Dockerfile, "dockerfile", "", "the Dockerfile, relative to the build context (default Dockerfile)")
	f.StringArrayVar(&gates, "gate", nil, "an approval gate NAME=AT (repeatable)")
	f.StringVarP(&file, "file", "f", "", "the whole pipeline from a YAML or JSON file (- for stdin)")
	set.MarkFlagsOneRequired("repo", "file")
	for _, flag := range []string{"repo", "branch", "context-dir", "dockerfile", "gate"} {
		set.MarkFlagsMutuallyExclusive("file", flag)
	}

	show := &cobra.Command{
		Use:   "show APP",
		Short: "Show the app's pipeline",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, a, err := c.forApp(args[0])
			if err != nil {
				return err
			}
			r, err := check(s.api.GetPipelineWithResponse(cmd.Context(), a.project, a.app, a.env))
			if err != nil {
				return err
			}
			return c.print(pipelineView(r.Body, a.app, r.JSON200))
		},
	}
	templates := &cobra.Command{
		Use:   "templates",
		Short: "List the WorkflowTemplates of the project's build namespace",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, p, err := c.forProject()
			if err != nil {
				return err
			}
			r, err := check(s.api.ListTemplatesWithResponse(cmd.Context(), p))
			if err != nil {
				return err
			}
			b := block{header: []string{"NAME", "STANDARD", "ENTRYPOINT", "PARAMETERS", "STEPS"}}
			var names []string
			for _, t := range *r.JSON200 {
				b.rows = append(b.rows, []string{t.Name, yesNo(t.Standard), t.Entrypoint, strings.Join(t.Parameters, ", "), strings.Join(t.Steps, ", ")})
				names = append(names, t.Name)
			}
			return c.print(view{body: r.Body, names: names, blocks: []block{b}})
		},
	}
	return group("pipeline", "Set and show an app's build-and-deploy pipeline", set, show, templates)
}

// readInput reads a file, or stdin for "-".
func (c *cli) readInput(name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(c.io.In)
	}
	return os.ReadFile(name)
}

func pipelineView(body []byte, app string, p *client.Pipeline) view {
	stages := block{title: "Stages", header: []string{"NAME", "AT", "KIND"}}
	for _, st := range p.Stages {
		kind := "template"
		if st.Approval {
			kind = "approval"
		}
		stages.rows = append(stages.rows, []string{st.Name, st.At, kind})
	}
	blocks := []block{{fields: [][2]string{
		{"Repository", p.Repo},
		{"Branch", p.Branch},
		{"Context dir", p.ContextDir},
		{"Dockerfile", p.Dockerfile},
	}}}
	if len(p.Stages) > 0 {
		blocks = append(blocks, stages)
	}
	return view{body: body, names: []string{app}, blocks: blocks}
}
