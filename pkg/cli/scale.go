package cli

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/slipway-dev/slipway/pkg/client"
)

func (c *cli) scaleCommand() *cobra.Command {
	return group("scale", "An app's autoscaling: its knobs (a new revision) and its windows by the clock (none)",
		c.scaleSetCommand(), c.scaleScheduleCommand())
}

func (c *cli) scaleSetCommand() *cobra.Command {
	var (
		req                              client.ScaleRequest
		minScale, maxScale, initialScale int32
		target, utilization              int32
		concurrency                      int64
		breakGlass                       string
	)
	cmd := &cobra.Command{
		Use:   "set APP [--min N] [--max N] [--target N] ...",
		Short: "Change an app's scaling knobs: a new revision of the same spec",
		Long: `Change the autoscaler's knobs of an app in an environment. Knative keeps them on the
revision template, so this is a deploy: the platform makes a new revision of the current
spec (image, port, variables, resources, log paths) with the knobs given over the current
ones (those not given stay), and it takes all traffic (strategy replace). It needs the
deploy right, and an environment reached only by promotion refuses it (exit 7) unless
--break-glass REASON is given.

To raise the minimum by the clock without a new revision, use slipway scale schedule.

Under Knative's KPA autoscaler every knob applies; under the HPA class (the dev stack)
--metric concurrency|rps needs a custom-metrics adapter, and --target-utilization and
--scale-down-delay are not used, though Knative accepts them.`,
		Example: `  slipway scale set hello --min 1 --max 5
  slipway scale set hello --metric rps --target 200 --window 2m --scale-down-delay 30s`,
		Args: cobra.ExactArgs(1),
	}
	f := cmd.Flags()
	f.Int32Var(&minScale, "min", 0, "the fewest pods (the environment sets a floor)")
	f.Int32Var(&maxScale, "max", 0, "the most pods (the environment sets a ceiling)")
	f.Int32Var(&initialScale, "initial", 0, "the pods a new revision starts with (>= 1)")
	f.Int32Var(&target, "target", 0, "what the autoscaler aims for per pod, in the metric's unit")
	f.StringVar(&req.Scaling.Metric, "metric", "", "concurrency or rps")
	f.Int32Var(&utilization, "target-utilization", 0, "the percentage of target to aim for (1-100)")
	f.StringVar(&req.Scaling.ScaleDownDelay, "scale-down-delay", "", "keep pods this long before scaling down (0s-1h)")
	f.StringVar(&req.Scaling.Window, "window", "", "the autoscaler's stable window (6s-1h)")
	f.Int64Var(&concurrency, "container-concurrency", 0, "requests in flight per pod at most (0: no limit, up to 1000)")
	f.StringVar(&req.Message, "message", "", "why: kept with the revision and in the history")
	f.StringVar(&breakGlass, "break-glass", "", "deploy into an environment reached only by promotion, for this reason (needs the breakGlass right; audited)")
	_ = cmd.RegisterFlagCompletionFunc("metric", cobra.FixedCompletions([]string{"concurrency", "rps"}, cobra.ShellCompDirectiveNoFileComp))
	wait := addWaitFlags(cmd, true, "the revision is ready and serves its traffic")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		set := cmd.Flags().Changed
		for _, s := range []struct {
			flag string
			v    int32
			into **int32
		}{{"min", minScale, &req.Scaling.MinScale}, {"max", maxScale, &req.Scaling.MaxScale}, {"initial", initialScale, &req.Scaling.InitialScale},
			{"target", target, &req.Scaling.Target}, {"target-utilization", utilization, &req.Scaling.TargetUtilization}} {
			if set(s.flag) {
				*s.into = &s.v
			}
		}
		if set("container-concurrency") {
			req.Scaling.ContainerConcurrency = &concurrency
		}
		if req.Scaling == (client.Scaling{}) {
			return usagef("give at least one knob (--min, --max, --initial, --target, --metric, --target-utilization, --scale-down-delay, --window, --container-concurrency)")
		}
		var err error
		if req.BreakGlass, err = breakGlassReason(set, breakGlass); err != nil {
			return err
		}
		s, a, err := c.forApp(args[0])
		if err != nil {
			return err
		}
		r, err := check(s.api.ScaleWithResponse(cmd.Context(), a.project, a.app, a.env, req))
		if err != nil {
			return err
		}
		return c.reportDeploy(cmd.Context(), s, a, r.Body, r.JSON201, " with the new scaling", wait)
	}
	return cmd
}

