package podsecurity

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"sigs.k8s.io/yaml"

	"github.com/slipway-dev/slipway/internal/golden"
	"github.com/slipway-dev/slipway/pkg/logging"
)

func TestNamespaceLabels(t *testing.T) {
	for _, tc := range []struct {
		name string
		got  map[string]string
		want map[string]string
	}{
		// No enforce: the Policy enforces restricted less the log volume.
		{"environment", EnvNamespaceLabels(), map[string]string{
			"pod-security.kubernetes.io/warn": "restricted", "pod-security.kubernetes.io/warn-version": "latest",
			"pod-security.kubernetes.io/audit": "restricted", "pod-security.kubernetes.io/audit-version": "latest",
		}},
		// Rootless BuildKit's Unconfined seccomp and AppArmor profiles are beyond baseline.
		{"build", BuildNamespaceLabels(), map[string]string{
			"pod-security.kubernetes.io/enforce": "privileged", "pod-security.kubernetes.io/enforce-version": "latest",
			"pod-security.kubernetes.io/warn": "baseline", "pod-security.kubernetes.io/warn-version": "latest",
			"pod-security.kubernetes.io/audit": "baseline", "pod-security.kubernetes.io/audit-version": "latest",
		}},
	} {
		if diff := cmp.Diff(tc.want, tc.got); diff != "" {
			t.Errorf("%s labels (-want,+got):\n%s", tc.name, diff)
		}
	}
}

func TestPolicyShape(t *testing.T) {
	p := Policy(logging.Config{HostRoot: "/var/log/slipway"})
	b := Binding()
	if b.Spec.PolicyName != p.Name {
		t.Errorf("binding names policy %q, policy is %q", b.Spec.PolicyName, p.Name)
	}
	for _, sel := range []string{p.Spec.MatchConstraints.NamespaceSelector.String(), b.Spec.MatchResources.NamespaceSelector.String()} {
		if !strings.Contains(sel, "slipway.dev/env") || !strings.Contains(sel, "Exists") {
			t.Errorf("namespace selector %s: want environment namespaces", sel)
		}
	}
	if diff := cmp.Diff([]admissionregistrationv1.ValidationAction{"Deny", "Audit"}, b.Spec.ValidationActions); diff != "" {
		t.Errorf("actions (-want,+got):\n%s", diff)
	}
	rule := p.Spec.MatchConstraints.ResourceRules[0]
	if diff := cmp.Diff([]string{"pods", "pods/ephemeralcontainers"}, rule.Resources); diff != "" || len(rule.Operations) != 2 {
		t.Errorf("rule %+v", rule)
	}
	if *p.Spec.FailurePolicy != admissionregistrationv1.Fail {
		t.Errorf("failure policy %s", *p.Spec.FailurePolicy)
	}
	// Every rule says what is wrong, and container rules are judged on all three lists.
	lists := map[string]int{}
	for _, v := range p.Spec.Validations {
		if v.Message == "" && v.MessageExpression == "" {
			t.Errorf("validation without a message: %s", v.Expression)
		}
		for _, l := range containerLists {
			if strings.HasPrefix(v.Expression, "!has(object.spec."+l+")") {
				lists[l]++
			}
		}
	}
	for _, l := range containerLists {
		if lists[l] != len(containerChecks) {
			t.Errorf("%s: %d rules, want %d", l, lists[l], len(containerChecks))
		}
	}
}

func TestHostRoot(t *testing.T) {
	for _, tc := range []struct{ root, want string }{
		{"/var/log/slipway", `'/var/log/slipway'`},
		{`/logs/it's`, `'/logs/it\'s'`},
		{`/a\b`, `'/a\\b'`},
	} {
		p := Policy(logging.Config{HostRoot: tc.root})
		if got := p.Spec.Variables[0]; got.Name != VarHostRoot || got.Expression != tc.want {
			t.Errorf("host root %q: variable %+v, want %s", tc.root, got, tc.want)
		}
	}
}

// TestPolicyGolden shows every change to the rules in review.
func TestPolicyGolden(t *testing.T) {
	raw, err := yaml.Marshal(Policy(logging.Config{HostRoot: logging.DefaultHostRoot}))
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/policy.yaml", raw)
}
