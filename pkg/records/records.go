// Package records reads and writes an app's record: the Knative Service that is the app in
// one environment, with Slipway's slipway.dev/ labels and annotations on it. It is the one
// write path to that Service for every capability (deploys, traffic, rollbacks and what
// comes after them): reads from the informer cache, writes by server-side apply with the
// read's resourceVersion as precondition, retried on conflict so no concurrent change is lost.
package records

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/csaupgrade"
	"k8s.io/client-go/util/retry"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"

	"github.com/slipway-dev/slipway/pkg/apierror"
	"github.com/slipway-dev/slipway/pkg/environments"
	"github.com/slipway-dev/slipway/pkg/kube"
	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/revisions"
)

// Target identifies an app in an environment.
type Target struct {
	Project, App, Env string
}

// Namespace is the target's namespace.
func (t Target) Namespace() string { return names.Namespace(t.Project, t.Env) }

// MaxProjectNameLength keeps {project}-{env} within a 63-character namespace name.
const MaxProjectNameLength = 30

// Store reads and writes app records.
type Store struct {
	envs    environments.List
	clients *kube.Clients
	cache   *kube.Cache

	appLocks keyedMutex
}

// New wires the store.
func New(envs environments.List, clients *kube.Clients, cache *kube.Cache) *Store {
	return &Store{envs: envs, clients: clients, cache: cache}
}

// Environments are the configured environments.
func (s *Store) Environments() environments.List { return s.envs }

// Resolve checks a call's path: a configured environment, an existing project and a
// well-formed app name.
func (s *Store) Resolve(t Target) (environments.Environment, error) {
	var errs field.ErrorList
	errs = append(errs, revisions.ValidateName(field.NewPath("project"), t.Project, MaxProjectNameLength)...)
	errs = append(errs, revisions.ValidateName(field.NewPath("app"), t.App, revisions.MaxAppNameLength)...)
	if len(errs) > 0 {
		return environments.Environment{}, apierror.Invalid(errs)
	}
	env, ok := s.envs.Find(t.Env)
	if !ok {
		return environments.Environment{}, apierror.NotFound("environment %q is not configured", t.Env)
	}
	if _, err := s.cache.Namespaces.Get(t.Namespace()); err != nil {
		return environments.Environment{}, apierror.NotFound("project %q does not exist", t.Project)
	}
	return env, nil
}

// ProjectExists is nil when the cache holds at least one of the project's namespaces, and a
// 404 otherwise.
func (s *Store) ProjectExists(project string) error {
	for _, env := range s.envs {
		if _, err := s.cache.Namespaces.Get(names.Namespace(project, env.Name)); err == nil {
			return nil
		}
	}
	return apierror.NotFound("project %q does not exist", project)
}

// AppExists is nil when the project exists and the app is deployed in at least one of its
// environments, and a 404 otherwise: what calls on an app across environments check first.
func (s *Store) AppExists(project, app string) error {
	if err := s.ProjectExists(project); err != nil {
		return err
	}
	for _, env := range s.envs {
		if s.CachedService(Target{Project: project, App: app, Env: env.Name}) != nil {
			return nil
		}
	}
	return apierror.NotFound("app %q is deployed in no environment of project %q", app, project)
}

// Service returns the app's Service from the cache, or a 404.
func (s *Store) Service(t Target) (*servingv1.Service, error) {
	svc, err := s.cache.Services.Services(t.Namespace()).Get(t.App)
	if apierrors.IsNotFound(err) {
		return nil, apierror.NotFound("app %q has not been deployed to %q in project %q", t.App, t.Env, t.Project)
	}
	if err != nil {
		return nil, err
	}
	if svc.Labels[names.LabelManagedBy] != names.ManagedBy {
		return nil, ErrNotManaged(t)
	}
	return svc, nil
}

// CachedService returns the Service as the cache holds it, or nil: what a write decides on
// first (for tests and benchmarks that must wait for the cache to catch up, too).
func (s *Store) CachedService(t Target) *servingv1.Service {
	svc, err := s.cache.Services.Services(t.Namespace()).Get(t.App)
	if err != nil {
		return nil
	}
	return svc
}

