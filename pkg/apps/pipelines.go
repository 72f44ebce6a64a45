package apps

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/slipway-dev/slipway/pkg/apierror"
	"github.com/slipway-dev/slipway/pkg/kube"
	"github.com/slipway-dev/slipway/pkg/pipelines"
	"github.com/slipway-dev/slipway/pkg/revisions"
)

// An app's pipeline and its hook are kept in the platform's namespace (pipelines.namespace),
// not the app's, so platform-api reads no other namespace's Secrets: the pipeline as a
// ConfigMap named after the app's namespace and name, the hook's token hash and shared
// secret as a Secret named after the hook's ID.
const (
	labelKind      = "slipway.dev/kind"
	kindPipeline   = "pipeline"
	kindHook       = "hook"
	LabelHookID    = "slipway.dev/hook-id"
	pipelineKey    = "pipeline.json"
	hookTokenKey   = "token-sha256"
	hookSecretKey  = "secret"
	hookBranchKey  = "branch"
	hookPathPrefix = "/hooks/v1/"
)

func pipelineConfigMapName(t Target) string { return "pipeline." + t.namespace() + "." + t.App }
func hookSecretName(id string) string       { return "hook." + id }

// store is the platform's namespace.
func (p *Platform) store() string { return p.cfg.Pipelines.Namespace }

// pipelinesEnabled refuses pipeline calls on a platform configured without them.
func (p *Platform) pipelinesEnabled() error {
	if !p.cfg.Pipelines.Enabled() {
		return apierror.Conflict("pipelines are not configured on this platform (pipelines.platformURL)")
	}
	return nil
}

// GetPipeline returns an app's pipeline in an environment.
func (p *Platform) GetPipeline(ctx context.Context, t Target) (pipelines.Pipeline, error) {
	if _, err := p.resolve(t); err != nil {
		return pipelines.Pipeline{}, err
	}
	return p.pipeline(ctx, t)
}

// pipeline reads the app's pipeline from the cache, or from the apiserver when the cache has
// not seen one set a moment ago.
func (p *Platform) pipeline(ctx context.Context, t Target) (pipelines.Pipeline, error) {
	cm, err := p.cache.ConfigMaps.ConfigMaps(p.store()).Get(pipelineConfigMapName(t))
	if apierrors.IsNotFound(err) {
		cm, err = p.clients.Kube.CoreV1().ConfigMaps(p.store()).Get(ctx, pipelineConfigMapName(t), metav1.GetOptions{})
	}
	if apierrors.IsNotFound(err) {
		return pipelines.Pipeline{}, apierror.NotFound("app %q has no pipeline in %q (PUT …/pipeline)", t.App, t.Env)
	}
	if err != nil {
		return pipelines.Pipeline{}, err
	}
	var pl pipelines.Pipeline
	if err := json.Unmarshal([]byte(cm.Data[pipelineKey]), &pl); err != nil {
		return pipelines.Pipeline{}, fmt.Errorf("reading the pipeline of %s/%s: %w", t.namespace(), t.App, err)
	}
	return pl, nil
}

// PutPipeline stores an app's pipeline, after checking it and the run it makes with
// Argo's validator, and installs the namespace's pipeline objects.
func (p *Platform) PutPipeline(ctx context.Context, t Target, pl pipelines.Pipeline) (pipelines.Pipeline, error) {
	if err := p.pipelinesEnabled(); err != nil {
		return pipelines.Pipeline{}, err
	}
	if _, err := p.resolve(t); err != nil {
		return pipelines.Pipeline{}, err
	}
	if errs := pl.Validate(); len(errs) > 0 {
		return pipelines.Pipeline{}, apierror.Invalid(errs)
	}
	pl = pl.WithDefaults()
	if _, err := pipelines.BuildRun(pipelines.Start{Target: p.runTarget(t), Pipeline: pl, Trigger: pipelines.TriggerManual}, p.cfg.Pipelines.Config()); err != nil {
		return pipelines.Pipeline{}, apierror.Invalid(field.ErrorList{field.Invalid(field.NewPath("stages"), "", "Argo refuses the pipeline: "+err.Error())})
	}
	if err := p.installPipelineObjects(ctx, t.namespace()); err != nil {
		return pipelines.Pipeline{}, err
	}
	raw, err := json.Marshal(pl)
	if err != nil {
		return pipelines.Pipeline{}, err
	}
	cm := &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: pipelineConfigMapName(t), Namespace: p.store(), Labels: p.appLabels(t, kindPipeline)},
		Data:       map[string]string{pipelineKey: string(raw)},
	}
	if err := p.apply(ctx, cm); err != nil {
		return pipelines.Pipeline{}, err
	}
	return pl, nil
}

