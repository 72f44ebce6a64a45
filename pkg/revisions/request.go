package revisions

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/slipway-dev/slipway/pkg/domains"
	"github.com/slipway-dev/slipway/pkg/environments"
	"github.com/slipway-dev/slipway/pkg/logging"
)

// MaxAppNameLength leaves room in 63-character DNS labels for the revision suffix and tag
// hosts ({tag}-{app}).
const MaxAppNameLength = 40

// MaxMessageLength bounds the message kept on revisions and in history.
const MaxMessageLength = 500

// Strategy types for a deploy.
const (
	StrategyReplace = "replace"
	StrategyCanary  = "canary"
	StrategyHeader  = "header"
)

// DeployRequest is the body of POST …/deployments.
type DeployRequest struct {
	Image     string         `json:"image"`
	Port      int32          `json:"port,omitempty"`
	Env       []EnvVar       `json:"env,omitempty"`
	Resources *ResourcesSpec `json:"resources,omitempty"`
	Scaling   *Scaling       `json:"scaling,omitempty"`
	Strategy  *Strategy      `json:"strategy,omitempty"`
	Message   string         `json:"message,omitempty"`
	// LogPaths opts the revision's pods in to file-log collection: the
	// pod-mutator mounts a node directory at each path (see pkg/logging).
	LogPaths []logging.LogPath `json:"logPaths,omitempty"`
	// Domain picks the host scheme: "default" ({app}.{namespace}.{domain}) or "short"
	// ({app}.sls-{cluster}.{base}); empty keeps the app's current one.
	Domain string `json:"domain,omitempty"`
	// PipelineRun names the pipeline run (in the app's namespace) making this deploy; the
	// revision then records the run and the commit the run checked out.
	PipelineRun string `json:"pipelineRun,omitempty"`
	// BreakGlass deploys straight into an environment reached only by promotion; it needs
	// the breakGlass right there and is recorded on the revision and in the audit trail.
	BreakGlass *BreakGlass `json:"breakGlass,omitempty"`
}

func strategyType(s *Strategy) string {
	if s == nil || s.Type == "" {
		return StrategyReplace
	}
	return s.Type
}

// BreakGlass is a documented exception to an environment's promotion policy.
type BreakGlass struct {
	// Reason says why the policy is skipped (required).
	Reason string `json:"reason"`
}

// Validate checks the reason at path p.
func (b *BreakGlass) Validate(p *field.Path) field.ErrorList {
	if b == nil {
		return nil
	}
	switch {
	case strings.TrimSpace(b.Reason) == "":
		return field.ErrorList{field.Required(p.Child("reason"), "say why the policy is skipped")}
	case len(b.Reason) > MaxMessageLength:
		return field.ErrorList{field.TooLong(p.Child("reason"), "", MaxMessageLength)}
	}
	return nil
}

// Host scheme names in requests.
const (
	DomainDefault = "default"
	DomainShort   = "short"
)

// SchemeFor resolves the request's domain against the app's current scheme.
func (r DeployRequest) SchemeFor(current domains.Scheme) domains.Scheme {
	switch r.Domain {
	case DomainShort:
		return domains.SchemeShort
	case DomainDefault:
		return domains.SchemeDefault
	}
	return current
}

// EnvVar is a plain environment variable of the app's container.
type EnvVar struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// ResourcesSpec holds Kubernetes quantities, e.g. {"requests":{"cpu":"100m"}}.
type ResourcesSpec struct {
	Requests map[string]string `json:"requests,omitempty"`
	Limits   map[string]string `json:"limits,omitempty"`
}