func (c *cli) scaleScheduleCommand() *cobra.Command {
	var w client.ScalingWindow
	set := &cobra.Command{
		Use:   "set APP --name NAME --start CRON (--end CRON | --duration D) [--timezone ZONE] --min N",
		Short: "Add a scaling window, or replace the one of that name",
		Long: `A scaling window raises the minimum pods of every routed or tagged revision of the app
from each --start (five-field cron) until --end (cron) or for --duration (a Go duration),
in --timezone (an IANA zone; default UTC). No new revision is made: the platform sets the
revision's min-scale and gives it back its own when no window is open. The minimum is the
highest open window's, never below a revision's own.`,
		Example: `  slipway scale schedule set hello --name office --start "0 9 * * 1-5" --end "0 18 * * 1-5" --timezone Europe/Berlin --min 3
  slipway scale schedule set hello --name sale --start "0 20 24 11 *" --duration 4h --min 10`,
		Args: cobra.ExactArgs(1),
	}
	f := set.Flags()
	f.StringVar(&w.Name, "name", "", "the window's name (a DNS label)")
	f.StringVar(&w.Start, "start", "", "when it opens: a five-field cron expression")
	f.StringVar(&w.End, "end", "", "when it closes: a five-field cron expression")
	f.StringVar(&w.Duration, "duration", "", "how long it stays open, e.g. 90m")
	f.StringVar(&w.Timezone, "timezone", "", "the IANA zone of the crons, e.g. Europe/Berlin (default UTC)")
	f.Int32Var(&w.MinScale, "min", 0, "the minimum pods while it is open")
	for _, name := range []string{"name", "start", "min"} {
		_ = set.MarkFlagRequired(name)
	}
	set.MarkFlagsOneRequired("end", "duration")
	set.MarkFlagsMutuallyExclusive("end", "duration")
	set.RunE = func(cmd *cobra.Command, args []string) error {
		return c.changeWindows(cmd, args[0], func(ws []client.ScalingWindow) ([]client.ScalingWindow, error) {
			for i := range ws {
				if ws[i].Name == w.Name {
					ws[i] = w
					return ws, nil
				}
			}
			return append(ws, w), nil
		})
	}

	list := &cobra.Command{
		Use:   "list APP",
		Short: "The app's scaling windows, which are open, and the minimum now and next",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, a, err := c.forApp(args[0])
			if err != nil {
				return err
			}
			r, err := check(s.api.GetScalingWithResponse(cmd.Context(), a.project, a.app, a.env))
			if err != nil {
				return err
			}
			return c.print(scalingView(r.Body, *r.JSON200))
		},
	}

	var rmName string
	rm := &cobra.Command{
		Use:   "rm APP --name NAME",
		Short: "Remove a scaling window",
		Args:  cobra.ExactArgs(1),
	}
	rm.Flags().StringVar(&rmName, "name", "", "the window to remove")
	_ = rm.MarkFlagRequired("name")
	rm.RunE = func(cmd *cobra.Command, args []string) error {
		return c.changeWindows(cmd, args[0], func(ws []client.ScalingWindow) ([]client.ScalingWindow, error) {
			for i := range ws {
				if ws[i].Name == rmName {
					return append(ws[:i], ws[i+1:]...), nil
				}
			}
			return nil, &exitError{code: ExitNotFound, err: fmt.Errorf("no scaling window %q", rmName)}
		})
	}
	return group("schedule", "Raise an app's minimum pods by the clock, without new revisions", set, list, rm)
}