func (p *Platform) appLabels(t Target, kind string) map[string]string {
	return map[string]string{
		revisions.LabelManagedBy: revisions.ManagedByValue, revisions.LabelProject: t.Project,
		revisions.LabelApp: t.App, revisions.LabelEnv: t.Env, labelKind: kind,
	}
}

func (p *Platform) runTarget(t Target) pipelines.Target {
	return pipelines.Target{Project: t.Project, App: t.App, Env: t.Env, Namespace: t.namespace()}
}

// installPipelineObjects server-side applies what runs in ns need: the ServiceAccount, its
// RoleBindings, the executor's Role and the standard WorkflowTemplate (upgraded in place
// when the platform's configuration changes).
func (p *Platform) installPipelineObjects(ctx context.Context, ns string) error {
	objects := []runtime.Object{pipelines.ServiceAccount(ns), pipelines.ExecutorRole(ns)}
	for _, rb := range pipelines.RoleBindings(ns) {
		objects = append(objects, rb)
	}
	for _, o := range objects {
		if err := p.apply(ctx, o); err != nil {
			return err
		}
	}
	body, err := json.Marshal(pipelines.StandardTemplate(ns, p.cfg.Pipelines.Config()))
	if err != nil {
		return err
	}
	_, err = p.clients.Argo.ArgoprojV1alpha1().WorkflowTemplates(ns).Patch(ctx, pipelines.StandardTemplateName, types.ApplyPatchType, body,
		metav1.PatchOptions{FieldManager: kube.FieldManager, Force: ptrTo(true)})
	return translateWriteError(err)
}

// ensurePipelineObjects installs the namespace's pipeline objects when its standard template
// is missing or differs from the one this configuration builds: one read on a run's path,
// the writes only after a change of configuration (or a hand edit).
func (p *Platform) ensurePipelineObjects(ctx context.Context, ns string) error {
	want := pipelines.StandardTemplate(ns, p.cfg.Pipelines.Config())
	got, err := p.clients.Argo.ArgoprojV1alpha1().WorkflowTemplates(ns).Get(ctx, want.Name, metav1.GetOptions{})
	if err == nil && equality.Semantic.DeepEqual(got.Spec, want.Spec) {
		return nil
	}
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	return p.installPipelineObjects(ctx, ns)
}

// Template describes a WorkflowTemplate in a project's environment: the standard one
// Slipway installs, or one of the project's own.
type Template struct {
	Name       string   `json:"name"`
	Env        string   `json:"env"`
	Entrypoint string   `json:"entrypoint"`
	Parameters []string `json:"parameters"`
	// Steps are the template's own templates (steps a pipeline's stages may not reuse by name).
	Steps []string `json:"steps"`
	// Standard is true for slipway-standard, which the platform keeps up to date.
	Standard bool `json:"standard"`
}

// ListTemplates lists the WorkflowTemplates of a project's environments in envs (those the
// caller may see), read from the apiserver.
func (p *Platform) ListTemplates(ctx context.Context, project string, envs []string) ([]Template, error) {
	out := []Template{}
	for _, env := range envs {
		list, err := p.clients.Argo.ArgoprojV1alpha1().WorkflowTemplates(Target{Project: project, Env: env}.namespace()).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, err
		}
		for _, wt := range list.Items {
			t := Template{Name: wt.Name, Env: env, Entrypoint: wt.Spec.Entrypoint, Parameters: []string{}, Steps: []string{},
				Standard: wt.Name == pipelines.StandardTemplateName}
			for _, param := range wt.Spec.Arguments.Parameters {
				t.Parameters = append(t.Parameters, param.Name)
			}
			for _, tmpl := range wt.Spec.Templates {
				t.Steps = append(t.Steps, tmpl.Name)
			}
			out = append(out, t)
		}
	}
	return out, nil
}

