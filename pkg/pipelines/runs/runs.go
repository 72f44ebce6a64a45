// Package runs is the pipeline domain on the cluster: apps' pipelines, their runs (Argo
// Workflows built by package pipelines), approvals, retries, hooks and run log streams.
// Pipelines and hook credentials are kept in the platform's namespace (pipelines.namespace),
// not the app's, so platform-api reads no other namespace's Secrets.
package runs

import (
	"context"
	"encoding/json"
	"log/slog"
	"sort"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/slipway-dev/slipway/pkg/apierror"
	"github.com/slipway-dev/slipway/pkg/environments"
	"github.com/slipway-dev/slipway/pkg/kube"
	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/pipelines"
	"github.com/slipway-dev/slipway/pkg/pipelines/reconciler"
	"github.com/slipway-dev/slipway/pkg/records"
	"github.com/slipway-dev/slipway/pkg/revisions"
)

// Runs is the pipeline domain service.
type Runs struct {
	cfg        pipelines.Config
	path       environments.Promotion
	records    *records.Store
	clients    *kube.Clients
	cache      *kube.Cache
	namespaces *reconciler.Reconciler
	log        *slog.Logger
	now        func() time.Time
}

// New wires the service; path is the promotion path (where a pipeline may promote to);
// namespaces installs each project namespace's pipeline objects.
func New(cfg pipelines.Config, path environments.Promotion, store *records.Store, clients *kube.Clients, cache *kube.Cache, namespaces *reconciler.Reconciler, log *slog.Logger) *Runs {
	return &Runs{cfg: cfg, path: path, records: store, clients: clients, cache: cache, namespaces: namespaces, log: log, now: time.Now}
}

// enabled refuses pipeline calls on a platform configured without them.
func (r *Runs) enabled() error {
	if !r.cfg.Enabled() {
		return apierror.Conflict("pipelines are not configured on this platform (pipelines.platformURL)")
	}
	return nil
}

func runTarget(t records.Target) pipelines.Target {
	return pipelines.Target{Project: t.Project, App: t.App, Env: t.Env, Namespace: t.Namespace()}
}

// Start starts a run of the app's pipeline.
func (r *Runs) Start(ctx context.Context, user string, t records.Target, req pipelines.RunRequest) (pipelines.Run, error) {
	if _, err := r.records.Resolve(t); err != nil {
		return pipelines.Run{}, err
	}
	if err := r.enabled(); err != nil {
		return pipelines.Run{}, err
	}
	if errs := req.Validate(); len(errs) > 0 {
		return pipelines.Run{}, apierror.Invalid(errs)
	}
	pl, err := r.pipeline(ctx, t)
	if err != nil {
		return pipelines.Run{}, err
	}
	return r.start(ctx, t, pipelines.Start{Pipeline: pl, Request: req, Trigger: pipelines.TriggerManual, StartedBy: user})
}

func (r *Runs) start(ctx context.Context, t records.Target, s pipelines.Start) (pipelines.Run, error) {
	s.Target = runTarget(t)
	wf, err := pipelines.BuildRun(s, r.cfg)
	if err != nil {
		return pipelines.Run{}, apierror.Invalid(field.ErrorList{field.Invalid(field.NewPath("stages"), "", "Argo refuses the run: "+err.Error())})
	}
	if err := r.namespaces.Reconcile(ctx, t.Project, s.Pipeline.DeployerEnvs(t.Env)); err != nil {
		return pipelines.Run{}, err
	}
	created, err := r.clients.Argo.ArgoprojV1alpha1().Workflows(names.BuildNamespace(t.Project)).Create(ctx, wf, metav1.CreateOptions{FieldManager: names.FieldManager})
	if apierrors.IsAlreadyExists(err) && s.Delivery != "" {
		return pipelines.Run{}, apierror.Conflict("delivery %q was received before (run %s): replays are refused", s.Delivery, wf.Name)
	}
	if err != nil {
		return pipelines.Run{}, kube.WriteError(err)
	}
	return pipelines.RunFromWorkflow(created), nil
}

