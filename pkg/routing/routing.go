// Package routing builds the Istio VirtualService that enacts an app's header rules.
//
// Knative splits an app's traffic by percentage only. While an app has header rules its
// Knative Service is cluster-local (Knative publishes no external host for it), and Slipway
// owns one VirtualService on the external gateway for the app's external hosts. Its HTTP
// routes, in order:
//
//  1. one per tag with an external host: authority is that host → rewrite the authority to
//     the tag's in-cluster host, so tag URLs keep working while the Service is cluster-local;
//  2. one per rule, in rule order: every header condition and the cookie condition in one
//     HTTPMatchRequest (so they are ANDed) → rewrite to the rule's tag in-cluster host;
//  3. last, without a match: rewrite to the app's in-cluster host, where Knative's
//     percentage split applies.
//
// Every route forwards to Knative's cluster-local gateway, which routes by authority.
//
// Build is pure and deterministic. Istio's validating webhook may not run (it does not in
// the dev cluster), so Build itself keeps what that webhook would check: every match
// non-empty, RE2 regexes, one destination per route, the catch-all route last.
package routing

import (
	"cmp"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	istioapi "istio.io/api/networking/v1"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/revisions"
)

// LocalGatewayPort is the port of Knative's cluster-local gateway service.
const LocalGatewayPort = 80

// CookieHeader is the request header a cookie match is expressed on.
const CookieHeader = "cookie"

// Route names, visible in Envoy's stats and access logs.
const (
	routeDefault    = "default"
	routeTagPrefix  = "tag-"
	routeRulePrefix = "rule-"
)

// Config is the part of a VirtualService that comes from Slipway's configuration rather
// than from the app: the routing section of platform-api's configuration file.
type Config struct {
	// IngressGateway is the external gateway the VirtualService binds to, namespace/name,
	// e.g. knative-serving/knative-ingress-gateway.
	IngressGateway string `json:"ingressGateway"`
	// LocalGatewayHost is Knative's cluster-local gateway every route forwards to, e.g.
	// knative-local-gateway.istio-system.svc.cluster.local.
	LocalGatewayHost string `json:"localGatewayHost"`
	// Timeout bounds each request on every route; 0 leaves it unset (Istio's default).
	Timeout metav1.Duration `json:"timeout"`
	// Retries, when set, apply to every route.
	Retries *Retries `json:"retries,omitempty"`
}

// SetDefaults fills in Knative's default gateways.
func (c *Config) SetDefaults() {
	if c.IngressGateway == "" {
		c.IngressGateway = "knative-serving/knative-ingress-gateway"
	}
	if c.LocalGatewayHost == "" {
		c.LocalGatewayHost = "knative-local-gateway.istio-system.svc.cluster.local"
	}
}

// Retries is Istio's HTTPRetry policy.
type Retries struct {
	// Attempts is the number of retries; 0 disables retries.
	Attempts int32 `json:"attempts"`
	// PerTryTimeout bounds each attempt; 0 leaves it unset.
	PerTryTimeout metav1.Duration `json:"perTryTimeout"`
	// RetryOn is Envoy's comma-separated list of retry conditions; empty leaves it unset.
	RetryOn string `json:"retryOn"`
}

// TagRoute is one Knative traffic tag of the app.
type TagRoute struct {
	Tag string
	// ExternalHost is the tag's host on the external gateway; empty for none.
	ExternalHost string
	// InternalHost is the tag's in-cluster host, {tag}-{app}.{namespace}.svc.{cluster domain}.
	InternalHost string
}

// RuleRoute is one header rule, resolved to the in-cluster host of its revision's tag.
type RuleRoute struct {
	Match        revisions.Match
	InternalHost string
}

// Input is everything about one app that its VirtualService depends on.
type Input struct {
	App, Namespace string
	// Owner is the app's Knative Service. It becomes the only ownerReference, as controller,
	// so the garbage collector removes the VirtualService with the app.
	Owner metav1.OwnerReference
	// AppHosts are the app's external hosts.
	AppHosts []string
	Tags     []TagRoute
	// Rules are tried in order; the first match wins.
	Rules []RuleRoute
	// DefaultInternalHost is the app's in-cluster host, {app}.{namespace}.svc.{cluster domain}.
	DefaultInternalHost string
}