// ReconcilePipelineNamespaces keeps the pipeline objects of every namespace where an app has
// a pipeline as this configuration builds them — installed after a crash between writes,
// restored after a hand edit, upgraded after a change of configuration — checking each
// every pipelines.resyncEvery until ctx ends. It runs under the reconcilers' Lease.
func (p *Platform) ReconcilePipelineNamespaces(ctx context.Context) {
	if !p.cfg.Pipelines.Enabled() {
		return
	}
	wait.UntilWithContext(ctx, func(ctx context.Context) {
		stored, err := p.cache.ConfigMaps.ConfigMaps(p.store()).List(labels.SelectorFromSet(labels.Set{labelKind: kindPipeline}))
		if err != nil {
			p.log.Warn("listing pipelines", "err", err)
			return
		}
		done := map[string]bool{}
		for _, cm := range stored {
			ns := Target{Project: cm.Labels[revisions.LabelProject], Env: cm.Labels[revisions.LabelEnv]}.namespace()
			if done[ns] {
				continue
			}
			done[ns] = true
			if _, err := p.cache.Namespaces.Get(ns); err != nil {
				continue // the project is gone
			}
			if err := p.ensurePipelineObjects(ctx, ns); err != nil {
				p.log.Warn("pipeline objects not reconciled; retrying at the next resync", "namespace", ns, "err", err)
			}
		}
	}, p.cfg.Pipelines.ResyncEvery.Duration)
}

// apply server-side applies a namespaced object built by a pure function.
func (p *Platform) apply(ctx context.Context, o runtime.Object) error {
	body, err := json.Marshal(o)
	if err != nil {
		return err
	}
	opts := metav1.PatchOptions{FieldManager: kube.FieldManager, Force: ptrTo(true)}
	switch o := o.(type) {
	case *corev1.ConfigMap:
		_, err = p.clients.Kube.CoreV1().ConfigMaps(o.Namespace).Patch(ctx, o.Name, types.ApplyPatchType, body, opts)
	case *corev1.Secret:
		_, err = p.clients.Kube.CoreV1().Secrets(o.Namespace).Patch(ctx, o.Name, types.ApplyPatchType, body, opts)
	case *corev1.ServiceAccount:
		_, err = p.clients.Kube.CoreV1().ServiceAccounts(o.Namespace).Patch(ctx, o.Name, types.ApplyPatchType, body, opts)
	case *rbacv1.Role:
		_, err = p.clients.Kube.RbacV1().Roles(o.Namespace).Patch(ctx, o.Name, types.ApplyPatchType, body, opts)
	case *rbacv1.RoleBinding:
		_, err = p.clients.Kube.RbacV1().RoleBindings(o.Namespace).Patch(ctx, o.Name, types.ApplyPatchType, body, opts)
	default:
		return fmt.Errorf("apply: unsupported %T", o)
	}
	return translateWriteError(err)
}

// StartRun starts a run of the app's pipeline.
func (p *Platform) StartRun(ctx context.Context, user string, t Target, req pipelines.RunRequest) (pipelines.Run, error) {
	if err := p.pipelinesEnabled(); err != nil {
		return pipelines.Run{}, err
	}
	if _, err := p.resolve(t); err != nil {
		return pipelines.Run{}, err
	}
	if errs := req.Validate(); len(errs) > 0 {
		return pipelines.Run{}, apierror.Invalid(errs)
	}
	pl, err := p.pipeline(ctx, t)
	if err != nil {
		return pipelines.Run{}, err
	}
	return p.startRun(ctx, t, pipelines.Start{Pipeline: pl, Request: req, Trigger: pipelines.TriggerManual, StartedBy: user})
}

