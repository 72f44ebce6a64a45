// Package claims reserves apps' short hosts on the cluster. The short scheme drops the
// namespace from hosts, so two apps of one name would share a host; a ClusterDomainClaim
// (domains.BuildClaim) per host makes the apiserver the arbiter: only one namespace can
// create it.
package claims

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipway-dev/slipway/pkg/apierror"
	"github.com/slipway-dev/slipway/pkg/domains"
	"github.com/slipway-dev/slipway/pkg/kube"
	"github.com/slipway-dev/slipway/pkg/names"
)

// Claims claims and releases short hosts.
type Claims struct {
	clients *kube.Clients
	cache   *kube.Cache
	domains domains.Domains
}

// New wires the claims.
func New(clients *kube.Clients, cache *kube.Cache, d domains.Domains) *Claims {
	return &Claims{clients: clients, cache: cache, domains: d}
}

// Claim reserves app's short host for namespace, or names the app that holds it.
func (c *Claims) Claim(ctx context.Context, app, namespace string) error {
	host := c.domains.AppHost(app, namespace, domains.SchemeShort)
	claims := c.clients.Networking.NetworkingV1alpha1().ClusterDomainClaims()
	_, err := claims.Create(ctx, domains.BuildClaim(host, namespace), metav1.CreateOptions{FieldManager: names.FieldManager})
	if err == nil || !apierrors.IsAlreadyExists(err) {
		return kube.WriteError(err)
	}
	existing, err := claims.Get(ctx, host, metav1.GetOptions{})
	if err != nil {
		return kube.WriteError(err)
	}
	if existing.Spec.Namespace == namespace {
		return nil
	}
	if c.holds(existing.Spec.Namespace, app) {
		return apierror.Conflict("host %s is already used by app %q in namespace %q (project %s); the short domain scheme needs app names unique on the cluster",
			host, app, existing.Spec.Namespace, c.projectOf(existing.Spec.Namespace))
	}
	// A claim left by an app that no longer uses the host: take it over, guarded by its
	// resourceVersion so two takers cannot both win.
	existing.Spec.Namespace = namespace
	if _, err := claims.Update(ctx, existing, metav1.UpdateOptions{}); err != nil {
		if apierrors.IsConflict(err) {
			return apierror.Conflict("host %s is being claimed concurrently; try again", host)
		}
		return kube.WriteError(err)
	}
	return nil
}

// holds reports whether namespace still runs app on the short scheme.
func (c *Claims) holds(namespace, app string) bool {
	svc, err := c.cache.Services.Services(namespace).Get(app)
	return err == nil && svc.Labels[names.LabelDomainScheme] == string(domains.SchemeShort)
}

func (c *Claims) projectOf(namespace string) string {
	ns, err := c.cache.Namespaces.Get(namespace)
	if err != nil {
		return "unknown"
	}
	return fmt.Sprintf("%s, environment %s", ns.Labels[names.LabelProject], ns.Labels[names.LabelEnv])
}

// Release drops app's claim if namespace holds it.
func (c *Claims) Release(ctx context.Context, app, namespace string) error {
	host := c.domains.AppHost(app, namespace, domains.SchemeShort)
	claims := c.clients.Networking.NetworkingV1alpha1().ClusterDomainClaims()
	existing, err := claims.Get(ctx, host, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if existing.Spec.Namespace != namespace {
		return nil
	}
	err = claims.Delete(ctx, host, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &existing.UID, ResourceVersion: &existing.ResourceVersion}})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil
	}
	return err
}