// Scaling holds the autoscaler's knobs, each rendered as Knative's own annotation on the
// revision template (containerConcurrency in its spec). Slipway leaves the autoscaler class to
// the cluster's default: under the KPA class every knob applies; under the HPA class (the dev
// stack) metric concurrency|rps needs a custom-metrics adapter, and targetUtilization and
// scaleDownDelay are not used (Knative's webhook still accepts them).
type Scaling struct {
	MinScale *int32 `json:"minScale,omitempty"`
	MaxScale *int32 `json:"maxScale,omitempty"`
	// InitialScale is how many pods a new revision starts with (Knative's initial-scale).
	InitialScale *int32 `json:"initialScale,omitempty"`
	// Target is what the autoscaler aims for per pod, in the metric's unit (concurrent
	// requests, requests per second; CPU percent under the HPA class's default metric).
	Target *int32 `json:"target,omitempty"`
	// Metric is concurrency or rps (Knative's metric annotation).
	Metric string `json:"metric,omitempty"`
	// TargetUtilization is the percentage of target the autoscaler aims to use, 1 to 100.
	TargetUtilization *int32 `json:"targetUtilization,omitempty"`
	// ScaleDownDelay holds pods this long before scaling down, a Go duration 0s to 1h.
	ScaleDownDelay string `json:"scaleDownDelay,omitempty"`
	// Window is the autoscaler's stable window, a Go duration 6s to 1h.
	Window string `json:"window,omitempty"`
	// ContainerConcurrency caps requests in flight per pod, 0 (no cap) to 1000.
	ContainerConcurrency *int64 `json:"containerConcurrency,omitempty"`
}

// Metrics a deploy may choose; Knative's KPA class knows exactly these two.
const (
	MetricConcurrency = "concurrency"
	MetricRPS         = "rps"
)

// Bounds Knative's own validation applies (knative.dev/serving pkg/apis/autoscaling:
// WindowMin, WindowMax; config-defaults container-concurrency-max-limit's default).
const (
	WindowMin               = 6 * time.Second
	WindowMax               = time.Hour
	MaxContainerConcurrency = 1000
)

// Strategy says how traffic moves to the new revision.
type Strategy struct {
	// Type is replace (default), canary or header.
	Type string `json:"type"`
	// Percent is the canary's share.
	Percent *int64 `json:"percent,omitempty"`
	// Match selects the requests a header deploy receives.
	Match *Match `json:"match,omitempty"`
	// Lane is shorthand for a match on header x-slipway-lane.
	Lane string `json:"lane,omitempty"`
	// Tag names the new revision's tag for a header deploy (default: from the revision).
	Tag string `json:"tag,omitempty"`
}

// TrafficRequest is the body of PUT …/traffic.
type TrafficRequest struct {
	Targets []Target `json:"targets"`
	Rules   []Rule   `json:"rules,omitempty"`
	Message string   `json:"message,omitempty"`
}

// RollbackRequest is the body of POST …/rollback.
type RollbackRequest struct {
	Revision string `json:"revision"`
	Message  string `json:"message,omitempty"`
}

var resourceNames = map[string]bool{"cpu": true, "memory": true, "ephemeral-storage": true}

// Knative listens on these ports itself (queue-proxy, metrics, profiling) and sets the
// variables in environments.ReservedEnv; its webhook refuses them, so Slipway refuses them up
// front with the request's field names.
var reservedPorts = map[int32]bool{8012: true, 8013: true, 8022: true, 9090: true, 9091: true, 8008: true}

// ValidateName checks a project or app name. Names must be DNS-1035 labels (starting with a
// letter): Knative rejects Services whose names start with a digit.
func ValidateName(p *field.Path, v string, maxLen int) field.ErrorList {
	if v == "" {
		return field.ErrorList{field.Required(p, "")}
	}
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1035Label(v) {
		errs = append(errs, field.Invalid(p, v, msg))
	}
	if len(v) > maxLen {
		errs = append(errs, field.TooLong(p, v, maxLen))
	}
	return errs
}

