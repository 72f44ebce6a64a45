package revisions

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/slipway-dev/slipway/pkg/domains"
	"github.com/slipway-dev/slipway/pkg/environments"
	"github.com/slipway-dev/slipway/pkg/names"
)

func TestLaneRulesExpandToHeader(t *testing.T) {
	targets, rules := PlanTraffic(TrafficRequest{
		Targets: []Target{{Revision: "web-00001", Percent: 100}},
		Rules:   []Rule{{Lane: "feature-x", Revision: "web-00002"}},
	})
	wantRules := []Rule{{Match: Match{Headers: map[string]StringMatch{LaneHeader: {Exact: "feature-x"}}}, Revision: "web-00002"}}
	if d := cmp.Diff(wantRules, rules); d != "" {
		t.Errorf("rules (-want,+got):\n%s", d)
	}
	wantTargets := []Target{{Revision: "web-00001", Percent: 100}, {Revision: "web-00002", Tag: "r00002"}}
	if d := cmp.Diff(wantTargets, targets); d != "" {
		t.Errorf("targets (-want,+got):\n%s", d)
	}

	_, rules = PlanDeploy([]Target{{Revision: "web-00001", Percent: 100}}, nil, "web-00002", &Strategy{Type: StrategyHeader, Lane: "beta"})
	if d := cmp.Diff([]Rule{{Match: Match{Headers: map[string]StringMatch{LaneHeader: {Exact: "beta"}}}, Revision: "web-00002"}}, rules); d != "" {
		t.Errorf("header deploy by lane (-want,+got):\n%s", d)
	}
}

func TestLaneCookieAndDomainValidation(t *testing.T) {
	known := map[string]bool{"web-00001": true}
	target := []Target{{Revision: "web-00001", Percent: 100}}
	cases := []struct {
		name  string
		errs  func() []string
		wants []string
	}{
		{"lane and match", func() []string {
			return fieldsOf(TrafficRequest{Targets: target, Rules: []Rule{{Lane: "x", Match: Match{Headers: map[string]StringMatch{"a": {Exact: "b"}}}, Revision: "web-00001"}}}.Validate(known))
		}, []string{"rules[0].lane"}},
		{"bad lane", func() []string {
			return fieldsOf(TrafficRequest{Targets: target, Rules: []Rule{{Lane: "Feature X", Revision: "web-00001"}}}.Validate(known))
		}, []string{"rules[0].lane"}},
		{"cookie with semicolon", func() []string {
			return fieldsOf(TrafficRequest{Targets: target, Rules: []Rule{{Match: Match{Cookie: &CookieMatch{Name: "grp", Value: "a;b"}}, Revision: "web-00001"}}}.Validate(known))
		}, []string{"rules[0].match.cookie.value"}},
		{"bad cookie name", func() []string {
			return fieldsOf(TrafficRequest{Targets: target, Rules: []Rule{{Match: Match{Cookie: &CookieMatch{Name: "a b", Value: "v"}}, Revision: "web-00001"}}}.Validate(known))
		}, []string{"rules[0].match.cookie.name"}},
		{"cookie header", func() []string {
			return fieldsOf(TrafficRequest{Targets: target, Rules: []Rule{{Match: Match{Headers: map[string]StringMatch{"cookie": {Regex: ".*"}}}, Revision: "web-00001"}}}.Validate(known))
		}, []string{"rules[0].match.headers[cookie]"}},
		{"cookie alone is a match", func() []string {
			return fieldsOf(TrafficRequest{Targets: target, Rules: []Rule{{Match: Match{Cookie: &CookieMatch{Name: "grp", Value: "beta"}}, Revision: "web-00001"}}}.Validate(known))
		}, nil},
		{"lane on canary", func() []string {
			p := int64(10)
			return fieldsOf(DeployRequest{Image: "dev.local/x/y:v1", Strategy: &Strategy{Type: StrategyCanary, Percent: &p, Lane: "x"}}.Validate(environments.Environment{}))
		}, []string{"strategy.lane"}},
		{"header by lane", func() []string {
			return fieldsOf(DeployRequest{Image: "dev.local/x/y:v1", Strategy: &Strategy{Type: StrategyHeader, Lane: "beta"}}.Validate(environments.Environment{}))
		}, nil},
		{"unknown domain", func() []string {
			return fieldsOf(DeployRequest{Image: "dev.local/x/y:v1", Domain: "vanity"}.Validate(environments.Environment{}))
		}, []string{"domain"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.wants, tc.errs()); d != "" {
				t.Errorf("fields (-want,+got):\n%s", d)
			}
		})
	}
}

func TestSchemeFor(t *testing.T) {
	for _, tc := range []struct {
		domain  string
		current domains.Scheme
		want    domains.Scheme
	}{
		{"", domains.SchemeShort, domains.SchemeShort},
		{"", domains.SchemeDefault, domains.SchemeDefault},
		{DomainShort, domains.SchemeDefault, domains.SchemeShort},
		{DomainDefault, domains.SchemeShort, domains.SchemeDefault},
	} {
		if got := (DeployRequest{Domain: tc.domain}).SchemeFor(tc.current); got != tc.want {
			t.Errorf("SchemeFor(%q, current %q) = %q, want %q", tc.domain, tc.current, got, tc.want)
		}
	}
}

func TestShortSchemeRoundTrip(t *testing.T) {
	a := App{Project: "shop", Name: "web", Env: "prod", Namespace: "shop-prod", Scheme: domains.SchemeShort,
		Template: Template{RevisionName: "web-00001", Image: "dev.local/shop/web:v1"},
		Traffic:  []Target{{Revision: "web-00001", Percent: 100}}}
	svc := BuildService(a)
	if got := svc.Labels[names.LabelDomainScheme]; got != "short" {
		t.Fatalf("label %s = %q, want short", names.LabelDomainScheme, got)
	}
	back, err := AppFromService(svc)
	if err != nil {
		t.Fatal(err)
	}
	if back.Scheme != domains.SchemeShort {
		t.Errorf("scheme read back = %q", back.Scheme)
	}
	a.Scheme = domains.SchemeDefault
	if _, ok := BuildService(a).Labels[names.LabelDomainScheme]; ok {
		t.Error("default scheme writes the short-scheme label")
	}
}
