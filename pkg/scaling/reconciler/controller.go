package reconciler

import (
	"context"
	"log/slog"
	"time"

	"k8s.io/client-go/tools/cache"
	"knative.dev/serving/pkg/apis/serving"

	"github.com/slipway-dev/slipway/pkg/kube"
)

// Controller feeds the Reconciler from the shared Service and Revision caches: a Service
// change (windows, traffic, a new latest revision) or a Revision change queues the app, and
// each reconcile queues it again at the next window boundary.
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
	kube.RunAppQueue(ctx, "scaling", workers, c.log, c.reconciler.Reconcile,
		kube.AppSource{Informer: c.services, Key: kube.ServiceKey},
		kube.AppSource{Informer: c.revisions, Key: kube.LabelKey(serving.ServiceLabelKey)})
}
