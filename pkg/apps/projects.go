package apps

import (
	"context"
	"encoding/json"
	"sort"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/slipway-dev/slipway/pkg/apierror"
	"github.com/slipway-dev/slipway/pkg/config"
	"github.com/slipway-dev/slipway/pkg/identity"
	"github.com/slipway-dev/slipway/pkg/kube"
	"github.com/slipway-dev/slipway/pkg/revisions"
)

// MaxProjectNameLength keeps {project}-{env} within a 63-character namespace name.
const MaxProjectNameLength = 30

// Project is a team's group of apps with one namespace per environment.
type Project struct {
	Name string `json:"name"`
	// Namespaces maps environment to namespace.
	Namespaces map[string]string `json:"namespaces"`
}

// CreateProjectRequest is the body of POST /api/v1/projects.
type CreateProjectRequest struct {
	Name string `json:"name"`
}

// Environments lists the configured environments.
func (p *Platform) Environments() []config.Environment { return p.cfg.Environments }

// ListProjects lists projects by their namespaces.
func (p *Platform) ListProjects() ([]Project, error) {
	nss, err := p.cache.Namespaces.List(labels.Everything())
	if err != nil {
		return nil, err
	}
	byName := map[string]*Project{}
	for _, ns := range nss {
		name, env := ns.Labels[revisions.LabelProject], ns.Labels[revisions.LabelEnv]
		pr, ok := byName[name]
		if !ok {
			pr = &Project{Name: name, Namespaces: map[string]string{}}
			byName[name] = pr
		}
		pr.Namespaces[env] = ns.Name
	}
	out := make([]Project, 0, len(byName))
	for _, pr := range byName {
		out = append(out, *pr)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// CreateProject creates the project's namespaces and makes creator its admin. Applying them
// one by one is safe to repeat: a request that failed half-way is completed by the next.
func (p *Platform) CreateProject(ctx context.Context, req CreateProjectRequest, creator identity.User) (Project, error) {
	if errs := revisions.ValidateName(field.NewPath("name"), req.Name, MaxProjectNameLength); len(errs) > 0 {
		return Project{}, apierror.Invalid(errs)
	}
	complete := true
	for _, env := range p.cfg.Environments {
		ns, err := p.clients.Kube.CoreV1().Namespaces().Get(ctx, config.Namespace(req.Name, env.Name), metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			complete = false
		case err != nil:
			return Project{}, err
		case ns.Labels[revisions.LabelProject] != req.Name:
			return Project{}, apierror.Conflict("namespace %q already exists and does not belong to project %q", ns.Name, req.Name)
		}
	}
	if complete {
		return Project{}, apierror.Conflict("project %q already exists", req.Name)
	}
	pr := Project{Name: req.Name, Namespaces: map[string]string{}}
	for _, env := range p.cfg.Environments {
		ns := BuildNamespace(req.Name, env.Name)
		body, err := json.Marshal(ns)
		if err != nil {
			return Project{}, err
		}
		if _, err := p.clients.Kube.CoreV1().Namespaces().Patch(ctx, ns.Name, types.ApplyPatchType, body,
			metav1.PatchOptions{FieldManager: kube.FieldManager, Force: ptrTo(true)}); err != nil {
			return Project{}, translateWriteError(err)
		}
		pr.Namespaces[env.Name] = ns.Name
		if err := p.applyBinding(ctx, identity.MemberBinding(ns.Name, identity.Member{Kind: rbacv1.UserKind, Name: creator.Name, Role: identity.RoleAdmin})); err != nil {
			return Project{}, err
		}
	}
	return pr, nil
}

// BuildNamespace is the namespace of a project in an environment.
func BuildNamespace(project, env string) *corev1.Namespace {
	return &corev1.Namespace{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{
			Name: config.Namespace(project, env),
			Labels: map[string]string{
				revisions.LabelManagedBy: revisions.ManagedByValue,
				revisions.LabelProject:   project,
				revisions.LabelEnv:       env,
			},
		},
	}
}
