package podmutator

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-logr/logr"
	"github.com/open-policy-agent/cert-controller/pkg/rotator"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/slipway-dev/slipway/pkg/logging"
)

// Where the serving certificate comes from.
const (
	// CertsSelfManaged: cert-controller keeps CA and certificate in the
	// Registration's Secret and injects the caBundle.
	CertsSelfManaged = "self"
	// CertsFromFiles: CertDir is filled by someone else (cert-manager).
	CertsFromFiles = "files"
)

// Options configure Run.
type Options struct {
	Registration Registration
	Logging      logging.Config
	// Host and Port are where the webhook listens; Host "" is every interface.
	Host string
	Port int
	// CertDir holds CertName and KeyName (the Secret, mounted).
	CertDir           string
	CertName, KeyName string
	Certs             string
	// MetricsAddr serves /metrics, HealthAddr /healthz and /readyz; "0" turns one off.
	MetricsAddr, HealthAddr string
	// Self-managed certificates: lifetime of the serving certificate, how long
	// before its expiry it is renewed, and how often that is checked. Zero
	// takes cert-controller's defaults (1 year, 90 days, 12 hours).
	ServerCertDuration, RenewBefore, RotationCheckEvery time.Duration
	Logger                                              *slog.Logger
}

func (o *Options) setDefaults() {
	if o.CertName == "" {
		o.CertName = "tls.crt"
	}
	if o.KeyName == "" {
		o.KeyName = "tls.key"
	}
	if o.Certs == "" {
		o.Certs = CertsSelfManaged
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

func (o *Options) validate() error {
	if err := o.Logging.Validate(); err != nil {
		return err
	}
	if o.Certs != CertsSelfManaged && o.Certs != CertsFromFiles {
		return fmt.Errorf("certs %q: want %q or %q", o.Certs, CertsSelfManaged, CertsFromFiles)
	}
	if o.CertDir == "" {
		return errors.New("cert dir: required")
	}
	if o.Registration.Name == "" || o.Registration.Namespace == "" {
		return errors.New("registration: name and namespace required")
	}
	return nil
}

// Run serves the webhook until ctx ends.
func Run(ctx context.Context, cfg *rest.Config, o Options) error {
	o.setDefaults()
	if err := o.validate(); err != nil {
		return err
	}
	ctrllog.SetLogger(logr.FromSlogHandler(o.Logger.Handler()))
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return err
	}
	mgr, err := manager.New(cfg, manager.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: o.MetricsAddr},
		HealthProbeBindAddress: o.HealthAddr,
		// Only the certificate Secret is read, and only in our namespace.
		Cache: cache.Options{ByObject: map[client.Object]cache.ByObject{
			&corev1.Secret{}: {Namespaces: map[string]cache.Config{o.Registration.Namespace: {}}},
		}},
	})
	if err != nil {
		return err
	}
	m, err := NewMetrics(metrics.Registry)
	if err != nil {
		return err
	}
	handler := &Handler{
		Config:     o.Logging,
		Namespaces: namespaceLookup(mgr.GetClient(), mgr.GetAPIReader()),
		Decoder:    admission.NewDecoder(scheme),
		Metrics:    m,
	}
	server := newWebhookServer(o, handler)

	certsReady := make(chan struct{})
	switch o.Certs {
	case CertsSelfManaged:
		r := o.Registration
		if err := rotator.AddRotator(mgr, &rotator.CertRotator{
			SecretKey:              types.NamespacedName{Namespace: r.Namespace, Name: r.SecretName()},
			CertDir:                o.CertDir,
			CertName:               o.CertName,
			KeyName:                o.KeyName,
			CAName:                 r.Name + "-ca",
			CAOrganization:         "slipway",
			DNSName:                r.DNSName(),
			IsReady:                certsReady,
			Webhooks:               []rotator.WebhookInfo{{Name: r.Name, Type: rotator.Mutating}},
			FieldOwner:             "slipway-pod-mutator",
			ServerCertDuration:     o.ServerCertDuration,
			LookaheadInterval:      o.RenewBefore,
			RotationCheckFrequency: o.RotationCheckEvery,
			EnableReadinessCheck:   true,
		}); err != nil {
			return fmt.Errorf("certificate rotator: %w", err)
		}
	case CertsFromFiles:
		close(certsReady)
	}
	// The server reads the certificate files when it starts, so it starts
	// once the rotator has written them (self-managed) or at once (files).
	go func() {
		select {
		case <-certsReady:
			if err := mgr.Add(server); err != nil {
				o.Logger.Error("adding the webhook server", "err", err)
			}
		case <-ctx.Done():
		}
	}()
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("certificates", func(*http.Request) error {
		select {
		case <-certsReady:
			return nil
		default:
			return errors.New("certificates not ready")
		}
	}); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("webhook", server.StartedChecker()); err != nil {
		return err
	}
	o.Logger.Info("pod-mutator starting", "port", o.Port, "certs", o.Certs, "hostRoot", o.Logging.HostRoot)
	return mgr.Start(ctx)
}

// newWebhookServer is the HTTPS server the apiserver calls, serving handler at Path.
func newWebhookServer(o Options, handler admission.Handler) webhook.Server {
	server := webhook.NewServer(webhook.Options{
		Host: o.Host, Port: o.Port, CertDir: o.CertDir, CertName: o.CertName, KeyName: o.KeyName,
		TLSOpts: []func(*tls.Config){func(c *tls.Config) {
			c.MinVersion = tls.VersionTLS12
			// HTTP/2 is off: the apiserver does not need it, and it has
			// had stream-flood flaws a webhook on the pod path cannot afford.
			c.NextProtos = []string{"http/1.1"}
		}},
	})
	server.Register(Path, &webhook.Admission{Handler: handler})
	return server
}

// namespaceLookup reads namespace labels from a metadata-only informer, and
// from the apiserver when the informer has not seen a namespace created a
// moment ago.
func namespaceLookup(cached client.Reader, live client.Reader) NamespaceLookup {
	return func(ctx context.Context, name string) (map[string]string, error) {
		ns := &metav1.PartialObjectMetadata{}
		ns.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Namespace"))
		err := cached.Get(ctx, types.NamespacedName{Name: name}, ns)
		if apierrors.IsNotFound(err) {
			err = live.Get(ctx, types.NamespacedName{Name: name}, ns)
		}
		if err != nil {
			return nil, fmt.Errorf("namespace %q: %w", name, err)
		}
		return ns.GetLabels(), nil
	}
}
