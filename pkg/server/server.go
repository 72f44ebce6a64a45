// Package server assembles platform-api from its parts — caches, domain service, HTTP API
// and the leader-elected reconcilers — in one place, so cmd/platform-api and the integration
// tests run the same wiring.
package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/slipway-dev/slipway/pkg/api"
	"github.com/slipway-dev/slipway/pkg/apps"
	"github.com/slipway-dev/slipway/pkg/audit"
	"github.com/slipway-dev/slipway/pkg/config"
	"github.com/slipway-dev/slipway/pkg/domains"
	"github.com/slipway-dev/slipway/pkg/identity"
	"github.com/slipway-dev/slipway/pkg/kube"
	"github.com/slipway-dev/slipway/pkg/routing"
	"github.com/slipway-dev/slipway/pkg/routing/reconciler"
)

// Server is a wired platform-api.
type Server struct {
	Cache    *kube.Cache
	Audit    *audit.Store
	Platform *apps.Platform
	Handler  http.Handler

	cfg     *config.Config
	clients *kube.Clients
	routing *reconciler.Controller
	log     *slog.Logger
}

// New wires platform-api; nothing runs until Start.
// Callers are authenticated with TokenReview and authorized with SubjectAccessReview on the
// same apiserver.
func New(cfg *config.Config, clients *kube.Clients, log *slog.Logger) (*Server, error) {
	d := Domains(cfg)
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("domains configuration: %w", err)
	}
	if err := routing.Validate(RoutingConfig(cfg)); err != nil {
		return nil, fmt.Errorf("routing configuration: %w", err)
	}
	cache := kube.NewCache(clients, 10*time.Minute, cfg.Pipelines.Namespace)
	platform := apps.New(cfg, clients, cache, d, log)
	routingCtl, err := reconciler.New(clients, cache, d, RoutingConfig(cfg), log.With("component", "routing"))
	if err != nil {
		return nil, err
	}
	trail := audit.NewStore(clients.Kube, cfg.Audit.Namespace, cfg.Audit.MaxRecords, log)
	handler := api.New(api.Options{
		Platform: platform, Ready: cache.Synced, Logger: log, Audit: trail,
		Authenticator: identity.NewTokenAuthenticator(clients.Kube, cfg.Auth.CacheTTL.Duration),
		Authorizer:    identity.NewSARAuthorizer(clients.Kube, cfg.Auth.CacheTTL.Duration),
		RateLimit:     cfg.Limits.PerUser, HookRateLimit: cfg.Limits.Hooks,
	})
	return &Server{Cache: cache, Audit: trail, Platform: platform, Handler: handler, cfg: cfg, clients: clients, routing: routingCtl, log: log}, nil
}

// Start runs the caches and, under the Lease, the reconcilers until ctx ends. It returns once
// the caches have synced (or failed to).
func (s *Server) Start(ctx context.Context) error {
	if err := s.Cache.Start(ctx); err != nil {
		return err
	}
	if !s.Audit.Start(ctx) {
		return fmt.Errorf("audit trail: informer did not sync")
	}
	go kube.RunAsLeader(ctx, s.clients, s.cfg.LeaderElection.Namespace, s.cfg.LeaderElection.Name, s.log,
		func(ctx context.Context) {
			go s.Platform.ReconcilePipelineNamespaces(ctx)
			s.routing.Run(ctx, 2)
		})
	return nil
}

// Breaker is the circuit breaker's configuration, for kube.WithBreaker.
func Breaker(cfg *config.Config) kube.BreakerSettings {
	return kube.BreakerSettings{Failures: cfg.Breaker.Failures, OpenFor: cfg.Breaker.OpenFor.Duration, WriteTimeout: cfg.Breaker.WriteTimeout.Duration}
}

// Domains is the host scheme configuration.
func Domains(cfg *config.Config) domains.Domains {
	return domains.Domains{Cluster: cfg.Cluster, Base: cfg.Domains.Base, Default: cfg.Domains.Default, ClusterDomain: cfg.Domains.ClusterDomain}
}

// RoutingConfig is the VirtualService builder's configuration.
func RoutingConfig(cfg *config.Config) routing.Config {
	rc := routing.Config{
		Gateways:         []string{cfg.Routing.IngressGateway},
		LocalGatewayHost: cfg.Routing.LocalGatewayHost,
		Timeout:          cfg.Routing.Timeout.Duration,
	}
	if r := cfg.Routing.Retries; r != nil {
		rc.Retries = &routing.Retries{Attempts: r.Attempts, PerTryTimeout: r.PerTryTimeout.Duration, RetryOn: r.RetryOn}
	}
	return rc
}
