// Package projects is a team's group of apps: its namespaces (one per environment, and one
// build namespace for its pipeline runs), its members (RoleBindings to the project roles),
// and the log collector's inputs for them.
package projects

import (
	"context"
	"fmt"
	"maps"
	"sort"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/slipway-dev/slipway/pkg/apierror"
	"github.com/slipway-dev/slipway/pkg/environments"
	"github.com/slipway-dev/slipway/pkg/identity"
	"github.com/slipway-dev/slipway/pkg/kube"
	"github.com/slipway-dev/slipway/pkg/logging"
	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/podsecurity"
	"github.com/slipway-dev/slipway/pkg/records"
	"github.com/slipway-dev/slipway/pkg/revisions"
)

// Project is a team's group of apps with one namespace per environment.
type Project struct {
	Name string `json:"name"`
	// Namespaces maps environment to namespace.
	Namespaces map[string]string `json:"namespaces"`
}

// CreateRequest is the body of POST /api/v1/projects.
type CreateRequest struct {
	Name string `json:"name"`
}

// Projects manages projects on the cluster.
type Projects struct {
	envs    environments.List
	logging logging.Config
	clients *kube.Clients
	cache   *kube.Cache
}

// New wires the projects.
func New(envs environments.List, logCfg logging.Config, clients *kube.Clients, cache *kube.Cache) *Projects {
	return &Projects{envs: envs, logging: logCfg, clients: clients, cache: cache}
}

// Environments lists the configured environments.
func (p *Projects) Environments() environments.List { return p.envs }

