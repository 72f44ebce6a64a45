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
	"knative.dev/serving/pkg/apis/serving"

	"github.com/slipway-dev/slipway/pkg/kube"
)

// Controller feeds the Reconciler from the shared Service and Revision caches: a Service
// change (windows, traffic, a new latest revision) or a Revision change queues the app, and
// each reconcile queues it again at the next window boundary.
//
// Run may be called again after it returned (a replica that won the Lease back): each run
// has its own queue and its own handlers, whose registration replays every cached Service.
type Controller struct {
	reconciler *Reconciler
	services   cache.SharedIndexInformer
	revisions  cache.SharedIndexInformer
	log        *slog.Logger
}

// New wires the controller; Run starts it. trail receives a record of each change.
func New(clients *kube.Clients, c *kube.Cache, trail Auditor, log *slog.Logger) *Controller {
	return &Controller{
		reconciler: &Reconciler{
			Services: c.Services, Revisions: c.Revisions, Audit: trail, Log: log, Now: time.Now,
			Apply: func(ctx context.Context, p *RevisionPatch) error { return clients.Apply(ctx, p) },
		},
		services:  c.ServiceInformer,
		revisions: c.RevisionInformer,
		log:       log,
	}
}

// Run reconciles until ctx ends, and returns once its workers have stopped.
func (c *Controller) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrash()
	queue := workqueue.NewTypedRateLimitingQueueWithConfig(retryLimiter(),
		workqueue.TypedRateLimitingQueueConfig[cache.ObjectName]{Name: "scaling"})
	defer queue.ShutDown()
	enqueueService := func(obj any) {
		if name, err := cache.DeletionHandlingObjectToName(obj); err == nil {
			queue.Add(name)
		}
	}
	enqueueRevision := func(obj any) {
		if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = tomb.Obj
		}
		if m, ok := obj.(metav1.Object); ok && m.GetLabels()[serving.ServiceLabelKey] != "" {
			queue.Add(cache.NewObjectName(m.GetNamespace(), m.GetLabels()[serving.ServiceLabelKey]))
		}
	}
	var synced []cache.InformerSynced
	for _, reg := range []struct {
		informer cache.SharedIndexInformer
		enqueue  func(any)
	}{{c.services, enqueueService}, {c.revisions, enqueueRevision}} {
		handle, err := reg.informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    reg.enqueue,
			UpdateFunc: func(_, obj any) { reg.enqueue(obj) },
			DeleteFunc: reg.enqueue,
		})
		if err != nil {
			c.log.Error("scaling reconciler not started", "err", err)
			return
		}
		defer reg.informer.RemoveEventHandler(handle)
		synced = append(synced, reg.informer.HasSynced, handle.HasSynced)
	}
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		return
	}
	c.log.Info("scaling reconciler started", "workers", workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.work(ctx, queue)
		}()
	}
	<-ctx.Done()
	queue.ShutDown()
	wg.Wait()
	c.log.Info("scaling reconciler stopped")
}

func (c *Controller) work(ctx context.Context, queue workqueue.TypedRateLimitingInterface[cache.ObjectName]) {
	for {
		key, quit := queue.Get()
		if quit {
			return
		}
		if ctx.Err() != nil { // stopping: what is left is the next leader's
			queue.Done(key)
			return
		}
		after, err := c.reconciler.Reconcile(ctx, key.Namespace, key.Name)
		if err != nil {
			c.log.Warn("scaling reconcile failed; retrying", "namespace", key.Namespace, "app", key.Name, "err", err)
			queue.AddRateLimited(key)
		} else {
			queue.Forget(key)
			if after > 0 {
				// The delaying queue keeps one pending add per app (the earliest).
				queue.AddAfter(key, after)
			}
		}
		queue.Done(key)
	}
}

// retryLimiter is client-go's default controller limiter with the per-item delay capped at
// 5 s: a window's change must not wait out minutes of backoff after an apiserver outage.
func retryLimiter() workqueue.TypedRateLimiter[cache.ObjectName] {
	return workqueue.NewTypedMaxOfRateLimiter(
		workqueue.NewTypedItemExponentialFailureRateLimiter[cache.ObjectName](5*time.Millisecond, 5*time.Second),
		&workqueue.TypedBucketRateLimiter[cache.ObjectName]{Limiter: rate.NewLimiter(rate.Limit(10), 100)},
	)
}
