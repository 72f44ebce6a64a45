package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/slipway-dev/slipway/pkg/client"
)

// waitOptions are --wait, --async and --wait-timeout.
type waitOptions struct {
	wait, async bool
	timeout     time.Duration
}

// addWaitFlags gives cmd --wait (on by default where the change is quick to take effect)
// and --wait-timeout; where waiting is the default, --async turns it off.
func addWaitFlags(cmd *cobra.Command, on bool, what string) *waitOptions {
	w := &waitOptions{}
	f := cmd.Flags()
	f.BoolVar(&w.wait, "wait", on, "wait until "+what)
	f.DurationVar(&w.timeout, "wait-timeout", 5*time.Minute, "how long --wait waits")
	if on {
		f.BoolVar(&w.async, "async", false, "return once the API has accepted the change (no --wait)")
		cmd.MarkFlagsMutuallyExclusive("wait", "async")
	}
	return w
}

func (w *waitOptions) enabled() bool { return w.wait && !w.async }

// pollInterval is how often a wait asks again.
const pollInterval = 300 * time.Millisecond

// poller asks for a state until a condition on it holds, fails, or time runs out.
type poller struct {
	interval, timeout time.Duration
	// progress is told each new state (nil: nothing is said).
	progress func(string)
}

func (c *cli) poller(w *waitOptions) poller {
	return poller{interval: pollInterval, timeout: w.timeout, progress: func(s string) { c.progress("%s", s) }}
}

// condition says of a state whether the wait is over (done), has failed (err), or what it
// is waiting for.
type condition[T any] func(T) (done bool, state string, err error)

// poll runs get until cond is done or fails. Answers that say "not yet" (404 while a new
// app reaches the caches, 429, 503) and unreachable moments are polled through; the
// timeout is exit code 6.
func poll[T any](ctx context.Context, p poller, get func(context.Context) (T, error), cond condition[T]) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	var zero T
	last := ""
	say := func(s string) {
		if s != last && s != "" && p.progress != nil {
			p.progress(s)
		}
		last = s
	}
	tick := time.NewTicker(p.interval)
	defer tick.Stop()
	for {
		v, err := get(ctx)
		switch {
		case err == nil:
			done, state, err := cond(v)
			if err != nil {
				return v, err
			}
			say(state)
			if done {
				return v, nil
			}
		case ctx.Err() != nil:
		case transient(err):
			say("waiting: " + err.Error())
		default:
			return zero, err
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				msg := fmt.Sprintf("timed out after %s", p.timeout)
				if last != "" {
					msg += ": " + last
				}
				return zero, &exitError{code: ExitTimeout, err: errors.New(msg)}
			}
			return zero, ctx.Err()
		case <-tick.C:
		}
	}
}

// transient errors are worth asking again about.
func transient(err error) bool {
	var pe *problemError
	if errors.As(err, &pe) {
		switch pe.status {
		case http.StatusNotFound, http.StatusTooManyRequests, http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusGatewayTimeout:
			return true
		}
		return false
	}
	var ee *exitError
	return !errors.As(err, &ee) && !errors.Is(err, context.Canceled)
}

// getApp is poll's getter of an app's status.
func (s *session) getApp(a appRef) func(context.Context) (*client.AppStatus, error) {
	return func(ctx context.Context) (*client.AppStatus, error) {
		r, err := check(s.api.GetAppWithResponse(ctx, a.project, a.app, a.env))
		if err != nil {
			return nil, err
		}
		return r.JSON200, nil
	}
}

// deployed holds once rev is the latest ready revision and Knative's Route serves the
// app's split; a failed rev ends the wait with exit code 1 and Knative's reason.
func deployed(rev string) condition[*client.AppStatus] {
	return func(st *client.AppStatus) (bool, string, error) {
		if reason, failed := revisionFailed(st, rev); failed {
			return false, "", fmt.Errorf("revision %s failed: %s", rev, reason)
		}
		switch {
		case st.LatestReadyRevision == rev:
		case st.LatestCreatedRevision == rev:
			return false, "revision " + rev + " created, waiting for it to become ready", nil
		default:
			return false, "waiting for revision " + rev + " to be created", nil
		}
		if !servedMatches(st.Traffic, st.ServedTraffic, st.LatestReadyRevision) {
			return false, fmt.Sprintf("revision %s is ready, waiting for the traffic to be served (%s; served %s)",
				rev, formatTargets(st.Traffic), formatServed(st.ServedTraffic)), nil
		}
		return true, "revision " + rev + " is ready and served: " + formatServed(st.ServedTraffic), nil
	}
}

