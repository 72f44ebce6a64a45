package identity

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"sigs.k8s.io/yaml"

	"github.com/slipway-dev/slipway/internal/golden"
)

const goodToken = "s3cret-token-value"

// reviewingClient answers TokenReviews (goodToken is alice) and
// SubjectAccessReviews (alice may get services in shop-prod), counting calls.
func reviewingClient(calls *atomic.Int32) *fake.Clientset {
	c := fake.NewClientset()
	c.PrependReactor("create", "tokenreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		calls.Add(1)
		tr := a.(k8stesting.CreateAction).GetObject().(*authnv1.TokenReview)
		if tr.Spec.Token == goodToken {
			tr.Status = authnv1.TokenReviewStatus{Authenticated: true, User: authnv1.UserInfo{Username: "alice", Groups: []string{"team-a"}}}
		}
		return true, tr, nil
	})
	c.PrependReactor("create", "subjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		calls.Add(1)
		sar := a.(k8stesting.CreateAction).GetObject().(*authzv1.SubjectAccessReview)
		ra := sar.Spec.ResourceAttributes
		sar.Status.Allowed = sar.Spec.User == "alice" && ra.Namespace == "shop-prod" && ra.Verb == "get" && ra.Group == Group && ra.Resource == "apps"
		return true, sar, nil
	})
	return c
}

func TestTokenAuthenticator(t *testing.T) {
	var calls atomic.Int32
	a := NewTokenAuthenticator(reviewingClient(&calls), time.Minute)
	cases := map[string]struct {
		header   string
		wantUser string
		wantErr  bool
	}{
		"valid token":      {"Bearer " + goodToken, "alice", false},
		"lowercase scheme": {"bearer " + goodToken, "alice", false},
		"unknown token":    {"Bearer not-a-token", "", true},
		"no header":        {"", "", true},
		"basic auth":       {"Basic YWxpY2U6cHc=", "", true},
		"bearer, no token": {"Bearer ", "", true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			if tc.header != "" {
				r.Header.Set("Authorization", tc.header)
			}
			u, err := a.Authenticate(r)
			if (err != nil) != tc.wantErr || u.Name != tc.wantUser {
				t.Fatalf("Authenticate = %+v, %v; want user %q, error %v", u, err, tc.wantUser, tc.wantErr)
			}
			if err != nil {
				if !errors.Is(err, ErrUnauthenticated) {
					t.Errorf("error %v is not ErrUnauthenticated", err)
				}
				if strings.Contains(err.Error(), goodToken) || strings.Contains(err.Error(), "not-a-token") {
					t.Errorf("error repeats the token: %v", err)
				}
			}
		})
	}
}

func TestTokenAuthenticatorCaches(t *testing.T) {
	var calls atomic.Int32
	a := NewTokenAuthenticator(reviewingClient(&calls), time.Minute)
	for range 5 {
		if _, err := a.AuthenticateToken(context.Background(), goodToken); err != nil {
			t.Fatal(err)
		}
		if _, err := a.AuthenticateToken(context.Background(), "wrong"); err == nil {
			t.Fatal("wrong token accepted")
		}
	}
	if got := calls.Load(); got != 2 {
		t.Errorf("%d TokenReviews for 10 calls with 2 tokens, want 2", got)
	}
}

func TestSARAuthorizer(t *testing.T) {
	var calls atomic.Int32
	z := NewSARAuthorizer(reviewingClient(&calls), time.Minute)
	alice := User{Name: "alice", Groups: []string{"team-a"}}
	cases := []struct {
		user User
		act  Action
		ns   string
		want bool
	}{
		{alice, ReadApps, "shop-prod", true},
		{alice, ReadApps, "bank-prod", false},
		{alice, Deploy, "shop-prod", false},
		{User{Name: "bob"}, ReadApps, "shop-prod", false},
	}
	for range 3 {
		for _, tc := range cases {
			got, err := z.Allowed(context.Background(), tc.user, tc.act, tc.ns)
			if err != nil || got != tc.want {
				t.Errorf("Allowed(%s, %s, %s) = %v, %v; want %v", tc.user.Name, tc.act, tc.ns, got, err, tc.want)
			}
		}
	}
	if got := calls.Load(); got != int32(len(cases)) {
		t.Errorf("%d reviews for %d distinct questions asked 3 times", got, len(cases))
	}
}

func TestClusterRolesGolden(t *testing.T) {
	var docs []byte
	for _, r := range ClusterRoles() {
		b, err := yaml.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(append(docs, "---\n"...), b...)
	}
	golden.Check(t, filepath.Join("testdata", "clusterroles.golden.yaml"), docs)
}

