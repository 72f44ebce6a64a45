// Package config loads platform-api's operator configuration: one YAML file, strict
// decoding, defaults filled in and every field checked before the server starts.
package config

import (
	"fmt"
	"os"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	"github.com/slipway-dev/slipway/pkg/logging"
	"github.com/slipway-dev/slipway/pkg/pipelines"
)

// Config is platform-api's configuration file.
type Config struct {
	// Listen is the address of the HTTP API, e.g. "127.0.0.1:8080".
	Listen string `json:"listen"`
	// Cluster names this cluster; it appears in the sls-{cluster} domain scheme.
	Cluster string `json:"cluster"`
	// Environments are the deploy targets every project gets, in display order.
	Environments []Environment `json:"environments"`
	// HistoryLimit caps the history entries kept on each app (oldest dropped first).
	HistoryLimit int `json:"historyLimit"`
	// ShutdownGrace bounds how long in-flight requests may run after a stop signal.
	ShutdownGrace Duration `json:"shutdownGrace"`
	// Domains describes the hosts apps get; it must agree with Knative's config-domain.
	Domains Domains `json:"domains"`
	// Routing configures the VirtualServices that enact header rules.
	Routing Routing `json:"routing"`
	// LeaderElection configures the Lease the reconcilers run under.
	LeaderElection LeaderElection `json:"leaderElection"`
	// Auth configures authentication and authorization.
	Auth Auth `json:"auth"`
	// Limits are the per-caller request rates.
	Limits Limits `json:"limits"`
	// Breaker protects the apiserver, and callers, when writes to it fail.
	Breaker Breaker `json:"breaker"`
	// Audit configures the audit trail.
	Audit Audit `json:"audit"`
	// Logging configures file-log collection: the pod-mutator reads it too.
	Logging logging.Config `json:"logging"`
	// Pipelines configures build-and-deploy runs on Argo Workflows; without a
	// platformURL they are off.
	Pipelines Pipelines `json:"pipelines"`
}

// Pipelines is the pipelines section (see pipelines.Config).
type Pipelines struct {
	// Namespace is where apps' pipelines (ConfigMaps) and hook credentials (Secrets) are
	// kept: platform-api's own, so it needs no right to other namespaces' Secrets.
	Namespace   string           `json:"namespace"`
	PlatformURL string           `json:"platformURL"`
	Registry    string           `json:"registry"`
	Images      pipelines.Images `json:"images"`
	KeepRuns    Duration         `json:"keepRuns"`
	// ResyncEvery is how often every project namespace with a pipeline is checked against
	// the standard template this configuration builds (and upgraded when it differs).
	ResyncEvery Duration `json:"resyncEvery"`
}

// Enabled reports whether runs may be started on this platform.
func (p Pipelines) Enabled() bool { return p.PlatformURL != "" }

// Config is the section in pipelines' terms.
func (p Pipelines) Config() pipelines.Config {
	return pipelines.Config{PlatformURL: p.PlatformURL, Registry: p.Registry, Images: p.Images, KeepRuns: p.KeepRuns.Duration}
}

// Domains are the two host schemes: Knative's {app}.{namespace}.{default} and the short
// {app}.sls-{cluster}.{base} for apps that opt in.
type Domains struct {
	// Default is Knative's default domain (config-domain's catch-all entry).
	Default string `json:"default"`
	// Base is the parent of the short scheme's sls-{cluster} domain.
	Base string `json:"base"`
	// ClusterDomain is the cluster's DNS suffix after "svc.".
	ClusterDomain string `json:"clusterDomain"`
}

// Routing configures Slipway-owned VirtualServices.
type Routing struct {
	// IngressGateway is the external gateway, namespace/name.
	IngressGateway string `json:"ingressGateway"`
	// LocalGatewayHost is the cluster-local gateway every route forwards to.
	LocalGatewayHost string `json:"localGatewayHost"`
	// Timeout, when set, bounds each routed request.
	Timeout Duration `json:"timeout"`
	// Retries, when set, retries routed requests.
	Retries *Retries `json:"retries,omitempty"`
}

// Retries configures Istio's HTTP retries.
type Retries struct {
	Attempts      int32    `json:"attempts"`
	PerTryTimeout Duration `json:"perTryTimeout"`
	RetryOn       string   `json:"retryOn"`
}

// Auth configures how callers are checked.
type Auth struct {
	// CacheTTL is how long a TokenReview or SubjectAccessReview answer is reused: a
	// revoked token or role keeps working at most this long.
	CacheTTL Duration `json:"cacheTTL"`
}

// Limits are token buckets: Rate requests per second on average, Burst at once.
type Limits struct {
	// PerUser applies to each authenticated caller's API requests.
	PerUser RateLimit `json:"perUser"`
	// Hooks applies to each Git hook's deliveries (tighter: they come from outside).
	Hooks RateLimit `json:"hooks"`
}

