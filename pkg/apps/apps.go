// Package apps is Slipway's domain layer: projects, deploys, traffic, rollback, history and
// manifests, working on the cluster through the informer cache (reads) and server-side apply
// (writes). HTTP handlers call it; it knows nothing of HTTP beyond returning apierror values.
package apps

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"net"
	"sort"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/csaupgrade"
	"k8s.io/client-go/util/retry"
	"knative.dev/pkg/apis"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"

	"github.com/slipway-dev/slipway/pkg/apierror"
	"github.com/slipway-dev/slipway/pkg/config"
	"github.com/slipway-dev/slipway/pkg/domains"
	"github.com/slipway-dev/slipway/pkg/kube"
	"github.com/slipway-dev/slipway/pkg/revisions"
)

// Platform is the domain service.
type Platform struct {
	cfg     *config.Config
	clients *kube.Clients
	cache   *kube.Cache
	domains domains.Domains
	log     *slog.Logger
	now     func() time.Time

	appLocks keyedMutex
}

// keyedMutex hands out one mutex per key. Keys are apps, so the map stays as small as the
// number of apps this replica has written to.
type keyedMutex struct{ m sync.Map }

func (k *keyedMutex) lock(key string) (unlock func()) {
	mu, _ := k.m.LoadOrStore(key, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	return mu.(*sync.Mutex).Unlock
}

// New wires the domain service.
func New(cfg *config.Config, clients *kube.Clients, cache *kube.Cache, d domains.Domains, log *slog.Logger) *Platform {
	return &Platform{cfg: cfg, clients: clients, cache: cache, domains: d, log: log, now: time.Now}
}

// Target identifies an app in an environment.
type Target struct {
	Project, App, Env string
}

func (t Target) namespace() string { return config.Namespace(t.Project, t.Env) }

// resolve checks the path parameters: a configured environment, an existing project and a
// well-formed app name.
func (p *Platform) resolve(t Target) (config.Environment, error) {
	var errs field.ErrorList
	errs = append(errs, revisions.ValidateName(field.NewPath("project"), t.Project, MaxProjectNameLength)...)
	errs = append(errs, revisions.ValidateName(field.NewPath("app"), t.App, revisions.MaxAppNameLength)...)
	if len(errs) > 0 {
		return config.Environment{}, apierror.Invalid(errs)
	}
	env, ok := p.cfg.Environment(t.Env)
	if !ok {
		return config.Environment{}, apierror.NotFound("environment %q is not configured", t.Env)
	}
	if _, err := p.cache.Namespaces.Get(t.namespace()); err != nil {
		return config.Environment{}, apierror.NotFound("project %q does not exist", t.Project)
	}
	return env, nil
}

// service returns the app's Service from the cache, or a 404.
func (p *Platform) service(t Target) (*servingv1.Service, error) {
	svc, err := p.cache.Services.Services(t.namespace()).Get(t.App)
	if apierrors.IsNotFound(err) {
		return nil, apierror.NotFound("app %q has not been deployed to %q in project %q", t.App, t.Env, t.Project)
	}
	if err != nil {
		return nil, err
	}
	if svc.Labels[revisions.LabelManagedBy] != revisions.ManagedByValue {
		return nil, errNotManaged(t)
	}
	return svc, nil
}

// revisionsOf lists the app's Revisions from the cache, oldest first.
func (p *Platform) revisionsOf(t Target) ([]*servingv1.Revision, error) {
	sel := labels.SelectorFromSet(labels.Set{"serving.knative.dev/service": t.App})
	revs, err := p.cache.Revisions.Revisions(t.namespace()).List(sel)
	if err != nil {
		return nil, err
	}
	sort.Slice(revs, func(i, j int) bool { return revs[i].Name < revs[j].Name })
	return revs, nil
}

// knownRevisions is the set of the app's revision names: those in the cache, and the one the
// Service's template names (Knative creates it; the cache may not have it yet). A revision a
// later deploy superseded before Knative reconciled is never created, so history alone does
// not make a revision known.
func (p *Platform) knownRevisions(t Target, svc *servingv1.Service) (map[string]bool, error) {
	revs, err := p.revisionsOf(t)
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

// errNotManaged refuses to touch a Service Slipway did not create.
func errNotManaged(t Target) error {
	return apierror.Conflict("a Knative Service named %q exists in namespace %q but is not managed by Slipway", t.App, t.namespace())
}

// update reads the app's Service, lets change build the desired one, and applies it with the
// read's resourceVersion as a precondition. On a conflict it re-reads from the apiserver (the
// cache may lag) and tries again, so concurrent changes are serialised and none is lost.
// change receives nil when the Service does not exist; it is then created.
func (p *Platform) update(ctx context.Context, t Target, change func(current *servingv1.Service) (*servingv1.Service, error)) (*servingv1.Service, error) {
	// Writers to one app in this process take turns; conflicts are then left to writers in
	// other replicas, instead of every request burning a webhook round trip on a lost race.
	unlock := p.appLocks.lock(t.namespace() + "/" + t.App)
	defer unlock()
	current, err := p.cache.Services.Services(t.namespace()).Get(t.App)
	if err != nil && !apierrors.IsNotFound(err) {
		return nil, err
	}
	if err != nil {
		current = nil
	}
	var written *servingv1.Service
	fromCache := true
	attempt := func() error {
		if !fromCache {
			current, err = p.clients.Serving.ServingV1().Services(t.namespace()).Get(ctx, t.App, metav1.GetOptions{})
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
		if current != nil && current.Labels[revisions.LabelManagedBy] != revisions.ManagedByValue {
			err = errNotManaged(t)
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
		written, err = p.write(ctx, current, desired)
		return err
	}
	err = retry.OnError(conflictBackoff, isRetryable, func() error { return box(attempt()) })
	var b boxedError
	if errors.As(err, &b) {
		err = b.err
	}
	return written, translateWriteError(err)
}

// errStaleCache asks update to decide again on a fresh read.
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

func (p *Platform) write(ctx context.Context, current, desired *servingv1.Service) (*servingv1.Service, error) {
	services := p.clients.Serving.ServingV1().Services(desired.Namespace)
	if current == nil {
		return services.Create(ctx, desired, metav1.CreateOptions{FieldManager: kube.FieldManager})
	}
	desired.ResourceVersion = current.ResourceVersion
	// Create records the fields it wrote under an Update entry of our field manager, and an
	// Apply never removes a field another entry still owns: whatever the first deploy set and
	// a later one leaves out (the log-collect label, a message, a scaling annotation) would
	// stay on every later revision. Hand that entry's fields to the Apply entry first, once
	// per app; the patch carries the read's resourceVersion, so a write in between makes it a
	// conflict that update retries on a fresh read.
	upgrade, err := csaupgrade.UpgradeManagedFieldsPatch(current, sets.New(kube.FieldManager), kube.FieldManager)
	if err != nil {
		return nil, err
	}
	if upgrade != nil {
		upgraded, err := services.Patch(ctx, desired.Name, types.JSONPatchType, upgrade, metav1.PatchOptions{FieldManager: kube.FieldManager})
		if err != nil {
			return nil, err
		}
		desired.ResourceVersion = upgraded.ResourceVersion
	}
	body, err := json.Marshal(desired)
	if err != nil {
		return nil, err
	}
	return services.Patch(ctx, desired.Name, types.ApplyPatchType, body,
		metav1.PatchOptions{FieldManager: kube.FieldManager, Force: ptrTo(true)})
}

// translateWriteError turns the apiserver's refusals of a request into 4xx problems: Knative's
// webhook validates beyond what Slipway checks up front, and its message names the field.
func translateWriteError(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := apierror.As(err); ok {
		return err
	}
	var open *kube.ErrCircuitOpen
	if errors.As(err, &open) {
		return apierror.Unavailable(int(math.Ceil(open.RetryAfter.Seconds())), "%v", open)
	}
	// The apiserver failing, slow or unreachable is not the caller's fault, and may pass. The
	// detail names no internal address.
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return apierror.Unavailable(5, "the Kubernetes API did not answer in time")
	case errors.As(err, &netErr):
		return apierror.Unavailable(5, "the Kubernetes API is unreachable")
	case apierrors.IsInternalError(err):
		return apierror.Unavailable(5, "the Kubernetes API is failing: %s", apierrors.ReasonForError(err))
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		switch code := status.Status().Code; {
		case apierrors.IsInvalid(err) || apierrors.IsBadRequest(err):
			return &apierror.Error{Status: 422, Title: "Refused by the cluster", Detail: status.Status().Message}
		case apierrors.IsConflict(err):
			return apierror.Conflict("too many concurrent changes to this app; try again")
		case apierrors.IsServerTimeout(err) || apierrors.IsTimeout(err) || apierrors.IsServiceUnavailable(err) || code == 429:
			return apierror.Unavailable(2, "the Kubernetes API is busy: %s", status.Status().Message)
		}
	}
	return err
}

func ptrTo[T any](v T) *T { return &v }

// isReady reads Knative's Ready condition.
func isReady(c *apis.Condition) bool { return c != nil && c.Status == corev1.ConditionTrue }

// CachedService returns the Service as platform-api's cache holds it (for tests and
// benchmarks that must wait for the cache to catch up).
func (p *Platform) CachedService(namespace, name string) (*servingv1.Service, error) {
	return p.cache.Services.Services(namespace).Get(name)
}