// Validate checks a deploy against the environment's policy. Paths are the request's JSON.
func (r DeployRequest) Validate(env environments.Environment) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, validateImage(field.NewPath("image"), r.Image)...)
	if r.PipelineRun != "" {
		for _, msg := range validation.IsDNS1123Subdomain(r.PipelineRun) {
			errs = append(errs, field.Invalid(field.NewPath("pipelineRun"), r.PipelineRun, msg))
		}
	}
	if r.Port != 0 && (r.Port < 1 || r.Port > 65535) {
		errs = append(errs, field.Invalid(field.NewPath("port"), r.Port, "must be between 1 and 65535"))
	} else if reservedPorts[r.Port] {
		errs = append(errs, field.Invalid(field.NewPath("port"), r.Port, "is reserved by Knative's queue-proxy"))
	}
	seen := map[string]bool{}
	for i, e := range r.Env {
		p := field.NewPath("env").Index(i).Child("name")
		for _, msg := range validation.IsEnvVarName(e.Name) {
			errs = append(errs, field.Invalid(p, e.Name, msg))
		}
		if environments.ReservedEnv[e.Name] {
			errs = append(errs, field.Forbidden(p, e.Name+" is set by Knative"))
		}
		if _, overlay := env.Overlay(e.Name); overlay {
			errs = append(errs, field.Forbidden(p, e.Name+" is set by environment "+env.Name))
		}
		if seen[e.Name] {
			errs = append(errs, field.Duplicate(p, e.Name))
		}
		seen[e.Name] = true
	}
	if r.Resources != nil {
		_, rerrs := r.Resources.toKubernetes(field.NewPath("resources"))
		errs = append(errs, rerrs...)
	}
	if r.Scaling != nil {
		errs = append(errs, r.Scaling.validate(field.NewPath("scaling"), env)...)
	}
	if r.Strategy != nil {
		errs = append(errs, r.Strategy.validate(field.NewPath("strategy"))...)
	}
	// No strategy is a replace, which the environment may not allow either.
	if strategy := r.Strategy; !env.AllowsStrategy(strategyType(strategy)) {
		errs = append(errs, field.NotSupported(field.NewPath("strategy", "type"), strategyType(strategy), env.Strategies))
	}
	errs = append(errs, r.BreakGlass.Validate(field.NewPath("breakGlass"))...)
	if len(r.Message) > MaxMessageLength {
		errs = append(errs, field.TooLong(field.NewPath("message"), "", MaxMessageLength))
	}
	errs = append(errs, validateLogPaths(field.NewPath("logPaths"), r.LogPaths)...)
	if r.Domain != "" && r.Domain != DomainDefault && r.Domain != DomainShort {
		errs = append(errs, field.NotSupported(field.NewPath("domain"), r.Domain, []string{DomainDefault, DomainShort}))
	}
	return errs
}

// validateLogPaths applies the pod-mutator's own rules (pkg/logging), so that
// what the API accepts the webhook admits.
func validateLogPaths(p *field.Path, entries []logging.LogPath) field.ErrorList {
	if len(entries) == 0 {
		return nil
	}
	if len(entries) > logging.MaxLogPaths {
		return field.ErrorList{field.TooMany(p, len(entries), logging.MaxLogPaths)}
	}
	_, err := logging.ValidateLogPaths(entries)
	var entryErr *logging.EntryError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &entryErr):
		fp := p.Index(entryErr.Index).Child(entryErr.Field)
		if entryErr.Value == "" && entryErr.Problem == "required" {
			return field.ErrorList{field.Required(fp, "")}
		}
		return field.ErrorList{field.Invalid(fp, entryErr.Value, entryErr.Problem)}
	default:
		return field.ErrorList{field.Invalid(p, len(entries), err.Error())}
	}
}

func validateImage(p *field.Path, image string) field.ErrorList {
	if image == "" {
		return field.ErrorList{field.Required(p, "an image reference such as registry.example/team/app:v1 or …@sha256:<digest>")}
	}
	if _, err := name.ParseReference(image, name.StrictValidation); err != nil {
		return field.ErrorList{field.Invalid(p, image, err.Error())}
	}
	return nil
}

