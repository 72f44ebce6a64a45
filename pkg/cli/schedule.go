package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/slipway-dev/slipway/pkg/client"
)

func (c *cli) scheduleCommand() *cobra.Command {
	var s client.Schedule
	var paused bool
	set := &cobra.Command{
		Use:   "set APP --name NAME --cron CRON",
		Short: "Add a schedule to the app, or replace the one of that name",
		Long: `Add or replace one schedule: at each time CRON names (five fields: minute hour
day-of-month month day-of-week) in --timezone (an IANA zone, UTC by default), an event is
sent to the app at --path with --data as its body. The app's other schedules are kept (they
are read and written back on the version read, so a change made in between is refused,
exit 5). The schedule's PingSource is created once the app is Ready.`,
		Example: `  slipway schedule set hello --name nightly-cleanup --cron "0 2 * * *" --timezone Europe/Berlin --path /cleanup
  slipway schedule set hello --name sync --cron "*/15 * * * *" --content-type application/json --data '{"full":false}'`,
		Args: cobra.ExactArgs(1),
	}
	f := set.Flags()
	f.StringVar(&s.Name, "name", "", "the schedule's name (a DNS label, unique in the app)")
	f.StringVar(&s.Cron, "cron", "", "when: five cron fields, e.g. \"0 2 * * *\"")
	f.StringVar(&s.Timezone, "timezone", "", "the IANA time zone CRON is read in (default UTC)")
	f.StringVar(&s.Path, "path", "", "where on the app the event goes, e.g. /cleanup (default /)")
	f.StringVar(&s.ContentType, "content-type", "", "the media type of --data")
	f.StringVar(&s.Data, "data", "", "the event's body (at most 4096 bytes)")
	f.BoolVar(&paused, "paused", false, "keep the schedule without firing it (resume it later)")
	_ = set.MarkFlagRequired("name")
	_ = set.MarkFlagRequired("cron")
	set.RunE = func(cmd *cobra.Command, args []string) error {
		enabled := !paused
		s.Enabled = &enabled
		return c.changeSchedules(cmd.Context(), args[0], func(current []client.Schedule) ([]client.Schedule, error) {
			if i := slices.IndexFunc(current, func(x client.Schedule) bool { return x.Name == s.Name }); i >= 0 {
				current[i] = s
				return current, nil
			}
			return append(current, s), nil
		})
	}

	list := &cobra.Command{
		Use:   "list APP",
		Short: "List the app's schedules with their state and next run",
		Long: `List the app's schedules: STATE is ready (its PingSource is Ready), pending (created once
the app is Ready, or not Ready yet), failed, paused, denied (the environment's policy) or
unknown. -o json and -o yaml show each schedule's next five runs.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ss, a, err := c.forApp(args[0])
			if err != nil {
				return err
			}
			r, err := check(ss.api.GetSchedulesWithResponse(cmd.Context(), a.project, a.app, a.env))
			if err != nil {
				return err
			}
			return c.print(schedulesView(r.Body, *r.JSON200))
		},
	}

	toggle := func(verb, short string, enabled bool) *cobra.Command {
		return &cobra.Command{
			Use:   verb + " APP NAME",
			Short: short,
			Args:  cobra.ExactArgs(2),
			RunE: func(cmd *cobra.Command, args []string) error {
				return c.changeSchedules(cmd.Context(), args[0], func(current []client.Schedule) ([]client.Schedule, error) {
					i, err := scheduleIndex(current, args[1])
					if err != nil {
						return nil, err
					}
					current[i].Enabled = &enabled
					return current, nil
				})
			},
		}
	}
	pause := toggle("pause", "Stop a schedule firing (its PingSource goes; the schedule stays)", false)
	resume := toggle("resume", "Let a paused schedule fire again", true)

	rm := &cobra.Command{
		Use:   "rm APP NAME",
		Short: "Remove a schedule",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.changeSchedules(cmd.Context(), args[0], func(current []client.Schedule) ([]client.Schedule, error) {
				i, err := scheduleIndex(current, args[1])
				if err != nil {
					return nil, err
				}
				return slices.Delete(current, i, i+1), nil
			})
		},
	}
	return group("schedule", "Send the app an event on a timetable (Knative PingSources)", set, list, pause, resume, rm)
}

// changeSchedules reads the app's schedules, lets change edit them, puts the set back and
// prints what the platform answered.
func (c *cli) changeSchedules(ctx context.Context, app string, change func([]client.Schedule) ([]client.Schedule, error)) error {
	s, a, err := c.forApp(app)
	if err != nil {
		return err
	}
	r, err := check(s.api.GetSchedulesWithResponse(ctx, a.project, a.app, a.env))
	if err != nil {
		return err
	}
	// The set is written back on the version read (If-Match): a change made in between is
	// refused (exit 5), not lost.
	version := r.HTTPResponse.Header.Get("ETag")
	if version == "" {
		return errors.New("the API sent no version (ETag) with the schedules, so they cannot be changed safely")
	}
	current := make([]client.Schedule, 0, len(*r.JSON200))
	for _, v := range *r.JSON200 {
		enabled := v.Enabled
		current = append(current, client.Schedule{Name: v.Name, Cron: v.Cron, Timezone: v.Timezone, Path: v.Path,
			ContentType: v.ContentType, Data: v.Data, Enabled: &enabled})
	}
	next, err := change(current)
	if err != nil {
		return err
	}
	w, err := check(s.api.SetSchedulesWithResponse(ctx, a.project, a.app, a.env, &client.SetSchedulesParams{IfMatch: &version}, next))
	if err != nil {
		return err
	}
	settle(w.HTTPResponse.Header.Get("ETag"), func() (*http.Response, error) {
		r, err := s.api.GetSchedulesWithResponse(ctx, a.project, a.app, a.env)
		if err != nil {
			return nil, err
		}
		return r.HTTPResponse, nil
	})
	return c.print(schedulesView(w.Body, *w.JSON200))
}

func scheduleIndex(set []client.Schedule, name string) (int, error) {
	i := slices.IndexFunc(set, func(x client.Schedule) bool { return x.Name == name })
	if i < 0 {
		var known []string
		for _, s := range set {
			known = append(known, s.Name)
		}
		return 0, &exitError{code: ExitNotFound, err: fmt.Errorf("no schedule %q: the app has %s", name, orNone(strings.Join(known, ", ")))}
	}
	return i, nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// schedulesView is a table of schedules, one a row, with the next run.
func schedulesView(body []byte, views []client.ScheduleView) view {
	b := block{header: []string{"NAME", "CRON", "TIMEZONE", "PATH", "STATE", "NEXT RUN"}}
	v := view{body: body}
	for _, s := range views {
		next := "-"
		if len(s.NextRuns) > 0 {
			next = s.NextRuns[0].UTC().Format(time.RFC3339)
		}
		path := s.Path
		if path == "" {
			path = "/"
		}
		state := s.State
		if s.Message != "" {
			state += " (" + s.Message + ")"
		}
		b.rows = append(b.rows, []string{s.Name, s.Cron, s.Timezone, path, state, next})
		v.names = append(v.names, s.Name)
	}
	if len(views) == 0 {
		v.text = "No schedules.\n"
		return v
	}
	v.blocks = []block{b}
	return v
}

// settle waits (briefly) until read, served from platform-api's cache a moment behind the
// write, answers the version written: the next command's read-modify-write then starts from
// it and is not a 412.
func settle(written string, read func() (*http.Response, error)) {
	for deadline := time.Now().Add(5 * time.Second); written != "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		r, err := read()
		if err != nil || r.Header.Get("ETag") == written {
			return
		}
	}
}
