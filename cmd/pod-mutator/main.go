// Command pod-mutator is the mutating admission webhook that gives the pods of
// apps with logPaths their hostPath log volume. The mutation lives in
// pkg/logging, the serving in pkg/podmutator; this file only reads flags and
// the platform configuration (its logging section).
package main

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/slipway-dev/slipway/pkg/config"
	"github.com/slipway-dev/slipway/pkg/kube"
	"github.com/slipway-dev/slipway/pkg/podmutator"
)

func main() {
	reg := podmutator.DefaultRegistration()
	o := podmutator.Options{}
	configPath := flag.String("config", "/etc/slipway/config.yaml", "Slipway configuration file (its logging section: hostRoot)")
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig file; empty means in-cluster")
	flag.StringVar(&reg.Name, "name", reg.Name, "name of the MutatingWebhookConfiguration and the Service; the certificate Secret is {name}-certs")
	flag.StringVar(&reg.Namespace, "namespace", envOr("POD_NAMESPACE", reg.Namespace), "namespace of the Service and the certificate Secret")
	flag.StringVar(&o.Host, "host", "", "address the webhook listens on; empty means every interface")
	flag.IntVar(&o.Port, "port", 9443, "port the webhook listens on")
	flag.StringVar(&o.CertDir, "cert-dir", "/etc/slipway/webhook-certs", "directory holding tls.crt and tls.key (the certificate Secret, mounted)")
	flag.StringVar(&o.Certs, "certs", podmutator.CertsSelfManaged, `"self": keep CA and certificate in the Secret and inject the caBundle; "files": use cert-dir as given (cert-manager)`)
	flag.StringVar(&o.MetricsAddr, "metrics-addr", ":8080", `address of /metrics; "0" turns it off`)
	flag.StringVar(&o.HealthAddr, "health-addr", ":8081", `address of /healthz and /readyz; "0" turns it off`)
	flag.DurationVar(&o.ServerCertDuration, "server-cert-duration", 0, "lifetime of a self-managed serving certificate (0: one year)")
	flag.DurationVar(&o.RenewBefore, "renew-before", 0, "renew a self-managed serving certificate this long before it expires (0: 90 days)")
	flag.DurationVar(&o.RotationCheckEvery, "rotation-check-every", 0, "how often expiry is checked (0: 12 hours)")
	flag.Parse()
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	cfg, err := config.Load(*configPath)
	if err != nil {
		log.Error("pod-mutator: configuration", "err", err)
		os.Exit(2)
	}
	restConfig, err := kube.RESTConfig(*kubeconfig)
	if err != nil {
		log.Error("pod-mutator: kubeconfig", "err", err)
		os.Exit(2)
	}
	o.Registration, o.Logging, o.Logger = reg, cfg.Logging, log
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := podmutator.Run(ctx, restConfig, o); err != nil {
		log.Error("pod-mutator stopped", "err", err)
		os.Exit(1)
	}
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}
