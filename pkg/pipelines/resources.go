package pipelines

import (
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipway-dev/slipway/pkg/names"
)

// DeployerClusterRole is the ClusterRole the runs' ServiceAccount is bound to in each
// environment namespace of its project where an app has a pipeline, or a pipeline promotes
// to: Slipway's deploy and requestPromotions actions and nothing else, so a run deploys and
// promotes through platform-api (which checks the run is this app's, in this environment,
// and the promotion its pipeline's) and has no Kubernetes write.
var DeployerClusterRole = names.ClusterRole(names.RoleDeployer)

// ServiceAccount is the identity runs execute as, in the project's build namespace.
func ServiceAccount(project string) *corev1.ServiceAccount {
	return &corev1.ServiceAccount{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
		ObjectMeta: metav1.ObjectMeta{Name: names.PipelineAccount, Namespace: names.BuildNamespace(project), Labels: managedLabels()},
	}
}

// ExecutorRole is what Argo's executor (in every step's pod) needs, in the build namespace:
// reporting step results and outputs as WorkflowTaskResults, and annotating its own pod.
// It is the runs' only Kubernetes write; they deploy through platform-api.
func ExecutorRole(project string) *rbacv1.Role {
	return &rbacv1.Role{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role"},
		ObjectMeta: metav1.ObjectMeta{Name: names.PipelineExecutorRole, Namespace: names.BuildNamespace(project), Labels: managedLabels()},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"argoproj.io"}, Resources: []string{"workflowtaskresults"}, Verbs: []string{"create", "patch"}},
			{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "patch"}},
		},
	}
}

// RunIdentity is the user the runs' ServiceAccount of project authenticates as (the name
// in a TokenReview's answer).
func RunIdentity(project string) string {
	return "system:serviceaccount:" + names.BuildNamespace(project) + ":" + names.PipelineAccount
}

// runsAccount is the runs' ServiceAccount as a subject.
func runsAccount(project string) []rbacv1.Subject {
	return []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: names.PipelineAccount, Namespace: names.BuildNamespace(project)}}
}

func binding(namespace, name, kind, role string, subjects []rbacv1.Subject) *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: managedLabels()},
		Subjects:   subjects,
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: kind, Name: role},
	}
}

// ExecutorBinding binds the runs' ServiceAccount to the executor's Role in the build namespace.
func ExecutorBinding(project string) *rbacv1.RoleBinding {
	return binding(names.BuildNamespace(project), names.PipelineExecutorRole, "Role", names.PipelineExecutorRole, runsAccount(project))
}

// DeployerBinding binds the runs' ServiceAccount (of the build namespace) to
// DeployerClusterRole in one environment namespace of the project: what platform-api checks
// when the deploy or promote step calls it. Which app and environment a run may deploy is
// checked per run (runs.Source), and which promotion it may ask for per pipeline
// (runs.AdmitPromotion).
func DeployerBinding(project, env string) *rbacv1.RoleBinding {
	return binding(names.Namespace(project, env), names.PipelineDeployBinding, "ClusterRole", DeployerClusterRole, runsAccount(project))
}

func mustQuantity(s string) resource.Quantity { return resource.MustParse(s) }
