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

	"github.com/slipway-dev/slipway/pkg/config"
	"github.com/slipway-dev/slipway/pkg/kube"
	"github.com/slipway-dev/slipway/pkg/server"
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
	clients, err := kube.NewClients(restConfig, cfg.Breaker)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	platform, err := server.New(cfg, clients, log)
	if err != nil {
		return err
	}
	cacheErr := make(chan error, 1)
	go func() { cacheErr <- platform.Start(ctx) }()
	defer platform.Cache.Shutdown()
	handler := platform.Handler
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
