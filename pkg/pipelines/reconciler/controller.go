package reconciler

import (
	"context"
	"log/slog"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/slipway-dev/slipway/pkg/kube"
	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/pipelines"
)

// Controller feeds the Reconciler every pipelines.resyncEvery with each project that has a
// pipeline (from the cache of the platform's namespace). WorkflowTemplates are not watched,
// so a hand edit is healed at the next resync, or on the next run's start.
type Controller struct {
	Reconciler *Reconciler
	cache      *kube.Cache
	cfg        pipelines.Config
	log        *slog.Logger
}

// New wires the controller; Run starts it.
func New(clients *kube.Clients, c *kube.Cache, cfg pipelines.Config, log *slog.Logger) *Controller {
	return &Controller{Reconciler: &Reconciler{Clients: clients, Config: cfg, Log: log}, cache: c, cfg: cfg, log: log}
}

// Run reconciles until ctx ends; it runs under the reconcilers' Lease. With pipelines off it
// returns at once.
func (c *Controller) Run(ctx context.Context) {
	if !c.cfg.Enabled() {
		return
	}
	wait.UntilWithContext(ctx, c.resync, c.cfg.ResyncEvery.Duration)
}

func (c *Controller) resync(ctx context.Context) {
	stored, err := c.cache.ConfigMaps.ConfigMaps(c.cfg.Namespace).List(labels.SelectorFromSet(labels.Set{names.LabelKind: names.KindPipeline}))
	if err != nil {
		c.log.Warn("listing pipelines", "err", err)
		return
	}
	for _, pr := range Projects(stored) {
		if _, err := c.cache.Namespaces.Get(names.BuildNamespace(pr.Name)); err != nil {
			continue // the project is gone (or platform-api has not relabelled it yet)
		}
		var envs []string
		for _, env := range pr.Envs {
			if _, err := c.cache.Namespaces.Get(names.Namespace(pr.Name, env)); err == nil {
				envs = append(envs, env)
			}
		}
		if err := c.Reconciler.Reconcile(ctx, pr.Name, envs); err != nil {
			c.log.Warn("pipeline objects not reconciled; retrying at the next resync", "project", pr.Name, "err", err)
		}
	}
}
