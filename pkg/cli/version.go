package cli

import (
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Version is set at build time (-ldflags "-X github.com/slipway-dev/slipway/pkg/cli.Version=v1.2.3");
// without it the module's version from the build info is used.
var Version = ""

func version() string {
	if Version != "" {
		return Version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	// A build from a checkout: the commit, when the toolchain recorded it.
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "devel-" + s.Value[:12]
		}
	}
	return "devel"
}

func userAgent() string { return "slipway/" + version() }

func (c *cli) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the CLI's version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			v := struct {
				Version string `json:"version"`
				Go      string `json:"go"`
			}{version(), runtime.Version()}
			return c.print(view{body: rawJSON(v), names: []string{v.Version},
				blocks: []block{{fields: [][2]string{{"Version", v.Version}, {"Go", v.Go}}}}})
		},
	}
}
