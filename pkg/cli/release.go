package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/slipway-dev/slipway/pkg/client"
)

func (c *cli) releaseCommand() *cobra.Command {
	list := &cobra.Command{
		Use:   "list APP",
		Short: "List the app's releases, newest first, with the environments each serves in",
		Long: `List the app's releases: what a revision runs (the image, pinned to its digest once
Knative resolved it, and its spec), recorded when it was first deployed. A promotion moves a
release, not a rebuild, so the same release serves in each environment it reached.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, p, err := c.forProject()
			if err != nil {
				return err
			}
			r, err := check(s.api.ListReleasesWithResponse(cmd.Context(), p, args[0]))
			if err != nil {
				return err
			}
			b := block{header: []string{"NAME", "IMAGE", "PINNED", "ENVIRONMENTS", "RECORDED"}}
			var names []string
			for _, rel := range *r.JSON200 {
				b.rows = append(b.rows, []string{rel.Name, rel.Image, pinned(rel), releaseEnvs(rel.Environments), recorded(rel.Recorded)})
				names = append(names, rel.Name)
			}
			return c.print(view{body: r.Body, names: names, blocks: []block{b}})
		},
	}
	return group("release", "List an app's releases", list)
}

// pinned is the digest a release runs, short (-o json has it whole), or no while only its
// tag is known.
func pinned(r client.ReleaseView) string {
	if r.Digest == "" || r.Unpinned {
		return "no"
	}
	algo, hex, ok := strings.Cut(r.Digest, ":")
	if ok && len(hex) > 12 {
		return algo + ":" + hex[:12]
	}
	return r.Digest
}

// releaseEnvs are where a release serves: env revision=percent.
func releaseEnvs(envs []client.ReleaseEnvironment) string {
	parts := make([]string, 0, len(envs))
	for _, e := range envs {
		parts = append(parts, fmt.Sprintf("%s %s=%d", e.Env, e.Revision, e.Percent))
	}
	return strings.Join(parts, ", ")
}

// recorded is when and from where a release was first recorded.
func recorded(r client.Recorded) string {
	s := formatTime(r.At)
	where := r.Env
	if r.Revision != "" {
		where += " " + r.Revision
	}
	if where != "" {
		s += " (" + where + ")"
	}
	return s
}