func (p *Platform) startRun(ctx context.Context, t Target, s pipelines.Start) (pipelines.Run, error) {
	s.Target = p.runTarget(t)
	wf, err := pipelines.BuildRun(s, p.cfg.Pipelines.Config())
	if err != nil {
		return pipelines.Run{}, apierror.Invalid(field.ErrorList{field.Invalid(field.NewPath("stages"), "", "Argo refuses the run: "+err.Error())})
	}
	if err := p.ensurePipelineObjects(ctx, t.namespace()); err != nil {
		return pipelines.Run{}, err
	}
	created, err := p.clients.Argo.ArgoprojV1alpha1().Workflows(t.namespace()).Create(ctx, wf, metav1.CreateOptions{FieldManager: kube.FieldManager})
	if apierrors.IsAlreadyExists(err) && s.Delivery != "" {
		return pipelines.Run{}, apierror.Conflict("delivery %q was received before (run %s): replays are refused", s.Delivery, wf.Name)
	}
	if err != nil {
		return pipelines.Run{}, err
	}
	return pipelines.RunFromWorkflow(created), nil
}

// ListRuns lists an app's runs in an environment, newest first, from the cache.
func (p *Platform) ListRuns(t Target) ([]pipelines.Run, error) {
	if _, err := p.resolve(t); err != nil {
		return nil, err
	}
	wfs, err := p.cache.Workflows.Workflows(t.namespace()).List(labels.SelectorFromSet(labels.Set{pipelines.LabelApp: t.App, pipelines.LabelEnv: t.Env}))
	if err != nil {
		return nil, err
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

// GetRun returns one run.
func (p *Platform) GetRun(ctx context.Context, t Target, name string) (pipelines.Run, error) {
	wf, err := p.workflow(ctx, t, name)
	if err != nil {
		return pipelines.Run{}, err
	}
	return pipelines.RunFromWorkflow(wf), nil
}

// workflow reads a run of the app from the cache, or from the apiserver when the cache has
// not seen it yet (a run started a moment ago).
func (p *Platform) workflow(ctx context.Context, t Target, name string) (*wfv1.Workflow, error) {
	if _, err := p.resolve(t); err != nil {
		return nil, err
	}
	wf, err := p.cache.Workflows.Workflows(t.namespace()).Get(name)
	if apierrors.IsNotFound(err) {
		wf, err = p.clients.Argo.ArgoprojV1alpha1().Workflows(t.namespace()).Get(ctx, name, metav1.GetOptions{})
	}
	if apierrors.IsNotFound(err) || (err == nil && (wf.Labels[pipelines.LabelApp] != t.App || wf.Labels[pipelines.LabelEnv] != t.Env)) {
		return nil, apierror.NotFound("app %q has no run %q in %q", t.App, name, t.Env)
	}
	return wf, err
}

// CancelRun stops a run the way `argo terminate` does: spec.shutdown, which Argo's
// controller enacts by stopping every running step.
func (p *Platform) CancelRun(ctx context.Context, t Target, name string) (pipelines.Run, error) {
	wf, err := p.workflow(ctx, t, name)
	if err != nil {
		return pipelines.Run{}, err
	}
	if wf.Status.Fulfilled() {
		return pipelines.Run{}, apierror.Conflict("run %s has already finished (%s)", name, wf.Status.Phase)
	}
	patch := []byte(`{"spec":{"shutdown":"` + string(wfv1.ShutdownStrategyTerminate) + `"}}`)
	out, err := p.clients.Argo.ArgoprojV1alpha1().Workflows(t.namespace()).Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: kube.FieldManager})
	if err != nil {
		return pipelines.Run{}, err
	}
	return pipelines.RunFromWorkflow(out), nil
}