// Build renders the VirtualService that enacts in. It does not validate in: rules are
// checked when they are written (revisions) and cfg when Slipway starts (Validate).
func Build(in Input, cfg Config) *networkingv1.VirtualService {
	appHosts := sortedSet(in.AppHosts)
	tags := tagRoutes(in.Tags, appHosts)

	hosts := appHosts
	for _, t := range tags {
		hosts = append(hosts, t.ExternalHost)
	}
	hosts = sortedSet(hosts)

	b := routeBuilder{cfg: cfg}
	http := make([]*istioapi.HTTPRoute, 0, len(tags)+len(in.Rules)+1)
	for _, t := range tags {
		http = append(http, b.route(routeTagPrefix+t.Tag, []*istioapi.HTTPMatchRequest{{
			Authority: exact(t.ExternalHost),
		}}, t.InternalHost))
	}
	for i, r := range in.Rules {
		http = append(http, b.route(routeRulePrefix+strconv.Itoa(i), []*istioapi.HTTPMatchRequest{matchRequest(r.Match)}, r.InternalHost))
	}
	http = append(http, b.route(routeDefault, nil, in.DefaultInternalHost))

	owner := in.Owner
	owner.Controller = ptr.To(true)
	owner.BlockOwnerDeletion = ptr.To(true)

	return &networkingv1.VirtualService{
		TypeMeta: metav1.TypeMeta{APIVersion: networkingv1.SchemeGroupVersion.String(), Kind: "VirtualService"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      names.VirtualService(in.App),
			Namespace: in.Namespace,
			Labels: map[string]string{
				names.LabelManagedBy: names.ManagedBy,
				names.LabelApp:       in.App,
			},
			OwnerReferences: []metav1.OwnerReference{owner},
		},
		Spec: istioapi.VirtualService{
			Hosts:    hosts,
			Gateways: []string{cfg.IngressGateway},
			Http:     http,
		},
	}
}

// tagRoutes keeps the tags that have an external host, one per host, sorted by host. A tag
// whose host is also an app host is dropped: its route would shadow every rule.
func tagRoutes(in []TagRoute, appHosts []string) []TagRoute {
	var out []TagRoute
	for _, t := range in {
		if t.ExternalHost != "" && !slices.Contains(appHosts, t.ExternalHost) {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b TagRoute) int {
		return cmp.Or(strings.Compare(a.ExternalHost, b.ExternalHost), strings.Compare(a.Tag, b.Tag),
			strings.Compare(a.InternalHost, b.InternalHost))
	})
	return slices.CompactFunc(out, func(a, b TagRoute) bool { return a.ExternalHost == b.ExternalHost })
}

// routeBuilder renders routes that share the configured destination, timeout and retries.
type routeBuilder struct{ cfg Config }

func (b routeBuilder) route(name string, match []*istioapi.HTTPMatchRequest, authority string) *istioapi.HTTPRoute {
	r := &istioapi.HTTPRoute{
		Name:    name,
		Match:   match,
		Rewrite: &istioapi.HTTPRewrite{Authority: authority},
		Route: []*istioapi.HTTPRouteDestination{{
			Destination: &istioapi.Destination{
				Host: b.cfg.LocalGatewayHost,
				Port: &istioapi.PortSelector{Number: LocalGatewayPort},
			},
		}},
	}
	// Fresh messages per route: a caller editing one route must not edit them all.
	if b.cfg.Timeout.Duration > 0 {
		r.Timeout = durationpb.New(b.cfg.Timeout.Duration)
	}
	if rt := b.cfg.Retries; rt != nil {
		r.Retries = &istioapi.HTTPRetry{Attempts: rt.Attempts, RetryOn: rt.RetryOn}
		if rt.PerTryTimeout.Duration > 0 {
			r.Retries.PerTryTimeout = durationpb.New(rt.PerTryTimeout.Duration)
		}
	}
	return r
}

// matchRequest turns a rule's match into one HTTPMatchRequest, so all its conditions must
// hold together. Validation (revisions) forbids a "cookie" header condition next to a
// cookie match; were both present, the cookie match would win.
func matchRequest(m revisions.Match) *istioapi.HTTPMatchRequest {
	mr := &istioapi.HTTPMatchRequest{}
	if len(m.Headers) > 0 || m.Cookie != nil {
		mr.Headers = make(map[string]*istioapi.StringMatch, len(m.Headers)+1)
	}
	for name, sm := range m.Headers {
		mr.Headers[name] = stringMatch(sm)
	}
	if c := m.Cookie; c != nil {
		mr.Headers[CookieHeader] = regex(CookieRegex(c.Name, c.Value))
	}
	if len(mr.Headers) == 0 {
		// A rule without conditions (validation refuses them) matches everything; an empty
		// HTTPMatchRequest would say the same but is easy to misread as a catch-all default.
		mr.Uri = &istioapi.StringMatch{MatchType: &istioapi.StringMatch_Prefix{Prefix: "/"}}
	}
	return mr
}

