package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipway-dev/slipway/pkg/pipelines"
)

// TestRunLogs: a finished run streams as server-sent events, step by step in plan order,
// with each pod's output between its step's start and end (the fake clientset's pods
// answer "fake logs"), a gate without output, and the run's end.
func TestRunLogs(t *testing.T) {
	s := newStack(t, stackOptions{})
	ctx := context.Background()
	cfg := pipelines.Config{PlatformURL: "http://platform", Registry: "dev.local",
		Images: pipelines.Images{Git: "dev.local/git:v1", Builder: "dev.local/bk:v1", Deploy: "dev.local/curl:v1"}, KeepRuns: metav1.Duration{Duration: 48 * time.Hour}}
	wf, err := pipelines.BuildRun(pipelines.Start{
		Target:   pipelines.Target{Project: project, App: app, Env: "test", Namespace: testNS},
		Pipeline: pipelines.Pipeline{Repo: "https://git.example/demo/hello", Stages: []pipelines.Stage{{Name: "approve", At: pipelines.BeforeDeploy, Approval: true}}},
		Trigger:  pipelines.TriggerManual,
	}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	wf.Name = "hello-run-abcde"
	now := metav1.NewTime(time.Now())
	wf.Status = wfv1.WorkflowStatus{Phase: wfv1.WorkflowSucceeded, StartedAt: now, FinishedAt: now, Nodes: wfv1.Nodes{}}
	for i, step := range []struct {
		name string
		typ  wfv1.NodeType
	}{{"clone", wfv1.NodeTypePod}, {"build", wfv1.NodeTypePod}, {"approve", wfv1.NodeTypeSuspend}, {"deploy", wfv1.NodeTypePod}} {
		nodeName := pipelines.StepNodeName(wf.Name, i, step.name)
		id := wf.NodeID(nodeName)
		wf.Status.Nodes[id] = wfv1.NodeStatus{ID: id, Name: nodeName, Type: step.typ, Phase: wfv1.NodeSucceeded, StartedAt: now, FinishedAt: now}
		if step.typ != wfv1.NodeTypePod || step.name == "build" {
			continue // the build's pod is gone: its step has no output to show
		}
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: wf.Name + "-" + step.name, Namespace: wf.Namespace,
			Labels: map[string]string{"workflows.argoproj.io/workflow": wf.Name}, Annotations: map[string]string{"workflows.argoproj.io/node-id": id}}}
		if _, err := s.kube.CoreV1().Pods(wf.Namespace).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// The run and its pods are in the project's build namespace.
	if _, err := s.argo.ArgoprojV1alpha1().Workflows(wf.Namespace).Create(ctx, wf, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

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