// List lists an app's runs in an environment (in the project's build namespace, by their
// app and env labels), newest first, from the cache. An app that has
// no run, no pipeline and no Service there does not exist: a 404, not an empty list.
func (r *Runs) List(ctx context.Context, t records.Target) ([]pipelines.Run, error) {
	if _, err := r.records.Resolve(t); err != nil {
		return nil, err
	}
	wfs, err := r.cache.Workflows.Workflows(names.BuildNamespace(t.Project)).List(labels.SelectorFromSet(labels.Set{names.LabelApp: t.App, names.LabelEnv: t.Env}))
	if err != nil {
		return nil, err
	}
	if len(wfs) == 0 && r.records.CachedService(t) == nil {
		if _, err := r.pipeline(ctx, t); apierror.IsNotFound(err) {
			return nil, apierror.NotFound("app %q has no pipeline and is not deployed in %q", t.App, t.Env)
		} else if err != nil {
			return nil, err
		}
	}
	sort.Slice(wfs, func(i, j int) bool {
		if !wfs[i].CreationTimestamp.Equal(&wfs[j].CreationTimestamp) {
			return wfs[j].CreationTimestamp.Before(&wfs[i].CreationTimestamp)
		}
		return wfs[i].Name > wfs[j].Name
	})
	runs := make([]pipelines.Run, 0, len(wfs))
	for _, wf := range wfs {
		runs = append(runs, pipelines.RunFromWorkflow(wf))
	}
	return runs, nil
}

// Get returns one run.
func (r *Runs) Get(ctx context.Context, t records.Target, name string) (pipelines.Run, error) {
	wf, err := r.workflow(ctx, t, name)
	if err != nil {
		return pipelines.Run{}, err
	}
	return pipelines.RunFromWorkflow(wf), nil
}

// workflow reads a run of the app from the cache, or from the apiserver when the cache has
// not seen it yet (a run started a moment ago).
func (r *Runs) workflow(ctx context.Context, t records.Target, name string) (*wfv1.Workflow, error) {
	if _, err := r.records.Resolve(t); err != nil {
		return nil, err
	}
	wf, err := r.cache.Workflows.Workflows(names.BuildNamespace(t.Project)).Get(name)
	if apierrors.IsNotFound(err) {
		wf, err = r.clients.Argo.ArgoprojV1alpha1().Workflows(names.BuildNamespace(t.Project)).Get(ctx, name, metav1.GetOptions{})
	}
	if apierrors.IsNotFound(err) || (err == nil && (wf.Labels[names.LabelApp] != t.App || wf.Labels[names.LabelEnv] != t.Env)) {
		return nil, apierror.NotFound("app %q has no run %q in %q", t.App, name, t.Env)
	}
	return wf, kube.WriteError(err)
}

// Cancel stops a run the way `argo terminate` does: spec.shutdown, which Argo's controller
// enacts by stopping every running step.
func (r *Runs) Cancel(ctx context.Context, t records.Target, name string) (pipelines.Run, error) {
	wf, err := r.workflow(ctx, t, name)
	if err != nil {
		return pipelines.Run{}, err
	}
	if wf.Status.Fulfilled() {
		return pipelines.Run{}, apierror.Conflict("run %s has already finished (%s)", name, wf.Status.Phase)
	}
	patch := []byte(`{"spec":{"shutdown":"` + string(wfv1.ShutdownStrategyTerminate) + `"}}`)
	out, err := r.clients.Argo.ArgoprojV1alpha1().Workflows(names.BuildNamespace(t.Project)).Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: names.FieldManager})
	if err != nil {
		return pipelines.Run{}, runWriteError(t, name, err)
	}
	return pipelines.RunFromWorkflow(out), nil
}

// Approve passes the approval gate a run waits at, as `argo resume` does: the gate's suspend
// node is marked Succeeded, and Argo's controller moves on. Who approved is recorded on the
// run and in the node's message.
func (r *Runs) Approve(ctx context.Context, user string, t records.Target, name string) (pipelines.Run, error) {
	wf, err := r.workflow(ctx, t, name)
	if err != nil {
		return pipelines.Run{}, err
	}
	run := pipelines.RunFromWorkflow(wf)
	if run.AwaitingApproval == "" {
		return pipelines.Run{}, apierror.Conflict("run %s is not waiting for an approval", name)
	}
	var nodeID string
	for _, s := range run.Steps {
		if s.Name == run.AwaitingApproval {
			nodeID = s.NodeID
		}
	}
	now := r.now().UTC().Format(time.RFC3339)
	approvals := map[string]string{}
	_ = json.Unmarshal([]byte(wf.Annotations[names.AnnoApprovals]), &approvals)
	approvals[run.AwaitingApproval] = user + " at " + now
	recorded, err := json.Marshal(approvals)
	if err != nil {
		return pipelines.Run{}, err
	}
	patch, err := json.Marshal(map[string]any{
		"metadata": map[string]any{"resourceVersion": wf.ResourceVersion, "annotations": map[string]string{names.AnnoApprovals: string(recorded)}},
		"status": map[string]any{"nodes": map[string]any{nodeID: map[string]any{
			"phase": wfv1.NodeSucceeded, "finishedAt": now, "message": "approved by " + user,
		}}},
	})
	if err != nil {
		return pipelines.Run{}, err
	}
	out, err := r.clients.Argo.ArgoprojV1alpha1().Workflows(names.BuildNamespace(t.Project)).Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: names.FieldManager})
	if apierrors.IsConflict(err) {
		return pipelines.Run{}, apierror.Conflict("run %s changed while approving; try again", name)
	}
	if err != nil {
		return pipelines.Run{}, runWriteError(t, name, err)
	}
	return pipelines.RunFromWorkflow(out), nil
}

