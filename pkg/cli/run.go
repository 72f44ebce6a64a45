package cli

import (
	"context"
	"github.com/spf13/cobra"

	"github.com/slipway-dev/slipway/pkg/client"
)

func (c *cli) runCommand() *cobra.Command {
	var req client.RunRequest
	start := &cobra.Command{
		Use:   "start APP [--commit SHA | --branch B]",
		Short: "Start a pipeline run of a commit, or of a branch's head (default: the pipeline's branch)",
		Args:  cobra.ExactArgs(1),
	}
	start.Flags().StringVar(&req.Commit, "commit", "", "the commit to build")
	start.Flags().StringVar(&req.Branch, "branch", "", "build this branch's head")
	start.MarkFlagsMutuallyExclusive("commit", "branch")
	startWait := addWaitFlags(start, false, "the run has succeeded (exit 1 if it fails, 7 at an approval gate)")
	start.RunE = func(cmd *cobra.Command, args []string) error {
		s, a, err := c.forApp(args[0])
		if err != nil {
			return err
		}
		r, err := check(s.api.StartRunWithResponse(cmd.Context(), a.project, a.app, a.env, req))
		if err != nil {
			return err
		}
		return c.printRunAndWait(cmd.Context(), s, a, r.Body, r.JSON201, startWait, "")
	}

	list := &cobra.Command{
		Use:   "list APP",
		Short: "List the app's pipeline runs, newest first",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, a, err := c.forApp(args[0])
			if err != nil {
				return err
			}
			r, err := check(s.api.ListRunsWithResponse(cmd.Context(), a.project, a.app, a.env))
			if err != nil {
				return err
			}
			b := block{header: []string{"NAME", "PHASE", "TRIGGER", "BY", "REVISION", "COMMIT", "CREATED", "WAITING AT"}}
			var names []string
			for _, run := range *r.JSON200 {
				b.rows = append(b.rows, []string{run.Name, run.Phase, run.Trigger, run.StartedBy, run.Revision, run.Commit, formatTime(run.Created), run.AwaitingApproval})
				names = append(names, run.Name)
			}
			return c.print(view{body: r.Body, names: names, blocks: []block{b}})
		},
	}

	describe := &cobra.Command{
		Use:   "describe APP RUN",
		Short: "Show a run with its steps",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, a, err := c.forApp(args[0])
			if err != nil {
				return err
			}
			r, err := check(s.api.GetRunWithResponse(cmd.Context(), a.project, a.app, a.env, args[1]))
			if err != nil {
				return err
			}
			return c.print(runView(r.Body, r.JSON200))
		},
	}

	approve := &cobra.Command{
		Use:   "approve APP RUN",
		Short: "Pass the approval gate the run waits at",
		Args:  cobra.ExactArgs(2),
	}
	approveWait := addWaitFlags(approve, false, "the run has succeeded (exit 1 if it fails, 7 at a further gate)")
	approve.RunE = func(cmd *cobra.Command, args []string) error {
		s, a, err := c.forApp(args[0])
		if err != nil {
			return err
		}
		gate := ""
		if approveWait.enabled() {
			// Until the caches have the approval, the run still reads as waiting at this
			// gate: the wait must not take that for a further one.
			before, err := s.getRun(a, args[1])(cmd.Context())
			if err != nil {
				return err
			}
			gate = before.AwaitingApproval
		}
		r, err := check(s.api.ApproveRunWithResponse(cmd.Context(), a.project, a.app, a.env, args[1]))
		if err != nil {
			return err
		}
		return c.printRunAndWait(cmd.Context(), s, a, r.Body, r.JSON200, approveWait, gate)
	}

	cancel := &cobra.Command{
		Use:   "cancel APP RUN",
		Short: "Stop a run",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, a, err := c.forApp(args[0])
			if err != nil {
				return err
			}
			r, err := check(s.api.CancelRunWithResponse(cmd.Context(), a.project, a.app, a.env, args[1]))
			if err != nil {
				return err
			}
			return c.print(runView(r.Body, r.JSON200))
		},
	}

	retry := &cobra.Command{
		Use:   "retry APP RUN",
		Short: "Start a finished run again, as a new run of the same commit",
		Args:  cobra.ExactArgs(2),
	}
	retryWait := addWaitFlags(retry, false, "the new run has succeeded (exit 1 if it fails, 7 at an approval gate)")
	retry.RunE = func(cmd *cobra.Command, args []string) error {
		s, a, err := c.forApp(args[0])
		if err != nil {
			return err
		}
		r, err := check(s.api.RetryRunWithResponse(cmd.Context(), a.project, a.app, a.env, args[1]))
		if err != nil {
			return err
		}
		return c.printRunAndWait(cmd.Context(), s, a, r.Body, r.JSON201, retryWait, "")
	}

	return group("run", "Start, follow, approve, cancel and retry pipeline runs",
		start, list, describe, c.runLogsCommand(), approve, cancel, retry)
}

// printRunAndWait prints a run and, with wait, waits until it has ended (a gate other
// than approved is exit 7).
func (c *cli) printRunAndWait(ctx context.Context, s *session, a appRef, body []byte, run *client.Run, wait *waitOptions, approved string) error {
	if err := c.print(runView(body, run)); err != nil || !wait.enabled() {
		return err
	}
	_, err := poll(ctx, c.poller(wait), s.getRun(a, run.Name), runEnded(a.app, approved))
	return err
}

func runView(body []byte, r *client.Run) view {
	fields := [][2]string{
		{"Name", r.Name},
		{"Phase", r.Phase},
		{"Message", r.Message},
		{"Trigger", r.Trigger},
		{"Started by", r.StartedBy},
		{"Branch", r.Branch},
		{"Revision", r.Revision},
		{"Commit", r.Commit},
		{"Retry of", r.RetryOf},
		{"Created", formatTime(r.Created)},
		{"Started", formatTime(r.Started)},
		{"Finished", formatTime(r.Finished)},
		{"Waiting at", r.AwaitingApproval},
	}
	if r.CancelRequested {
		fields = append(fields, [2]string{"Cancel", "requested"})
	}
	steps := block{title: "Steps", header: []string{"NAME", "KIND", "PHASE", "STARTED", "FINISHED", "MESSAGE"}}
	for _, st := range r.Steps {
		steps.rows = append(steps.rows, []string{st.Name, st.Kind, st.Phase, formatTime(st.Started), formatTime(st.Finished), st.Message})
	}
	return view{body: body, names: []string{r.Name}, blocks: []block{{fields: fields}, steps}}
}
