package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"github.com/google/go-cmp/cmp"
)

// TestRunLogs: a finished run streams as server-sent events, step by step in plan order,
// with each pod's output between its step's start and end (the fake clientset's pods
// answer "fake logs"), a gate without output, and the run's end.
func TestRunLogs(t *testing.T) {
	s := newStack(t, stackOptions{})
	wf := s.platform.SeedRun(t, "hello-run-abcde", wfv1.WorkflowSucceeded, time.Now())

	r := s.do(t, http.MethodGet, testPath+"/runs/"+wf.Name+"/logs", "", "")
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("logs: %d %s %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	want := []string{
		`event: run|data: {"phase":"Succeeded"}`,
		`event: step|data: {"step":"clone","phase":"Running"}`,
		`event: log|data: {"step":"clone","line":"fake logs"}`,
		`event: step|data: {"step":"clone","phase":"Succeeded"}`,
		`event: step|data: {"step":"build","phase":"Running"}`,
		`event: step|data: {"step":"build","phase":"Succeeded"}`,
		`event: step|data: {"step":"approve","phase":"Running"}`,
		`event: step|data: {"step":"approve","phase":"Succeeded"}`,
		`event: step|data: {"step":"deploy","phase":"Running"}`,
		`event: log|data: {"step":"deploy","line":"fake logs"}`,
		`event: step|data: {"step":"deploy","phase":"Succeeded"}`,
		`event: end|data: {"phase":"Succeeded"}`,
	}
	var got []string
	for _, ev := range strings.Split(strings.TrimSpace(string(r.body)), "\n\n") {
		got = append(got, strings.ReplaceAll(ev, "\n", "|"))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want,+got):\n%s", diff)
	}

	// An unknown run is a problem document, not an empty stream.
	if r := s.do(t, http.MethodGet, testPath+"/runs/nope/logs", "", ""); r.status != http.StatusNotFound || !strings.Contains(r.header.Get("Content-Type"), "problem+json") {
		t.Errorf("unknown run: %d %s", r.status, r.header.Get("Content-Type"))
	}
}
