package projects

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestBuildNamespace(t *testing.T) {
	want := &corev1.Namespace{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{
			Name: "shop-prod",
			Labels: map[string]string{
				"app.kubernetes.io/managed-by": "slipway",
				"slipway.dev/project":          "shop",
				"slipway.dev/env":              "prod",
			},
		},
	}
	if diff := cmp.Diff(want, BuildNamespace("shop", "prod")); diff != "" {
		t.Errorf("BuildNamespace (-want,+got):\n%s", diff)
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
