package apps

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	networkingv1alpha1 "knative.dev/networking/pkg/apis/networking/v1alpha1"

	"github.com/slipway-dev/slipway/pkg/apierror"
	"github.com/slipway-dev/slipway/pkg/domains"
	"github.com/slipway-dev/slipway/pkg/revisions"
)

// The short scheme drops the namespace from hosts, so two apps of one name would share a
// host. A Knative ClusterDomainClaim (cluster-scoped, named after the host, holding the
// namespace) makes the apiserver the arbiter: only one namespace can create it.

// BuildDomainClaim reserves host for namespace.
func BuildDomainClaim(host, namespace string) *networkingv1alpha1.ClusterDomainClaim {
	return &networkingv1alpha1.ClusterDomainClaim{
		TypeMeta: metav1.TypeMeta{APIVersion: networkingv1alpha1.SchemeGroupVersion.String(), Kind: "ClusterDomainClaim"},
		ObjectMeta: metav1.ObjectMeta{
			Name:   host,
			Labels: map[string]string{revisions.LabelManagedBy: revisions.ManagedByValue},
		},
		Spec: networkingv1alpha1.ClusterDomainClaimSpec{Namespace: namespace},
	}
}

// claimShortHost reserves the app's short host for its namespace, or names the holder.
func (p *Platform) claimShortHost(ctx context.Context, t Target) error {
	host := p.domains.AppHost(t.App, t.namespace(), domains.SchemeShort)
	claims := p.clients.Networking.NetworkingV1alpha1().ClusterDomainClaims()
	_, err := claims.Create(ctx, BuildDomainClaim(host, t.namespace()), metav1.CreateOptions{FieldManager: "slipway"})
	if err == nil || !apierrors.IsAlreadyExists(err) {
		return translateWriteError(err)
	}
	existing, err := claims.Get(ctx, host, metav1.GetOptions{})
	if err != nil {
		return translateWriteError(err)
	}
	if existing.Spec.Namespace == t.namespace() {
		return nil
	}
	if p.holdsShortHost(existing.Spec.Namespace, t.App) {
		return apierror.Conflict("host %s is already used by app %q in namespace %q (project %s); the short domain scheme needs app names unique on the cluster",
			host, t.App, existing.Spec.Namespace, p.projectOf(existing.Spec.Namespace))
	}
	// A claim left by an app that no longer uses the host: take it over, guarded by its
	// resourceVersion so two takers cannot both win.
	existing.Spec.Namespace = t.namespace()
	if _, err := claims.Update(ctx, existing, metav1.UpdateOptions{}); err != nil {
		if apierrors.IsConflict(err) {
			return apierror.Conflict("host %s is being claimed concurrently; try again", host)
		}
		return translateWriteError(err)
	}
	return nil
}

// holdsShortHost reports whether namespace still runs app on the short scheme.
func (p *Platform) holdsShortHost(namespace, app string) bool {
	svc, err := p.cache.Services.Services(namespace).Get(app)
	return err == nil && svc.Labels[domains.LabelScheme] == string(domains.SchemeShort)
}

func (p *Platform) projectOf(namespace string) string {
	ns, err := p.cache.Namespaces.Get(namespace)
	if err != nil {
		return "unknown"
	}
	return fmt.Sprintf("%s, environment %s", ns.Labels[revisions.LabelProject], ns.Labels[revisions.LabelEnv])
}

// releaseShortHost drops the app's claim if this namespace holds it.
func (p *Platform) releaseShortHost(ctx context.Context, t Target) error {
	host := p.domains.AppHost(t.App, t.namespace(), domains.SchemeShort)
	claims := p.clients.Networking.NetworkingV1alpha1().ClusterDomainClaims()
	existing, err := claims.Get(ctx, host, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if existing.Spec.Namespace != t.namespace() {
		return nil
	}
	err = claims.Delete(ctx, host, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &existing.UID, ResourceVersion: &existing.ResourceVersion}})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil
	}
	return err
}
