package identity

import (
	"crypto/sha256"
	"fmt"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipway-dev/slipway/pkg/names"
)

// Project roles, granted per project namespace by RoleBindings to these ClusterRoles.
const (
	RoleViewer    = names.RoleViewer
	RoleDeveloper = names.RoleDeveloper
	RoleAdmin     = names.RoleAdmin
)

// Roles lists the roles, least first.
var Roles = []string{RoleViewer, RoleDeveloper, RoleAdmin}

var (
	read  = []string{"get", "list", "watch"}
	write = []string{"create", "update", "patch", "delete"}
)

func viewerRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		// Apps, their revisions and routes: what every read endpoint shows.
		{APIGroups: []string{servingGroup}, Resources: []string{"services", "revisions", "routes", "configurations"}, Verbs: read},
		// Pods and their logs: app status and log streams.
		{APIGroups: []string{""}, Resources: []string{"pods", "pods/log"}, Verbs: read},
		// Pipeline runs and templates.
		{APIGroups: []string{"argoproj.io"}, Resources: []string{"workflows", "workflowtemplates"}, Verbs: read},
	}
}

func developerRules() []rbacv1.PolicyRule {
	return append(viewerRules(),
		// Deploy, traffic, rollback and delete change the app's Knative Service.
		rbacv1.PolicyRule{APIGroups: []string{servingGroup}, Resources: []string{"services"}, Verbs: write},
		// Start, cancel, retry and approve pipeline runs.
		rbacv1.PolicyRule{APIGroups: []string{"argoproj.io"}, Resources: []string{"workflows"}, Verbs: write},
	)
}

func adminRules() []rbacv1.PolicyRule {
	return append(developerRules(),
		// Members: grant and revoke roles in the project.
		rbacv1.PolicyRule{APIGroups: []string{"rbac.authorization.k8s.io"}, Resources: []string{"rolebindings"}, Verbs: append(read, write...)},
	)
}

// ClusterRoles are the three roles' ClusterRoles.
func ClusterRoles() []*rbacv1.ClusterRole {
	rules := map[string][]rbacv1.PolicyRule{RoleViewer: viewerRules(), RoleDeveloper: developerRules(), RoleAdmin: adminRules()}
	out := make([]*rbacv1.ClusterRole, 0, len(Roles))
	for _, role := range Roles {
		out = append(out, &rbacv1.ClusterRole{
			TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"},
			ObjectMeta: metav1.ObjectMeta{Name: names.ClusterRole(role), Labels: map[string]string{names.LabelManagedBy: names.ManagedBy}},
			Rules:      rules[role],
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
