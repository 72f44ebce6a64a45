package cli

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/slipway-dev/slipway/pkg/client"
)

// sequence answers with each of its states in turn, then the last one for ever.
func sequence[T any](states ...func() (T, error)) (func(context.Context) (T, error), *int) {
	calls := 0
	return func(context.Context) (T, error) {
		i := min(calls, len(states)-1)
		calls++
		return states[i]()
	}, &calls
}

func state(st client.AppStatus) func() (*client.AppStatus, error) {
	return func() (*client.AppStatus, error) { return &st, nil }
}

func failure(status int) func() (*client.AppStatus, error) {
	return func() (*client.AppStatus, error) { return nil, problemFrom(status, "", nil) }
}

// fast polls every millisecond and records what it would tell a terminal.
func fast(timeout time.Duration) (poller, *[]string) {
	var said []string
	return poller{interval: time.Millisecond, timeout: timeout, progress: func(s string) { said = append(said, s) }}, &said
}

const rev = "hello-00003"

var (
	split  = []client.Target{{Revision: "hello-00001", Percent: 90}, {Revision: rev, Percent: 10}}
	served = []client.ServedTarget{{Revision: "hello-00001", Percent: 90}, {Revision: rev, Percent: 10}}
)

func TestWaitDeployed(t *testing.T) {
	get, calls := sequence(
		failure(http.StatusNotFound), // the caches have not seen the Service yet
		state(client.AppStatus{LatestCreatedRevision: "hello-00002", Reason: "reconciling", Traffic: split}),
		state(client.AppStatus{LatestCreatedRevision: rev, LatestReadyRevision: "hello-00001", Traffic: split}),
		state(client.AppStatus{LatestCreatedRevision: rev, LatestReadyRevision: "hello-00001", Traffic: split}),
		state(client.AppStatus{LatestCreatedRevision: rev, LatestReadyRevision: rev, Traffic: split, ServedTraffic: served[:1]}),
		state(client.AppStatus{LatestCreatedRevision: rev, LatestReadyRevision: rev, Ready: true, Traffic: split, ServedTraffic: served}),
	)
	p, said := fast(time.Minute)
	if _, err := poll(context.Background(), p, get, deployed(rev)); err != nil {
		t.Fatal(err)
	}
	if *calls != 6 {
		t.Errorf("%d polls, want 6", *calls)
	}
	want := []string{
		"waiting: Not Found",
		"waiting for revision hello-00003 to be created",
		"revision hello-00003 created, waiting for it to become ready",
		"revision hello-00003 is ready, waiting for the traffic to be served (hello-00001=90, hello-00003=10; served hello-00001=90)",
		"revision hello-00003 is ready and served: hello-00001=90, hello-00003=10",
	}
	if diff := cmp.Diff(want, *said); diff != "" {
		t.Errorf("progress (-want +got):\n%s", diff)
	}
}