// RateLimit is one token bucket.
type RateLimit struct {
	Rate  float64 `json:"rate"`
	Burst int     `json:"burst"`
}

// Audit configures where the audit trail is kept.
type Audit struct {
	// Namespace holds the records (ConfigMaps).
	Namespace string `json:"namespace"`
	// MaxRecords is how many are kept; the oldest go first.
	MaxRecords int `json:"maxRecords"`
}

// Breaker configures the circuit breaker around writes to the Kubernetes API.
type Breaker struct {
	// Failures in a row open it.
	Failures uint32 `json:"failures"`
	// OpenFor is how long writes then fail fast with 503 before one is tried again.
	OpenFor Duration `json:"openFor"`
	// WriteTimeout bounds each write to the apiserver.
	WriteTimeout Duration `json:"writeTimeout"`
}

// LeaderElection configures the reconcilers' Lease.
type LeaderElection struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

// Environment is an operator-defined deploy target with its policy.
type Environment struct {
	Name string `json:"name"`
	// Description is shown to users.
	Description string `json:"description,omitempty"`
	// MinScale is the lowest min-scale an app may run with here; 0 allows scale to zero.
	MinScale int32 `json:"minScale"`
	// MaxScale, when set, caps the max-scale an app may ask for.
	MaxScale int32 `json:"maxScale,omitempty"`
}

// Duration reads "30s"-style durations from YAML.
type Duration struct{ time.Duration }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := yaml.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string like \"30s\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

func (d Duration) MarshalJSON() ([]byte, error) { return []byte(`"` + d.String() + `"`), nil }

// Load reads, defaults and validates the file at path.
func Load(path string) (*Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	return Parse(raw)
}

// Parse decodes strictly (unknown keys are errors), then defaults and validates.
func Parse(raw []byte) (*Config, error) {
	var c Config
	if err := yaml.UnmarshalStrict(raw, &c); err != nil {
		return nil, fmt.Errorf("parsing config: %w", err)
	}
	c.setDefaults()
	if errs := c.validate(); len(errs) > 0 {
		return nil, fmt.Errorf("invalid config: %w", errs.ToAggregate())
	}
	return &c, nil
}

func (c *Config) setDefaults() {
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8080"
	}
	if c.Limits.PerUser == (RateLimit{}) {
		c.Limits.PerUser = RateLimit{Rate: 20, Burst: 40}
	}
	if c.Limits.Hooks == (RateLimit{}) {
		c.Limits.Hooks = RateLimit{Rate: 1, Burst: 5}
	}
	if c.Audit.Namespace == "" {
		c.Audit.Namespace = "slipway-system"
	}
	if c.Audit.MaxRecords == 0 {
		c.Audit.MaxRecords = 10000
	}
	if c.Breaker.Failures == 0 {
		c.Breaker.Failures = 5
	}
	if c.Breaker.OpenFor.Duration == 0 {
		c.Breaker.OpenFor.Duration = 15 * time.Second
	}
	if c.Breaker.WriteTimeout.Duration == 0 {
		c.Breaker.WriteTimeout.Duration = 10 * time.Second
	}
	if c.Auth.CacheTTL.Duration == 0 {
		c.Auth.CacheTTL.Duration = 10 * time.Second
	}
	if c.HistoryLimit == 0 {
		c.HistoryLimit = 200
	}
	if c.ShutdownGrace.Duration == 0 {
		c.ShutdownGrace.Duration = 20 * time.Second
	}
	if c.Domains.ClusterDomain == "" {
		c.Domains.ClusterDomain = "cluster.local"
	}
	if c.Routing.IngressGateway == "" {
		c.Routing.IngressGateway = "knative-serving/knative-ingress-gateway"
	}
	if c.Routing.LocalGatewayHost == "" {
		c.Routing.LocalGatewayHost = "knative-local-gateway.istio-system.svc.cluster.local"
	}
	if c.LeaderElection.Namespace == "" {
		c.LeaderElection.Namespace = "slipway-system"
	}
	if c.LeaderElection.Name == "" {
		c.LeaderElection.Name = "slipway-reconcilers"
	}
	if c.Logging.HostRoot == "" {
		c.Logging.HostRoot = DefaultLogHostRoot
	}
	if c.Pipelines.Namespace == "" {
		c.Pipelines.Namespace = "slipway-system"
	}
	if c.Pipelines.ResyncEvery.Duration == 0 {
		c.Pipelines.ResyncEvery.Duration = 5 * time.Minute
	}
	if c.Pipelines.KeepRuns.Duration == 0 {
		c.Pipelines.KeepRuns.Duration = pipelines.DefaultKeepRuns
	}
}

// DefaultLogHostRoot is the node directory under which pods' log directories are made.
const DefaultLogHostRoot = "/var/log/slipway"

