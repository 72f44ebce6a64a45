//go:build integration

package integration

import (
	"context"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"

	"github.com/slipway-dev/slipway/pkg/pipelines"
)

// argoRun plays Argo's workflow controller for one run, which does not run here (no pods
// run workflows on the dev stack). It writes the run's status the way the controller
// does — the Workflow CRD has no status subresource, so the controller updates the whole
// object — with the same node naming ("{workflow}[{group}].{step}"), node types (Pod for
// a container or script step, Suspend for a gate), phases and output parameters, so
// platform-api reads exactly what it would read on a real cluster. It writes only what
// the test tells it to; it decides nothing.
type argoRun struct {
	t         *testing.T
	namespace string
	name      string
}

// update applies change to the stored Workflow, retrying on conflicts as the controller does.
func (a argoRun) update(change func(*wfv1.Workflow)) *wfv1.Workflow {
	a.t.Helper()
	workflows := env.clients.Argo.ArgoprojV1alpha1().Workflows(a.namespace)
	var out *wfv1.Workflow
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		wf, err := workflows.Get(context.Background(), a.name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		change(wf)
		out, err = workflows.Update(context.Background(), wf, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		a.t.Fatalf("argo stand-in updating %s/%s: %v", a.namespace, a.name, err)
	}
	return out
}

// start marks the run Running with its root Steps node.
func (a argoRun) start() {
	a.update(func(wf *wfv1.Workflow) {
		now := metav1.NewTime(time.Now())
		wf.Status.Phase, wf.Status.StartedAt = wfv1.WorkflowRunning, now
		wf.Status.Nodes = wfv1.Nodes{wf.Name: {ID: wf.Name, Name: wf.Name, DisplayName: wf.Name, Type: wfv1.NodeTypeSteps,
			TemplateName: wf.Spec.Entrypoint, Phase: wfv1.NodeRunning, StartedAt: now}}
	})
}

// step records step number i (in plan order) in phase, with output parameters.
func (a argoRun) step(i int, name string, nodeType wfv1.NodeType, phase wfv1.NodePhase, outputs map[string]string) {
	a.update(func(wf *wfv1.Workflow) {
		now := metav1.NewTime(time.Now())
		nodeName := pipelines.StepNodeName(wf.Name, i, name)
		id := wf.NodeID(nodeName)
		n := wfv1.NodeStatus{ID: id, Name: nodeName, DisplayName: name, Type: nodeType, TemplateName: name,
			Phase: phase, StartedAt: now, BoundaryID: wf.Name}
		if old, ok := wf.Status.Nodes[id]; ok {
			n.StartedAt = old.StartedAt
		}
		if phase == wfv1.NodeSucceeded || phase == wfv1.NodeFailed {
			n.FinishedAt = now
		}
		if len(outputs) > 0 {
			n.Outputs = &wfv1.Outputs{}
			for k, v := range outputs {
				n.Outputs.Parameters = append(n.Outputs.Parameters, wfv1.Parameter{Name: k, Value: wfv1.AnyStringPtr(v)})
			}
		}
		wf.Status.Nodes[id] = n
	})
}

// finish ends the run in phase.
func (a argoRun) finish(phase wfv1.WorkflowPhase) {
	a.update(func(wf *wfv1.Workflow) {
		wf.Status.Phase, wf.Status.FinishedAt = phase, metav1.NewTime(time.Now())
		root := wf.Status.Nodes[wf.Name]
		root.Phase, root.FinishedAt = wfv1.NodePhase(phase), wf.Status.FinishedAt
		wf.Status.Nodes[wf.Name] = root
	})
}
