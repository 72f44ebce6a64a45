package runs

import (
	"context"
	"encoding/json"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/slipway-dev/slipway/pkg/apierror"
	"github.com/slipway-dev/slipway/pkg/kube"
	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/pipelines"
	"github.com/slipway-dev/slipway/pkg/records"
)

// GetPipeline returns an app's pipeline in an environment.
func (r *Runs) GetPipeline(ctx context.Context, t records.Target) (pipelines.Pipeline, error) {
	if _, err := r.records.Resolve(t); err != nil {
		return pipelines.Pipeline{}, err
	}
	return r.pipeline(ctx, t)
}

// pipeline reads the app's pipeline from the cache, or from the apiserver when the cache has
// not seen one set a moment ago.
func (r *Runs) pipeline(ctx context.Context, t records.Target) (pipelines.Pipeline, error) {
	name := names.PipelineConfigMap(t.Namespace(), t.App)
	cm, err := r.cache.ConfigMaps.ConfigMaps(r.cfg.Namespace).Get(name)
	if apierrors.IsNotFound(err) {
		cm, err = r.clients.Kube.CoreV1().ConfigMaps(r.cfg.Namespace).Get(ctx, name, metav1.GetOptions{})
	}
	if apierrors.IsNotFound(err) {
		return pipelines.Pipeline{}, apierror.NotFound("app %q has no pipeline in %q (PUT …/pipeline)", t.App, t.Env)
	}
	if err != nil {
		return pipelines.Pipeline{}, kube.WriteError(err)
	}
	var pl pipelines.Pipeline
	if err := json.Unmarshal([]byte(cm.Data[pipelines.PipelineKey]), &pl); err != nil {
		return pipelines.Pipeline{}, fmt.Errorf("reading the pipeline of %s/%s: %w", t.Namespace(), t.App, err)
	}
	return pl, nil
}

// PutPipeline stores an app's pipeline, after checking it (promote.to against the
// environments and the promotion path) and the run it makes with Argo's validator, and
// installs the project's pipeline objects (with the runs' deployer binding in this
// environment, and in the one it promotes to).
func (r *Runs) PutPipeline(ctx context.Context, t records.Target, pl pipelines.Pipeline) (pipelines.Pipeline, error) {
	if _, err := r.records.Resolve(t); err != nil {
		return pipelines.Pipeline{}, err
	}
	if err := r.enabled(); err != nil {
		return pipelines.Pipeline{}, err
	}
	errs := pl.Validate()
	if len(errs) == 0 {
		errs = pl.ValidateIn(t.Env, r.records.Environments(), r.path)
	}
	if len(errs) > 0 {
		return pipelines.Pipeline{}, apierror.Invalid(errs)
	}
	pl = pl.WithDefaults()
	if _, err := pipelines.BuildRun(pipelines.Start{Target: runTarget(t), Pipeline: pl, Trigger: pipelines.TriggerManual}, r.cfg); err != nil {
		return pipelines.Pipeline{}, apierror.Invalid(field.ErrorList{field.Invalid(field.NewPath("stages"), "", "Argo refuses the pipeline: "+err.Error())})
	}
	if err := r.namespaces.Install(ctx, t.Project, pl.DeployerEnvs(t.Env)); err != nil {
		return pipelines.Pipeline{}, err
	}
	cm, err := pipelines.PipelineConfigMap(r.cfg.Namespace, runTarget(t), pl)
	if err != nil {
		return pipelines.Pipeline{}, err
	}
	if err := r.clients.Apply(ctx, cm); err != nil {
		return pipelines.Pipeline{}, err
	}
	return pl, nil
}

// Template describes a WorkflowTemplate in a project's build namespace, where its runs
// execute: the standard one Slipway installs, or one of the project's own.
type Template struct {
	Name string `json:"name"`
	// Namespace is the project's build namespace.
	Namespace  string   `json:"namespace"`
	Entrypoint string   `json:"entrypoint"`
	Parameters []string `json:"parameters"`
	// Steps are the template's own templates (steps a pipeline's stages may not reuse by name).
	Steps []string `json:"steps"`
	// Standard is true for slipway-standard, which the platform keeps up to date.
	Standard bool `json:"standard"`
}

// ListTemplates lists the WorkflowTemplates of a project's build namespace, read from the
// apiserver, for a caller who may read runs in at least one of its environments (envs,
// those the caller may see; with none, the list is empty); a project that does not exist
// is a 404.
func (r *Runs) ListTemplates(ctx context.Context, project string, envs []string) ([]Template, error) {
	if err := r.records.ProjectExists(project); err != nil {
		return nil, err
	}
	out := []Template{}
	if len(envs) == 0 {
		return out, nil
	}
	ns := names.BuildNamespace(project)
	list, err := r.clients.Argo.ArgoprojV1alpha1().WorkflowTemplates(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, kube.WriteError(err)
	}
	for _, wt := range list.Items {
		t := Template{Name: wt.Name, Namespace: ns, Entrypoint: wt.Spec.Entrypoint, Parameters: []string{}, Steps: []string{},
			Standard: wt.Name == names.StandardTemplate}
		for _, param := range wt.Spec.Arguments.Parameters {
			t.Parameters = append(t.Parameters, param.Name)
		}
		for _, tmpl := range wt.Spec.Templates {
			t.Steps = append(t.Steps, tmpl.Name)
		}
		out = append(out, t)
	}
	return out, nil
}
