package routing

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	istioapi "istio.io/api/networking/v1"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/revisions"

	"github.com/slipway-dev/slipway/internal/golden"
)

const (
	ns     = "gray-test"
	domain = "slipway.test"
	local  = "knative-local-gateway.istio-system.svc.cluster.local"
)

func baseConfig() Config {
	return Config{IngressGateway: "knative-serving/knative-ingress-gateway", LocalGatewayHost: local}
}

func owner(app string) metav1.OwnerReference {
	return metav1.OwnerReference{
		APIVersion: "serving.knative.dev/v1", Kind: "Service", Name: app,
		UID: types.UID("0b5e7c1a-8d2f-4c3e-9a61-" + fmt.Sprintf("%012x", len(app)*0x1111)),
	}
}

func extHost(app string) string     { return app + "." + ns + "." + domain }
func tagExt(tag, app string) string { return tag + "-" + extHost(app) }
func internal(app string) string    { return app + "." + ns + ".svc.cluster.local" }
func tagInt(tag, app string) string { return tag + "-" + internal(app) }
func tag(t, app string) TagRoute {
	return TagRoute{Tag: t, ExternalHost: tagExt(t, app), InternalHost: tagInt(t, app)}
}
func input(app string) Input {
	return Input{App: app, Namespace: ns, Owner: owner(app), AppHosts: []string{extHost(app)}, DefaultInternalHost: internal(app)}
}

type testCase struct {
	name string
	in   Input
	cfg  Config
}

func cases() []testCase {
	noRules := input("web")

	oneExact := input("web")
	oneExact.Tags = []TagRoute{tag("r00002", "web")}
	oneExact.Rules = []RuleRoute{{
		Match:        revisions.Match{Headers: map[string]revisions.StringMatch{"x-user-group": {Exact: "beta"}}},
		InternalHost: tagInt("r00002", "web"),
	}}

	allKinds := input("shop")
	allKinds.Tags = []TagRoute{tag("r00003", "shop")}
	allKinds.Rules = []RuleRoute{{
		Match: revisions.Match{
			Headers: map[string]revisions.StringMatch{
				"x-user-group": {Exact: "beta"},
				"user-agent":   {Prefix: "Mozilla/5.0 (iPhone"},
				"x-tenant":     {Regex: `(acme|globex)-[0-9]+`},
			},
			Cookie: &revisions.CookieMatch{Name: "canary.opt-in", Value: "yes+1"},
		},
		InternalHost: tagInt("r00003", "shop"),
	}, {
		Match:        revisions.Match{Cookie: &revisions.CookieMatch{Name: "session_kind", Value: "staff"}},
		InternalHost: tagInt("r00003", "shop"),
	}}

	twoTags := input("api")
	// Input order is not host order; a tag without an external host gets no route.
	twoTags.Tags = []TagRoute{
		tag("r00007", "api"),
		tag("r00005", "api"),
		{Tag: "r00006", InternalHost: tagInt("r00006", "api")},
	}
	twoTags.Rules = []RuleRoute{
		{Match: revisions.Match{Headers: map[string]revisions.StringMatch{revisions.LaneHeader: {Exact: "feature-x"}}}, InternalHost: tagInt("r00007", "api")},
		{Match: revisions.Match{Headers: map[string]revisions.StringMatch{revisions.LaneHeader: {Prefix: "feature-"}}}, InternalHost: tagInt("r00005", "api")},
		{Match: revisions.Match{Headers: map[string]revisions.StringMatch{"x-internal": {Exact: "1"}}}, InternalHost: tagInt("r00006", "api")},
	}

	tuned := oneExact
	tunedCfg := baseConfig()
	tunedCfg.Timeout = metav1.Duration{Duration: 30 * time.Second}
	tunedCfg.Retries = &Retries{Attempts: 3, PerTryTimeout: metav1.Duration{Duration: 2500 * time.Millisecond}, RetryOn: "connect-failure,refused-stream,503"}

	multiHost := input("shop")
	// The default scheme and the short scheme, with a duplicate and an empty entry.
	multiHost.AppHosts = []string{"shop.sls-dev." + domain, extHost("shop"), "shop.sls-dev." + domain, ""}
	multiHost.Tags = []TagRoute{
		{Tag: "r00002", ExternalHost: "r00002-shop.sls-dev." + domain, InternalHost: tagInt("r00002", "shop")},
	}
	multiHost.Rules = []RuleRoute{{
		Match:        revisions.Match{Headers: map[string]revisions.StringMatch{revisions.LaneHeader: {Exact: "beta"}}},
		InternalHost: tagInt("r00002", "shop"),
	}}

	return []testCase{
		{"no-rules", noRules, baseConfig()},
		{"one-exact-rule", oneExact, baseConfig()},
		{"all-match-kinds", allKinds, baseConfig()},
		{"two-tags", twoTags, baseConfig()},
		{"timeouts-retries", tuned, tunedCfg},
		{"multiple-app-hosts", multiHost, baseConfig()},
	}
}

