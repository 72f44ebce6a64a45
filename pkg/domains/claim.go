package domains

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	networkingv1alpha1 "knative.dev/networking/pkg/apis/networking/v1alpha1"

	"github.com/slipway-dev/slipway/pkg/names"
)

// BuildClaim is the Knative ClusterDomainClaim that reserves host for namespace. It is
// cluster-scoped and named after the host, so the apiserver lets only one namespace hold it.
func BuildClaim(host, namespace string) *networkingv1alpha1.ClusterDomainClaim {
	return &networkingv1alpha1.ClusterDomainClaim{
		TypeMeta: metav1.TypeMeta{APIVersion: networkingv1alpha1.SchemeGroupVersion.String(), Kind: "ClusterDomainClaim"},
		ObjectMeta: metav1.ObjectMeta{
			Name:   host,
			Labels: map[string]string{names.LabelManagedBy: names.ManagedBy},
		},
		Spec: networkingv1alpha1.ClusterDomainClaimSpec{Namespace: namespace},
	}
}
