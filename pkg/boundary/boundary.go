// Package boundary builds the apiserver's half of "Slipway is the only way in": the
// ValidatingAdmissionPolicies (in-tree CEL, no webhook) that refuse create, update and
// delete of Slipway's objects by anyone but platform-api and the cluster
// controllers that legitimately touch them. RBAC already gives project roles no write on
// these objects (pkg/identity); the policies hold for everyone else too, cluster admins
// included, unless they are in a break-glass group.
package boundary

import (
	"encoding/json"
	"fmt"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/slipway-dev/slipway/pkg/names"
)

// Identities are whom the policies let through.
type Identities struct {
	// Writers are Slipway's own usernames: platform-api's ServiceAccount
	// (system:serviceaccount:{namespace}:{name}); the pod-mutator writes none of these objects.
	Writers []string
	// Controllers are the cluster's controllers that write or delete Slipway's objects on
	// its behalf: the garbage collector (an app's VirtualService goes with its Service), the
	// namespace controller (everything in a deleted namespace), the ServiceAccount controller
	// (each namespace's default ServiceAccount), Argo's workflow controller (a run's
	// progress is written on its Workflow), Knative Eventing's controller (it removes its
	// finalizer from a PingSource being deleted) and Knative Serving's controllers (net-istio
	// writes the VirtualServices of every Knative Route in the Route's namespace).
	Controllers []string
	// BreakGlassGroups are exempt, for an operator's repair by hand; the apiserver's own
	// audit log still records who did it. Empty: nobody is exempt.
	BreakGlassGroups []string
}

// DefaultControllers are the controllers of a cluster installed the usual way (per-controller
// credentials, Argo in namespace argo); the chart's boundary.controllers defaults to them.
var DefaultControllers = []string{
	ServiceAccount("kube-system", "generic-garbage-collector"),
	ServiceAccount("kube-system", "namespace-controller"),
	ServiceAccount("kube-system", "service-account-controller"),
	"system:kube-controller-manager",
	ServiceAccount("argo", "argo"),
	ServiceAccount("knative-eventing", "eventing-controller"),
	ServiceAccount("knative-serving", "controller"),
}

// DefaultBreakGlassGroup is the chart's default break-glass group.
const DefaultBreakGlassGroup = "slipway:break-glass"

// Objects in project namespaces (every environment's and the build namespace) that only
// Slipway writes, whatever their labels: a Knative Service created by hand in {project}-prod
// would be an app without policy, history or audit.
var projectResources = []admissionregistrationv1.NamedRuleWithOperations{
	rule("serving.knative.dev", "services"),
	rule("networking.istio.io", "virtualservices"),
	rule("argoproj.io", "workflows", "workflowtemplates"),
	rule("sources.knative.dev", "pingsources"),
	rule("rbac.authorization.k8s.io", "roles", "rolebindings"),
	rule("", "serviceaccounts"),
}

// Objects anywhere that carry Slipway's managed-by label: the records in the platform's
// namespace (audit trail, pipelines, hook credentials) and the short hosts' claims. Install
// objects (the chart's) carry Helm's managed-by label, so an operator's helm upgrade is not refused.
var managedResources = []admissionregistrationv1.NamedRuleWithOperations{
	rule("", "configmaps", "secrets"),
	rule("networking.internal.knative.dev", "clusterdomainclaims"),
}

func rule(group string, resources ...string) admissionregistrationv1.NamedRuleWithOperations {
	return admissionregistrationv1.NamedRuleWithOperations{RuleWithOperations: admissionregistrationv1.RuleWithOperations{
		Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update, admissionregistrationv1.Delete},
		// Only the objects themselves: controllers write status through its subresource.
		Rule: admissionregistrationv1.Rule{APIGroups: []string{group}, APIVersions: []string{"*"}, Resources: resources},
	}}
}

// Objects are the two policies and their bindings.
func Objects(ids Identities) []runtime.Object {
	projects := policy(names.BoundaryProjects, ids, admissionregistrationv1.MatchResources{
		NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: names.LabelProject, Operator: metav1.LabelSelectorOpExists}}},
		ResourceRules:     projectResources,
	}, "in project namespaces")
	managed := policy(names.BoundaryManaged, ids, admissionregistrationv1.MatchResources{
		ObjectSelector: &metav1.LabelSelector{MatchLabels: map[string]string{names.LabelManagedBy: names.ManagedBy}},
		ResourceRules:  managedResources,
	}, "labelled "+names.LabelManagedBy+"="+names.ManagedBy)
	return []runtime.Object{projects, binding(projects.Name), managed, binding(managed.Name)}
}

func policy(name string, ids Identities, match admissionregistrationv1.MatchResources, where string) *admissionregistrationv1.ValidatingAdmissionPolicy {
	var conditions []admissionregistrationv1.MatchCondition
	if len(ids.BreakGlassGroups) > 0 {
		conditions = append(conditions, admissionregistrationv1.MatchCondition{
			Name:       "not-break-glass",
			Expression: "!request.userInfo.groups.exists(g, g in " + celList(ids.BreakGlassGroups) + ")",
		})
	}
	allowed := append(append([]string{}, ids.Writers...), ids.Controllers...)
	return &admissionregistrationv1.ValidatingAdmissionPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingAdmissionPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{names.LabelManagedBy: names.ManagedBy}},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			FailurePolicy:    ptr.To(admissionregistrationv1.Fail),
			MatchConstraints: &match,
			MatchConditions:  conditions,
			Validations: []admissionregistrationv1.Validation{{
				Expression: "request.userInfo.username in " + celList(allowed),
				MessageExpression: fmt.Sprintf("'%s: ' + request.userInfo.username + ' may not ' + request.operation + ' ' + request.resource.resource + "+
					"' %s: Slipway manages them. Use Slipway (its API, console or CLI) instead.'", name, where),
				Reason: ptr.To(metav1.StatusReasonForbidden),
			}},
		},
	}
}

func binding(policy string) *admissionregistrationv1.ValidatingAdmissionPolicyBinding {
	return &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingAdmissionPolicyBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: policy, Labels: map[string]string{names.LabelManagedBy: names.ManagedBy}},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName:        policy,
			ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny},
		},
	}
}

// celList is a CEL list literal of strings: their JSON array, as the chart's toJson
// writes it.
func celList(items []string) string {
	b, err := json.Marshal(items)
	if err != nil {
		panic(err) // strings always marshal
	}
	return string(b)
}

// ServiceAccount is the username of a ServiceAccount.
func ServiceAccount(namespace, name string) string {
	return "system:serviceaccount:" + namespace + ":" + name
}