func render(t testing.TB, vs *networkingv1.VirtualService) []byte {
	t.Helper()
	out, err := yaml.Marshal(vs)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBuildGolden(t *testing.T) {
	for _, tc := range cases() {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.cfg.Validate(nil).ToAggregate(); err != nil {
				t.Fatalf("test config invalid: %v", err)
			}
			got := render(t, Build(tc.in, tc.cfg))
			path := filepath.Join("testdata", tc.name+".golden.yaml")
			golden.Check(t, path, got)
			// The golden, read back as Istio would read it, is the VirtualService Build made.
			var parsed networkingv1.VirtualService
			if err := yaml.UnmarshalStrict(got, &parsed); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if built := Build(tc.in, tc.cfg); !proto.Equal(&parsed.Spec, &built.Spec) {
				t.Errorf("%s parses to\n%v\nwant\n%v", path, &parsed.Spec, &built.Spec)
			}
		})
	}
}

// TestBuildInvariants checks what istiod's webhook would, since it does not run everywhere.
func TestBuildInvariants(t *testing.T) {
	for _, tc := range cases() {
		t.Run(tc.name, func(t *testing.T) {
			vs := Build(tc.in, tc.cfg)
			checkInvariants(t, tc, vs)
		})
	}
}

func checkInvariants(t *testing.T, tc testCase, vs *networkingv1.VirtualService) {
	t.Helper()
	if vs.APIVersion != "networking.istio.io/v1" || vs.Kind != "VirtualService" {
		t.Errorf("TypeMeta %+v", vs.TypeMeta)
	}
	if vs.Name != names.VirtualService(tc.in.App) || vs.Namespace != tc.in.Namespace {
		t.Errorf("name %s/%s", vs.Namespace, vs.Name)
	}
	if vs.Labels[names.LabelManagedBy] != names.ManagedBy || vs.Labels[names.LabelApp] != tc.in.App || len(vs.Labels) != 2 {
		t.Errorf("labels %v", vs.Labels)
	}
	if o := vs.OwnerReferences; len(o) != 1 || o[0].UID != tc.in.Owner.UID || o[0].Controller == nil || !*o[0].Controller ||
		o[0].BlockOwnerDeletion == nil || !*o[0].BlockOwnerDeletion {
		t.Errorf("ownerReferences %+v", o)
	}

	spec := &vs.Spec
	if len(spec.Gateways) != 1 {
		t.Errorf("gateways %v: want the ingress gateway", spec.Gateways)
	}
	for _, g := range spec.Gateways {
		if err := (Config{IngressGateway: g, LocalGatewayHost: local}).Validate(nil).ToAggregate(); err != nil {
			t.Errorf("gateway %v: %v", g, err)
		}
	}
	if len(spec.Hosts) == 0 || !slices.IsSorted(spec.Hosts) || len(slices.Compact(slices.Clone(spec.Hosts))) != len(spec.Hosts) {
		t.Errorf("hosts %v: want non-empty, sorted, unique", spec.Hosts)
	}
	for _, h := range tc.in.AppHosts {
		if h != "" && !slices.Contains(spec.Hosts, h) {
			t.Errorf("app host %s missing from %v", h, spec.Hosts)
		}
	}
	if len(spec.Tls) > 0 || len(spec.Tcp) > 0 {
		t.Error("only HTTP routes expected")
	}

	wantRoutes := len(tc.in.Rules) + 1
	for _, tg := range tc.in.Tags {
		if tg.ExternalHost != "" {
			wantRoutes++
		}
	}
	if len(spec.Http) != wantRoutes {
		t.Fatalf("%d HTTP routes, want %d", len(spec.Http), wantRoutes)
	}
	names := map[string]bool{}
	for i, r := range spec.Http {
		last := i == len(spec.Http)-1
		if names[r.Name] {
			t.Errorf("route %d: duplicate name %q", i, r.Name)
		}
		names[r.Name] = true
		if last {
			if len(r.Match) != 0 || r.Name != "default" || r.Rewrite.GetAuthority() != tc.in.DefaultInternalHost {
				t.Errorf("last route %v: want the default, unmatched, to %s", r, tc.in.DefaultInternalHost)
			}
		} else if len(r.Match) == 0 {
			t.Errorf("route %d (%s) has no match but is not last", i, r.Name)
		}
		for j, m := range r.Match {
			checkMatch(t, fmt.Sprintf("route %d match %d", i, j), m, spec.Hosts)
		}
		if r.Rewrite == nil || r.Rewrite.Authority == "" || r.Rewrite.Uri != "" || r.Rewrite.UriRegexRewrite != nil {
			t.Errorf("route %d: rewrite %v, want the authority only", i, r.Rewrite)
		}
		if len(r.Route) != 1 {
			t.Fatalf("route %d: %d destinations, want 1", i, len(r.Route))
		}
		d := r.Route[0]
		if d.Destination.GetHost() != local || d.Destination.GetPort().GetNumber() != 80 || d.Destination.GetSubset() != "" ||
			(d.Weight != 0 && d.Weight != 100) || d.Headers != nil {
			t.Errorf("route %d: destination %v", i, d)
		}
		if r.Redirect != nil || r.DirectResponse != nil || r.Delegate != nil || r.Fault != nil || r.Mirror != nil || r.Headers != nil {
			t.Errorf("route %d: unexpected fields set: %v", i, r)
		}
		checkPolicy(t, i, r, tc.cfg)
	}
	for i, rule := range tc.in.Rules {
		first := len(spec.Http) - 1 - len(tc.in.Rules)
		if got := spec.Http[first+i].Rewrite.GetAuthority(); got != rule.InternalHost {
			t.Errorf("rule %d rewrites to %s, want %s (rule order kept)", i, got, rule.InternalHost)
		}
	}
}

