package reconciler

import (
	"context"
	"log/slog"
	"time"

	istioinformers "istio.io/client-go/pkg/informers/externalversions"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
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
type Controller struct {
	reconciler *Reconciler
	queue      workqueue.TypedRateLimitingInterface[cache.ObjectName]
	synced     []cache.InformerSynced
	start      func(<-chan struct{})
	log        *slog.Logger
}

// New wires the controller; Run starts it.
func New(clients *kube.Clients, c *kube.Cache, d domains.Domains, cfg routing.Config, log *slog.Logger) (*Controller, error) {
	factory := istioinformers.NewSharedInformerFactoryWithOptions(clients.Istio, 0,
		istioinformers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.LabelSelector = names.LabelManagedBy + "=" + names.ManagedBy
		}))
	vsInformer := factory.Networking().V1().VirtualServices()
	ctl := &Controller{
		reconciler: &Reconciler{
			Serving: clients.Serving, Istio: clients.Istio,
			Services: c.Services, VirtualServices: vsInformer.Lister(),
			Domains: d, Routing: cfg, Log: log,
		},
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[cache.ObjectName](),
			workqueue.TypedRateLimitingQueueConfig[cache.ObjectName]{Name: "routing"}),
		synced: []cache.InformerSynced{c.ServiceInformer.HasSynced, vsInformer.Informer().HasSynced},
		start:  factory.Start,
		log:    log,
	}
	enqueueService := func(obj any) {
		if name, err := cache.DeletionHandlingObjectToName(obj); err == nil {
			ctl.queue.Add(name)
		}
	}
	enqueueOwner := func(obj any) {
		if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = tomb.Obj
		}
		if m, ok := obj.(metav1.Object); ok && m.GetLabels()[names.LabelApp] != "" {
			ctl.queue.Add(cache.NewObjectName(m.GetNamespace(), m.GetLabels()[names.LabelApp]))
		}
	}
	for _, reg := range []struct {
		informer cache.SharedIndexInformer
		enqueue  func(any)
	}{{c.ServiceInformer, enqueueService}, {vsInformer.Informer(), enqueueOwner}} {
		if _, err := reg.informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    reg.enqueue,
			UpdateFunc: func(_, obj any) { reg.enqueue(obj) },
			DeleteFunc: reg.enqueue,
		}); err != nil {
			return nil, err
		}
	}
	return ctl, nil
}

// Run reconciles until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrash()
	defer c.queue.ShutDown()
	c.start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		return
	}
	c.log.Info("routing reconciler started", "workers", workers)
	for i := 0; i < workers; i++ {
		go wait.UntilWithContext(ctx, c.work, time.Second)
	}
	<-ctx.Done()
}

func (c *Controller) work(ctx context.Context) {
	for {
		key, quit := c.queue.Get()
		if quit {
			return
		}
		err := c.reconciler.Reconcile(ctx, key.Namespace, key.Name)
		if err != nil {
			c.log.Warn("routing reconcile failed; retrying", "namespace", key.Namespace, "app", key.Name, "err", err)
			c.queue.AddRateLimited(key)
		} else {
			c.queue.Forget(key)
		}
		c.queue.Done(key)
	}
}