// List lists projects by their namespaces, from the cache.
func (p *Projects) List() ([]Project, error) {
	nss, err := p.cache.Namespaces.List(labels.Everything())
	if err != nil {
		return nil, err
	}
	byName := map[string]*Project{}
	for _, ns := range nss {
		name, env := ns.Labels[names.LabelProject], ns.Labels[names.LabelEnv]
		if env == "" {
			continue // the build namespace: not an environment
		}
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

// Create creates the project's namespaces (its build namespace first) and makes creator
// its admin. Applying them one by one is safe to repeat: a request that failed half-way is
// completed by the next.
func (p *Projects) Create(ctx context.Context, req CreateRequest, creator identity.User) (Project, error) {
	if errs := revisions.ValidateName(field.NewPath("name"), req.Name, records.MaxProjectNameLength); len(errs) > 0 {
		return Project{}, apierror.Invalid(errs)
	}
	complete := true
	for _, env := range p.envs {
		ns, err := p.clients.Kube.CoreV1().Namespaces().Get(ctx, names.Namespace(req.Name, env.Name), metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			complete = false
		case err != nil:
			return Project{}, kube.WriteError(err)
		case ns.Labels[names.LabelProject] != req.Name:
			return Project{}, apierror.Conflict("namespace %q already exists and does not belong to project %q", ns.Name, req.Name)
		}
	}
	if complete {
		return Project{}, apierror.Conflict("project %q already exists", req.Name)
	}
	build, err := p.clients.Kube.CoreV1().Namespaces().Get(ctx, names.BuildNamespace(req.Name), metav1.GetOptions{})
	if err == nil && build.Labels[names.LabelProject] != req.Name {
		return Project{}, apierror.Conflict("namespace %q already exists and does not belong to project %q", build.Name, req.Name)
	}
	if err != nil && !apierrors.IsNotFound(err) {
		return Project{}, kube.WriteError(err)
	}
	pr := Project{Name: req.Name, Namespaces: map[string]string{}}
	if err := p.clients.Apply(ctx, BuildBuildNamespace(req.Name)); err != nil {
		return Project{}, err
	}
	for _, env := range p.envs {
		ns := BuildNamespace(req.Name, env.Name)
		if err := p.clients.Apply(ctx, ns); err != nil {
			return Project{}, err
		}
		pr.Namespaces[env.Name] = ns.Name
	}
	for _, ns := range p.memberNamespaces(req.Name) {
		if err := p.clients.Apply(ctx, identity.MemberBinding(ns, identity.Member{Kind: rbacv1.UserKind, Name: creator.Name, Role: identity.RoleAdmin})); err != nil {
			return Project{}, err
		}
	}
	return pr, nil
}

// Get returns a project from the cache; a project that has none of its namespaces is a 404.
func (p *Projects) Get(project string) (Project, error) {
	projects, err := p.List()
	if err != nil {
		return Project{}, err
	}
	for _, pr := range projects {
		if pr.Name == project {
			return pr, nil
		}
	}
	return Project{}, apierror.NotFound("project %q does not exist", project)
}

// exists reports a project that has none of its namespaces as a 404.
func (p *Projects) exists(project string) error {
	_, err := p.Get(project)
	return err
}

// BuildNamespace is the namespace of a project in an environment, with Pod Security's warn
// and audit labels at restricted (podsecurity.EnvNamespaceLabels; the Policy enforces).
func BuildNamespace(project, env string) *corev1.Namespace {
	ns := namespace(names.Namespace(project, env), project, podsecurity.EnvNamespaceLabels())
	ns.Labels[names.LabelEnv] = env
	return ns
}

// BuildBuildNamespace is the project's build namespace (names.BuildNamespace), where its
// pipeline runs execute: no environment label, so nothing treats it as an environment and
// the Pod Security Policy does not apply; Pod Security labels at the least level rootless
// BuildKit runs at (podsecurity.BuildNamespaceLabels).
func BuildBuildNamespace(project string) *corev1.Namespace {
	return namespace(names.BuildNamespace(project), project, podsecurity.BuildNamespaceLabels())
}

func namespace(name, project string, podSecurity map[string]string) *corev1.Namespace {
	labels := map[string]string{names.LabelManagedBy: names.ManagedBy, names.LabelProject: project}
	maps.Copy(labels, podSecurity)
	return &corev1.Namespace{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
	}
}

// Relabel brings every existing project's namespaces to what this version builds: its
// environment namespaces (those it has) get their labels again, by server-side apply, and
// a missing build namespace is created. platform-api calls it on start, so namespaces
// made before Pod Security labels (or before build namespaces) catch up.
func (p *Projects) Relabel(ctx context.Context) error {
	projects, err := p.List()
	if err != nil {
		return err
	}
	for _, pr := range projects {
		for _, ns := range RelabelNamespaces(pr, p.envs) {
			if err := p.clients.Apply(ctx, ns); err != nil {
				return fmt.Errorf("relabelling namespace %s: %w", ns.Name, err)
			}
		}
	}
	return nil
}

// RelabelNamespaces are the namespaces Relabel applies for pr: its build namespace, and each
// configured environment's namespace that pr has (a namespace of an environment no longer
// configured is left alone, and none is created for an environment added since).
func RelabelNamespaces(pr Project, envs environments.List) []*corev1.Namespace {
	out := []*corev1.Namespace{BuildBuildNamespace(pr.Name)}
	for _, env := range envs {
		if ns, ok := pr.Namespaces[env.Name]; ok && ns == names.Namespace(pr.Name, env.Name) {
			out = append(out, BuildNamespace(pr.Name, env.Name))
		}
	}
	return out
}

// FilebeatInputs renders the collector's inputs for every project namespace: the
// pod-mutator's mounted directories and the containers' stdout (see
// logging.RenderFilebeatInputs). With no project yet, the list is empty.
func (p *Projects) FilebeatInputs() ([]byte, error) {
	projects, err := p.List()
	if err != nil {
		return nil, err
	}
	var sources []logging.FilebeatSource
	for _, pr := range projects {
		for env, ns := range pr.Namespaces {
			sources = append(sources, logging.FilebeatSource{Project: pr.Name, Env: env, Namespace: ns})
		}
	}
	if len(sources) == 0 {
		return []byte("filebeat.inputs: []\n"), nil
	}
	return logging.RenderFilebeatInputs(p.logging, sources)
}