// ApproveRun passes the approval gate a run waits at, as `argo resume` does: the gate's
// suspend node is marked Succeeded, and Argo's controller moves on. Who approved is
// recorded on the run and in the node's message.
func (p *Platform) ApproveRun(ctx context.Context, user string, t Target, name string) (pipelines.Run, error) {
	wf, err := p.workflow(ctx, t, name)
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
	now := p.now().UTC().Format(time.RFC3339)
	approvals := map[string]string{}
	_ = json.Unmarshal([]byte(wf.Annotations[pipelines.AnnoApprovals]), &approvals)
	approvals[run.AwaitingApproval] = user + " at " + now
	recorded, err := json.Marshal(approvals)
	if err != nil {
		return pipelines.Run{}, err
	}
	patch, err := json.Marshal(map[string]any{
		"metadata": map[string]any{"resourceVersion": wf.ResourceVersion, "annotations": map[string]string{pipelines.AnnoApprovals: string(recorded)}},
		"status": map[string]any{"nodes": map[string]any{nodeID: map[string]any{
			"phase": wfv1.NodeSucceeded, "finishedAt": now, "message": "approved by " + user,
		}}},
	})
	if err != nil {
		return pipelines.Run{}, err
	}
	out, err := p.clients.Argo.ArgoprojV1alpha1().Workflows(t.namespace()).Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: kube.FieldManager})
	if apierrors.IsConflict(err) {
		return pipelines.Run{}, apierror.Conflict("run %s changed while approving; try again", name)
	}
	if err != nil {
		return pipelines.Run{}, err
	}
	return pipelines.RunFromWorkflow(out), nil
}

// RetryRun starts the run again as a new run: the same commit if the first one got as far
// as checking it out, its revision otherwise.
func (p *Platform) RetryRun(ctx context.Context, user string, t Target, name string) (pipelines.Run, error) {
	wf, err := p.workflow(ctx, t, name)
	if err != nil {
		return pipelines.Run{}, err
	}
	if !wf.Status.Fulfilled() {
		return pipelines.Run{}, apierror.Conflict("run %s is still %s; cancel it first", name, wf.Status.Phase)
	}
	pl, err := p.pipeline(ctx, t)
	if err != nil {
		return pipelines.Run{}, err
	}
	old := pipelines.RunFromWorkflow(wf)
	req := pipelines.RunRequest{Commit: old.Commit, Branch: old.Branch}
	if req.Commit == "" && old.Revision != old.Branch {
		req.Commit = old.Revision
	}
	return p.startRun(ctx, t, pipelines.Start{Pipeline: pl, Request: req, Trigger: pipelines.TriggerRetry, StartedBy: user, RetryOf: name})
}

// pipelineSource is the provenance a deploy made by run carries: the run must be one of
// this app's in this environment and still running, and the commit is what its clone step
// reported to Argo — not anything the request says.
func (p *Platform) pipelineSource(ctx context.Context, t Target, run string) (*revisions.Source, error) {
	wf, err := p.workflow(ctx, t, run)
	if ae, ok := apierror.As(err); ok && ae.Status == http.StatusNotFound {
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

// Hook is an app's hook: where Git hosts deliver pushes, and — only when it is made or
// rotated — its token and shared secret.
type Hook struct {
	URL    string `json:"url"`
	Branch string `json:"branch"`
	// Token (X-Slipway-Token) and Secret (GitHub's signing secret, GitLab's token) are
	// shown once; only the token's hash is kept.
	Token  string `json:"token,omitempty"`
	Secret string `json:"secret,omitempty"`
}

// RotateHook makes the app's hook, or gives it a new token and secret; the URL stays.
func (p *Platform) RotateHook(ctx context.Context, t Target) (Hook, error) {
	if err := p.pipelinesEnabled(); err != nil {
		return Hook{}, err
	}
	if _, err := p.resolve(t); err != nil {
		return Hook{}, err
	}
	pl, err := p.pipeline(ctx, t)
	if err != nil {
		return Hook{}, err
	}
	id := randomHex(16)
	if existing, err := p.hookOf(t); err == nil {
		id = existing.Labels[LabelHookID]
	}
	token, secret := "slw_"+randomHex(24), randomHex(24)
	labels := p.appLabels(t, kindHook)
	labels[LabelHookID] = id
	s := &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: hookSecretName(id), Namespace: p.store(), Labels: labels},
		Type:       corev1.SecretTypeOpaque,
		Data: map[string][]byte{
			hookTokenKey:  []byte(hex.EncodeToString(pipelines.HashToken(token))),
			hookSecretKey: []byte(secret),
		},
	}
	if err := p.apply(ctx, s); err != nil {
		return Hook{}, err
	}
	return Hook{URL: hookPathPrefix + id, Branch: pl.WithDefaults().Branch, Token: token, Secret: secret}, nil
}

