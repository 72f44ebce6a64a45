// Package kube is Slipway's one way to reach Kubernetes: client setup from a kubeconfig (or
// in-cluster), and the informer caches every read is served from.
package kube

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	argoclient "github.com/argoproj/argo-workflows/v3/pkg/client/clientset/versioned"
	argoinformers "github.com/argoproj/argo-workflows/v3/pkg/client/informers/externalversions"
	argolisters "github.com/argoproj/argo-workflows/v3/pkg/client/listers/workflow/v1alpha1"
	istioclient "istio.io/client-go/pkg/clientset/versioned"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	kubeinformers "k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	coordinationv1 "k8s.io/client-go/kubernetes/typed/coordination/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/flowcontrol"
	eventingclient "knative.dev/eventing/pkg/client/clientset/versioned"
	networkingclient "knative.dev/networking/pkg/client/clientset/versioned"
	servingclient "knative.dev/serving/pkg/client/clientset/versioned"
	servinginformers "knative.dev/serving/pkg/client/informers/externalversions"
	servinglisters "knative.dev/serving/pkg/client/listers/serving/v1"

	"github.com/slipway-dev/slipway/pkg/names"
)

// Clients bundles the typed clients Slipway talks to the apiserver with. They draw on three
// separate request budgets (client-go gives every rest.Config without a shared RateLimiter a
// token bucket of its own), so that one kind of traffic cannot starve another: a burst of
// API requests once made lease renewal wait behind the shared limiter until leadership was
// lost.
//   - Kube, Serving, Istio, Networking, Argo and Eventing: reads (informers, live gets) and
//     writes, each with a budget of its own shared by the six clients, writes behind the circuit breaker.
//   - Reviews: TokenReview and SubjectAccessReview, asked on behalf of callers; no breaker,
//     since a review is a question, not a write.
//   - Leases: leader election; no breaker, whose open state (breaker.openFor, 15 s by
//     default) outlasts the renew deadline and would cost the Lease.
type Clients struct {
	Config  *rest.Config
	Kube    kubernetes.Interface
	Serving servingclient.Interface
	Istio   istioclient.Interface
	// Networking writes ClusterDomainClaims, which reserve short hosts cluster-wide.
	Networking networkingclient.Interface
	// Argo writes pipeline runs (Workflows) and templates.
	Argo argoclient.Interface
	// Eventing writes apps' schedules as PingSources.
	Eventing eventingclient.Interface
	// Reviews authenticates and authorizes callers (TokenReview, SubjectAccessReview).
	Reviews kubernetes.Interface
	// Leases holds the reconcilers' Lease.
	Leases coordinationv1.CoordinationV1Interface
}

// Request budgets (queries per second, burst) of each kind of traffic; see Clients.
const (
	// The API fans out to the apiserver on writes only (reads hit caches); these keep bursts
	// of writes from being throttled client-side. Reads (informers' lists and watches, live
	// gets on conflicts and for runs not yet cached) have as much again, apart.
	requestQPS, requestBurst = 100, 200
	// Reviews are cached per token and per question (auth.cacheTTL), so they follow the
	// number of distinct callers, not requests.
	reviewQPS, reviewBurst = 50, 100
	// A renewal every retryPeriod (2 s) and a release; the headroom is for retries.
	leaseQPS, leaseBurst = 5, 10
)

// RESTConfig loads a kubeconfig file, or the in-cluster config when path is empty.
func RESTConfig(path string) (*rest.Config, error) {
	var cfg *rest.Config
	var err error
	if path == "" {
		cfg, err = rest.InClusterConfig()
	} else {
		cfg, err = clientcmd.BuildConfigFromFlags("", path)
	}
	if err != nil {
		return nil, fmt.Errorf("loading Kubernetes client config: %w", err)
	}
	// What the pod-mutator's clients get; NewClients sets platform-api's own budgets.
	cfg.QPS, cfg.Burst = requestQPS, requestBurst
	cfg.UserAgent = "slipway"
	return cfg, nil
}

// NewClients builds the clients for cfg, each kind of traffic with its own budget (reads and
// writes apart, reviews, the Lease), writes behind a circuit breaker shaped by breaker, and
// watches that wait out an apiserver refusing connections (withPatientWatches). cfg's own
// QPS, Burst and RateLimiter are not used: the budgets are Slipway's (see Clients).
func NewClients(cfg *rest.Config, breaker BreakerSettings) (*Clients, error) {
	requests := withPatientWatches(withBreaker(withReadWriteBudgets(cfg,
		flowcontrol.NewTokenBucketRateLimiter(requestQPS, requestBurst),
		flowcontrol.NewTokenBucketRateLimiter(requestQPS, requestBurst)), breaker))
	k, err := kubernetes.NewForConfig(requests)
	if err != nil {
		return nil, err
	}
	s, err := servingclient.NewForConfig(requests)
	if err != nil {
		return nil, err
	}
	i, err := istioclient.NewForConfig(requests)
	if err != nil {
		return nil, err
	}
	n, err := networkingclient.NewForConfig(requests)
	if err != nil {
		return nil, err
	}
	a, err := argoclient.NewForConfig(requests)
	if err != nil {
		return nil, err
	}
	ev, err := eventingclient.NewForConfig(requests)
	if err != nil {
		return nil, err
	}
	r, err := kubernetes.NewForConfig(budget(cfg, reviewQPS, reviewBurst))
	if err != nil {
		return nil, err
	}
	l, err := coordinationv1.NewForConfig(budget(cfg, leaseQPS, leaseBurst))
	if err != nil {
		return nil, err
	}
	return &Clients{Config: requests, Kube: k, Serving: s, Istio: i, Networking: n, Argo: a, Eventing: ev, Reviews: r, Leases: l}, nil
}