func (s *Scaling) validate(p *field.Path, env environments.Environment) field.ErrorList {
	var errs field.ErrorList
	if s.MinScale != nil {
		switch {
		case *s.MinScale < 0:
			errs = append(errs, field.Invalid(p.Child("minScale"), *s.MinScale, "must be >= 0"))
		case *s.MinScale < env.MinScale:
			errs = append(errs, field.Invalid(p.Child("minScale"), *s.MinScale,
				fmt.Sprintf("environment %q requires minScale >= %d", env.Name, env.MinScale)))
		case env.MaxScale > 0 && *s.MinScale > env.MaxScale:
			errs = append(errs, field.Invalid(p.Child("minScale"), *s.MinScale,
				fmt.Sprintf("environment %q allows minScale <= %d (its maxScale)", env.Name, env.MaxScale)))
		}
	}
	if s.MaxScale != nil {
		switch {
		case *s.MaxScale < 1:
			errs = append(errs, field.Invalid(p.Child("maxScale"), *s.MaxScale, "must be >= 1"))
		case env.MaxScale > 0 && *s.MaxScale > env.MaxScale:
			errs = append(errs, field.Invalid(p.Child("maxScale"), *s.MaxScale,
				fmt.Sprintf("environment %q allows maxScale <= %d", env.Name, env.MaxScale)))
		case s.MinScale != nil && *s.MaxScale < *s.MinScale:
			errs = append(errs, field.Invalid(p.Child("maxScale"), *s.MaxScale, "must be >= minScale"))
		case s.MinScale == nil && *s.MaxScale < env.MinScale:
			errs = append(errs, field.Invalid(p.Child("maxScale"), *s.MaxScale,
				fmt.Sprintf("must be >= environment %q's minScale %d", env.Name, env.MinScale)))
		}
	}
	if s.InitialScale != nil {
		// Knative refuses 0 unless the cluster sets allow-zero-initial-scale, which Slipway
		// cannot see; 1 is its default.
		switch {
		case *s.InitialScale < 1:
			errs = append(errs, field.Invalid(p.Child("initialScale"), *s.InitialScale, "must be >= 1 (Knative refuses 0 unless the cluster allows zero initial scale)"))
		case env.MaxScale > 0 && *s.InitialScale > env.MaxScale:
			errs = append(errs, field.Invalid(p.Child("initialScale"), *s.InitialScale,
				fmt.Sprintf("environment %q allows at most %d pods (its maxScale)", env.Name, env.MaxScale)))
		case s.MaxScale != nil && *s.InitialScale > *s.MaxScale:
			errs = append(errs, field.Invalid(p.Child("initialScale"), *s.InitialScale, "must be <= maxScale"))
		}
	}
	if s.Target != nil && *s.Target < 1 {
		errs = append(errs, field.Invalid(p.Child("target"), *s.Target, "must be >= 1"))
	}
	if s.Metric != "" && s.Metric != MetricConcurrency && s.Metric != MetricRPS {
		errs = append(errs, field.NotSupported(p.Child("metric"), s.Metric, []string{MetricConcurrency, MetricRPS}))
	}
	if s.TargetUtilization != nil && (*s.TargetUtilization < 1 || *s.TargetUtilization > 100) {
		errs = append(errs, field.Invalid(p.Child("targetUtilization"), *s.TargetUtilization, "must be between 1 and 100 (percent)"))
	}
	if s.ScaleDownDelay != "" {
		errs = append(errs, validateScaleDuration(p.Child("scaleDownDelay"), s.ScaleDownDelay, 0, WindowMax)...)
	}
	if s.Window != "" {
		errs = append(errs, validateScaleDuration(p.Child("window"), s.Window, WindowMin, WindowMax)...)
	}
	if c := s.ContainerConcurrency; c != nil && (*c < 0 || *c > MaxContainerConcurrency) {
		errs = append(errs, field.Invalid(p.Child("containerConcurrency"), *c,
			fmt.Sprintf("must be between 0 (no limit) and %d", MaxContainerConcurrency)))
	}
	return errs
}

// validateScaleDuration applies Knative's rules for its duration annotations: a Go duration
// within [lo, hi], whole seconds.
func validateScaleDuration(p *field.Path, v string, lo, hi time.Duration) field.ErrorList {
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		return field.ErrorList{field.Invalid(p, v, "must be a Go duration such as 30s or 5m")}
	case d < lo || d > hi:
		return field.ErrorList{field.Invalid(p, v, fmt.Sprintf("must be between %s and %s", lo, hi))}
	case d.Truncate(time.Second) != d:
		return field.ErrorList{field.Invalid(p, v, "must be whole seconds")}
	}
	return nil
}

// canonicalDuration renders a validated duration the one way Slipway writes it ("1m30s").
func canonicalDuration(v string) string {
	if v == "" {
		return ""
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return v
	}
	return d.String()
}