func TestWaitDeployFails(t *testing.T) {
	reason := `RevisionFailed: Revision "hello-00003" failed with message: Unable to fetch image "dev.local/nope": not found.`
	get, _ := sequence(
		state(client.AppStatus{LatestCreatedRevision: rev, LatestReadyRevision: "hello-00001", Reason: "RevisionMissing: Configuration \"hello\" is waiting for a Revision to become ready."}),
		state(client.AppStatus{LatestCreatedRevision: rev, LatestReadyRevision: "hello-00001", Reason: reason}),
	)
	p, _ := fast(time.Minute)
	_, err := poll(context.Background(), p, get, deployed(rev))
	if exitCode(err) != ExitError || err == nil || !strings.Contains(err.Error(), reason) {
		t.Errorf("err %v (exit %d), want exit 1 with Knative's reason", err, exitCode(err))
	}

	// An earlier revision's failure is not this deploy's.
	older := state(client.AppStatus{LatestCreatedRevision: "hello-00004", Reason: `RevisionFailed: Revision "hello-00004" failed with message: x.`})
	if _, failed := revisionFailed(must(older()), rev); failed {
		t.Errorf("hello-00004's failure was taken for %s's", rev)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestWaitTimesOut(t *testing.T) {
	get, _ := sequence(state(client.AppStatus{LatestCreatedRevision: rev, Traffic: split}))
	p, _ := fast(30 * time.Millisecond)
	start := time.Now()
	_, err := poll(context.Background(), p, get, deployed(rev))
	if exitCode(err) != ExitTimeout || !strings.Contains(err.Error(), "created, waiting for it to become ready") {
		t.Errorf("err %v (exit %d), want exit 6 saying what it waited for", err, exitCode(err))
	}
	if time.Since(start) > time.Second {
		t.Errorf("took %s", time.Since(start))
	}
}

func TestWaitStopsOnRefusal(t *testing.T) {
	get, calls := sequence(failure(http.StatusForbidden), state(client.AppStatus{}))
	p, _ := fast(time.Minute)
	if _, err := poll(context.Background(), p, get, deployed(rev)); exitCode(err) != ExitAuth || *calls != 1 {
		t.Errorf("err %v after %d polls, want exit 4 at once", err, *calls)
	}
}

func TestServedMatches(t *testing.T) {
	for _, tc := range []struct {
		name        string
		want        []client.Target
		served      []client.ServedTarget
		latestReady string
		match       bool
	}{
		{"same", split, served, "", true},
		{"order does not matter", split, []client.ServedTarget{served[1], served[0]}, "", true},
		{"percent differs", split, []client.ServedTarget{{Revision: "hello-00001", Percent: 100}}, "", false},
		{"latest resolves", []client.Target{{Latest: true, Percent: 100}}, []client.ServedTarget{{Revision: rev, Percent: 100}}, rev, true},
		{"latest before any is ready", []client.Target{{Latest: true, Percent: 100}}, nil, "", false},
		{"untagged 0% may be left out", []client.Target{{Revision: "a", Percent: 100}, {Revision: "b"}}, []client.ServedTarget{{Revision: "a", Percent: 100}}, "", true},
		{"a tag must be served", []client.Target{{Revision: "a", Percent: 100}, {Revision: "b", Tag: "next"}}, []client.ServedTarget{{Revision: "a", Percent: 100}}, "", false},
		{"tagged and untagged", []client.Target{{Revision: "a", Percent: 100}, {Revision: "b", Tag: "next"}},
			[]client.ServedTarget{{Revision: "a", Percent: 100}, {Revision: "b", Tag: "next"}}, "", true},
	} {
		if got := servedMatches(tc.want, tc.served, tc.latestReady); got != tc.match {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.match)
		}
	}
}

func TestWaitRun(t *testing.T) {
	run := func(phase, gate string) func() (*client.Run, error) {
		return func() (*client.Run, error) {
			return &client.Run{Name: "hello-run-x", Phase: phase, AwaitingApproval: gate, Steps: []client.Step{{Name: "build", Phase: "Running"}}}, nil
		}
	}
	p, said := fast(time.Minute)
	get, _ := sequence(run("Pending", ""), run("Running", ""), run("Succeeded", ""))
	if _, err := poll(context.Background(), p, get, runEnded("hello", "")); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"run hello-run-x pending: build", "run hello-run-x running: build", "run hello-run-x succeeded"}, *said); diff != "" {
		t.Errorf("progress (-want +got):\n%s", diff)
	}

	get, _ = sequence(run("Running", "approve"))
	_, err := poll(context.Background(), p, get, runEnded("hello", ""))
	if exitCode(err) != ExitRefused || !strings.Contains(err.Error(), "slipway run approve hello hello-run-x") {
		t.Errorf("at a gate: %v (exit %d), want exit 7 saying how to approve", err, exitCode(err))
	}
	// The gate just approved, as the caches may still show it, is not a reason to stop.
	get, _ = sequence(run("Running", "approve"), run("Running", "ship"))
	if _, err := poll(context.Background(), p, get, runEnded("hello", "approve")); exitCode(err) != ExitRefused || !strings.Contains(err.Error(), "at ship") {
		t.Errorf("after approving: %v", err)
	}
	get, _ = sequence(run("Failed", ""))
	if _, err := poll(context.Background(), p, get, runEnded("hello", "")); exitCode(err) != ExitError {
		t.Errorf("failed run: %v (exit %d)", err, exitCode(err))
	}
}

// The one mapping of answers to exit codes.
func TestExitCodes(t *testing.T) {
	for status, want := range map[int]int{
		400: ExitUsage, 413: ExitUsage, 415: ExitUsage, 422: ExitUsage,
		404: ExitNotFound, 401: ExitAuth, 403: ExitAuth, 409: ExitConflict, 412: ExitConflict,
		429: ExitUnavailable, 503: ExitUnavailable, 500: ExitError, 502: ExitError,
	} {
		if got := exitCode(problemFrom(status, "", nil)); got != want {
			t.Errorf("%d: exit %d, want %d", status, got, want)
		}
	}
	refused := problemFrom(403, "application/problem+json", []byte(`{"type":"about:blank","title":"Forbidden","status":403,"detail":"prod deploys need a ticket","rule":"change-freeze"}`))
	if exitCode(refused) != ExitRefused || refused.Error() != "Forbidden: prod deploys need a ticket (rule: change-freeze)" {
		t.Errorf("a policy's refusal: exit %d, %q", exitCode(refused), refused.Error())
	}
	closed := problemFrom(409, "application/problem+json", []byte(`{"type":"about:blank","title":"Conflict","status":409,"detail":"prod's windows are closed","rule":"window","nextOpening":"2026-12-02T18:00:00Z"}`))
	if exitCode(closed) != ExitRefused || closed.Error() != "Conflict: prod's windows are closed (rule: window, next opening 2026-12-02T18:00:00Z)" {
		t.Errorf("a time rule's refusal: exit %d, %q", exitCode(closed), closed.Error())
	}
	// A rule on another status is no policy refusal: the status says what went wrong.
	if e := problemFrom(422, "application/problem+json", []byte(`{"type":"about:blank","title":"Invalid","status":422,"rule":"x"}`)); exitCode(e) != ExitUsage {
		t.Errorf("a 422 with a rule: exit %d", exitCode(e))
	}
	if exitCode(errors.New("x")) != ExitError || exitCode(usagef("x")) != ExitUsage {
		t.Error("plain and usage errors")
	}
	// A proxy's page is not a problem document: its status and a short body stand in.
	if e := problemFrom(502, "text/plain", []byte("upstream connect error\n")); e.Error() != "Bad Gateway: upstream connect error" {
		t.Errorf("proxy: %q", e.Error())
	}
}