// budget is a copy of cfg with a token bucket of its own: client-go makes one limiter per
// config unless RateLimiter is set, and a copied RateLimiter would be shared.
func budget(cfg *rest.Config, qps float32, burst int) *rest.Config {
	out := rest.CopyConfig(cfg)
	out.RateLimiter = nil
	out.QPS, out.Burst = qps, burst
	return out
}

// Cache holds informers for the objects Slipway reads: its project namespaces, and the
// Knative Services and Revisions it manages (filtered by label so memory follows Slipway's
// own footprint, not the cluster's).
type Cache struct {
	kubeFactory     kubeinformers.SharedInformerFactory
	platformFactory kubeinformers.SharedInformerFactory
	servingFactory  servinginformers.SharedInformerFactory
	argoFactory     argoinformers.SharedInformerFactory
	synced          []cache.InformerSynced
	hasSynced       atomic.Bool

	Namespaces corelisters.NamespaceLister
	Services   servinglisters.ServiceLister
	Revisions  servinglisters.RevisionLister
	// ServiceInformer lets reconcilers subscribe to the same Service cache.
	ServiceInformer cache.SharedIndexInformer
	// RevisionInformer lets the scaling reconciler see new and changed Revisions.
	RevisionInformer cache.SharedIndexInformer
	// Workflows are pipeline runs; ConfigMaps and Secrets (of the platform's namespace)
	// hold apps' pipelines and hooks.
	Workflows  argolisters.WorkflowLister
	ConfigMaps corelisters.ConfigMapLister
	Secrets    corelisters.SecretLister
}

// NewCache prepares (but does not start) the informers; platformNamespace is where
// Slipway keeps apps' pipelines and hooks.
func NewCache(c *Clients, resync time.Duration, platformNamespace string) *Cache {
	projectSelector := func(o *metav1.ListOptions) {
		o.LabelSelector = labels.NewSelector().Add(mustRequirement(names.LabelProject, selection.Exists)).String()
	}
	kf := kubeinformers.NewSharedInformerFactoryWithOptions(c.Kube, resync, kubeinformers.WithTweakListOptions(projectSelector))
	// Only the platform's own namespace: nothing here reads other namespaces' Secrets.
	pf := kubeinformers.NewSharedInformerFactoryWithOptions(c.Kube, resync, kubeinformers.WithNamespace(platformNamespace),
		kubeinformers.WithTweakListOptions(projectSelector))
	sf := servinginformers.NewSharedInformerFactoryWithOptions(c.Serving, resync, servinginformers.WithTweakListOptions(projectSelector))
	af := argoinformers.NewSharedInformerFactoryWithOptions(c.Argo, resync, argoinformers.WithTweakListOptions(projectSelector))
	ns := kf.Core().V1().Namespaces()
	cms := pf.Core().V1().ConfigMaps()
	secrets := pf.Core().V1().Secrets()
	svc := sf.Serving().V1().Services()
	rev := sf.Serving().V1().Revisions()
	wfs := af.Argoproj().V1alpha1().Workflows()
	return &Cache{
		kubeFactory:     kf,
		platformFactory: pf,
		servingFactory:  sf,
		argoFactory:     af,
		synced: []cache.InformerSynced{ns.Informer().HasSynced, svc.Informer().HasSynced, rev.Informer().HasSynced,
			cms.Informer().HasSynced, secrets.Informer().HasSynced, wfs.Informer().HasSynced},
		Namespaces:       ns.Lister(),
		Services:         svc.Lister(),
		Revisions:        rev.Lister(),
		ServiceInformer:  svc.Informer(),
		RevisionInformer: rev.Informer(),
		Workflows:        wfs.Lister(),
		ConfigMaps:       cms.Lister(),
		Secrets:          secrets.Lister(),
	}
}

// Start runs the informers until ctx ends and waits for their first sync.
func (c *Cache) Start(ctx context.Context) error {
	c.kubeFactory.Start(ctx.Done())
	c.platformFactory.Start(ctx.Done())
	c.servingFactory.Start(ctx.Done())
	c.argoFactory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		return fmt.Errorf("informer caches did not sync: %w", ctx.Err())
	}
	c.hasSynced.Store(true)
	return nil
}

// Synced reports whether the first sync has finished.
func (c *Cache) Synced() bool { return c.hasSynced.Load() }

// Shutdown waits for the informers' goroutines after their context ended.
func (c *Cache) Shutdown() {
	c.kubeFactory.Shutdown()
	c.platformFactory.Shutdown()
	c.servingFactory.Shutdown()
}

func mustRequirement(key string, op selection.Operator, vals ...string) labels.Requirement {
	r, err := labels.NewRequirement(key, op, vals)
	if err != nil {
		panic(err)
	}
	return *r
}
