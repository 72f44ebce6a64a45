// Package cli is the slipway command line: noun–verb commands over the platform API's
// typed client (pkg/client). NewCommand builds the whole tree from the streams and the
// environment it is given, so tests run it in process.
package cli

import (
	"context"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// IO is what the CLI reads and writes and the environment it sees; main passes the
// process's (System), tests their own.
type IO struct {
	In       io.Reader
	Out, Err io.Writer
	// OutTerminal and ErrTerminal say whether Out and Err are terminals: colour and
	// progress lines are for people, never for pipes and files.
	OutTerminal, ErrTerminal bool
	// Getenv reads HOME, XDG_CONFIG_HOME, SLIPWAY_CONFIG and NO_COLOR.
	Getenv func(string) string
	// Now is the clock (audit --since); nil is time.Now.
	Now func() time.Time
}

// System is the process's streams and environment.
func System() IO {
	return IO{
		In: os.Stdin, Out: os.Stdout, Err: os.Stderr,
		OutTerminal: term.IsTerminal(int(os.Stdout.Fd())),
		ErrTerminal: term.IsTerminal(int(os.Stderr.Fd())),
		Getenv:      os.Getenv,
	}
}

const exitCodesHelp = `Exit codes:
  0  ok
  1  error (a failed revision or run, an unexpected answer, an unreachable server)
  2  usage: bad flags or arguments, or the API found the request invalid (400, 413, 415, 422)
  3  not found (404)
  4  unauthenticated or forbidden (401, 403 without a rule)
  5  conflict (409 without a rule), or changed since it was read (412)
  6  timed out waiting
  7  refused by policy (a 403 or 409 naming its rule; the rule and any next opening are
     shown), or a run or promotion waiting for approval (--wait)
  8  rate limited (429) or unavailable (503)`

// Main runs the CLI with args (without the program name) and returns its exit code.
func Main(ctx context.Context, args []string, streams IO) int {
	c := newCLI(streams)
	root := c.rootCommand()
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	c.reportError(err)
	// Anything cobra refuses before a command starts (unknown commands and flags, wrong
	// arguments, missing or conflicting flags) is a usage error.
	if !c.started {
		c.note("Run '%s --help' for usage.", cmd.CommandPath())
		return ExitUsage
	}
	return exitCode(err)
}

// cli holds the global flags and what commands share: the streams, the printer, the API
// session.
type cli struct {
	io IO
	// started is set once a command's RunE begins.
	started bool

	// Global flags; each overrides the context's value.
	configContext string
	server        string
	tokenFile     string
	project       string
	environment   string
	output        string
}

func newCLI(streams IO) *cli {
	if streams.Getenv == nil {
		streams.Getenv = func(string) string { return "" }
	}
	if streams.Now == nil {
		streams.Now = time.Now
	}
	if streams.In == nil {
		streams.In = eofReader{}
	}
	return &cli{io: streams}
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

func (c *cli) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "slipway",
		Short: "Deploy and run apps on Slipway",
		Long: `slipway drives Slipway's platform API: projects, apps and their revisions per
environment, traffic and header rules, rollbacks, releases and their promotions along the
promotion path, pipelines and runs, the audit trail.

Where to talk to and as whom comes from the current context of the config file
($SLIPWAY_CONFIG, else $XDG_CONFIG_HOME/slipway/config.yaml, else
~/.config/slipway/config.yaml; "slipway login" writes it). The global flags override it,
so a script needs no config file:

  slipway --server URL --token-file F -p demo -e test deploy hello --image IMG -o json

` + exitCodesHelp,
		Version:       version(),
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetIn(c.io.In)
	root.SetOut(c.io.Out)
	root.SetErr(c.io.Err)
	root.SetVersionTemplate("slipway {{.Version}}\n")

	f := root.PersistentFlags()
	f.StringVar(&c.configContext, "context", "", "the context of the config file to use (default: its current-context)")
	f.StringVar(&c.server, "server", "", "platform-api's URL")
	f.StringVar(&c.tokenFile, "token-file", "", "a file holding the bearer token")
	f.StringVarP(&c.project, "project", "p", "", "the project")
	f.StringVarP(&c.environment, "environment", "e", "", "the environment")
	f.StringVarP(&c.output, "output", "o", formatTable, "output format: table, json, yaml or name")
	_ = root.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(formats, cobra.ShellCompDirectiveNoFileComp))

	root.AddCommand(
		c.loginCommand(),
		c.whoamiCommand(),
		c.contextCommand(),
		c.environmentCommand(),
		c.projectCommand(),
		c.memberCommand(),
		c.appCommand(),
		c.deployCommand(),
		c.promoteCommand(),
		c.promotionCommand(),
		c.releaseCommand(),
		c.diffCommand(),
		c.revisionCommand(),
		c.trafficCommand(),
		c.ruleCommand(),
		c.scheduleCommand(),
		c.rollbackCommand(),
		c.scaleCommand(),
		c.historyCommand(),
		c.manifestsCommand(),
		c.pipelineCommand(),
		c.runCommand(),
		c.hookCommand(),
		c.auditCommand(),
		c.loggingCommand(),
		c.versionCommand(),
	)
	c.prepare(root)
	return root
}

// prepare walks the tree once it is built: every command's RunE records that parsing is
// over (so Main can tell usage errors from failures) and checks -o; a group without its
// own RunE prints its help, and refuses unknown subcommands as usage errors.
func (c *cli) prepare(cmd *cobra.Command) {
	for _, sub := range cmd.Commands() {
		c.prepare(sub)
	}
	if cmd.RunE == nil && cmd.Run == nil {
		if !cmd.HasSubCommands() {
			return
		}
		cmd.Args = cobra.NoArgs
		cmd.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
	}
	run := cmd.RunE
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		c.started = true
		if err := checkFormat(c.output); err != nil {
			return err
		}
		return run(cmd, args)
	}
}

// group is a noun: a command that only holds verbs.
func group(use, short string, verbs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short}
	cmd.AddCommand(verbs...)
	return cmd
}