func checkMatch(t *testing.T, where string, m *istioapi.HTTPMatchRequest, hosts []string) {
	t.Helper()
	if m == nil || proto.Size(m) == 0 {
		t.Errorf("%s: empty match", where)
		return
	}
	sms := map[string]*istioapi.StringMatch{"uri": m.Uri, "scheme": m.Scheme, "method": m.Method, "authority": m.Authority}
	for k, v := range m.Headers {
		if k == "" || k != strings.ToLower(k) || slices.Contains([]string{"uri", "scheme", "method", "authority", "host"}, k) {
			t.Errorf("%s: header name %q", where, k)
		}
		if v == nil {
			t.Errorf("%s: header %s has no condition", where, k)
		}
		sms["header "+k] = v
	}
	if m.Authority != nil && !slices.Contains(hosts, m.Authority.GetExact()) {
		t.Errorf("%s: authority %v is not one of the hosts %v", where, m.Authority, hosts)
	}
	for what, sm := range sms {
		if sm == nil {
			continue
		}
		if sm.MatchType == nil {
			t.Errorf("%s: %s: no exact, prefix or regex", where, what)
		}
		if re := sm.GetRegex(); re != "" {
			if _, err := regexp.Compile(re); err != nil {
				t.Errorf("%s: %s: regex %q is not RE2: %v", where, what, re, err)
			}
		}
		if p, ok := sm.MatchType.(*istioapi.StringMatch_Prefix); ok && p.Prefix == "" {
			t.Errorf("%s: %s: empty prefix", where, what)
		}
	}
}

