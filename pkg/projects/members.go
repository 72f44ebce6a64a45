package projects

import (
	"context"
	"slices"
	"sort"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/slipway-dev/slipway/pkg/apierror"
	"github.com/slipway-dev/slipway/pkg/identity"
	"github.com/slipway-dev/slipway/pkg/kube"
	"github.com/slipway-dev/slipway/pkg/names"
)

// MemberRequest is the body of POST /api/v1/projects/{p}/members.
type MemberRequest struct {
	// Kind is "User" (default) or "Group".
	Kind string `json:"kind,omitempty"`
	Name string `json:"name"`
	// Role is viewer, developer or admin.
	Role string `json:"role"`
}

// Validate checks the request; the kind defaults to User.
func (r *MemberRequest) Validate() field.ErrorList {
	var errs field.ErrorList
	if r.Kind == "" {
		r.Kind = rbacv1.UserKind
	}
	if r.Kind != rbacv1.UserKind && r.Kind != rbacv1.GroupKind {
		errs = append(errs, field.NotSupported(field.NewPath("kind"), r.Kind, []string{rbacv1.UserKind, rbacv1.GroupKind}))
	}
	switch {
	case r.Name == "":
		errs = append(errs, field.Required(field.NewPath("name"), "the user or group name the cluster authenticates"))
	case len(r.Name) > 253:
		errs = append(errs, field.TooLong(field.NewPath("name"), "", 253))
	}
	if !slices.Contains(identity.Roles, r.Role) {
		errs = append(errs, field.NotSupported(field.NewPath("role"), r.Role, identity.Roles))
	}
	return errs
}

// AddMember grants a role in every namespace of the project — each environment's, and the
// build namespace, where the role's reads let kubectl users follow runs and their pods (a
// 404 for a project that does not exist, before the request is looked at). Granting again
// is harmless; a member may hold several roles (the highest counts).
func (p *Projects) AddMember(ctx context.Context, project string, req MemberRequest) (identity.Member, error) {
	if err := p.exists(project); err != nil {
		return identity.Member{}, err
	}
	if errs := req.Validate(); len(errs) > 0 {
		return identity.Member{}, apierror.Invalid(errs)
	}
	m := identity.Member{Kind: req.Kind, Name: req.Name, Role: req.Role}
	for _, ns := range p.memberNamespaces(project) {
		if err := p.clients.Apply(ctx, identity.MemberBinding(ns, m)); err != nil {
			return identity.Member{}, err
		}
	}
	return m, nil
}

// memberNamespaces are where a member's role is bound: every environment's namespace and
// the build namespace.
func (p *Projects) memberNamespaces(project string) []string {
	out := []string{names.BuildNamespace(project)}
	for _, env := range p.envs {
		out = append(out, names.Namespace(project, env.Name))
	}
	return out
}

// ListMembers lists the project's members, read from the apiserver.
func (p *Projects) ListMembers(ctx context.Context, project string) ([]identity.Member, error) {
	if err := p.exists(project); err != nil {
		return nil, err
	}
	seen := map[identity.Member]bool{}
	for _, env := range p.envs {
		list, err := p.clients.Kube.RbacV1().RoleBindings(names.Namespace(project, env.Name)).List(ctx,
			metav1.ListOptions{LabelSelector: names.LabelMember})
		if err != nil {
			return nil, kube.WriteError(err)
		}
		for _, rb := range list.Items {
			for _, s := range rb.Subjects {
				seen[identity.Member{Kind: s.Kind, Name: s.Name, Role: rb.Labels[names.LabelMember]}] = true
			}
		}
	}
	out := make([]identity.Member, 0, len(seen))
	for m := range seen {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return slices.Index(identity.Roles, out[i].Role) < slices.Index(identity.Roles, out[j].Role)
	})
	return out, nil
}