// Revisions lists the app's Revisions from the cache, oldest first.
func (s *Store) Revisions(t Target) ([]*servingv1.Revision, error) {
	sel := labels.SelectorFromSet(labels.Set{"serving.knative.dev/service": t.App})
	revs, err := s.cache.Revisions.Revisions(t.Namespace()).List(sel)
	if err != nil {
		return nil, err
	}
	sort.Slice(revs, func(i, j int) bool { return revs[i].Name < revs[j].Name })
	return revs, nil
}

// Revision returns one of the app's Revisions from the cache.
func (s *Store) Revision(t Target, name string) (*servingv1.Revision, error) {
	return s.cache.Revisions.Revisions(t.Namespace()).Get(name)
}

// KnownRevisions is the set of the app's revision names: those in the cache, and the one the
// Service's template names (Knative creates it; the cache may not have it yet). A revision a
// later deploy superseded before Knative reconciled is never created, so history alone does
// not make a revision known.
func (s *Store) KnownRevisions(t Target, svc *servingv1.Service) (map[string]bool, error) {
	revs, err := s.Revisions(t)
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for _, r := range revs {
		known[r.Name] = true
	}
	if svc != nil && svc.Spec.Template.Name != "" {
		known[svc.Spec.Template.Name] = true
	}
	return known, nil
}

// EnvObjects are one environment's Services and Revisions of a project.
type EnvObjects struct {
	Env       string
	Services  []*servingv1.Service
	Revisions []*servingv1.Revision
}

// Project lists, for each environment in which the project has its namespace, the
// Services and Revisions there, from the cache.
func (s *Store) Project(project string) ([]EnvObjects, error) {
	var envs []EnvObjects
	for _, env := range s.envs {
		ns := names.Namespace(project, env.Name)
		if _, err := s.cache.Namespaces.Get(ns); err != nil {
			continue
		}
		svcs, err := s.cache.Services.Services(ns).List(labels.Everything())
		if err != nil {
			return nil, err
		}
		revs, err := s.cache.Revisions.Revisions(ns).List(labels.Everything())
		if err != nil {
			return nil, err
		}
		envs = append(envs, EnvObjects{Env: env.Name, Services: svcs, Revisions: revs})
	}
	return envs, nil
}

// ErrNotManaged refuses to touch a Service Slipway did not create.
func ErrNotManaged(t Target) error {
	return apierror.Conflict("a Knative Service named %q exists in namespace %q but is not managed by Slipway", t.App, t.Namespace())
}

// LiveService is the app's Service read from the apiserver, not the cache: for a change
// built from what the app runs now, which a deploy just before must not be undone by.
func (s *Store) LiveService(ctx context.Context, t Target) (*servingv1.Service, error) {
	svc, err := s.clients.Serving.ServingV1().Services(t.Namespace()).Get(ctx, t.App, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, apierror.NotFound("app %q has not been deployed to %q in project %q", t.App, t.Env, t.Project)
	}
	if err != nil {
		return nil, kube.WriteError(err)
	}
	if svc.Labels[names.LabelManagedBy] != names.ManagedBy {
		return nil, ErrNotManaged(t)
	}
	return svc, nil
}

