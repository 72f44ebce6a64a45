package reconciler

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/time/rate"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	eventingclient "knative.dev/eventing/pkg/client/clientset/versioned"
	eventinginformers "knative.dev/eventing/pkg/client/informers/externalversions"

	"github.com/slipway-dev/slipway/pkg/environments"
	"github.com/slipway-dev/slipway/pkg/kube"
	"github.com/slipway-dev/slipway/pkg/names"
)

// Controller feeds the Reconciler from two informers: Slipway's Knative Services (shared with
// the API's cache) and the PingSources Slipway labelled as its own. Any change to either side
// queues the app, so a PingSource edited or deleted by hand is rewritten as soon as the watch
// event arrives, and a Service turning Ready gets the PingSources it was waiting for.
//
// Run may be called again after it returned (a replica that lost the Lease and won it back):
// each run has its own queue, its own PingSource informer and its own handlers on the shared
// Service informer, whose registration replays every Service it holds.
type Controller struct {
	reconciler *Reconciler
	eventing   eventingclient.Interface
	services   cache.SharedIndexInformer
	log        *slog.Logger
}

// New wires the controller; Run starts it.
func New(clients *kube.Clients, c *kube.Cache, envs environments.List, log *slog.Logger) *Controller {
	return &Controller{
		reconciler: &Reconciler{Eventing: clients.Eventing, Services: c.Services, Environments: envs, Log: log},
		eventing:   clients.Eventing,
		services:   c.ServiceInformer,
		log:        log,
	}
}

// Run reconciles until ctx ends, and returns once its workers have stopped.
func (c *Controller) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrash()
	queue := workqueue.NewTypedRateLimitingQueueWithConfig(retryLimiter(),
		workqueue.TypedRateLimitingQueueConfig[cache.ObjectName]{Name: "schedules"})
	defer queue.ShutDown()
	factory := eventinginformers.NewSharedInformerFactoryWithOptions(c.eventing, 0,
		eventinginformers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.LabelSelector = names.LabelManagedBy + "=" + names.ManagedBy
		}))
	psInformer := factory.Sources().V1().PingSources()
	reconciler := *c.reconciler
	reconciler.PingSources = psInformer.Lister()

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
	synced := []cache.InformerSynced{c.services.HasSynced, psInformer.Informer().HasSynced}
	for _, reg := range []struct {
		informer cache.SharedIndexInformer
		enqueue  func(any)
	}{{c.services, enqueueService}, {psInformer.Informer(), enqueueOwner}} {
		handle, err := reg.informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    reg.enqueue,
			UpdateFunc: func(_, obj any) { reg.enqueue(obj) },
			DeleteFunc: reg.enqueue,
		})
		if err != nil {
			c.log.Error("schedules reconciler not started", "err", err)
			return
		}
		defer reg.informer.RemoveEventHandler(handle)
		synced = append(synced, handle.HasSynced)
	}
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	// Without Eventing's CRDs the PingSource informer never syncs: the reconciler waits
	// instead of failing platform-api (client-go logs the failed lists).
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		return
	}
	c.log.Info("schedules reconciler started", "workers", workers)
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
	c.log.Info("schedules reconciler stopped")
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
		if err := r.Reconcile(ctx, key.Namespace, key.Name); err != nil {
			c.log.Warn("schedules reconcile failed; retrying", "namespace", key.Namespace, "app", key.Name, "err", err)
			queue.AddRateLimited(key)
		} else {
			queue.Forget(key)
		}
		queue.Done(key)
	}
}

// maxRetryDelay bounds the wait before an app's failed reconcile is tried again (client-go's
// default doubles up to 1000 s, which would leave a PingSource missing for minutes after an
// apiserver outage).
const maxRetryDelay = 5 * time.Second

func retryLimiter() workqueue.TypedRateLimiter[cache.ObjectName] {
	return workqueue.NewTypedMaxOfRateLimiter(
		workqueue.NewTypedItemExponentialFailureRateLimiter[cache.ObjectName](5*time.Millisecond, maxRetryDelay),
		&workqueue.TypedBucketRateLimiter[cache.ObjectName]{Limiter: rate.NewLimiter(rate.Limit(10), 100)},
	)
}