func (c *Config) validate() field.ErrorList {
	var errs field.ErrorList
	if c.Cluster == "" {
		errs = append(errs, field.Required(field.NewPath("cluster"), ""))
	} else if msgs := validation.IsDNS1123Label(c.Cluster); len(msgs) > 0 {
		errs = append(errs, field.Invalid(field.NewPath("cluster"), c.Cluster, msgs[0]))
	}
	if len(c.Environments) == 0 {
		errs = append(errs, field.Required(field.NewPath("environments"), "at least one environment"))
	}
	seen := map[string]bool{}
	for i, e := range c.Environments {
		p := field.NewPath("environments").Index(i)
		if msgs := validation.IsDNS1123Label(e.Name); len(msgs) > 0 {
			errs = append(errs, field.Invalid(p.Child("name"), e.Name, msgs[0]))
		}
		if seen[e.Name] {
			errs = append(errs, field.Duplicate(p.Child("name"), e.Name))
		}
		seen[e.Name] = true
		if e.MinScale < 0 {
			errs = append(errs, field.Invalid(p.Child("minScale"), e.MinScale, "must be >= 0"))
		}
		if e.MaxScale != 0 && e.MaxScale < e.MinScale {
			errs = append(errs, field.Invalid(p.Child("maxScale"), e.MaxScale, "must be >= minScale"))
		}
	}
	for _, d := range []struct {
		path  *field.Path
		value string
	}{
		{field.NewPath("domains", "default"), c.Domains.Default},
		{field.NewPath("domains", "base"), c.Domains.Base},
		{field.NewPath("domains", "clusterDomain"), c.Domains.ClusterDomain},
		{field.NewPath("routing", "localGatewayHost"), c.Routing.LocalGatewayHost},
	} {
		if d.value == "" {
			errs = append(errs, field.Required(d.path, ""))
		} else if msgs := validation.IsDNS1123Subdomain(d.value); len(msgs) > 0 {
			errs = append(errs, field.Invalid(d.path, d.value, msgs[0]))
		}
	}
	if ns, name, ok := strings.Cut(c.Routing.IngressGateway, "/"); !ok || len(validation.IsDNS1123Label(ns)) > 0 || len(validation.IsDNS1123Subdomain(name)) > 0 {
		errs = append(errs, field.Invalid(field.NewPath("routing", "ingressGateway"), c.Routing.IngressGateway, "must be namespace/name"))
	}
	if c.Pipelines.Enabled() {
		errs = append(errs, c.Pipelines.Config().Validate(field.NewPath("pipelines"))...)
		if c.Pipelines.ResyncEvery.Duration < time.Second {
			errs = append(errs, field.Invalid(field.NewPath("pipelines", "resyncEvery"), c.Pipelines.ResyncEvery.String(), "must be at least 1s"))
		}
	}
	if err := c.Logging.Validate(); err != nil {
		errs = append(errs, field.Invalid(field.NewPath("logging", "hostRoot"), c.Logging.HostRoot, err.Error()))
	}
	if c.Auth.CacheTTL.Duration < 0 || c.Auth.CacheTTL.Duration > 5*time.Minute {
		errs = append(errs, field.Invalid(field.NewPath("auth", "cacheTTL"), c.Auth.CacheTTL.String(), "must be between 0 and 5m"))
	}
	for name, l := range map[string]RateLimit{"perUser": c.Limits.PerUser, "hooks": c.Limits.Hooks} {
		if l.Rate <= 0 || l.Burst < 1 {
			errs = append(errs, field.Invalid(field.NewPath("limits", name), fmt.Sprintf("%+v", l), "rate must be > 0 and burst >= 1"))
		}
	}
	if c.Breaker.OpenFor.Duration < time.Second || c.Breaker.WriteTimeout.Duration < 100*time.Millisecond {
		errs = append(errs, field.Invalid(field.NewPath("breaker"), fmt.Sprintf("%+v", c.Breaker), "openFor must be >= 1s and writeTimeout >= 100ms"))
	}
	if c.Audit.MaxRecords < 100 {
		errs = append(errs, field.Invalid(field.NewPath("audit", "maxRecords"), c.Audit.MaxRecords, "must be >= 100"))
	}
	if msgs := validation.IsDNS1123Label(c.Audit.Namespace); len(msgs) > 0 {
		errs = append(errs, field.Invalid(field.NewPath("audit", "namespace"), c.Audit.Namespace, msgs[0]))
	}
	if c.HistoryLimit < 50 {
		errs = append(errs, field.Invalid(field.NewPath("historyLimit"), c.HistoryLimit, "must be >= 50"))
	}
	return errs
}

// Environment returns the named environment.
func (c *Config) Environment(name string) (Environment, bool) {
	for _, e := range c.Environments {
		if e.Name == name {
			return e, true
		}
	}
	return Environment{}, false
}

// Namespace is the namespace of a project in an environment.
func Namespace(project, env string) string { return project + "-" + env }