func (r *ResourcesSpec) toKubernetes(p *field.Path) (corev1.ResourceRequirements, field.ErrorList) {
	var errs field.ErrorList
	convert := func(p *field.Path, in map[string]string) corev1.ResourceList {
		if len(in) == 0 {
			return nil
		}
		out := corev1.ResourceList{}
		for k, v := range in {
			if !resourceNames[k] {
				errs = append(errs, field.NotSupported(p.Key(k), k, []string{"cpu", "memory", "ephemeral-storage"}))
				continue
			}
			q, err := resource.ParseQuantity(v)
			if err != nil || q.Sign() <= 0 {
				errs = append(errs, field.Invalid(p.Key(k), v, "must be a positive quantity such as 100m or 256Mi"))
				continue
			}
			out[corev1.ResourceName(k)] = q
		}
		return out
	}
	rr := corev1.ResourceRequirements{Requests: convert(p.Child("requests"), r.Requests), Limits: convert(p.Child("limits"), r.Limits)}
	for k, req := range rr.Requests {
		if lim, ok := rr.Limits[k]; ok && req.Cmp(lim) > 0 {
			errs = append(errs, field.Invalid(p.Child("requests").Key(string(k)), req.String(), "must not exceed the limit"))
		}
	}
	return rr, errs
}

func (s *Strategy) validate(p *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch s.Type {
	case "", StrategyReplace:
		if s.Percent != nil {
			errs = append(errs, field.Forbidden(p.Child("percent"), "only for canary"))
		}
	case StrategyCanary:
		if s.Percent == nil {
			errs = append(errs, field.Required(p.Child("percent"), "the canary's share, 1 to 99"))
		} else if *s.Percent < 1 || *s.Percent > 99 {
			errs = append(errs, field.Invalid(p.Child("percent"), *s.Percent, "must be between 1 and 99"))
		}
	case StrategyHeader:
		switch {
		case s.Match != nil && s.Lane != "":
			errs = append(errs, field.Invalid(p.Child("lane"), s.Lane, "set either match or lane, not both"))
		case s.Lane != "":
			errs = append(errs, validateLane(p.Child("lane"), s.Lane)...)
		case s.Match == nil:
			errs = append(errs, field.Required(p.Child("match"), "the headers that select the new revision (or a lane)"))
		default:
			errs = append(errs, s.Match.validate(p.Child("match"))...)
		}
		if s.Tag != "" {
			errs = append(errs, validateTag(p.Child("tag"), s.Tag)...)
		}
	default:
		errs = append(errs, field.NotSupported(p.Child("type"), s.Type, []string{StrategyReplace, StrategyCanary, StrategyHeader}))
	}
	if s.Type != StrategyHeader {
		if s.Match != nil {
			errs = append(errs, field.Forbidden(p.Child("match"), "only for header"))
		}
		if s.Tag != "" {
			errs = append(errs, field.Forbidden(p.Child("tag"), "only for header"))
		}
		if s.Lane != "" {
			errs = append(errs, field.Forbidden(p.Child("lane"), "only for header"))
		}
	}
	return errs
}

// validateTag checks a traffic tag the way Knative does: a DNS-1035 label (starting with a
// letter), and short enough that {tag}-{app} stays one DNS label.
func validateTag(p *field.Path, tag string) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1035Label(tag) {
		errs = append(errs, field.Invalid(p, tag, msg))
	}
	if len(tag) > 20 {
		errs = append(errs, field.TooLong(p, tag, 20))
	}
	return errs
}

var headerName = regexp.MustCompile(`^[a-z0-9!#$%&'*+.^_|~-]+$`)

// validateLane checks a lane name: it becomes a header value and a route name.
func validateLane(p *field.Path, lane string) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Label(lane) {
		errs = append(errs, field.Invalid(p, lane, msg))
	}
	return errs
}

