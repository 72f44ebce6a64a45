// Command platform-api serves Slipway's REST API.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/slipway-dev/slipway/pkg/api"
	"github.com/slipway-dev/slipway/pkg/apps"
	"github.com/slipway-dev/slipway/pkg/config"
	"github.com/slipway-dev/slipway/pkg/kube"
)

func main() {
	configPath := flag.String("config", "/etc/slipway/config.yaml", "platform-api configuration file")
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig file; empty means in-cluster")
	flag.Parse()
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if err := run(*configPath, *kubeconfig, log); err != nil {
		log.Error("platform-api stopped", "err", err)
		os.Exit(1)
	}
}

func run(configPath, kubeconfig string, log *slog.Logger) error {
	cfg, err := config.Load(configPath)
	if err != nil {
		return err
	}
	restConfig, err := kube.RESTConfig(kubeconfig)
	if err != nil {
		return err
	}
	clients, err := kube.NewClients(restConfig)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	cache := kube.NewCache(clients, 10*time.Minute)
	cacheErr := make(chan error, 1)
	go func() { cacheErr <- cache.Start(ctx) }()
	defer cache.Shutdown()

	handler := api.New(api.Options{
		Platform:      apps.New(cfg, clients, cache, log),
		Ready:         cache.Synced,
		Authenticator: api.FixedIdentity{Name: cfg.DevIdentity},
		Logger:        log,
	})
	srv := &http.Server{Addr: cfg.Listen, Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.ListenAndServe() }()
	log.Info("platform-api listening", "addr", cfg.Listen, "environments", len(cfg.Environments))

wait:
	for {
		select {
		case err := <-serveErr:
			return fmt.Errorf("serving: %w", err)
		case err := <-cacheErr:
			if err != nil && ctx.Err() == nil {
				return err
			}
			cacheErr = nil // synced; a nil channel is never selected again
		case <-ctx.Done():
			break wait
		}
	}
	log.Info("shutting down", "grace", cfg.ShutdownGrace.Duration)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace.Duration)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
