package identity

import (
	"crypto/sha256"
	"fmt"
	"slices"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipway-dev/slipway/pkg/names"
)

// Project roles, granted per project namespace by RoleBindings to these ClusterRoles.
const (
	RoleViewer    = names.RoleViewer
	RoleDeveloper = names.RoleDeveloper
	RoleAdmin     = names.RoleAdmin
	// RoleDeployer is the pipeline runs' role: deploy, and nothing else.
	RoleDeployer = names.RoleDeployer
)

// Roles lists the roles members are granted, least first.
var Roles = []string{RoleViewer, RoleDeveloper, RoleAdmin}

var read = []string{"get", "list", "watch"}

// kubectlReads are what every project role's holder may read with kubectl: the objects
// behind the platform's views. No project role writes any Kubernetes object: every change
// goes through platform-api (the Actions table), where policy, history and audit apply.
func kubectlReads() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		{APIGroups: []string{servingGroup}, Resources: []string{"services", "revisions", "routes", "configurations"}, Verbs: read},
		{APIGroups: []string{""}, Resources: []string{"pods", "pods/log"}, Verbs: read},
		{APIGroups: []string{argoGroup}, Resources: []string{"workflows", "workflowtemplates"}, Verbs: read},
		{APIGroups: []string{"networking.istio.io"}, Resources: []string{"virtualservices"}, Verbs: read},
	}
}

const (
	servingGroup = "serving.knative.dev"
	argoGroup    = "argoproj.io"
)

// actionRules are role's rows of the action table as rules on Slipway's group, one per
// resource, in the table's order.
func actionRules(role string) []rbacv1.PolicyRule {
	var out []rbacv1.PolicyRule
	index := map[string]int{}
	for _, g := range Actions {
		if !slices.Contains(g.Roles, role) {
			continue
		}
		i, ok := index[g.Action.Resource]
		if !ok {
			i = len(out)
			index[g.Action.Resource] = i
			out = append(out, rbacv1.PolicyRule{APIGroups: []string{Group}, Resources: []string{g.Action.Resource}})
		}
		out[i].Verbs = append(out[i].Verbs, g.Action.Verb)
	}
	return out
}

// ClusterRoles are the project roles' and the deployer's ClusterRoles. platform-api
// applies them when it starts (as the chart does), so a change here reaches every
// existing binding.
func ClusterRoles() []*rbacv1.ClusterRole {
	out := make([]*rbacv1.ClusterRole, 0, len(Roles)+1)
	for _, role := range append(slices.Clone(Roles), RoleDeployer) {
		rules := actionRules(role)
		if role != RoleDeployer {
			rules = append(kubectlReads(), rules...)
		}
		out = append(out, &rbacv1.ClusterRole{
			TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"},
			ObjectMeta: metav1.ObjectMeta{Name: names.ClusterRole(role), Labels: map[string]string{names.LabelManagedBy: names.ManagedBy}},
			Rules:      rules,
		})
	}
	return out
}

// Member is whom a role is granted to.
type Member struct {
	// Kind is "User" or "Group".
	Kind string `json:"kind"`
	Name string `json:"name"`
	Role string `json:"role"`
}

// MemberBinding grants m's role in namespace. Its name is derived from the
// subject and role, so granting twice is one object.
func MemberBinding(namespace string, m Member) *rbacv1.RoleBinding {
	sum := sha256.Sum256([]byte(m.Kind + "\x00" + m.Name))
	return &rbacv1.RoleBinding{
		TypeMeta: metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      fmt.Sprintf("slipway-%s-%x", m.Role, sum[:6]),
			Namespace: namespace,
			Labels:    map[string]string{names.LabelManagedBy: names.ManagedBy, names.LabelMember: m.Role},
		},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: names.ClusterRole(m.Role)},
		Subjects: []rbacv1.Subject{{Kind: m.Kind, APIGroup: "rbac.authorization.k8s.io", Name: m.Name}},
	}
}