// Update reads the app's Service, lets change build the desired one, and applies it with the
// read's resourceVersion as a precondition. On a conflict it re-reads from the apiserver (the
// cache may lag) and tries again, so concurrent changes are serialised and none is lost.
// change receives nil when the Service does not exist; it is then created.
func (s *Store) Update(ctx context.Context, t Target, change func(current *servingv1.Service) (*servingv1.Service, error)) (*servingv1.Service, error) {
	// Writers to one app in this process take turns; conflicts are then left to writers in
	// other replicas, instead of every request burning a webhook round trip on a lost race.
	unlock := s.appLocks.lock(t.Namespace() + "/" + t.App)
	defer unlock()
	current := s.CachedService(t)
	var written *servingv1.Service
	fromCache := true
	attempt := func() error {
		var err error
		if !fromCache {
			current, err = s.clients.Serving.ServingV1().Services(t.Namespace()).Get(ctx, t.App, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				current, err = nil, nil
			}
			if err != nil {
				return err
			}
		}
		decidedOnCache := fromCache
		fromCache = false
		var desired *servingv1.Service
		if current != nil && current.Labels[names.LabelManagedBy] != names.ManagedBy {
			err = ErrNotManaged(t)
		} else {
			desired, err = change(current)
		}
		if err != nil {
			if decidedOnCache {
				// The cache may lag a write that just happened (a revision deployed a moment
				// ago); refuse only what the apiserver's current object refuses.
				return errStaleCache
			}
			return err
		}
		written, err = s.write(ctx, current, desired)
		return err
	}
	err := retry.OnError(conflictBackoff, isRetryable, func() error { return box(attempt()) })
	var b boxedError
	if errors.As(err, &b) {
		err = b.err
	}
	return written, kube.WriteError(err)
}

// errStaleCache asks Update to decide again on a fresh read.
var errStaleCache = errors.New("decided on cached state; re-reading")

// conflictBackoff retries long enough for dozens of concurrent writers to one app across
// replicas: 10–20 ms per try, up to 500 tries. (No Cap: reaching it would end the retries.)
var conflictBackoff = wait.Backoff{Duration: 10 * time.Millisecond, Factor: 1, Jitter: 1, Steps: 500}

func isRetryable(err error) bool {
	var b boxedError
	if errors.As(err, &b) {
		err = b.err
	}
	return apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) || errors.Is(err, errStaleCache)
}

// boxedError hides an error's chain from retry.OnError, which takes any error matching
// context.DeadlineExceeded for the end of its own backoff (wait.Interrupted) and then
// returns the previous attempt's error — nil on a first attempt: a write that timed out
// would pass for a success.
type boxedError struct{ err error }

func (b boxedError) Error() string { return b.err.Error() }

func box(err error) error {
	if err == nil {
		return nil
	}
	return boxedError{err}
}

func (s *Store) write(ctx context.Context, current, desired *servingv1.Service) (*servingv1.Service, error) {
	services := s.clients.Serving.ServingV1().Services(desired.Namespace)
	if current == nil {
		return services.Create(ctx, desired, metav1.CreateOptions{FieldManager: names.FieldManager})
	}
	desired.ResourceVersion = current.ResourceVersion
	// Create records the fields it wrote under an Update entry of our field manager, and an
	// Apply never removes a field another entry still owns: whatever the first deploy set and
	// a later one leaves out (the log-collect label, a message, a scaling annotation) would
	// stay on every later revision. Hand that entry's fields to the Apply entry first, once
	// per app; the patch carries the read's resourceVersion, so a write in between makes it a
	// conflict that Update retries on a fresh read.
	upgrade, err := csaupgrade.UpgradeManagedFieldsPatch(current, sets.New(names.FieldManager), names.FieldManager)
	if err != nil {
		return nil, err
	}
	if upgrade != nil {
		upgraded, err := services.Patch(ctx, desired.Name, types.JSONPatchType, upgrade, metav1.PatchOptions{FieldManager: names.FieldManager})
		if err != nil {
			return nil, err
		}
		desired.ResourceVersion = upgraded.ResourceVersion
	}
	body, err := json.Marshal(desired)
	if err != nil {
		return nil, err
	}
	return services.Patch(ctx, desired.Name, types.ApplyPatchType, body, kube.ApplyOptions())
}

// keyedMutex hands out one mutex per key. Keys are apps, so the map stays as small as the
// number of apps this replica has written to.
type keyedMutex struct{ m sync.Map }

func (k *keyedMutex) lock(key string) (unlock func()) {
	mu, _ := k.m.LoadOrStore(key, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	return mu.(*sync.Mutex).Unlock
}