// Retry starts the run again as a new run: the same commit if the first one got as far as
// checking it out, its revision otherwise.
func (r *Runs) Retry(ctx context.Context, user string, t records.Target, name string) (pipelines.Run, error) {
	wf, err := r.workflow(ctx, t, name)
	if err != nil {
		return pipelines.Run{}, err
	}
	if !wf.Status.Fulfilled() {
		return pipelines.Run{}, apierror.Conflict("run %s is still %s; cancel it first", name, wf.Status.Phase)
	}
	pl, err := r.pipeline(ctx, t)
	if err != nil {
		return pipelines.Run{}, err
	}
	old := pipelines.RunFromWorkflow(wf)
	req := pipelines.RunRequest{Commit: old.Commit, Branch: old.Branch}
	if req.Commit == "" && old.Revision != old.Branch {
		req.Commit = old.Revision
	}
	return r.start(ctx, t, pipelines.Start{Pipeline: pl, Request: req, Trigger: pipelines.TriggerRetry, StartedBy: user, RetryOf: name})
}

// Source is the provenance a deploy made by run carries: the run must be one of this app's
// in this environment and still running, and the commit is what its clone step reported to
// Argo — not anything the request says.
func (r *Runs) Source(ctx context.Context, t records.Target, run string) (*revisions.Source, error) {
	wf, err := r.workflow(ctx, t, run)
	if apierror.IsNotFound(err) {
		return nil, apierror.Invalid(field.ErrorList{field.NotFound(field.NewPath("pipelineRun"), run)})
	}
	if err != nil {
		return nil, err
	}
	if wf.Status.Fulfilled() {
		return nil, apierror.Conflict("pipeline run %s has finished (%s); only a running run deploys", run, wf.Status.Phase)
	}
	commit := pipelines.RunFromWorkflow(wf).Commit
	if commit == "" {
		return nil, apierror.Conflict("pipeline run %s has not checked out a commit", run)
	}
	return &revisions.Source{PipelineRun: run, Commit: commit}, nil
}

// AdmitPromotion decides whether the runs' identity of project may ask for the promotion of
// app from → to: only as the promote step of a run of the app's pipeline in from, which ends
// by promoting to to, while one of the app's runs there is running. Anything else is a 403
// (the identity is the project's, not one run's: what it may ask is what the pipelines
// say).
func (r *Runs) AdmitPromotion(ctx context.Context, project, app, from, to string) error {
	refuse := func(why string, args ...any) error {
		return apierror.Forbidden("the pipeline runs of project %q may not promote app %q from %q to %q: "+why,
			append([]any{project, app, from, to}, args...)...)
	}
	t := records.Target{Project: project, App: app, Env: from}
	if _, err := r.records.Resolve(t); err != nil {
		return refuse("%v", err)
	}
	pl, err := r.pipeline(ctx, t)
	if apierror.IsNotFound(err) {
		return refuse("the app has no pipeline in %q", from)
	}
	if err != nil {
		return err
	}
	if pl.Promote == nil || pl.Promote.To != to {
		return refuse("the app's pipeline in %q does not promote to %q", from, to)
	}
	wfs, err := r.cache.Workflows.Workflows(names.BuildNamespace(project)).List(labels.SelectorFromSet(labels.Set{names.LabelApp: app, names.LabelEnv: from}))
	if err != nil {
		return err
	}
	for _, wf := range wfs {
		if !wf.Status.Fulfilled() {
			return nil
		}
	}
	return refuse("no run of the app's pipeline in %q is running", from)
}

// runWriteError is a failed write of a run as the API answers it: a run deleted since it
// was read is not found, an unavailable apiserver a 503.
func runWriteError(t records.Target, name string, err error) error {
	if apierrors.IsNotFound(err) {
		return apierror.NotFound("app %q has no run %q in %q", t.App, name, t.Env)
	}
	return kube.WriteError(err)
}
