package apps

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipway-dev/slipway/pkg/kube"
	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/records"
)

// DeleteApp removes the app from an environment; Kubernetes' garbage collector removes the
// objects Knative derived from it.
func (p *Platform) DeleteApp(ctx context.Context, t Target) error {
	if _, err := p.records.Resolve(t); err != nil {
		return err
	}
	svc, err := p.records.Service(t)
	if err != nil {
		return err
	}
	if svc.Labels[names.LabelManagedBy] != names.ManagedBy {
		return records.ErrNotManaged(t)
	}
	err = p.clients.Serving.ServingV1().Services(t.Namespace()).Delete(ctx, t.App, metav1.DeleteOptions{
		Preconditions: &metav1.Preconditions{UID: &svc.UID},
	})
	if err != nil && !apierrors.IsNotFound(err) {
		return kube.WriteError(err)
	}
	return p.claims.Release(ctx, t.App, t.Namespace())
}
