package pipelines

import (
	"sort"
	"strconv"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	"github.com/slipway-dev/slipway/pkg/names"
)

// Run is the API's view of a run, read from its Workflow.
type Run struct {
	Name      string `json:"name"`
	Project   string `json:"project"`
	App       string `json:"app"`
	Env       string `json:"env"`
	Trigger   string `json:"trigger"`
	StartedBy string `json:"startedBy"`
	Branch    string `json:"branch,omitempty"`
	// Revision is what was asked for (a commit or a branch); Commit is what the clone
	// step checked out, once it has.
	Revision string `json:"revision"`
	Commit   string `json:"commit,omitempty"`
	RetryOf  string `json:"retryOf,omitempty"`
	// Phase is Argo's: Pending, Running, Succeeded, Failed or Error.
	Phase    string     `json:"phase"`
	Message  string     `json:"message,omitempty"`
	Created  time.Time  `json:"created"`
	Started  *time.Time `json:"started,omitempty"`
	Finished *time.Time `json:"finished,omitempty"`
	// AwaitingApproval names the gate the run is waiting at, if any.
	AwaitingApproval string `json:"awaitingApproval,omitempty"`
	// CancelRequested: someone asked Argo to stop the run (spec.shutdown); Argo's
	// controller then stops its steps and ends it.
	CancelRequested bool   `json:"cancelRequested,omitempty"`
	Steps           []Step `json:"steps"`
}

// Step is one step of a run, in the order the run takes them.
type Step struct {
	Name string `json:"name"`
	// Kind is "step" or "approval".
	Kind string `json:"kind"`
	// Phase is Argo's node phase, or "Pending" for a step not reached yet.
	Phase    string     `json:"phase"`
	Message  string     `json:"message,omitempty"`
	Started  *time.Time `json:"started,omitempty"`
	Finished *time.Time `json:"finished,omitempty"`
	// NodeID is Argo's node of the step (for its pod's logs).
	NodeID string `json:"nodeID,omitempty"`
}

// Step kinds.
const (
	KindStep     = "step"
	KindApproval = "approval"
)

// PhasePending is the phase of a run or step Argo has not started.
const PhasePending = "Pending"

// RunFromWorkflow reads a run's view: its steps in the planned order, each with the state
// Argo's controller recorded for it.
func RunFromWorkflow(wf *wfv1.Workflow) Run {
	r := Run{
		Name: wf.Name, Project: wf.Labels[names.LabelProject], App: wf.Labels[names.LabelApp], Env: wf.Labels[names.LabelEnv],
		Trigger: wf.Labels[names.LabelTrigger], StartedBy: wf.Annotations[names.AnnoStartedBy], Branch: wf.Annotations[names.AnnoBranch],
		RetryOf: wf.Annotations[names.AnnoRetryOf], Revision: param(wf, ParamRevision),
		Phase: string(wf.Status.Phase), Message: wf.Status.Message, Created: wf.CreationTimestamp.Time,
		Started: timePtr(wf.Status.StartedAt.Time), Finished: timePtr(wf.Status.FinishedAt.Time),
		Steps: []Step{}, CancelRequested: wf.Spec.Shutdown != "",
	}
	if r.Phase == "" {
		r.Phase = PhasePending
	}
	nodes := stepNodes(wf)
	if n, ok := nodes[stepClone]; ok && n.Outputs != nil {
		for _, p := range n.Outputs.Parameters {
			if p.Name == OutputCommit && p.Value != nil {
				r.Commit = p.Value.String()
			}
		}
	}
	gates := map[string]bool{}
	for _, t := range wf.Spec.Templates {
		if t.Suspend != nil {
			gates[t.Name] = true
		}
	}
	for _, name := range plannedSteps(wf) {
		s := Step{Name: name, Kind: KindStep, Phase: PhasePending}
		if gates[name] {
			s.Kind = KindApproval
		}
		if n, ok := nodes[name]; ok {
			s.Phase, s.Message, s.NodeID = string(n.Phase), n.Message, n.ID
			s.Started, s.Finished = timePtr(n.StartedAt.Time), timePtr(n.FinishedAt.Time)
			if s.Kind == KindApproval && n.Phase == wfv1.NodeRunning {
				r.AwaitingApproval = name
			}
		}
		r.Steps = append(r.Steps, s)
	}
	return r
}

// plannedSteps are the entrypoint's step names, in order.
func plannedSteps(wf *wfv1.Workflow) []string {
	var names []string
	for _, t := range wf.Spec.Templates {
		if t.Name != wf.Spec.Entrypoint {
			continue
		}
		for _, group := range t.Steps {
			for _, s := range group.Steps {
				names = append(names, s.Name)
			}
		}
	}
	return names
}

// stepNodes maps each step of the entrypoint to its node: Argo names a step's node
// "{workflow}[{group}].{step}"; a retried step has several, and the newest counts.
func stepNodes(wf *wfv1.Workflow) map[string]wfv1.NodeStatus {
	byName := map[string]wfv1.NodeStatus{}
	planned := plannedSteps(wf)
	for i, name := range planned {
		want := StepNodeName(wf.Name, i, name)
		var found []wfv1.NodeStatus
		for _, n := range wf.Status.Nodes {
			if n.Name == want && n.Type != wfv1.NodeTypeRetry {
				found = append(found, n)
			}
		}
		if len(found) == 0 {
			continue
		}
		sort.Slice(found, func(a, b int) bool { return found[a].StartedAt.Before(&found[b].StartedAt) })
		byName[name] = found[len(found)-1]
	}
	return byName
}

// StepNodeName is the name Argo's controller gives the node of the step at index i.
func StepNodeName(workflow string, i int, step string) string {
	return workflow + "[" + strconv.Itoa(i) + "]." + step
}

func param(wf *wfv1.Workflow, name string) string {
	for _, p := range wf.Spec.Arguments.Parameters {
		if p.Name == name && p.Value != nil {
			return p.Value.String()
		}
	}
	return ""
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