// Each role can do everything the one below it can.
func TestRolesNest(t *testing.T) {
	roles := ClusterRoles()
	allows := func(rules []string, want string) bool {
		for _, r := range rules {
			if r == want {
				return true
			}
		}
		return false
	}
	flat := func(i int) []string {
		var out []string
		for _, r := range roles[i].Rules {
			for _, g := range r.APIGroups {
				for _, res := range r.Resources {
					for _, v := range r.Verbs {
						out = append(out, g+"/"+res+":"+v)
					}
				}
			}
		}
		return out
	}
	for i := 1; i < len(Roles); i++ {
		for _, p := range flat(i - 1) {
			if !allows(flat(i), p) {
				t.Errorf("%s lacks %s of %s", roles[i].Name, p, roles[i-1].Name)
			}
		}
	}
	for _, want := range []struct {
		role int
		perm string
		has  bool
	}{
		{0, Group + "/deployments:create", false},
		{1, Group + "/deployments:create", true},
		{1, Group + "/members:create", false},
		{2, Group + "/members:create", true},
		{3, Group + "/deployments:create", true},
		{3, Group + "/traffic:update", false},
	} {
		if got := allows(flat(want.role), want.perm); got != want.has {
			t.Errorf("%s has %s = %v, want %v", roles[want.role].Name, want.perm, got, want.has)
		}
	}
}

// No role writes a Kubernetes object: every change goes through platform-api.
func TestRolesWriteNothingButSlipwayActions(t *testing.T) {
	for _, r := range ClusterRoles() {
		for _, rule := range r.Rules {
			if slices.Equal(rule.APIGroups, []string{Group}) {
				continue
			}
			for _, v := range rule.Verbs {
				if !slices.Contains([]string{"get", "list", "watch"}, v) {
					t.Errorf("%s may %s %v in %v", r.Name, v, rule.Resources, rule.APIGroups)
				}
			}
		}
	}
	// A pipeline run deploys and asks for promotions (which then follow the policy), nothing else.
	deployer := ClusterRoles()[len(Roles)]
	var deployerMay []string
	for _, rule := range deployer.Rules {
		for _, v := range rule.Verbs {
			for _, res := range rule.Resources {
				deployerMay = append(deployerMay, v+" "+res)
			}
		}
	}
	slices.Sort(deployerMay)
	if !slices.Equal(deployerMay, []string{"create deployments", "create promotions"}) {
		t.Errorf("deployer may %v, want create deployments and promotions only", deployerMay)
	}
}

func TestActionTable(t *testing.T) {
	seen := map[string]bool{}
	for _, g := range Actions {
		if seen[g.Name] || seen[g.Action.String()] {
			t.Errorf("%s (%s) is in the table twice", g.Name, g.Action)
		}
		seen[g.Name], seen[g.Action.String()] = true, true
		if g.Action.Group != Group || g.Action.Verb == "" || g.Action.Resource == "" || g.What == "" {
			t.Errorf("row %+v is incomplete", g)
		}
		switch g.Scope {
		case ScopeCluster:
			if len(g.Roles) != 0 {
				t.Errorf("%s is cluster-wide but granted to project roles %v", g.Name, g.Roles)
			}
		case ScopeEnv, ScopeProject:
			if len(g.Roles) == 0 {
				t.Errorf("%s has no role", g.Name)
			}
		default:
			t.Errorf("%s has scope %q", g.Name, g.Scope)
		}
	}
	if !Known(Deploy) || Known(Action{Verb: "update", Group: "serving.knative.dev", Resource: "services"}) {
		t.Error("Known disagrees with the table")
	}
}

func TestMemberBinding(t *testing.T) {
	a := MemberBinding("shop-prod", Member{Kind: "User", Name: "dev-user", Role: RoleDeveloper})
	b := MemberBinding("shop-prod", Member{Kind: "User", Name: "dev-user", Role: RoleDeveloper})
	c := MemberBinding("shop-prod", Member{Kind: "Group", Name: "dev-user", Role: RoleDeveloper})
	if a.Name != b.Name || a.Name == c.Name {
		t.Errorf("names: %s, %s, %s — want the same subject to give the same name, another kind another", a.Name, b.Name, c.Name)
	}
	if a.RoleRef.Name != "slipway-developer" || a.Subjects[0].Name != "dev-user" || a.Namespace != "shop-prod" {
		t.Errorf("binding = %+v", a)
	}
}

// docs/security.md's action table is this table, row for row.
func TestSecurityDocListsEveryAction(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "security.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range Actions {
		row := fmt.Sprintf("| %s | %s %s | %s |", g.Name, g.Action.Verb, g.Action.Resource, g.Scope)
		for _, role := range append(slices.Clone(Roles), RoleDeployer) {
			mark := " "
			if slices.Contains(g.Roles, role) {
				mark = " ✓ "
			}
			row += mark + "|"
		}
		if !strings.Contains(string(doc), "\n"+row+"\n") {
			t.Errorf("docs/security.md has no row\n%s", row)
		}
	}
}
