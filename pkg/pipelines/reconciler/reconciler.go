// Package reconciler keeps the pipeline objects of every project where an app has a
// pipeline as the platform's configuration builds them — in its build namespace, and the
// runs' deployer binding in each environment with a pipeline: installed after a crash
// between writes, restored after a hand edit, upgraded after a change of configuration.
package reconciler

import (
	"context"
	"log/slog"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipway-dev/slipway/pkg/kube"
	"github.com/slipway-dev/slipway/pkg/pipelines"
)

// Reconciler diffs and writes; what to write comes from Objects.
type Reconciler struct {
	Clients *kube.Clients
	Config  pipelines.Config
	Log     *slog.Logger
}

// Reconcile installs the project's pipeline objects (with the deployer binding in envs) when
// its standard template is missing or differs from the one this configuration builds: one
// read on a run's path, the writes only after a change of configuration (or a hand edit).
func (r *Reconciler) Reconcile(ctx context.Context, project string, envs []string) error {
	want := pipelines.StandardTemplate(project, r.Config)
	got, err := r.Clients.Argo.ArgoprojV1alpha1().WorkflowTemplates(want.Namespace).Get(ctx, want.Name, metav1.GetOptions{})
	if err == nil && equality.Semantic.DeepEqual(got.Spec, want.Spec) {
		return nil
	}
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	return r.Install(ctx, project, envs)
}

// Install server-side applies every pipeline object of the project, with the deployer
// binding in envs (upgraded in place when the platform's configuration changed).
func (r *Reconciler) Install(ctx context.Context, project string, envs []string) error {
	for _, o := range Objects(project, envs, r.Config) {
		if err := r.Clients.Apply(ctx, o); err != nil {
			return err
		}
	}
	return nil
}
