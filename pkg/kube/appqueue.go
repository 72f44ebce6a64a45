package kube

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
)

// AppSource is an informer whose events queue an app: Key names the app an object belongs to
// (false: none).
type AppSource struct {
	Informer cache.SharedIndexInformer
	Key      func(obj any) (cache.ObjectName, bool)
}

// ServiceKey keys an app's Knative Service by its own name.
func ServiceKey(obj any) (cache.ObjectName, bool) {
	name, err := cache.DeletionHandlingObjectToName(obj)
	return name, err == nil
}

// LabelKey keys an object by the app its label names: what Slipway derives from an app
// (VirtualServices, PingSources) or Knative does (Revisions).
func LabelKey(label string) func(obj any) (cache.ObjectName, bool) {
	return func(obj any) (cache.ObjectName, bool) {
		if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = tomb.Obj
		}
		m, ok := obj.(metav1.Object)
		if !ok || m.GetLabels()[label] == "" {
			return cache.ObjectName{}, false
		}
		return cache.NewObjectName(m.GetNamespace(), m.GetLabels()[label]), true
	}
}

// AppReconcile brings one app in line; after > 0 asks to look again then (a clock
// boundary) even if nothing changes.
type AppReconcile func(ctx context.Context, namespace, app string) (after time.Duration, err error)

// RunAppQueue is the loop Slipway's leader-elected reconcilers share: every event of sources
// queues its app, workers reconcile each app one at a time, failures are retried with
// capped backoff (AppRetryLimiter). It waits for the sources and its handlers to sync,
// and returns once ctx ended and its workers stopped.
//
// It may be called again after it returned (a replica that lost the Lease and won it
// back): each call has its own queue and its own handlers, whose registration replays every
// object the informers hold, so a new run reconciles every app, including those changed
// while another replica led.
func RunAppQueue(ctx context.Context, name string, workers int, log *slog.Logger, reconcile AppReconcile, sources ...AppSource) {
	defer utilruntime.HandleCrash()
	queue := workqueue.NewTypedRateLimitingQueueWithConfig(AppRetryLimiter(),
		workqueue.TypedRateLimitingQueueConfig[cache.ObjectName]{Name: name})
	defer queue.ShutDown()
	var synced []cache.InformerSynced
	for _, src := range sources {
		enqueue := func(obj any) {
			if key, ok := src.Key(obj); ok {
				queue.Add(key)
			}
		}
		handle, err := src.Informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    enqueue,
			UpdateFunc: func(_, obj any) { enqueue(obj) },
			DeleteFunc: enqueue,
		})
		if err != nil {
			log.Error(name+" reconciler not started", "err", err)
			return
		}
		defer src.Informer.RemoveEventHandler(handle)
		synced = append(synced, src.Informer.HasSynced, handle.HasSynced)
	}
	// An informer whose CRD is missing never syncs: the reconciler waits instead of failing
	// platform-api (client-go logs the failed lists).
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		return
	}
	log.Info(name+" reconciler started", "workers", workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work(ctx, name, queue, reconcile, log)
		}()
	}
	<-ctx.Done()
	queue.ShutDown()
	wg.Wait()
	log.Info(name + " reconciler stopped")
}

func work(ctx context.Context, name string, queue workqueue.TypedRateLimitingInterface[cache.ObjectName], reconcile AppReconcile, log *slog.Logger) {
	for {
		key, quit := queue.Get()
		if quit {
			return
		}
		if ctx.Err() != nil { // stopping: what is left is the next leader's
			queue.Done(key)
			return
		}
		after, err := reconcile(ctx, key.Namespace, key.Name)
		if err != nil {
			log.Warn(name+" reconcile failed; retrying", "namespace", key.Namespace, "app", key.Name, "err", err)
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

// MaxAppRetryDelay bounds the wait before an app's failed reconcile is tried again.
// client-go's default doubles it up to 1000 s: through an apiserver outage, with the write
// breaker failing every try at once, an app would double its way to minutes and keep its
// stale derived objects long after the apiserver is back.
const MaxAppRetryDelay = 5 * time.Second

// AppRetryLimiter is client-go's default controller limiter (per-item exponential backoff,
// overall token bucket) with the per-item delay capped at MaxAppRetryDelay.
func AppRetryLimiter() workqueue.TypedRateLimiter[cache.ObjectName] {
	return workqueue.NewTypedMaxOfRateLimiter(
		workqueue.NewTypedItemExponentialFailureRateLimiter[cache.ObjectName](5*time.Millisecond, MaxAppRetryDelay),
		&workqueue.TypedBucketRateLimiter[cache.ObjectName]{Limiter: rate.NewLimiter(rate.Limit(10), 100)},
	)
}