// GetHook shows the app's hook without its credentials.
func (p *Platform) GetHook(ctx context.Context, t Target) (Hook, error) {
	if _, err := p.resolve(t); err != nil {
		return Hook{}, err
	}
	pl, err := p.pipeline(ctx, t)
	if err != nil {
		return Hook{}, err
	}
	s, err := p.hookOf(t)
	if err != nil {
		return Hook{}, err
	}
	return Hook{URL: hookPathPrefix + s.Labels[LabelHookID], Branch: pl.WithDefaults().Branch}, nil
}

// hookOf finds the app's hook Secret.
func (p *Platform) hookOf(t Target) (*corev1.Secret, error) {
	found, err := p.cache.Secrets.Secrets(p.store()).List(labels.SelectorFromSet(p.appLabels(t, kindHook)))
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, apierror.NotFound("app %q has no hook in %q (POST …/pipeline/hook/rotate)", t.App, t.Env)
	}
	return found[0], nil
}

// Hook refusals the HTTP layer maps to their status codes.
var (
	ErrUnknownHook = errors.New("unknown hook")
	ErrWrongBranch = errors.New("the branch is not the one this hook builds")
)

// HookKnown reports whether id names a hook (from the cache).
func (p *Platform) HookKnown(id string) bool {
	s, err := p.cache.Secrets.Secrets(p.store()).Get(hookSecretName(id))
	return err == nil && s.Labels[LabelHookID] == id
}

// HookDelivery handles a delivery to hook id: verify, filter by branch, start the run.
func (p *Platform) HookDelivery(ctx context.Context, id string, r *http.Request) (pipelines.Run, error) {
	if err := p.pipelinesEnabled(); err != nil {
		return pipelines.Run{}, err
	}
	s, err := p.cache.Secrets.Secrets(p.store()).Get(hookSecretName(id))
	if apierrors.IsNotFound(err) || (err == nil && (s.Labels[labelKind] != kindHook || s.Labels[LabelHookID] != id)) {
		return pipelines.Run{}, ErrUnknownHook
	}
	if err != nil {
		return pipelines.Run{}, err
	}
	t := Target{Project: s.Labels[revisions.LabelProject], App: s.Labels[revisions.LabelApp], Env: s.Labels[revisions.LabelEnv]}
	tokenHash, err := hex.DecodeString(string(s.Data[hookTokenKey]))
	if err != nil {
		return pipelines.Run{}, fmt.Errorf("hook %s: stored token hash: %w", id, err)
	}
	push, err := pipelines.ParsePush(r, pipelines.HookSecret{TokenSHA256: tokenHash, Secret: string(s.Data[hookSecretKey])})
	if err != nil {
		return pipelines.Run{}, err
	}
	pl, err := p.pipeline(ctx, t)
	if err != nil {
		return pipelines.Run{}, err
	}
	pl = pl.WithDefaults()
	if push.Branch == "" {
		push.Branch = pl.Branch
	}
	if push.Branch != pl.Branch {
		return pipelines.Run{}, fmt.Errorf("%w: %q, not %q", ErrWrongBranch, push.Branch, pl.Branch)
	}
	startedBy := push.Provider + ":" + push.Pusher
	if push.Pusher == "" {
		startedBy = push.Provider + " hook"
	}
	return p.startRun(ctx, t, pipelines.Start{
		Pipeline: pl, Request: pipelines.RunRequest{Commit: push.Commit, Branch: push.Branch},
		Trigger: pipelines.TriggerHook, StartedBy: startedBy, Delivery: deliveryKey(push),
	})
}

// deliveryKey scopes a delivery ID to its provider.
func deliveryKey(p pipelines.Push) string {
	if p.Delivery == "" {
		return ""
	}
	return p.Provider + ":" + p.Delivery
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return hex.EncodeToString(b)
}
