package reconciler

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/time/rate"
	istioclient "istio.io/client-go/pkg/clientset/versioned"
	istioinformers "istio.io/client-go/pkg/informers/externalversions"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/slipway-dev/slipway/pkg/domains"
	"github.com/slipway-dev/slipway/pkg/kube"
	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/routing"
)

// Controller feeds the Reconciler from two informers: Slipway's Knative Services (shared with
// the API's cache) and the VirtualServices Slipway labelled as its own. Any change to either
// side queues the app, so a VirtualService edited or deleted by hand is rewritten as soon as
// the watch event arrives.
//
// Run may be called again after it returned (a replica that lost the Lease and won it back):
// each run has its own queue, its own VirtualService informer and its own handlers on the
// shared Service informer, whose registration replays every Service it holds, so a new run
// reconciles every app, including those changed while another replica led.
type Controller struct {
	reconciler *Reconciler
	istio      istioclient.Interface
	services   cache.SharedIndexInformer
	log        *slog.Logger
}

// New wires the controller; Run starts it.
func New(clients *kube.Clients, c *kube.Cache, d domains.Domains, cfg routing.Config, log *slog.Logger) (*Controller, error) {
	return &Controller{
		reconciler: &Reconciler{
			Serving: clients.Serving, Istio: clients.Istio, Services: c.Services,
			Domains: d, Routing: cfg, Log: log,
		},
		istio:    clients.Istio,
		services: c.ServiceInformer,
		log:      log,
	}, nil
}

// Run reconciles until ctx ends, and returns once its workers have stopped.
func (c *Controller) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrash()
	queue := workqueue.NewTypedRateLimitingQueueWithConfig(retryLimiter(),
		workqueue.TypedRateLimitingQueueConfig[cache.ObjectName]{Name: "routing"})
	defer queue.ShutDown()
	factory := istioinformers.NewSharedInformerFactoryWithOptions(c.istio, 0,
		istioinformers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.LabelSelector = names.LabelManagedBy + "=" + names.ManagedBy
		}))
	vsInformer := factory.Networking().V1().VirtualServices()
	reconciler := *c.reconciler
	reconciler.VirtualServices = vsInformer.Lister()

	enqueueService := func(obj any) {
		if name, err := cache.DeletionHandlingObjectToName(obj); err == nil {
			queue.Add(name)
		}
	}
	enqueueOwner := func(obj any) {
		if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = tomb.Obj
		}
		if m, ok := obj.(metav1.Object); ok && m.GetLabels()[names.LabelApp] != "" {
			queue.Add(cache.NewObjectName(m.GetNamespace(), m.GetLabels()[names.LabelApp]))
		}
	}
	synced := []cache.InformerSynced{c.services.HasSynced, vsInformer.Informer().HasSynced}
	for _, reg := range []struct {
		informer cache.SharedIndexInformer
		enqueue  func(any)
	}{{c.services, enqueueService}, {vsInformer.Informer(), enqueueOwner}} {
		handle, err := reg.informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    reg.enqueue,
			UpdateFunc: func(_, obj any) { reg.enqueue(obj) },
			DeleteFunc: reg.enqueue,
		})
		if err != nil {
			c.log.Error("routing reconciler not started", "err", err)
			return
		}
		defer reg.informer.RemoveEventHandler(handle)
		synced = append(synced, handle.HasSynced)
	}
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		return
	}
	c.log.Info("routing reconciler started", "workers", workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.work(ctx, queue, &reconciler)
		}()
	}
	<-ctx.Done()
	queue.ShutDown()
	wg.Wait()
	c.log.Info("routing reconciler stopped")
}

func (c *Controller) work(ctx context.Context, queue workqueue.TypedRateLimitingInterface[cache.ObjectName], r *Reconciler) {
	for {
		key, quit := queue.Get()
		if quit {
			return
		}
		if ctx.Err() != nil { // stopping: what is left is the next leader's
			queue.Done(key)
			return
		}
		err := r.Reconcile(ctx, key.Namespace, key.Name)
		if err != nil {
			c.log.Warn("routing reconcile failed; retrying", "namespace", key.Namespace, "app", key.Name, "err", err)
			queue.AddRateLimited(key)
		} else {
			queue.Forget(key)
		}
		queue.Done(key)
	}
}

// maxRetryDelay bounds the wait before an app's failed reconcile is tried again. client-go's
// default doubles it up to 1000 s: through an apiserver outage, with the write breaker
// failing every try at once, an app would double its way to minutes and keep its stale
// VirtualService long after the apiserver is back.
const maxRetryDelay = 5 * time.Second

// retryLimiter is client-go's default controller limiter (per-item exponential backoff,
// overall token bucket) with the per-item delay capped at maxRetryDelay.
func retryLimiter() workqueue.TypedRateLimiter[cache.ObjectName] {
	return workqueue.NewTypedMaxOfRateLimiter(
		workqueue.NewTypedItemExponentialFailureRateLimiter[cache.ObjectName](5*time.Millisecond, maxRetryDelay),
		&workqueue.TypedBucketRateLimiter[cache.ObjectName]{Limiter: rate.NewLimiter(rate.Limit(10), 100)},
	)
}
