// Package server assembles platform-api from its parts — caches, domain services, HTTP API
// and the leader-elected reconcilers — in one place, so cmd/platform-api and the integration
// tests run the same wiring.
package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/slipway-dev/slipway/pkg/api"
	"github.com/slipway-dev/slipway/pkg/apps"
	"github.com/slipway-dev/slipway/pkg/audit"
	"github.com/slipway-dev/slipway/pkg/config"
	"github.com/slipway-dev/slipway/pkg/domains/claims"
	"github.com/slipway-dev/slipway/pkg/identity"
	"github.com/slipway-dev/slipway/pkg/kube"
	pipelinesreconciler "github.com/slipway-dev/slipway/pkg/pipelines/reconciler"
	"github.com/slipway-dev/slipway/pkg/pipelines/runs"
	"github.com/slipway-dev/slipway/pkg/projects"
	"github.com/slipway-dev/slipway/pkg/promotions"
	"github.com/slipway-dev/slipway/pkg/records"
	"github.com/slipway-dev/slipway/pkg/revisions"
	routingreconciler "github.com/slipway-dev/slipway/pkg/routing/reconciler"
	scalingreconciler "github.com/slipway-dev/slipway/pkg/scaling/reconciler"
	"github.com/slipway-dev/slipway/pkg/scaling/windows"
	"github.com/slipway-dev/slipway/pkg/schedules"
	schedulesreconciler "github.com/slipway-dev/slipway/pkg/schedules/reconciler"
)

// Server is a wired platform-api.
type Server struct {
	Cache    *kube.Cache
	Audit    *audit.Store
	Records  *records.Store
	Platform *apps.Platform
	Handler  http.Handler
	// Leader is this replica's leader election for the reconcilers.
	Leader *kube.Leader
	// Registry is what /metrics serves: HTTP, leader election, Go and process metrics.
	Registry *prometheus.Registry

	cfg        *config.Config
	clients    *kube.Clients
	routing    *routingreconciler.Controller
	scaling    *scalingreconciler.Controller
	pipelines  *pipelinesreconciler.Controller
	schedules  *schedulesreconciler.Controller
	projects   *projects.Projects
	promotions *promotions.Promotions
	log        *slog.Logger
}

// New wires platform-api from a loaded (defaulted and validated) configuration; nothing
// runs until Start. Callers are authenticated with TokenReview and authorized with
// SubjectAccessReview on the same apiserver.
func New(cfg *config.Config, clients *kube.Clients, log *slog.Logger) (*Server, error) {
	if err := cfg.Domains.Validate(); err != nil {
		return nil, fmt.Errorf("domains configuration: %w", err)
	}
	cache := kube.NewCache(clients, 10*time.Minute, cfg.Pipelines.Namespace)
	svc := NewServices(cfg, clients, cache, log)
	routingCtl, err := routingreconciler.New(clients, cache, cfg.Domains, cfg.Routing, log.With("component", "routing"))
	if err != nil {
		return nil, err
	}
	trail := audit.NewStore(clients.Kube, cfg.Audit.Namespace, cfg.Audit.MaxRecords, log)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	leader, err := kube.NewLeader(clients.Leases, cfg.LeaderElection, log.With("component", "leader"), reg)
	if err != nil {
		return nil, err
	}
	handler := api.New(api.Options{
		Projects: svc.Projects, Apps: svc.Apps, Runs: svc.Runs, Hooks: svc.Runs, Promotions: svc.Promotions, Schedules: svc.Schedules, Scaling: svc.Scaling,
		Ready: ready(cache, leader, log), Logger: log, Audit: trail, Registry: reg,
		// Reviews have a request budget of their own: a burst of writes cannot starve them.
		Authenticator: identity.NewTokenAuthenticator(clients.Reviews, cfg.Auth.CacheTTL.Duration),
		Authorizer:    identity.NewSARAuthorizer(clients.Reviews, cfg.Auth.CacheTTL.Duration),
		RateLimit:     cfg.Limits.PerUser, HookRateLimit: cfg.Limits.Hooks, InFlight: cfg.Limits.InFlight,
	})
	return &Server{Cache: cache, Audit: trail, Records: svc.Records, Platform: svc.Apps, Handler: handler, Leader: leader, Registry: reg,
		cfg: cfg, clients: clients, routing: routingCtl, pipelines: svc.PipelineNamespaces,
		schedules: schedulesreconciler.New(clients, cache, cfg.Environments, log.With("component", "schedules")),
		scaling:   scalingreconciler.New(clients, cache, trail, log.With("component", "scaling")), projects: svc.Projects, promotions: svc.Promotions, log: log}, nil
}

// resumeEvery is how often the leader looks for promotions a stopped replica left deploying.
const resumeEvery = 30 * time.Second

