// Package reconciler keeps each app's Slipway-owned VirtualService, and the Knative
// Service's cluster-local visibility, in the shape its routing rules demand. The rules on the
// Service are the truth; everything here is derived and rewritten on drift.
package reconciler

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"google.golang.org/protobuf/proto"
	istionetworkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	istioclient "istio.io/client-go/pkg/clientset/versioned"
	istiolisters "istio.io/client-go/pkg/listers/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"knative.dev/networking/pkg/apis/networking"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	servingclient "knative.dev/serving/pkg/client/clientset/versioned"
	servinglisters "knative.dev/serving/pkg/client/listers/serving/v1"

	"github.com/slipway-dev/slipway/pkg/domains"
	"github.com/slipway-dev/slipway/pkg/kube"
	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/revisions"
	"github.com/slipway-dev/slipway/pkg/routing"
)

// Reconciler diffs and writes; what to write comes from revisions.BuildService and
// routing.Build.
type Reconciler struct {
	Serving         servingclient.Interface
	Istio           istioclient.Interface
	Services        servinglisters.ServiceLister
	VirtualServices istiolisters.VirtualServiceLister
	Domains         domains.Domains
	Routing         routing.Config
	Log             *slog.Logger
}

// Reconcile brings one app's routing in line with its Service.
func (r *Reconciler) Reconcile(ctx context.Context, namespace, name string) error {
	svc, err := r.Services.Services(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return nil // ownerReferences let the garbage collector remove the VirtualService
	}
	if err != nil {
		return err
	}
	if svc.Labels[names.LabelManagedBy] != names.ManagedBy {
		return nil
	}
	app, err := revisions.AppFromService(svc)
	if err != nil {
		r.Log.Warn("skipping unreadable app record", "namespace", namespace, "app", name, "err", err)
		return nil
	}
	if err := r.reconcileVisibility(ctx, svc, app); err != nil {
		return fmt.Errorf("service visibility: %w", err)
	}
	if len(app.Rules) == 0 {
		return r.deleteVirtualService(ctx, namespace, name)
	}
	return r.reconcileVirtualService(ctx, routing.Build(Input(app, svc, r.Domains), r.Routing))
}

// reconcileVisibility keeps the visibility label exactly as the builder renders it: present
// while rules exist (Knative then publishes no external host), absent otherwise.
func (r *Reconciler) reconcileVisibility(ctx context.Context, svc *servingv1.Service, app revisions.App) error {
	want := revisions.BuildService(app)
	key := networking.VisibilityLabelKey
	if svc.Labels[key] == want.Labels[key] {
		return nil
	}
	want.ResourceVersion = svc.ResourceVersion
	body, err := json.Marshal(want)
	if err != nil {
		return err
	}
	_, err = r.Serving.ServingV1().Services(svc.Namespace).Patch(ctx, svc.Name, types.ApplyPatchType, body,
		kube.ApplyOptions())
	if apierrors.IsConflict(err) {
		return nil // a newer Service is on its way through the informer; it is reconciled next
	}
	return err
}

func (r *Reconciler) reconcileVirtualService(ctx context.Context, want *istionetworkingv1.VirtualService) error {
	have, err := r.VirtualServices.VirtualServices(want.Namespace).Get(want.Name)
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	if err == nil && inShape(have, want) {
		return nil
	}
	body, err := json.Marshal(want)
	if err != nil {
		return err
	}
	_, err = r.Istio.NetworkingV1().VirtualServices(want.Namespace).Patch(ctx, want.Name, types.ApplyPatchType, body,
		kube.ApplyOptions())
	if err == nil {
		r.Log.Info("virtualservice applied", "namespace", want.Namespace, "name", want.Name, "routes", len(want.Spec.Http))
	}
	return err
}

// inShape compares what Slipway owns: the spec, its labels and the owner reference. Labels or
// annotations others add are theirs to keep.
func inShape(have, want *istionetworkingv1.VirtualService) bool {
	if !proto.Equal(&have.Spec, &want.Spec) || !equality.Semantic.DeepEqual(have.OwnerReferences, want.OwnerReferences) {
		return false
	}
	for k, v := range want.Labels {
		if have.Labels[k] != v {
			return false
		}
	}
	return true
}

func (r *Reconciler) deleteVirtualService(ctx context.Context, namespace, app string) error {
	name := names.VirtualService(app)
	have, err := r.VirtualServices.VirtualServices(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	err = r.Istio.NetworkingV1().VirtualServices(namespace).Delete(ctx, name, metav1.DeleteOptions{
		Preconditions: &metav1.Preconditions{UID: &have.UID},
	})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil
	}
	if err == nil {
		r.Log.Info("virtualservice deleted: no rules left", "namespace", namespace, "name", name)
	}
	return err
}
