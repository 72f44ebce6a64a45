package domains

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	networkingv1alpha1 "knative.dev/networking/pkg/apis/networking/v1alpha1"
)

func TestBuildClaim(t *testing.T) {
	want := &networkingv1alpha1.ClusterDomainClaim{
		TypeMeta: metav1.TypeMeta{APIVersion: "networking.internal.knative.dev/v1alpha1", Kind: "ClusterDomainClaim"},
		ObjectMeta: metav1.ObjectMeta{
			Name:   "web.sls-dev.slipway.test",
			Labels: map[string]string{"app.kubernetes.io/managed-by": "slipway"},
		},
		Spec: networkingv1alpha1.ClusterDomainClaimSpec{Namespace: "shop-test"},
	}
	if diff := cmp.Diff(want, BuildClaim("web.sls-dev.slipway.test", "shop-test")); diff != "" {
		t.Errorf("BuildClaim (-want,+got):\n%s", diff)
	}
}