// ready is /readyz: the caches have synced and the leader election loop is healthy (see
// kube.Leader.Healthy), so a replica that would never reconcile again is not called ready.
// The reason is logged when readiness changes; /readyz itself answers only yes or no.
func ready(cache *kube.Cache, leader *kube.Leader, log *slog.Logger) func() bool {
	var was atomic.Bool
	return func() bool {
		if !cache.Synced() {
			return false
		}
		err := leader.Healthy()
		if ok := err == nil; was.Swap(ok) != ok {
			if ok {
				log.Info("ready")
			} else {
				log.Warn("not ready", "err", err)
			}
		}
		return err == nil
	}
}

// Services are the domain services over one set of clients and caches.
type Services struct {
	Records    *records.Store
	Projects   *projects.Projects
	Apps       *apps.Platform
	Runs       *runs.Runs
	Promotions *promotions.Promotions
	Schedules  *schedules.Service
	// Scaling is apps' scaling windows.
	Scaling *windows.Windows
	// PipelineNamespaces keeps each project namespace's pipeline objects (leader only).
	PipelineNamespaces *pipelinesreconciler.Controller
}

// NewServices wires the domain services; the HTTP layer and the tests take them from here.
func NewServices(cfg *config.Config, clients *kube.Clients, cache *kube.Cache, log *slog.Logger) Services {
	store := records.New(cfg.Environments, clients, cache)
	namespaces := pipelinesreconciler.New(clients, cache, cfg.Pipelines, log.With("component", "pipelines"))
	pipelineRuns := runs.New(cfg.Pipelines, cfg.Promotion, store, clients, cache, namespaces.Reconciler, log)
	var promoted *promotions.Promotions
	platform := apps.New(apps.Options{
		Records: store, Clients: clients, Cache: cache, Store: cfg.Pipelines.Namespace, Claims: claims.New(clients, cache, cfg.Domains), Domains: cfg.Domains,
		HistoryLimit: cfg.HistoryLimit, Source: pipelineRuns.Source,
		Promotions: func(t records.Target) []revisions.HistoryEntry { return promoted.HistoryFor(t) },
	})
	promoted = promotions.New(promotions.Options{Apps: platform, Records: store, Clients: clients, Cache: cache,
		Store: cfg.Pipelines.Namespace, Path: cfg.Promotion, Log: log.With("component", "promotions")})
	return Services{Records: store, Projects: projects.New(cfg.Environments, cfg.Logging, clients, cache),
		Apps: platform, Runs: pipelineRuns, Promotions: promoted, Schedules: schedules.New(store, clients), Scaling: windows.New(store, platform), PipelineNamespaces: namespaces}
}

// relabel brings the namespaces of projects created by an earlier version to what this one
// builds (Pod Security labels, the build namespace), retrying until it has or ctx ends.
func (s *Server) relabel(ctx context.Context) {
	_ = wait.PollUntilContextCancel(ctx, 10*time.Second, true, func(ctx context.Context) (bool, error) {
		if err := s.projects.Relabel(ctx); err != nil {
			s.log.Warn("project namespaces not relabelled; retrying", "err", err)
			return false, nil
		}
		return true, nil
	})
}

// Start runs the caches and, under the Lease, the relabelling of project namespaces and the
// reconcilers until ctx ends. It returns once
// the caches have synced (or failed to). A replica that loses the Lease stops its reconcilers
// and campaigns again.
func (s *Server) Start(ctx context.Context) error {
	// Every replica applies the roles, so a release that changes what a role may do reaches
	// bindings made before it (and a cluster where the chart's copy is older).
	for _, role := range identity.ClusterRoles() {
		if err := s.clients.Apply(ctx, role); err != nil {
			return fmt.Errorf("applying ClusterRole %s: %w", role.Name, err)
		}
	}
	if err := s.Cache.Start(ctx); err != nil {
		return err
	}
	if !s.Audit.Start(ctx) {
		return fmt.Errorf("audit trail: informer did not sync")
	}
	go s.Leader.Run(ctx, func(ctx context.Context) {
		// Both return when the Lease is lost; the Leader campaigns again only after they have.
		var wg sync.WaitGroup
		wg.Add(5)
		go func() {
			defer wg.Done()
			s.relabel(ctx)
		}()
		go func() {
			defer wg.Done()
			// A request's deploy ends within its timeout; a promotion deploying for longer
			// lost its replica mid-way.
			s.promotions.Resume(ctx, resumeEvery, 2*s.cfg.Limits.InFlight.RequestTimeout.Duration)
		}()
		go func() {
			defer wg.Done()
			s.pipelines.Run(ctx)
		}()
		go func() {
			defer wg.Done()
			s.schedules.Run(ctx, 2)
		}()
		go func() {
			defer wg.Done()
			s.scaling.Run(ctx, 1)
		}()
		s.routing.Run(ctx, 2)
		wg.Wait()
	})
	return nil
}