func checkPolicy(t *testing.T, i int, r *istioapi.HTTPRoute, cfg Config) {
	t.Helper()
	if cfg.Timeout.Duration == 0 && r.Timeout != nil || cfg.Timeout.Duration != 0 && r.Timeout.AsDuration() != cfg.Timeout.Duration {
		t.Errorf("route %d: timeout %v, want %v", i, r.Timeout, cfg.Timeout)
	}
	if cfg.Retries == nil {
		if r.Retries != nil {
			t.Errorf("route %d: retries %v, want none", i, r.Retries)
		}
		return
	}
	rt := r.Retries
	if rt == nil || rt.Attempts != cfg.Retries.Attempts || rt.RetryOn != cfg.Retries.RetryOn || rt.PerTryTimeout.AsDuration() != cfg.Retries.PerTryTimeout.Duration {
		t.Errorf("route %d: retries %v, want %+v", i, rt, cfg.Retries)
	}
}

// TestBuildRoundTrip: what the reconciler applies is JSON; what it reads back must compare
// equal with proto.Equal, or it would rewrite the VirtualService on every pass.
func TestBuildRoundTrip(t *testing.T) {
	for _, tc := range cases() {
		t.Run(tc.name, func(t *testing.T) {
			want := Build(tc.in, tc.cfg)
			body, err := json.Marshal(want)
			if err != nil {
				t.Fatal(err)
			}
			var got networkingv1.VirtualService
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(&got.Spec, &want.Spec) {
				t.Errorf("spec changed in a JSON round trip:\n got %v\nwant %v", &got.Spec, &want.Spec)
			}
			if diff := cmp.Diff(want.ObjectMeta, got.ObjectMeta); diff != "" {
				t.Errorf("metadata changed in a JSON round trip (-want +got):\n%s", diff)
			}
		})
	}
}

// TestBuildDeterministic: the order of hosts, tags and header maps in the input
// does not show in the output, and Build leaves its input alone.
func TestBuildDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range cases() {
		t.Run(tc.name, func(t *testing.T) {
			want := render(t, Build(tc.in, tc.cfg))
			for range 50 {
				in, cfg := shuffled(rng, tc.in), tc.cfg
				before := fmt.Sprintf("%#v", in)
				if got := render(t, Build(in, cfg)); !bytes.Equal(got, want) {
					t.Fatalf("output depends on input order:\n%s", cmp.Diff(string(want), string(got)))
				}
				if after := fmt.Sprintf("%#v", in); after != before {
					t.Fatalf("Build changed its input:\n%s", cmp.Diff(before, after))
				}
			}
		})
	}
}

