package reconciler

import (
	"context"
	"log/slog"
	"time"

	istioclient "istio.io/client-go/pkg/clientset/versioned"
	istioinformers "istio.io/client-go/pkg/informers/externalversions"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

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

// Run reconciles until ctx ends, and returns once its workers have stopped. Each run has its
// own VirtualService informer (kube.RunAppQueue says why a run may come again).
func (c *Controller) Run(ctx context.Context, workers int) {
	factory := istioinformers.NewSharedInformerFactoryWithOptions(c.istio, 0,
		istioinformers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.LabelSelector = names.LabelManagedBy + "=" + names.ManagedBy
		}))
	vsInformer := factory.Networking().V1().VirtualServices()
	reconciler := *c.reconciler
	reconciler.VirtualServices = vsInformer.Lister()
	informer := vsInformer.Informer()
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	kube.RunAppQueue(ctx, "routing", workers, c.log,
		func(ctx context.Context, namespace, app string) (time.Duration, error) {
			return 0, reconciler.Reconcile(ctx, namespace, app)
		},
		kube.AppSource{Informer: c.services, Key: kube.ServiceKey},
		kube.AppSource{Informer: informer, Key: kube.LabelKey(names.LabelApp)})
}
