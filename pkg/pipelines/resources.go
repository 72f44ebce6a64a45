package pipelines

import (
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipway-dev/slipway/pkg/names"
)

// DeployerClusterRole is the ClusterRole the runs' ServiceAccount is bound to in its own
// namespace: Slipway's deploy action and nothing else, so a run deploys through platform-api
// (which checks the run is this app's, in this environment) and has no Kubernetes write.
var DeployerClusterRole = names.ClusterRole(names.RoleDeployer)

// ServiceAccount is the identity runs execute as.
func ServiceAccount(namespace string) *corev1.ServiceAccount {
	return &corev1.ServiceAccount{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
		ObjectMeta: metav1.ObjectMeta{Name: names.PipelineAccount, Namespace: namespace, Labels: managedLabels()},
	}
}

// ExecutorRole is what Argo's executor (in every step's pod) needs: reporting step results
// and outputs as WorkflowTaskResults, and annotating its own pod.
func ExecutorRole(namespace string) *rbacv1.Role {
	return &rbacv1.Role{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role"},
		ObjectMeta: metav1.ObjectMeta{Name: names.PipelineExecutorRole, Namespace: namespace, Labels: managedLabels()},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"argoproj.io"}, Resources: []string{"workflowtaskresults"}, Verbs: []string{"create", "patch"}},
			{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "patch"}},
		},
	}
}

// RoleBindings bind the ServiceAccount to the executor's Role and to the deployer's ClusterRole.
func RoleBindings(namespace string) []*rbacv1.RoleBinding {
	subject := []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: names.PipelineAccount, Namespace: namespace}}
	binding := func(name, kind, role string) *rbacv1.RoleBinding {
		return &rbacv1.RoleBinding{
			TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: managedLabels()},
			Subjects:   subject,
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: kind, Name: role},
		}
	}
	return []*rbacv1.RoleBinding{
		binding(names.PipelineExecutorRole, "Role", names.PipelineExecutorRole),
		binding(names.PipelineDeployBinding, "ClusterRole", DeployerClusterRole),
	}
}

func mustQuantity(s string) resource.Quantity { return resource.MustParse(s) }
