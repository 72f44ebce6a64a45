package reconciler

import (
	"context"
	"log/slog"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
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

// Run reconciles until ctx ends, and returns once its workers have stopped. Each run has its
// own PingSource informer (kube.RunAppQueue says why a run may come again); without
// Eventing's CRDs it never syncs and the reconciler waits.
func (c *Controller) Run(ctx context.Context, workers int) {
	factory := eventinginformers.NewSharedInformerFactoryWithOptions(c.eventing, 0,
		eventinginformers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.LabelSelector = names.LabelManagedBy + "=" + names.ManagedBy
		}))
	psInformer := factory.Sources().V1().PingSources()
	reconciler := *c.reconciler
	reconciler.PingSources = psInformer.Lister()
	informer := psInformer.Informer()
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	kube.RunAppQueue(ctx, "schedules", workers, c.log,
		func(ctx context.Context, namespace, app string) (time.Duration, error) {
			return 0, reconciler.Reconcile(ctx, namespace, app)
		},
		kube.AppSource{Informer: c.services, Key: kube.ServiceKey},
		kube.AppSource{Informer: informer, Key: kube.LabelKey(names.LabelApp)})
}
