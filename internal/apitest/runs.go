package apitest

import (
	"context"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipway-dev/slipway/pkg/pipelines"
)

// SeedRun writes a run of hello in test as Argo's controller would leave it: clone, build,
// an approval gate and deploy, with pods for clone and deploy (whose logs the fake clientset
// answers "fake logs"; the build's pod is gone, so its step has no output), all stamped at.
// A Succeeded or Failed run ended with deploy in that phase; a Running one waits at the gate.
func (p *Platform) SeedRun(t testing.TB, name string, phase wfv1.WorkflowPhase, at time.Time) *wfv1.Workflow {
	t.Helper()
	ctx := context.Background()
	cfg := pipelines.Config{PlatformURL: "http://platform", Registry: "dev.local",
		Images: pipelines.Images{Git: "dev.local/git:v1", Builder: "dev.local/bk:v1", Deploy: "dev.local/curl:v1"}, KeepRuns: metav1.Duration{Duration: 48 * time.Hour}}
	wf, err := pipelines.BuildRun(pipelines.Start{
		Target:   pipelines.Target{Project: Project, App: App, Env: "test", Namespace: TestNS},
		Pipeline: pipelines.Pipeline{Repo: "https://git.example/demo/hello", Stages: []pipelines.Stage{{Name: "approve", At: pipelines.BeforeDeploy, Approval: true}}},
		Trigger:  pipelines.TriggerManual,
	}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	wf.Name = name
	stamp := metav1.NewTime(at)
	wf.CreationTimestamp = stamp
	deployPhase := wfv1.NodeSucceeded
	if phase == wfv1.WorkflowFailed {
		deployPhase = wfv1.NodeFailed
	}
	wf.Status = wfv1.WorkflowStatus{Phase: phase, StartedAt: stamp, FinishedAt: stamp, Nodes: wfv1.Nodes{}}
	for i, step := range []struct {
		name string
		typ  wfv1.NodeType
	}{{"clone", wfv1.NodeTypePod}, {"build", wfv1.NodeTypePod}, {"approve", wfv1.NodeTypeSuspend}, {"deploy", wfv1.NodeTypePod}} {
		nodeName := pipelines.StepNodeName(wf.Name, i, step.name)
		id := wf.NodeID(nodeName)
		nodePhase := wfv1.NodeSucceeded
		switch {
		case phase == wfv1.WorkflowRunning && step.name == "approve":
			nodePhase = wfv1.NodeRunning
		case phase == wfv1.WorkflowRunning && step.name == "deploy":
			continue
		case step.name == "deploy":
			nodePhase = deployPhase
		}
		wf.Status.Nodes[id] = wfv1.NodeStatus{ID: id, Name: nodeName, Type: step.typ, Phase: nodePhase, StartedAt: stamp, FinishedAt: stamp}
		if step.typ != wfv1.NodeTypePod || step.name == "build" {
			continue
		}
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: wf.Name + "-" + step.name, Namespace: wf.Namespace,
			Labels: map[string]string{"workflows.argoproj.io/workflow": wf.Name}, Annotations: map[string]string{"workflows.argoproj.io/node-id": id}}}
		if _, err := p.Kube.CoreV1().Pods(wf.Namespace).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// The run and its pods are in the project's build namespace.
	if _, err := p.Argo.ArgoprojV1alpha1().Workflows(wf.Namespace).Create(ctx, wf, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return wf
}
