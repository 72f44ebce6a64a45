// Package reconciler keeps each app's PingSources in the shape its schedules demand: one per
// enabled schedule (created once the Service is Ready), rewritten on drift, recreated when
// deleted, and deleted when its schedule is paused or removed or the environment denies
// schedules. The schedules on the Service are the truth; everything here is derived.
package reconciler

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	sourcesv1 "knative.dev/eventing/pkg/apis/sources/v1"
	eventingclient "knative.dev/eventing/pkg/client/clientset/versioned"
	sourceslisters "knative.dev/eventing/pkg/client/listers/sources/v1"
	servinglisters "knative.dev/serving/pkg/client/listers/serving/v1"

	"github.com/slipway-dev/slipway/pkg/environments"
	"github.com/slipway-dev/slipway/pkg/kube"
	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/schedules"
)

// Reconciler diffs and writes; what to write comes from schedules.Desired.
type Reconciler struct {
	Eventing     eventingclient.Interface
	Services     servinglisters.ServiceLister
	PingSources  sourceslisters.PingSourceLister
	Environments environments.List
	Log          *slog.Logger
}

// Reconcile brings one app's PingSources in line with its schedules.
func (r *Reconciler) Reconcile(ctx context.Context, namespace, name string) error {
	svc, err := r.Services.Services(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return nil // ownerReferences let the garbage collector remove the PingSources
	}
	if err != nil {
		return err
	}
	if svc.Labels[names.LabelManagedBy] != names.ManagedBy {
		return nil
	}
	// An environment the configuration no longer names allows nothing to fire.
	env, known := r.Environments.Find(svc.Labels[names.LabelEnv])
	want, err := schedules.Desired(svc, known && env.AllowsSchedules())
	if err != nil {
		// A hand-edited annotation: nothing fires until the schedules are put again.
		r.Log.Warn("unreadable schedules; removing the app's PingSources", "namespace", namespace, "app", name, "err", err)
	}
	have, err := r.PingSources.PingSources(namespace).List(labels.SelectorFromSet(labels.Set{
		names.LabelManagedBy: names.ManagedBy, names.LabelApp: name}))
	if err != nil {
		return err
	}
	p := plan(have, want, schedules.ServiceReady(svc))
	sources := r.Eventing.SourcesV1().PingSources(namespace)
	for _, ps := range p.Create {
		_, err := sources.Create(ctx, ps, metav1.CreateOptions{FieldManager: names.FieldManager})
		if apierrors.IsAlreadyExists(err) {
			// Not in the cache yet, or made by hand without our labels: take it over.
			err = r.apply(ctx, ps)
		}
		if err != nil {
			return fmt.Errorf("creating PingSource %s: %w", ps.Name, err)
		}
		r.Log.Info("pingsource created", "namespace", namespace, "name", ps.Name, "schedule", ps.Spec.Schedule, "timezone", ps.Spec.Timezone)
	}
	for _, ps := range p.Update {
		if err := r.apply(ctx, ps); err != nil {
			return fmt.Errorf("rewriting PingSource %s: %w", ps.Name, err)
		}
		r.Log.Info("pingsource rewritten", "namespace", namespace, "name", ps.Name)
	}
	for _, ps := range p.Delete {
		err := sources.Delete(ctx, ps.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &ps.UID}})
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			continue // gone already, or replaced: the next event reconciles again
		}
		if err != nil {
			return fmt.Errorf("deleting PingSource %s: %w", ps.Name, err)
		}
		r.Log.Info("pingsource deleted: schedule paused or removed", "namespace", namespace, "name", ps.Name)
	}
	return nil
}

// apply server-side applies a built PingSource.
func (r *Reconciler) apply(ctx context.Context, ps *sourcesv1.PingSource) error {
	body, err := json.Marshal(ps)
	if err != nil {
		return err
	}
	_, err = r.Eventing.SourcesV1().PingSources(ps.Namespace).Patch(ctx, ps.Name, types.ApplyPatchType, body, kube.ApplyOptions())
	return err
}