// shuffled copies in with its order-free parts shuffled and its header maps rebuilt in a
// random insertion order. Rules keep their order: it is their priority.
func shuffled(rng *rand.Rand, in Input) Input {
	out := in
	out.AppHosts = slices.Clone(in.AppHosts)
	rng.Shuffle(len(out.AppHosts), func(i, j int) { out.AppHosts[i], out.AppHosts[j] = out.AppHosts[j], out.AppHosts[i] })
	out.Tags = slices.Clone(in.Tags)
	rng.Shuffle(len(out.Tags), func(i, j int) { out.Tags[i], out.Tags[j] = out.Tags[j], out.Tags[i] })
	out.Rules = nil
	for _, r := range in.Rules {
		keys := make([]string, 0, len(r.Match.Headers))
		for k := range r.Match.Headers {
			keys = append(keys, k)
		}
		rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
		var headers map[string]revisions.StringMatch
		if r.Match.Headers != nil {
			headers = make(map[string]revisions.StringMatch, len(keys))
			for _, k := range keys {
				headers[k] = r.Match.Headers[k]
			}
		}
		r.Match.Headers = headers
		out.Rules = append(out.Rules, r)
	}
	return out
}

func TestBuildEdgeCases(t *testing.T) {
	t.Run("tag host equal to an app host gets no route", func(t *testing.T) {
		in := input("web")
		in.Tags = []TagRoute{{Tag: "x", ExternalHost: extHost("web"), InternalHost: tagInt("x", "web")}}
		vs := Build(in, baseConfig())
		if len(vs.Spec.Http) != 1 || vs.Spec.Http[0].Name != "default" {
			t.Errorf("routes %v", vs.Spec.Http)
		}
	})
	t.Run("two tags on one external host: one route, lowest tag", func(t *testing.T) {
		in := input("web")
		in.Tags = []TagRoute{
			{Tag: "b", ExternalHost: "same." + domain, InternalHost: tagInt("b", "web")},
			{Tag: "a", ExternalHost: "same." + domain, InternalHost: tagInt("a", "web")},
		}
		vs := Build(in, baseConfig())
		if len(vs.Spec.Http) != 2 || vs.Spec.Http[0].Rewrite.Authority != tagInt("a", "web") {
			t.Errorf("routes %v", vs.Spec.Http)
		}
	})
	t.Run("a rule without conditions still has a non-empty match", func(t *testing.T) {
		in := input("web")
		in.Rules = []RuleRoute{{InternalHost: tagInt("x", "web")}}
		vs := Build(in, baseConfig())
		if m := vs.Spec.Http[0].Match; len(m) != 1 || m[0].Uri.GetPrefix() != "/" || len(m[0].Headers) != 0 {
			t.Errorf("match %v", m)
		}
	})
	t.Run("routes share no messages", func(t *testing.T) {
		tc := cases()[4]
		vs := Build(tc.in, tc.cfg)
		vs.Spec.Http[0].Timeout.Seconds = 1
		vs.Spec.Http[0].Retries.Attempts = 9
		vs.Spec.Http[0].Route[0].Destination.Host = "edited"
		if r := vs.Spec.Http[1]; r.Timeout.Seconds == 1 || r.Retries.Attempts == 9 || r.Route[0].Destination.Host == "edited" {
			t.Error("editing one route edited another")
		}
	})
}

func TestCookieRegex(t *testing.T) {
	for _, tc := range []struct {
		name, value, header string
		want                bool
	}{
		{"beta", "yes", "beta=yes", true},
		{"beta", "yes", "a=1; beta=yes", true},
		{"beta", "yes", "a=1;beta=yes; c=2", true},
		{"beta", "yes", "a=1;  beta=yes;c=2", true},
		{"beta", "yes", "xbeta=yes", false},
		{"beta", "yes", "a=xbeta=yes", false},
		{"beta", "yes", "beta=yes2", false},
		{"beta", "yes", "beta=ye", false},
		{"beta", "yes", "beta=no; other=beta=yes", false},
		{"beta", "yes", "", false},
		{"canary.opt-in", "yes+1", "canary.opt-in=yes+1", true},
		{"canary.opt-in", "yes+1", "canaryXopt-in=yes+1", false},
		{"canary.opt-in", "yes+1", "canary.opt-in=yess1", false},
		{"a|b", "(x)", "b=(x)", false},
		{"a|b", "(x)", "a|b=(x)", true},
	} {
		re := regexp.MustCompile(CookieRegex(tc.name, tc.value))
		if got := re.MatchString(tc.header); got != tc.want {
			t.Errorf("cookie %s=%s in %q: %v, want %v (regex %s)", tc.name, tc.value, tc.header, got, tc.want, re)
		}
	}
}

