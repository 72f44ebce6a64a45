package podmutator

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/slipway-dev/slipway/internal/golden"
)

func TestWebhookConfigurationGolden(t *testing.T) {
	cases := map[string]Registration{
		"default":       DefaultRegistration(),
		"other-release": {Name: "logs-webhook", Namespace: "platform", Port: 8443},
	}
	for name, reg := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := yaml.Marshal(WebhookConfiguration(reg))
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", name+".golden.yaml"), got)
		})
	}
}

// The selectors decide whose pods reach the webhook at all: check them the way
// the apiserver evaluates them rather than by reading the YAML.
func TestWebhookSelectors(t *testing.T) {
	for _, reg := range []Registration{DefaultRegistration(), {Name: "logs-webhook", Namespace: "platform", Port: 8443}} {
		t.Run(reg.Namespace, func(t *testing.T) { checkSelectors(t, reg) })
	}
}

func checkSelectors(t *testing.T, reg Registration) {
	wh := WebhookConfiguration(reg).Webhooks[0]
	nsSel, err := metav1.LabelSelectorAsSelector(wh.NamespaceSelector)
	if err != nil {
		t.Fatal(err)
	}
	objSel, err := metav1.LabelSelectorAsSelector(wh.ObjectSelector)
	if err != nil {
		t.Fatal(err)
	}
	managed := func(name string) labels.Set {
		return labels.Set{corev1.LabelMetadataName: name, "app.kubernetes.io/managed-by": "slipway"}
	}
	nsCases := map[string]struct {
		labels labels.Set
		want   bool
	}{
		"project namespace":               {managed("shop-prod"), true},
		"unmanaged namespace":             {labels.Set{corev1.LabelMetadataName: "team-x"}, false},
		"managed by someone else":         {labels.Set{corev1.LabelMetadataName: "shop-prod", "app.kubernetes.io/managed-by": "helm"}, false},
		"own namespace, even if labelled": {managed(reg.Namespace), false},
		"kube-system, even if labelled":   {managed("kube-system"), false},
		"knative-serving":                 {managed("knative-serving"), false},
	}
	for name, tc := range nsCases {
		if got := nsSel.Matches(tc.labels); got != tc.want {
			t.Errorf("namespace %s: selected = %v, want %v", name, got, tc.want)
		}
	}
	objCases := map[string]struct {
		labels labels.Set
		want   bool
	}{
		"opted in":     {labels.Set{"slipway.dev/log-collect": "true"}, true},
		"opted out":    {labels.Set{"slipway.dev/log-collect": "false"}, false},
		"not labelled": {labels.Set{"serving.knative.dev/service": "web"}, false},
		"wrong casing": {labels.Set{"slipway.dev/log-collect": "True"}, false},
	}
	for name, tc := range objCases {
		if got := objSel.Matches(tc.labels); got != tc.want {
			t.Errorf("pod %s: selected = %v, want %v", name, got, tc.want)
		}
	}
	if *wh.FailurePolicy != admissionregistrationv1.Fail || *wh.TimeoutSeconds != 5 ||
		*wh.ReinvocationPolicy != admissionregistrationv1.IfNeededReinvocationPolicy || *wh.SideEffects != admissionregistrationv1.SideEffectClassNone {
		t.Errorf("policies: failure %v, timeout %v, reinvocation %v, side effects %v", *wh.FailurePolicy, *wh.TimeoutSeconds, *wh.ReinvocationPolicy, *wh.SideEffects)
	}
	if len(wh.Rules) != 1 || !slices.Equal(wh.Rules[0].Operations, []admissionregistrationv1.OperationType{admissionregistrationv1.Create}) ||
		!slices.Equal(wh.Rules[0].Resources, []string{"pods"}) {
		t.Errorf("rules = %+v, want pod CREATE only", wh.Rules)
	}
}

func TestRegistrationNames(t *testing.T) {
	r := DefaultRegistration()
	got := []string{r.SecretName(), r.DNSName(), CertSecret(r).Name, CertSecret(r).Namespace}
	want := []string{"slipway-pod-mutator-certs", "slipway-pod-mutator.slipway-system.svc", "slipway-pod-mutator-certs", "slipway-system"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("names (-want,+got):\n%s", diff)
	}
}