// CookieRegex is the RE2 expression a Cookie header matches when it carries a cookie named
// name with exactly value: at the start of the header or after a "; ", ended by ";" or the
// end of the header.
func CookieRegex(name, value string) string {
	return `^(.*?;\s*)?` + regexp.QuoteMeta(name) + "=" + regexp.QuoteMeta(value) + `(;.*)?$`
}

// stringMatch renders exactly one condition: Exact, else Prefix, else Regex. A StringMatch
// with no field set (validation refuses it) is an exact match on the empty string.
func stringMatch(sm revisions.StringMatch) *istioapi.StringMatch {
	switch {
	case sm.Prefix != "" && sm.Exact == "":
		return &istioapi.StringMatch{MatchType: &istioapi.StringMatch_Prefix{Prefix: sm.Prefix}}
	case sm.Regex != "" && sm.Exact == "":
		return regex(sm.Regex)
	default:
		return exact(sm.Exact)
	}
}

func exact(s string) *istioapi.StringMatch {
	return &istioapi.StringMatch{MatchType: &istioapi.StringMatch_Exact{Exact: s}}
}

func regex(s string) *istioapi.StringMatch {
	return &istioapi.StringMatch{MatchType: &istioapi.StringMatch_Regex{Regex: s}}
}

// sortedSet returns the non-empty strings of in, sorted and without duplicates, in a new
// slice.
func sortedSet(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		if s != "" {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// retryOnPolicies are the retry conditions Istio accepts besides HTTP status codes
// (Envoy's x-envoy-retry-on and x-envoy-retry-grpc-on values).
var retryOnPolicies = []string{
	"5xx", "gateway-error", "reset", "reset-before-request", "connect-failure", "retriable-4xx",
	"refused-stream", "retriable-status-codes", "retriable-headers", "envoy-ratelimited",
	"http3-post-connect-failure",
	"cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable",
}

// Validate checks the routing section; path is its place in the configuration file.
// Istio's webhook may not run, so what it would refuse is refused here.
func (c Config) Validate(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if ns, name, ok := strings.Cut(c.IngressGateway, "/"); !ok || len(validation.IsDNS1123Label(ns)) > 0 || len(validation.IsDNS1123Label(name)) > 0 {
		errs = append(errs, field.Invalid(path.Child("ingressGateway"), c.IngressGateway, "must be namespace/name"))
	}
	if c.LocalGatewayHost == "" {
		errs = append(errs, field.Required(path.Child("localGatewayHost"), ""))
	} else if msgs := validation.IsDNS1123Subdomain(c.LocalGatewayHost); len(msgs) > 0 {
		errs = append(errs, field.Invalid(path.Child("localGatewayHost"), c.LocalGatewayHost, msgs[0]))
	}
	if err := validateDuration(c.Timeout.Duration); err != nil {
		errs = append(errs, field.Invalid(path.Child("timeout"), c.Timeout.Duration.String(), err.Error()))
	}
	if r := c.Retries; r != nil {
		p := path.Child("retries")
		if r.Attempts < 0 {
			errs = append(errs, field.Invalid(p.Child("attempts"), r.Attempts, "must not be negative"))
		}
		if err := validateDuration(r.PerTryTimeout.Duration); err != nil {
			errs = append(errs, field.Invalid(p.Child("perTryTimeout"), r.PerTryTimeout.Duration.String(), err.Error()))
		}
		if r.RetryOn != "" {
			for _, policy := range strings.Split(r.RetryOn, ",") {
				policy = strings.TrimSpace(policy)
				if code, err := strconv.Atoi(policy); err == nil && code >= 100 && code <= 599 {
					continue
				}
				if !slices.Contains(retryOnPolicies, policy) {
					errs = append(errs, field.Invalid(p.Child("retryOn"), policy, "neither an Envoy retry policy nor an HTTP status"))
				}
			}
		}
	}
	return errs
}

// validateDuration allows 0 (unset) and what Istio accepts: whole milliseconds from 1ms.
func validateDuration(d time.Duration) error {
	switch {
	case d < 0:
		return errors.New("must not be negative")
	case d > 0 && d < time.Millisecond:
		return errors.New("must be at least 1ms")
	case d%time.Millisecond != 0:
		return errors.New("must be whole milliseconds")
	}
	return nil
}
