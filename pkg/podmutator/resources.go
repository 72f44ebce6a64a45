package podmutator

import (
	"slices"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipway-dev/slipway/pkg/names"
)

// Path is the URL path the admission handler serves.
const Path = "/mutate-pods"

// TimeoutSeconds bounds each admission call (see the package documentation).
const TimeoutSeconds int32 = 5

// SystemNamespaces are never sent to the webhook, whatever their labels; nor is
// the Registration's own namespace.
var SystemNamespaces = []string{
	"kube-system", "kube-public", "kube-node-lease",
	"knative-serving", "knative-eventing", "istio-system", "argo", "slipway-system",
}

// Registration names the webhook's objects in the cluster.
type Registration struct {
	// Name is the MutatingWebhookConfiguration's, the Service's and, with the
	// suffix "-certs", the certificate Secret's name.
	Name string
	// Namespace holds the Service and the Secret.
	Namespace string
	// Port is the Service port the apiserver calls.
	Port int32
}

// DefaultRegistration is the chart's and the dev stack's.
func DefaultRegistration() Registration {
	return Registration{Name: "slipway-pod-mutator", Namespace: "slipway-system", Port: 443}
}

// SecretName is the Secret that holds the CA and the serving certificate.
func (r Registration) SecretName() string { return r.Name + "-certs" }

// DNSName is the host the apiserver verifies the serving certificate against.
func (r Registration) DNSName() string { return r.Name + "." + r.Namespace + ".svc" }

// WebhookName is the webhook's name inside the configuration (a qualified name).
func (r Registration) WebhookName() string { return "pods.logs.slipway.dev" }

// WebhookConfiguration is the registration of the pod-mutator with the
// apiserver, without caBundle (injected by the certificate manager).
func WebhookConfiguration(r Registration) *admissionregistrationv1.MutatingWebhookConfiguration {
	fail := admissionregistrationv1.Fail
	none := admissionregistrationv1.SideEffectClassNone
	ifNeeded := admissionregistrationv1.IfNeededReinvocationPolicy
	equivalent := admissionregistrationv1.Equivalent
	namespaced := admissionregistrationv1.NamespacedScope
	path := Path
	port := r.Port
	timeout := TimeoutSeconds
	excluded := slices.Clone(SystemNamespaces)
	if !slices.Contains(excluded, r.Namespace) {
		excluded = append(excluded, r.Namespace)
	}
	return &admissionregistrationv1.MutatingWebhookConfiguration{
		TypeMeta: metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "MutatingWebhookConfiguration"},
		ObjectMeta: metav1.ObjectMeta{
			Name:   r.Name,
			Labels: map[string]string{names.LabelManagedBy: names.ManagedBy},
		},
		Webhooks: []admissionregistrationv1.MutatingWebhook{{
			Name: r.WebhookName(),
			ClientConfig: admissionregistrationv1.WebhookClientConfig{
				Service: &admissionregistrationv1.ServiceReference{Namespace: r.Namespace, Name: r.Name, Path: &path, Port: &port},
			},
			Rules: []admissionregistrationv1.RuleWithOperations{{
				// Only CREATE: a pod's volumes and mounts cannot change afterwards.
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
				Rule: admissionregistrationv1.Rule{
					APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}, Scope: &namespaced,
				},
			}},
			FailurePolicy: &fail,
			MatchPolicy:   &equivalent,
			NamespaceSelector: &metav1.LabelSelector{
				MatchLabels: map[string]string{names.LabelManagedBy: names.ManagedBy},
				MatchExpressions: []metav1.LabelSelectorRequirement{{
					Key: corev1.LabelMetadataName, Operator: metav1.LabelSelectorOpNotIn, Values: excluded,
				}},
			},
			ObjectSelector: &metav1.LabelSelector{
				MatchLabels: map[string]string{names.LabelLogCollect: "true"},
			},
			SideEffects:             &none,
			TimeoutSeconds:          &timeout,
			AdmissionReviewVersions: []string{"v1"},
			ReinvocationPolicy:      &ifNeeded,
		}},
	}
}

// CertSecret is the empty Secret the certificate manager fills: it must exist
// before the pod-mutator starts (cert-controller updates, never creates it).
func CertSecret(r Registration) *corev1.Secret {
	return &corev1.Secret{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      r.SecretName(),
			Namespace: r.Namespace,
			// Not labelled as Slipway's: it is an install object (the chart's, written by the
			// operator's Helm), which the boundary policies must not refuse them.
		},
	}
}
