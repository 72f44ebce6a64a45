package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
)

// logsIdle is how long logs without -f waits for more before it stops: a run still going
// has said what it had by then.
var logsIdle = 2 * time.Second

func (c *cli) runLogsCommand() *cobra.Command {
	var follow bool
	cmd := &cobra.Command{
		Use:   "logs APP RUN [-f]",
		Short: "Print a run's output, step by step",
		Long: `Print the output of a run's steps on stdout, and each step's start and end and the
run's end on stderr, so that stdout holds the output alone. Without -f, slipway stops
once the stream goes quiet; with -f it follows the run to its end and exits 1 if the run
failed. -o json prints each event (run, step, log, error, end) as a JSON line on stdout.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, a, err := c.forApp(args[0])
			if err != nil {
				return err
			}
			run := args[1]
			ctx, cancel := context.WithCancel(cmd.Context())
			defer cancel()
			resp, err := open(s.api.FollowRunLogs(ctx, a.project, a.app, a.env, run))
			if err != nil {
				return err
			}
			defer resp.Body.Close()

			var idled atomic.Bool
			var idle *time.Timer
			if !follow {
				idle = time.AfterFunc(logsIdle, func() {
					idled.Store(true)
					cancel()
				})
				defer idle.Stop()
			}
			ended := ""
			err = readEvents(resp.Body, func(kind string, data []byte) error {
				if idle != nil {
					idle.Reset(logsIdle)
				}
				if kind == "end" {
					var ev struct{ Phase string }
					_ = json.Unmarshal(data, &ev)
					ended = ev.Phase
				}
				return c.showEvent(run, kind, data)
			})
			switch {
			case idled.Load():
				return nil
			case err != nil:
				return transportError(err)
			case ended == "":
				return fmt.Errorf("the log stream of run %s ended before the run did", run)
			case ended == phaseFailed || ended == phaseError:
				return fmt.Errorf("run %s %s", run, strings.ToLower(ended))
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "follow the run until it ends")
	return cmd
}

// showEvent prints one event of a run's stream.
func (c *cli) showEvent(run, kind string, data []byte) error {
	if c.output == formatJSON {
		m := map[string]any{}
		if err := json.Unmarshal(data, &m); err != nil {
			return fmt.Errorf("a %s event that is not JSON: %w", kind, err)
		}
		m["event"] = kind
		b, err := json.Marshal(m)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(c.io.Out, "%s\n", b)
		return err
	}
	var ev struct{ Step, Phase, Line, Message string }
	if err := json.Unmarshal(data, &ev); err != nil {
		return fmt.Errorf("a %s event that is not JSON: %w", kind, err)
	}
	switch kind {
	case "log":
		_, err := fmt.Fprintln(c.io.Out, ev.Line)
		return err
	case "run":
		c.note("==> run %s: %s", run, ev.Phase)
	case "step":
		c.note("==> %s: %s", ev.Step, ev.Phase)
	case "error":
		c.note("==> %s: error: %s", ev.Step, ev.Message)
	case "end":
		c.note("==> run %s ended: %s", run, ev.Phase)
	}
	return nil
}

// readEvents reads a server-sent event stream, calling fn with each event's type and
// data; comments (the server's pings) are skipped.
func readEvents(r io.Reader, fn func(kind string, data []byte) error) error {
	sc := bufio.NewScanner(r)
	// A log line can be long; the server sends each as one data line.
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	kind, data := "", []string(nil)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if data != nil {
				if kind == "" {
					kind = "message"
				}
				if err := fn(kind, []byte(strings.Join(data, "\n"))); err != nil {
					return err
				}
			}
			kind, data = "", nil
		case strings.HasPrefix(line, ":"):
		default:
			field, value, _ := strings.Cut(line, ":")
			value = strings.TrimPrefix(value, " ")
			switch field {
			case "event":
				kind = value
			case "data":
				data = append(data, value)
			}
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}