// Progress lines are for terminals only.
func TestProgressOnlyOnATerminal(t *testing.T) {
	for _, tty := range []bool{false, true} {
		var errOut bytes.Buffer
		c := newCLI(IO{Err: &errOut, ErrTerminal: tty})
		c.progress("waiting for %s", rev)
		if got := errOut.String() != ""; got != tty {
			t.Errorf("terminal %v: wrote %q", tty, errOut.String())
		}
	}
}

func TestReadEvents(t *testing.T) {
	stream := "event: run\ndata: {\"phase\":\"Running\"}\n\n: ping\n\nevent: log\ndata: {\"line\":\"a\"}\n\ndata: x\ndata: y\n\nevent: end\ndata: {}\n"
	var got []string
	if err := readEvents(strings.NewReader(stream), func(kind string, data []byte) error {
		got = append(got, kind+" "+string(data))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// The last event has no blank line after it: the stream broke off, so it is dropped.
	want := []string{`run {"phase":"Running"}`, `log {"line":"a"}`, "message x\ny"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// A promotion's wait ends when it is deployed; rejected and failed end it with exit 1.
func TestWaitPromoted(t *testing.T) {
	promotion := func(p client.Promotion) func() (*client.Promotion, error) {
		return func() (*client.Promotion, error) { return &p, nil }
	}
	pending := client.Promotion{Id: "hello-1", State: "pending", RequiredApprovals: 1, To: "prod"}
	deploying := client.Promotion{Id: "hello-1", State: "deploying", To: "prod"}
	done := client.Promotion{Id: "hello-1", State: "deployed", To: "prod", Release: "hello-abc", DeployedRevision: "hello-00004"}
	get, _ := sequence(promotion(pending), promotion(deploying), promotion(done))
	p, said := fast(time.Minute)
	if got, err := poll(context.Background(), p, get, promoted); err != nil || got.DeployedRevision != "hello-00004" {
		t.Fatalf("deployed: %v %v", got, err)
	}
	want := []string{"promotion hello-1 waits for approval (0/1 approvals)", "promotion hello-1 deploying", "promotion hello-1 deployed hello-abc to prod as hello-00004"}
	if diff := cmp.Diff(want, *said); diff != "" {
		t.Errorf("progress (-want +got):\n%s", diff)
	}
	for _, end := range []client.Promotion{
		{Id: "hello-1", State: "rejected", Rejection: client.Decision{User: "alice", Time: time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC), Message: "not yet"}},
		{Id: "hello-1", State: "failed", Error: "prod refused the release"},
	} {
		get, _ := sequence(promotion(pending), promotion(end))
		_, err := poll(context.Background(), p, get, promoted)
		if exitCode(err) != ExitError || !strings.Contains(err.Error(), end.State) {
			t.Errorf("%s: %v (exit %d)", end.State, err, exitCode(err))
		}
	}
}

// --strategy names what --canary, --header and --lane imply, or replace without them.
func TestStrategyFlags(t *testing.T) {
	ten := int64(10)
	for _, tc := range []struct {
		flags strategyFlags
		set   []string
		want  client.Strategy
		err   bool
	}{
		{flags: strategyFlags{}, want: client.Strategy{}},
		{flags: strategyFlags{kind: "replace"}, want: client.Strategy{Type: "replace"}},
		{flags: strategyFlags{canary: 10}, set: []string{"canary"}, want: client.Strategy{Type: "canary", Percent: &ten}},
		{flags: strategyFlags{kind: "canary", canary: 10}, set: []string{"canary"}, want: client.Strategy{Type: "canary", Percent: &ten}},
		{flags: strategyFlags{kind: "header", lane: "beta", tag: "beta"}, want: client.Strategy{Type: "header", Lane: "beta", Tag: "beta"}},
		{flags: strategyFlags{kind: "replace", canary: 10}, set: []string{"canary"}, err: true},
		{flags: strategyFlags{kind: "canary"}, err: true},
		{flags: strategyFlags{kind: "header"}, err: true},
		{flags: strategyFlags{kind: "blue-green"}, err: true},
		{flags: strategyFlags{tag: "x"}, err: true},
	} {
		set := func(name string) bool { return slices.Contains(tc.set, name) }
		got, err := tc.flags.strategy(set)
		if tc.err {
			if exitCode(err) != ExitUsage {
				t.Errorf("%+v: %v, want a usage error", tc.flags, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%+v: %v", tc.flags, err)
		} else if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%+v (-want +got):\n%s", tc.flags, diff)
		}
	}
}