var cookieName = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+.^_|~-]+$`)

func (m *Match) validate(p *field.Path) field.ErrorList {
	hp := p.Child("headers")
	if len(m.Headers) == 0 && m.Cookie == nil {
		return field.ErrorList{field.Required(hp, "at least one header (or a cookie)")}
	}
	var errs field.ErrorList
	if c := m.Cookie; c != nil {
		if !cookieName.MatchString(c.Name) {
			errs = append(errs, field.Invalid(p.Child("cookie", "name"), c.Name, "must be a cookie name (RFC 6265 token)"))
		}
		if c.Value == "" || strings.ContainsAny(c.Value, ";, \"\\") {
			errs = append(errs, field.Invalid(p.Child("cookie", "value"), c.Value, "must be a non-empty cookie value without ; , space, quote or backslash"))
		}
	}
	if _, ok := m.Headers["cookie"]; ok {
		errs = append(errs, field.Forbidden(hp.Key("cookie"), "use match.cookie to match a cookie"))
	}
	for h, sm := range m.Headers {
		kp := hp.Key(h)
		if !headerName.MatchString(h) {
			errs = append(errs, field.Invalid(kp, h, "must be a lower-case HTTP header name"))
		}
		set := 0
		for _, v := range []string{sm.Exact, sm.Prefix, sm.Regex} {
			if v != "" {
				set++
			}
		}
		if set != 1 {
			errs = append(errs, field.Invalid(kp, h, "exactly one of exact, prefix or regex must be set"))
			continue
		}
		if sm.Regex != "" {
			if _, err := regexp.Compile(sm.Regex); err != nil {
				errs = append(errs, field.Invalid(kp.Child("regex"), sm.Regex, "not a valid RE2 expression: "+err.Error()))
			}
		}
	}
	return errs
}

// Validate checks a traffic request against the app's revisions.
func (r TrafficRequest) Validate(known map[string]bool) field.ErrorList {
	var errs field.ErrorList
	tp := field.NewPath("targets")
	if len(r.Targets) == 0 {
		errs = append(errs, field.Required(tp, "at least one target"))
	}
	var sum int64
	tags := map[string]bool{}
	seen := map[string]bool{}
	for i, t := range r.Targets {
		p := tp.Index(i)
		switch {
		case t.Latest && t.Revision != "":
			errs = append(errs, field.Invalid(p.Child("revision"), t.Revision, "set either revision or latest, not both"))
		case !t.Latest && t.Revision == "":
			errs = append(errs, field.Required(p.Child("revision"), "or latest: true"))
		case t.Revision != "" && !known[t.Revision]:
			errs = append(errs, field.NotFound(p.Child("revision"), t.Revision))
		}
		if t.Percent < 0 || t.Percent > 100 {
			errs = append(errs, field.Invalid(p.Child("percent"), t.Percent, "must be between 0 and 100"))
		}
		sum += t.Percent
		if t.Tag != "" {
			errs = append(errs, validateTag(p.Child("tag"), t.Tag)...)
			if tags[t.Tag] {
				errs = append(errs, field.Duplicate(p.Child("tag"), t.Tag))
			}
			tags[t.Tag] = true
		}
		key := t.Revision + "|" + t.Tag
		if t.Latest {
			key = "latest|" + t.Tag
		}
		if seen[key] {
			errs = append(errs, field.Duplicate(p, "the same revision appears twice without distinct tags"))
		}
		seen[key] = true
	}
	if len(r.Targets) > 0 && sum != 100 {
		errs = append(errs, field.Invalid(tp, sum, "percentages must sum to 100"))
	}
	for i, rule := range r.Rules {
		p := field.NewPath("rules").Index(i)
		hasMatch := len(rule.Match.Headers) > 0 || rule.Match.Cookie != nil
		switch {
		case rule.Lane != "" && hasMatch:
			errs = append(errs, field.Invalid(p.Child("lane"), rule.Lane, "set either match or lane, not both"))
		case rule.Lane != "":
			errs = append(errs, validateLane(p.Child("lane"), rule.Lane)...)
		default:
			errs = append(errs, rule.Match.validate(p.Child("match"))...)
		}
		if rule.Revision == "" {
			errs = append(errs, field.Required(p.Child("revision"), ""))
		} else if !known[rule.Revision] {
			errs = append(errs, field.NotFound(p.Child("revision"), rule.Revision))
		}
	}
	if len(r.Message) > MaxMessageLength {
		errs = append(errs, field.TooLong(field.NewPath("message"), "", MaxMessageLength))
	}
	return errs
}

// Validate checks a rollback request against the app's revisions.
func (r RollbackRequest) Validate(known map[string]bool) field.ErrorList {
	var errs field.ErrorList
	p := field.NewPath("revision")
	if r.Revision == "" {
		errs = append(errs, field.Required(p, ""))
	} else if !known[r.Revision] {
		errs = append(errs, field.NotFound(p, r.Revision))
	}
	if len(r.Message) > MaxMessageLength {
		errs = append(errs, field.TooLong(field.NewPath("message"), "", MaxMessageLength))
	}
	return errs
}

// TemplateFor turns a validated request into the next revision's template.
func (r DeployRequest) TemplateFor(env environments.Environment, revisionName, user string, now func() time.Time) Template {
	t := Template{
		RevisionName: revisionName,
		Image:        strings.TrimSpace(r.Image),
		Port:         r.Port,
		DeployedBy:   user,
		DeployedAt:   now().UTC().Truncate(time.Second),
		Message:      r.Message,
	}
	for _, e := range r.Env {
		t.Env = append(t.Env, corev1.EnvVar{Name: e.Name, Value: e.Value})
	}
	for _, e := range env.Env {
		t.Env = append(t.Env, corev1.EnvVar{Name: e.Name, Value: e.Value})
	}
	if r.Resources != nil {
		t.Resources, _ = r.Resources.toKubernetes(field.NewPath("resources"))
	}
	if r.Scaling != nil {
		t.MinScale, t.MaxScale, t.Target = r.Scaling.MinScale, r.Scaling.MaxScale, r.Scaling.Target
		t.InitialScale, t.Metric, t.TargetUtilization = r.Scaling.InitialScale, r.Scaling.Metric, r.Scaling.TargetUtilization
		t.ScaleDownDelay, t.Window = canonicalDuration(r.Scaling.ScaleDownDelay), canonicalDuration(r.Scaling.Window)
		t.ContainerConcurrency = r.Scaling.ContainerConcurrency
	}
	// Validated already; this applies the defaults (container, name).
	t.LogPaths, _ = logging.ValidateLogPaths(r.LogPaths)
	if t.MinScale == nil && env.MinScale > 0 {
		min := env.MinScale
		t.MinScale = &min
	}
	return t
}

// ScaleRequest is the body of POST …/scaling: a deploy of the current template's spec with
// new scaling knobs. Knobs not given keep the template's values.
type ScaleRequest struct {
	Scaling Scaling `json:"scaling"`
	Message string  `json:"message,omitempty"`
	// BreakGlass, as on a deploy, for an environment reached only by promotion.
	BreakGlass *BreakGlass `json:"breakGlass,omitempty"`
}

// Over is s with every knob that o sets taken from o.
func (s Scaling) Over(o Scaling) Scaling {
	pick32 := func(a, b *int32) *int32 {
		if b != nil {
			return b
		}
		return a
	}
	pickS := func(a, b string) string {
		if b != "" {
			return b
		}
		return a
	}
	out := s
	out.MinScale, out.MaxScale, out.InitialScale = pick32(s.MinScale, o.MinScale), pick32(s.MaxScale, o.MaxScale), pick32(s.InitialScale, o.InitialScale)
	out.Target, out.TargetUtilization = pick32(s.Target, o.Target), pick32(s.TargetUtilization, o.TargetUtilization)
	out.Metric, out.ScaleDownDelay, out.Window = pickS(s.Metric, o.Metric), pickS(s.ScaleDownDelay, o.ScaleDownDelay), pickS(s.Window, o.Window)
	if o.ContainerConcurrency != nil {
		out.ContainerConcurrency = o.ContainerConcurrency
	}
	return out
}

// Redeploy is the deploy that runs t again in env with scaling: the same image, port,
// variables (without env's overlays, which the deploy adds back), resources and log paths.
func (t Template) Redeploy(env environments.Environment, scaling Scaling, message string) DeployRequest {
	req := DeployRequest{Image: t.Image, Port: t.Port, Message: message, LogPaths: t.LogPaths}
	for _, v := range t.Env {
		if _, overlay := env.Overlay(v.Name); overlay || v.ValueFrom != nil {
			continue
		}
		req.Env = append(req.Env, EnvVar{Name: v.Name, Value: v.Value})
	}
	str := func(l corev1.ResourceList) map[string]string {
		if len(l) == 0 {
			return nil
		}
		out := map[string]string{}
		for k, q := range l {
			out[string(k)] = q.String()
		}
		return out
	}
	if len(t.Resources.Requests) > 0 || len(t.Resources.Limits) > 0 {
		req.Resources = &ResourcesSpec{Requests: str(t.Resources.Requests), Limits: str(t.Resources.Limits)}
	}
	req.Scaling = &scaling
	return req
}