func TestValidate(t *testing.T) {
	ok := baseConfig()
	ok.Timeout = metav1.Duration{Duration: 30 * time.Second}
	ok.Retries = &Retries{Attempts: 2, PerTryTimeout: metav1.Duration{Duration: time.Second}, RetryOn: "5xx, gateway-error,503,cancelled"}
	if err := ok.Validate(nil).ToAggregate(); err != nil {
		t.Errorf("valid config refused: %v", err)
	}
	for name, mutate := range map[string]func(*Config){
		"no gateway":          func(c *Config) { c.IngressGateway = "" },
		"gateway without ns":  func(c *Config) { c.IngressGateway = "knative-ingress-gateway" },
		"gateway empty name":  func(c *Config) { c.IngressGateway = "knative-serving/" },
		"gateway mesh":        func(c *Config) { c.IngressGateway = "mesh" },
		"gateway bad ns":      func(c *Config) { c.IngressGateway = "Knative_Serving/gw" },
		"gateway three parts": func(c *Config) { c.IngressGateway = "a/b/c" },
		"no local host":       func(c *Config) { c.LocalGatewayHost = "" },
		"bad local host":      func(c *Config) { c.LocalGatewayHost = "http://knative-local-gateway" },
		"negative timeout":    func(c *Config) { c.Timeout.Duration = -time.Second },
		"sub-ms timeout":      func(c *Config) { c.Timeout.Duration = time.Microsecond },
		"fractional ms":       func(c *Config) { c.Timeout.Duration = 1500 * time.Microsecond },
		"negative attempts":   func(c *Config) { c.Retries.Attempts = -1 },
		"sub-ms per try":      func(c *Config) { c.Retries.PerTryTimeout.Duration = time.Nanosecond },
		"unknown retry on":    func(c *Config) { c.Retries.RetryOn = "5xx,sometimes" },
		"empty retry on item": func(c *Config) { c.Retries.RetryOn = "5xx,,reset" },
		"status out of range": func(c *Config) { c.Retries.RetryOn = "600" },
	} {
		c := ok
		r := *ok.Retries
		c.Retries = &r
		mutate(&c)
		if errs := c.Validate(nil); len(errs) == 0 {
			t.Errorf("%s: accepted %+v", name, c)
		}
	}
}

func BenchmarkBuild20Rules(b *testing.B) {
	in := input("shop")
	for i := range 5 {
		in.Tags = append(in.Tags, tag(fmt.Sprintf("r%05d", i+1), "shop"))
	}
	for i := range 20 {
		in.Rules = append(in.Rules, RuleRoute{
			Match: revisions.Match{
				Headers: map[string]revisions.StringMatch{
					revisions.LaneHeader: {Exact: fmt.Sprintf("lane-%d", i)},
					"x-tenant":           {Prefix: "acme-"},
				},
				Cookie: &revisions.CookieMatch{Name: "cohort", Value: fmt.Sprint(i)},
			},
			InternalHost: tagInt(fmt.Sprintf("r%05d", i%5+1), "shop"),
		})
	}
	cfg := baseConfig()
	cfg.Timeout = metav1.Duration{Duration: 30 * time.Second}
	cfg.Retries = &Retries{Attempts: 3, PerTryTimeout: metav1.Duration{Duration: 10 * time.Second}, RetryOn: "connect-failure,refused-stream"}
	b.ReportAllocs()
	for b.Loop() {
		if vs := Build(in, cfg); len(vs.Spec.Http) != 26 {
			b.Fatalf("%d routes", len(vs.Spec.Http))
		}
	}
}
