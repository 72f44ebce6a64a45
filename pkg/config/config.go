// Package config loads platform-api's operator configuration: one YAML file, strict
// decoding, defaults filled in and every field checked before the server starts.
package config

import (
	"fmt"
	"os"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	"github.com/slipway-dev/slipway/pkg/api/ratelimit"
	"github.com/slipway-dev/slipway/pkg/audit"
	"github.com/slipway-dev/slipway/pkg/domains"
	"github.com/slipway-dev/slipway/pkg/environments"
	"github.com/slipway-dev/slipway/pkg/identity"
	"github.com/slipway-dev/slipway/pkg/kube"
	"github.com/slipway-dev/slipway/pkg/logging"
	"github.com/slipway-dev/slipway/pkg/pipelines"
	"github.com/slipway-dev/slipway/pkg/routing"
)

// Config is platform-api's configuration file. Each section's type belongs to the package
// that uses it, with its own defaults and checks; this package only reads the file.
type Config struct {
	// Listen is the address of the HTTP API, e.g. "127.0.0.1:8080".
	Listen string `json:"listen"`
	// Cluster names this cluster; it appears in the sls-{cluster} domain scheme.
	Cluster string `json:"cluster"`
	// Environments are the deploy targets every project gets, in display order.
	Environments environments.List `json:"environments"`
	// Promotion is the path releases are promoted along (environments' names in order).
	Promotion environments.Promotion `json:"promotion"`
	// HistoryLimit caps the history entries kept on each app (oldest dropped first).
	HistoryLimit int `json:"historyLimit"`
	// ShutdownGrace bounds how long in-flight requests may run after a stop signal.
	ShutdownGrace metav1.Duration `json:"shutdownGrace"`
	// Domains describes the hosts apps get; it must agree with Knative's config-domain.
	Domains domains.Domains `json:"domains"`
	// Routing configures the VirtualServices that enact header rules.
	Routing routing.Config `json:"routing"`
	// LeaderElection configures the Lease the reconcilers run under.
	LeaderElection kube.LeaderElection `json:"leaderElection"`
	// Auth configures authentication and authorization.
	Auth identity.Config `json:"auth"`
	// Limits are the per-caller request rates.
	Limits ratelimit.Config `json:"limits"`
	// Breaker protects the apiserver, and callers, when writes to it fail.
	Breaker kube.BreakerSettings `json:"breaker"`
	// Audit configures the audit trail.
	Audit audit.Config `json:"audit"`
	// Logging configures file-log collection: the pod-mutator reads it too.
	Logging logging.Config `json:"logging"`
	// Pipelines configures build-and-deploy runs on Argo Workflows; without a
	// platformURL they are off.
	Pipelines pipelines.Config `json:"pipelines"`
}

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
	if c.HistoryLimit == 0 {
		c.HistoryLimit = 200
	}
	if c.ShutdownGrace.Duration == 0 {
		c.ShutdownGrace.Duration = 20 * time.Second
	}
	c.Domains.Cluster = c.Cluster
	if c.Domains.ClusterDomain == "" {
		c.Domains.ClusterDomain = domains.DefaultClusterDomain
	}
	if c.Logging.HostRoot == "" {
		c.Logging.HostRoot = logging.DefaultHostRoot
	}
	c.Routing.SetDefaults()
	c.LeaderElection.SetDefaults()
	c.Auth.SetDefaults()
	c.Limits.SetDefaults()
	c.Breaker.SetDefaults()
	c.Audit.SetDefaults()
	c.Pipelines.SetDefaults()
}

func (c *Config) validate() field.ErrorList {
	var errs field.ErrorList
	if c.Cluster == "" {
		errs = append(errs, field.Required(field.NewPath("cluster"), ""))
	} else if msgs := validation.IsDNS1123Label(c.Cluster); len(msgs) > 0 {
		errs = append(errs, field.Invalid(field.NewPath("cluster"), c.Cluster, msgs[0]))
	}
	errs = append(errs, c.Environments.Validate(field.NewPath("environments"))...)
	errs = append(errs, c.Promotion.Validate(field.NewPath("promotion"), c.Environments)...)
	for _, d := range []struct {
		path  *field.Path
		value string
	}{
		{field.NewPath("domains", "default"), c.Domains.Default},
		{field.NewPath("domains", "base"), c.Domains.Base},
		{field.NewPath("domains", "clusterDomain"), c.Domains.ClusterDomain},
	} {
		if d.value == "" {
			errs = append(errs, field.Required(d.path, ""))
		} else if msgs := validation.IsDNS1123Subdomain(d.value); len(msgs) > 0 {
			errs = append(errs, field.Invalid(d.path, d.value, msgs[0]))
		}
	}
	errs = append(errs, c.Routing.Validate(field.NewPath("routing"))...)
	errs = append(errs, c.LeaderElection.Validate(field.NewPath("leaderElection"))...)
	if c.Pipelines.Enabled() {
		errs = append(errs, c.Pipelines.Validate(field.NewPath("pipelines"))...)
	}
	if err := c.Logging.Validate(); err != nil {
		errs = append(errs, field.Invalid(field.NewPath("logging", "hostRoot"), c.Logging.HostRoot, err.Error()))
	}
	errs = append(errs, c.Auth.Validate(field.NewPath("auth"))...)
	errs = append(errs, c.Limits.Validate(field.NewPath("limits"))...)
	errs = append(errs, c.Breaker.Validate(field.NewPath("breaker"))...)
	errs = append(errs, c.Audit.Validate(field.NewPath("audit"))...)
	if c.HistoryLimit < 50 {
		errs = append(errs, field.Invalid(field.NewPath("historyLimit"), c.HistoryLimit, "must be >= 50"))
	}
	return errs
}

// Environment returns the named environment.
func (c *Config) Environment(name string) (environments.Environment, bool) {
	return c.Environments.Find(name)
}
