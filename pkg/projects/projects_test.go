package projects

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipway-dev/slipway/pkg/environments"
)

func TestBuildNamespace(t *testing.T) {
	ns := func(name string, labels map[string]string) *corev1.Namespace {
		return &corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"}, ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	}
	for _, tc := range []struct {
		name string
		got  *corev1.Namespace
		want *corev1.Namespace
	}{
		{"environment", BuildNamespace("shop", "prod"), ns("shop-prod", map[string]string{
			"app.kubernetes.io/managed-by": "slipway",
			"slipway.dev/project":          "shop",
			"slipway.dev/env":              "prod",
			// No enforce: the Pod Security Policy enforces restricted less the log volume.
			"pod-security.kubernetes.io/warn":          "restricted",
			"pod-security.kubernetes.io/warn-version":  "latest",
			"pod-security.kubernetes.io/audit":         "restricted",
			"pod-security.kubernetes.io/audit-version": "latest",
		})},
		// No env label: not an environment, and outside the Policy.
		{"build", BuildBuildNamespace("shop"), ns("shop-build", map[string]string{
			"app.kubernetes.io/managed-by":               "slipway",
			"slipway.dev/project":                        "shop",
			"pod-security.kubernetes.io/enforce":         "privileged",
			"pod-security.kubernetes.io/enforce-version": "latest",
			"pod-security.kubernetes.io/warn":            "baseline",
			"pod-security.kubernetes.io/warn-version":    "latest",
			"pod-security.kubernetes.io/audit":           "baseline",
			"pod-security.kubernetes.io/audit-version":   "latest",
		})},
	} {
		if diff := cmp.Diff(tc.want, tc.got); diff != "" {
			t.Errorf("%s namespace (-want,+got):\n%s", tc.name, diff)
		}
	}
}

func TestRelabelNamespaces(t *testing.T) {
	envs := environments.List{{Name: "test"}, {Name: "prod"}}
	for _, tc := range []struct {
		name string
		pr   Project
		want []string
	}{
		{"complete", Project{Name: "shop", Namespaces: map[string]string{"test": "shop-test", "prod": "shop-prod"}}, []string{"shop-build", "shop-test", "shop-prod"}},
		// A half-made project gets its build namespace, and no environment namespace it lacks.
		{"half-made", Project{Name: "shop", Namespaces: map[string]string{"prod": "shop-prod"}}, []string{"shop-build", "shop-prod"}},
		// An environment no longer configured is not touched.
		{"unconfigured env", Project{Name: "shop", Namespaces: map[string]string{"pre": "shop-pre"}}, []string{"shop-build"}},
	} {
		var got []string
		for _, ns := range RelabelNamespaces(tc.pr, envs) {
			got = append(got, ns.Name)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want,+got):\n%s", tc.name, diff)
		}
	}
}

func TestMemberRequestValidate(t *testing.T) {
	for name, tc := range map[string]struct {
		req      MemberRequest
		wantKind string
		errs     []string // field paths refused
	}{
		"user by default": {req: MemberRequest{Name: "alice", Role: "developer"}, wantKind: "User"},
		"group":           {req: MemberRequest{Kind: "Group", Name: "team", Role: "viewer"}, wantKind: "Group"},
		"bad kind":        {req: MemberRequest{Kind: "ServiceAccount", Name: "x", Role: "admin"}, wantKind: "ServiceAccount", errs: []string{"kind"}},
		"no name":         {req: MemberRequest{Role: "admin"}, wantKind: "User", errs: []string{"name"}},
		"long name":       {req: MemberRequest{Name: strings.Repeat("a", 254), Role: "admin"}, wantKind: "User", errs: []string{"name"}},
		"unknown role":    {req: MemberRequest{Name: "bob", Role: "owner"}, wantKind: "User", errs: []string{"role"}},
	} {
		t.Run(name, func(t *testing.T) {
			errs := tc.req.Validate()
			var got []string
			for _, e := range errs {
				got = append(got, e.Field)
			}
			if diff := cmp.Diff(tc.errs, got); diff != "" {
				t.Errorf("refused fields (-want,+got):\n%s", diff)
			}
			if tc.req.Kind != tc.wantKind {
				t.Errorf("kind = %q, want %q", tc.req.Kind, tc.wantKind)
			}
		})
	}
}