// changeWindows reads the app's windows, lets change edit the list and writes it back.
func (c *cli) changeWindows(cmd *cobra.Command, app string, change func([]client.ScalingWindow) ([]client.ScalingWindow, error)) error {
	s, a, err := c.forApp(app)
	if err != nil {
		return err
	}
	r, err := check(s.api.GetScalingWithResponse(cmd.Context(), a.project, a.app, a.env))
	if err != nil {
		return err
	}
	// Written back on the version read (If-Match): a change made in between is refused
	// (exit 5), not lost.
	version := r.HTTPResponse.Header.Get("ETag")
	if version == "" {
		return errors.New("the API sent no version (ETag) with the scaling windows, so they cannot be changed safely")
	}
	var ws []client.ScalingWindow
	for _, st := range r.JSON200.Windows {
		ws = append(ws, client.ScalingWindow{Name: st.Name, Start: st.Start, End: st.End, Duration: st.Duration, Timezone: st.Timezone, MinScale: st.MinScale})
	}
	if ws, err = change(ws); err != nil {
		return err
	}
	if ws == nil {
		ws = []client.ScalingWindow{}
	}
	put, err := check(s.api.SetScalingSchedulesWithResponse(cmd.Context(), a.project, a.app, a.env,
		&client.SetScalingSchedulesParams{IfMatch: &version}, client.SchedulesRequest{Windows: ws}))
	if err != nil {
		return err
	}
	settle(put.HTTPResponse.Header.Get("ETag"), func() (*http.Response, error) {
		r, err := s.api.GetScalingWithResponse(cmd.Context(), a.project, a.app, a.env)
		if err != nil {
			return nil, err
		}
		return r.HTTPResponse, nil
	})
	return c.print(scalingView(put.Body, *put.JSON200))
}

func scalingView(body []byte, v client.ScalingView) view {
	out := view{body: body}
	fields := [][2]string{{"Minimum now", fmt.Sprintf("%d (own %d)", v.EffectiveMinScale, v.OwnMinScale)}}
	if !v.Next.At.IsZero() {
		fields = append(fields, [2]string{"Next change", fmt.Sprintf("%s → %d", v.Next.At.UTC().Format(time.RFC3339), v.Next.MinScale)})
	}
	windows := block{title: "Windows", header: []string{"NAME", "START", "END", "TIMEZONE", "MIN", "OPEN", "NEXT START", "NEXT END"}}
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.UTC().Format(time.RFC3339)
	}
	for _, w := range v.Windows {
		end := w.End
		if end == "" {
			end = "for " + w.Duration
		}
		zone := w.Timezone
		if zone == "" {
			zone = "UTC"
		}
		open := "no"
		if w.Active {
			open = "yes"
		}
		windows.rows = append(windows.rows, []string{w.Name, w.Start, end, zone, fmt.Sprint(w.MinScale), open, stamp(w.NextStart), stamp(w.NextEnd)})
		out.names = append(out.names, w.Name)
	}
	out.blocks = []block{{fields: fields}, windows}
	return out
}

// scalingSummary is the knobs a template sets, in a line ("" for none).
func scalingSummary(s client.Scaling) string {
	var parts []string
	add32 := func(name string, v *int32) {
		if v != nil {
			parts = append(parts, fmt.Sprintf("%s=%d", name, *v))
		}
	}
	addS := func(name, v string) {
		if v != "" {
			parts = append(parts, name+"="+v)
		}
	}
	add32("min", s.MinScale)
	add32("max", s.MaxScale)
	add32("initial", s.InitialScale)
	add32("target", s.Target)
	addS("metric", s.Metric)
	add32("target-utilization", s.TargetUtilization)
	addS("scale-down-delay", s.ScaleDownDelay)
	addS("window", s.Window)
	if s.ContainerConcurrency != nil {
		parts = append(parts, fmt.Sprintf("container-concurrency=%d", *s.ContainerConcurrency))
	}
	return strings.Join(parts, " ")
}