// serves holds once Knative's Route serves the split want.
func serves(want []client.Target) condition[*client.AppStatus] {
	return func(st *client.AppStatus) (bool, string, error) {
		if !servedMatches(want, st.ServedTraffic, st.LatestReadyRevision) {
			return false, fmt.Sprintf("waiting for the traffic to be served (%s; served %s)", formatTargets(want), formatServed(st.ServedTraffic)), nil
		}
		return true, "served: " + formatServed(st.ServedTraffic), nil
	}
}

// revisionFailed reports Knative's reason when rev failed. The app's status has the
// Service's Ready condition as ready and reason only (False and Unknown look alike), so a
// failure is recognised by Knative's reason for it, RevisionFailed, naming rev.
func revisionFailed(st *client.AppStatus, rev string) (string, bool) {
	if st.Ready || !strings.HasPrefix(st.Reason, "RevisionFailed") {
		return "", false
	}
	if st.LatestCreatedRevision != rev && !strings.Contains(st.Reason, strconv.Quote(rev)) {
		return "", false
	}
	return st.Reason, true
}

// servedMatches compares a split (latest resolved to the latest ready revision) with the
// one Knative's Route reports, as sums per revision and tag; untagged 0% targets route
// nothing and may be left out of either.
func servedMatches(want []client.Target, served []client.ServedTarget, latestReady string) bool {
	type key struct{ rev, tag string }
	sum := func(add func(func(rev, tag string, pct int64))) map[key]int64 {
		m := map[key]int64{}
		add(func(rev, tag string, pct int64) {
			if pct != 0 || tag != "" {
				m[key{rev, tag}] += pct
			}
		})
		return m
	}
	w := sum(func(add func(string, string, int64)) {
		for _, t := range want {
			rev := t.Revision
			if t.Latest {
				rev = latestReady
			}
			add(rev, t.Tag, t.Percent)
		}
	})
	s := sum(func(add func(string, string, int64)) {
		for _, t := range served {
			add(t.Revision, t.Tag, t.Percent)
		}
	})
	if len(w) != len(s) {
		return false
	}
	for k, v := range w {
		if k.rev == "" {
			return false // latest, before any revision is ready
		}
		if got, ok := s[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// Argo's run phases that end a run.
const (
	phaseSucceeded = "Succeeded"
	phaseFailed    = "Failed"
	phaseError     = "Error"
)

// runEnded holds once the run has succeeded; a failed run is exit code 1, a run waiting at
// an approval gate (other than approved, just passed) exit code 7.
func runEnded(app, approved string) condition[*client.Run] {
	return func(r *client.Run) (bool, string, error) {
		switch r.Phase {
		case phaseSucceeded:
			return true, "run " + r.Name + " succeeded", nil
		case phaseFailed, phaseError:
			msg := "run " + r.Name + " " + strings.ToLower(r.Phase)
			if r.Message != "" {
				msg += ": " + r.Message
			}
			return false, "", errors.New(msg)
		}
		if g := r.AwaitingApproval; g != "" && g != approved {
			return false, "", &exitError{code: ExitRefused, err: fmt.Errorf("run %s waits for approval at %s: slipway run approve %s %s", r.Name, g, app, r.Name)}
		}
		state := "run " + r.Name + " " + strings.ToLower(r.Phase)
		for _, st := range r.Steps {
			if st.Phase == "Running" {
				state += ": " + st.Name
				break
			}
		}
		return false, state, nil
	}
}

// getRun is poll's getter of a run.
func (s *session) getRun(a appRef, run string) func(context.Context) (*client.Run, error) {
	return func(ctx context.Context) (*client.Run, error) {
		r, err := check(s.api.GetRunWithResponse(ctx, a.project, a.app, a.env, run))
		if err != nil {
			return nil, err
		}
		return r.JSON200, nil
	}
}
