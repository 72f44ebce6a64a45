package runs

import (
	"bufio"
	"context"
	"errors"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/pipelines"
	"github.com/slipway-dev/slipway/pkg/records"
)

// Where Argo puts a step's pod and its output: the pod is labelled with the workflow and
// annotated with the step's node ID, and the step's own container is "main".
const (
	argoLabelWorkflow  = "workflows.argoproj.io/workflow"
	argoAnnotationNode = "workflows.argoproj.io/node-id"
	argoMainContainer  = "main"
	maxLogLineBytes    = 1 << 20
)

// Event is one event of a run's log stream.
type Event struct {
	// Kind is "run" (first: the run's Phase as the stream opens), "step" (a step started
	// or ended: Phase), "log" (a Line of its output), "error" (its output could not be read:
	// Message), "ping" (nothing happened for a while) or "end" (the run's Phase).
	Kind    string `json:"-"`
	Step    string `json:"step,omitempty"`
	Phase   string `json:"phase,omitempty"`
	Line    string `json:"line,omitempty"`
	Message string `json:"message,omitempty"`
}

// Run event kinds.
const (
	EventRun   = "run"
	EventPing  = "ping"
	EventStep  = "step"
	EventLog   = "log"
	EventError = "error"
	EventEnd   = "end"
)

// runPollInterval is how often a stream looks at the run again between steps; pingAfter
// is how long it may stay silent (proxies drop idle connections).
var (
	runPollInterval = 500 * time.Millisecond
	pingAfter       = 15 * time.Second
)

// Stream follows a run step by step in plan order — each step's start, its pod's log
// lines, its end — and ends with the run. It returns when the run has finished, ctx ends
// or emit fails (the client went away). An unknown run is an error before any event.
func (r *Runs) Stream(ctx context.Context, t records.Target, name string, emit func(Event) error) error {
	wf, err := r.workflow(ctx, t, name)
	if err != nil {
		return err
	}
	lastEmit := time.Now()
	send := emit
	emit = func(ev Event) error {
		lastEmit = time.Now()
		return send(ev)
	}
	if err := emit(Event{Kind: EventRun, Phase: pipelines.RunFromWorkflow(wf).Phase}); err != nil {
		return err
	}
	next := 0
	started := map[string]bool{}
	logged := map[string]bool{}
	ticker := time.NewTicker(runPollInterval)
	defer ticker.Stop()
	for {
		wf, err := r.workflow(ctx, t, name)
		if err != nil {
			return err
		}
		run := pipelines.RunFromWorkflow(wf)
		for next < len(run.Steps) {
			s := run.Steps[next]
			if s.Phase == pipelines.PhasePending {
				break // not reached yet (or never will be: the run's end says so)
			}
			if !started[s.Name] {
				started[s.Name] = true
				if err := emit(Event{Kind: EventStep, Step: s.Name, Phase: string(wfv1.NodeRunning)}); err != nil {
					return err
				}
			}
			done := wfv1.NodePhase(s.Phase).Fulfilled(nil)
			if s.Kind == pipelines.KindStep && !logged[s.Name] {
				found, err := r.streamStepLogs(ctx, t, name, s, !done, emit)
				if err != nil {
					return err
				}
				logged[s.Name] = found || done
			}
			if !done {
				break
			}
			if err := emit(Event{Kind: EventStep, Step: s.Name, Phase: s.Phase}); err != nil {
				return err
			}
			next++
		}
		if wf.Status.Fulfilled() {
			return emit(Event{Kind: EventEnd, Phase: run.Phase})
		}
		if time.Since(lastEmit) >= pingAfter {
			if err := emit(Event{Kind: EventPing}); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

// streamStepLogs emits the output of step's pod, following it while the step runs. It
// reports whether the pod was there; a pod whose output cannot be read is an error event,
// not the end of the stream.
func (r *Runs) streamStepLogs(ctx context.Context, t records.Target, run string, s pipelines.Step, follow bool, emit func(Event) error) (bool, error) {
	pods, err := r.clients.Kube.CoreV1().Pods(names.BuildNamespace(t.Project)).List(ctx, metav1.ListOptions{LabelSelector: argoLabelWorkflow + "=" + run})
	if err != nil {
		return false, emit(Event{Kind: EventError, Step: s.Name, Message: "listing the run's pods: " + err.Error()})
	}
	var pod *corev1.Pod
	for i := range pods.Items {
		if pods.Items[i].Annotations[argoAnnotationNode] == s.NodeID {
			pod = &pods.Items[i]
		}
	}
	if pod == nil {
		return false, nil
	}
	stream, err := r.clients.Kube.CoreV1().Pods(names.BuildNamespace(t.Project)).GetLogs(pod.Name, &corev1.PodLogOptions{Container: argoMainContainer, Follow: follow}).Stream(ctx)
	if err != nil {
		return true, emit(Event{Kind: EventError, Step: s.Name, Message: "reading the output of pod " + pod.Name + ": " + err.Error()})
	}
	defer stream.Close()
	lines := bufio.NewScanner(stream)
	lines.Buffer(make([]byte, 64<<10), maxLogLineBytes)
	for lines.Scan() {
		if err := emit(Event{Kind: EventLog, Step: s.Name, Line: lines.Text()}); err != nil {
			return true, err
		}
	}
	if err := lines.Err(); err != nil && !errors.Is(err, context.Canceled) {
		return true, emit(Event{Kind: EventError, Step: s.Name, Message: "reading the output of pod " + pod.Name + ": " + err.Error()})
	}
	return true, nil
}
