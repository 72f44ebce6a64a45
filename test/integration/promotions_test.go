//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/slipway-dev/slipway/pkg/api"
	"github.com/slipway-dev/slipway/pkg/apps"
	"github.com/slipway-dev/slipway/pkg/audit"
	"github.com/slipway-dev/slipway/pkg/environments"
	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/promotions"
	"github.com/slipway-dev/slipway/pkg/revisions"
)

// promotionsPath is the app's promotions collection.
func promotionsPath(project, app string) string {
	return fmt.Sprintf("/api/v1/projects/%s/apps/%s/promotions", project, app)
}

// refusal is a problem answer, decoded (call decodes only successes).
func refusal(t testing.TB, code int, raw []byte) api.Problem {
	t.Helper()
	var p api.Problem
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatalf("answer %d is not a problem: %s", code, raw)
	}
	return p
}

// wantRefusal fails the test unless the answer is status with the policy rule.
func wantRefusal(t testing.TB, what string, status int, rule string, code int, raw []byte) api.Problem {
	t.Helper()
	p := refusal(t, code, raw)
	if code != status || p.Rule != rule {
		t.Fatalf("%s = %d rule %q, want %d rule %q: %s", what, code, p.Rule, status, rule, raw)
	}
	return p
}

// member makes a ServiceAccount identity a member of project with role.
func member(t testing.TB, project, name, role string) (token, user string) {
	t.Helper()
	token, user = serviceAccountToken(t, name)
	mustCall(t, http.StatusCreated, http.MethodPost, "/api/v1/projects/"+project+"/members", map[string]string{"name": user, "role": role}, nil)
	return token, user
}

// approveEventually approves as token, retrying while the new member's role is not yet
// seen by the apiserver's authorizer (a 403 without a rule).
func approveEventually(t testing.TB, token, path string) promotions.Promotion {
	t.Helper()
	var out promotions.Promotion
	eventually(t, 20*time.Second, "approval by a new member", func() error {
		code, raw := callAt(t, env.server.URL, token, http.MethodPost, path+"/approve", map[string]string{"message": "looks good"}, &out)
		if code == http.StatusOK {
			return nil
		}
		if p := refusal(t, code, raw); code != http.StatusForbidden || p.Rule != "" {
			t.Fatalf("approve = %d: %s", code, raw)
		}
		return fmt.Errorf("approve = %d: %s", code, raw)
	})
	return out
}

// revisionContainer is the user container of a Knative Revision, as Knative stored it.
func revisionContainer(t testing.TB, ns, name string) corev1.Container {
	t.Helper()
	rev, err := env.clients.Serving.ServingV1().Revisions(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return rev.Spec.Containers[0]
}

// TestPromotionPath is the acceptance: deploy in test, ask for prod, the requester
// may not approve, a colleague does, and prod runs the very same release with its trail.
func TestPromotionPath(t *testing.T) {
	const project, app = "promo", "web"
	createProject(t, project)
	requesterToken, requester := member(t, project, "promo-requester", "developer")
	approverToken, approver := member(t, project, "promo-approver", "developer")
	image := "dev.local/promo/web:v1"
	const secret = "promo-secret-value"

	as(requesterToken, func() {
		eventually(t, 20*time.Second, "the requester's role reaches the authorizer", func() error {
			code, raw := call(t, http.MethodPost, appPath(project, app, "test")+"/deployments", map[string]any{
				"image": image, "message": "v1 for testing", "port": 8080,
				"env":       []map[string]string{{"name": "DB_PASSWORD", "value": secret}, {"name": "MODE", "value": "fast"}},
				"resources": map[string]any{"requests": map[string]string{"cpu": "50m"}}}, nil)
			if code != http.StatusCreated {
				return fmt.Errorf("deploy = %d: %s", code, raw)
			}
			return nil
		})
	})
	waitRevisionReady(t, project+"-test", "web-00001", image)

	as(requesterToken, func() {
		code, raw := call(t, http.MethodPost, appPath(project, app, "prod")+"/deployments", map[string]any{"image": image}, nil)
		wantRefusal(t, "a direct deploy to prod", http.StatusConflict, environments.RulePromotionRequired, code, raw)
		code, raw = call(t, http.MethodPost, promotionsPath(project, app), map[string]any{"from": "prod", "to": "test"}, nil)
		wantRefusal(t, "a promotion against the path", http.StatusConflict, environments.RuleNotNextStep, code, raw)
	})

	var p promotions.Promotion
	as(requesterToken, func() {
		mustCall(t, http.StatusCreated, http.MethodPost, promotionsPath(project, app),
			map[string]any{"from": "test", "to": "prod", "message": "ship v1"}, &p)
	})
	if p.State != promotions.StatePending || p.Revision != "web-00001" || p.RequestedBy != requester || p.RequiredApprovals != 1 || p.Release == "" {
		t.Fatalf("promotion = %+v, want pending for web-00001 by %s needing one approval", p, requester)
	}
	one := promotionsPath(project, app) + "/" + p.ID

	as(requesterToken, func() {
		code, raw := call(t, http.MethodPost, one+"/approve", map[string]string{"message": "mine"}, nil)
		wantRefusal(t, "self-approval", http.StatusForbidden, environments.RuleSelfApproval, code, raw)
	})
	var pending []promotions.Promotion
	mustCall(t, http.StatusOK, http.MethodGet, promotionsPath(project, app)+"?state=pending", nil, &pending)
	if len(pending) != 1 || pending[0].ID != p.ID {
		t.Fatalf("pending promotions = %+v, want only %s", pending, p.ID)
	}

	done := approveEventually(t, approverToken, one)
	if done.State != promotions.StateDeployed || done.DeployedRevision != "web-00001" ||
		len(done.Approvals) != 1 || done.Approvals[0].User != approver {
		t.Fatalf("approved promotion = %+v, want deployed as prod's web-00001, approved by %s", done, approver)
	}
	code, raw := callAt(t, env.server.URL, approverToken, http.MethodPost, one+"/approve", map[string]string{}, nil)
	wantRefusal(t, "approving a deployed promotion", http.StatusConflict, environments.RuleNotPending, code, raw)
	mustCall(t, http.StatusOK, http.MethodGet, one, nil, &p)
	if p.State != promotions.StateDeployed {
		t.Fatalf("promotion read back = %+v, want deployed", p)
	}
	waitRevisionReady(t, project+"-prod", "web-00001", image)

	// Prod's Knative Revision runs test's container exactly, plus prod's overlay.
	testC, prodC := revisionContainer(t, project+"-test", "web-00001"), revisionContainer(t, project+"-prod", "web-00001")
	overlay := corev1.EnvVar{Name: "SLIPWAY_TIER", Value: "production"}
	if !slices.Contains(prodC.Env, overlay) {
		t.Errorf("prod's container env %v lacks the overlay %v", prodC.Env, overlay)
	}
	prodC.Env = slices.DeleteFunc(prodC.Env, func(e corev1.EnvVar) bool { return e == overlay })
	if d := cmp.Diff(testC, prodC); d != "" {
		t.Errorf("prod's container differs from test's, overlays aside (-test,+prod):\n%s", d)
	}
	prodRev, err := env.clients.Serving.ServingV1().Revisions(project+"-prod").Get(context.Background(), "web-00001", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := prodRev.Labels[names.LabelRelease]; got != p.Release {
		t.Errorf("prod's revision has release label %q, want %q", got, p.Release)
	}

	var revs []apps.Revision
	eventually(t, 10*time.Second, "prod's revision view records where it came from", func() error {
		mustCall(t, http.StatusOK, http.MethodGet, appPath(project, app, "prod")+"/revisions", nil, &revs)
		want := &revisions.PromotedFrom{Env: "test", Revision: "web-00001", Release: p.Release, Promotion: p.ID}
		if len(revs) != 1 || revs[0].Release != p.Release || !cmp.Equal(revs[0].PromotedFrom, want) {
			return fmt.Errorf("prod's revisions = %+v, want one from %+v", revs, want)
		}
		return nil
	})

	var history []revisions.HistoryEntry
	mustCall(t, http.StatusOK, http.MethodGet, appPath(project, app, "prod")+"/history", nil, &history)
	var actions []string
	for _, h := range history {
		actions = append(actions, string(h.Action)+" by "+h.User)
	}
	for _, want := range []string{"promotion-requested by " + requester, "promotion-approved by " + approver, "promoted by " + approver} {
		if !slices.Contains(actions, want) {
			t.Errorf("prod's history %v lacks %q", actions, want)
		}
	}

	// The releases list names the variables, never their values, and where the release serves.
	var rels []apps.ReleaseView
	mustCall(t, http.StatusOK, http.MethodGet, fmt.Sprintf("/api/v1/projects/%s/apps/%s/releases", project, app), nil, &rels)
	var served []string
	for _, r := range rels {
		if r.Name == p.Release {
			for _, e := range r.Environments {
				served = append(served, fmt.Sprintf("%s/%s=%d", e.Env, e.Revision, e.Percent))
			}
			if !cmp.Equal(r.EnvNames, []string{"DB_PASSWORD", "MODE"}) || !r.Unpinned || r.Image != image {
				t.Errorf("release %+v, want %s unpinned with variables DB_PASSWORD and MODE", r, image)
			}
		}
	}
	slices.Sort(served)
	if d := cmp.Diff([]string{"prod/web-00001=100", "test/web-00001=100"}, served); d != "" {
		t.Errorf("release %s serves (-want,+got):\n%s", p.Release, d)
	}

	// A change in test shows in the diff, by name only.
	mustCall(t, http.StatusCreated, http.MethodPost, appPath(project, app, "test")+"/deployments", map[string]any{
		"image": "dev.local/promo/web:v2", "port": 8080,
		"env":       []map[string]string{{"name": "DB_PASSWORD", "value": secret + "-rotated"}, {"name": "MODE", "value": "fast"}},
		"resources": map[string]any{"requests": map[string]string{"cpu": "50m"}}}, nil)
	waitRevisionReady(t, project+"-test", "web-00002", "dev.local/promo/web:v2")
	var diff struct {
		Differences []promotions.Difference `json:"differences"`
	}
	eventually(t, 10*time.Second, "the diff sees test's new revision", func() error {
		mustCall(t, http.StatusOK, http.MethodGet, fmt.Sprintf("/api/v1/projects/%s/apps/%s/diff?from=test&to=prod", project, app), nil, &diff)
		if !slices.ContainsFunc(diff.Differences, func(d promotions.Difference) bool {
			return d.Field == "image" && d.From == "dev.local/promo/web:v2" && d.To == image
		}) {
			return fmt.Errorf("differences %+v lack the image", diff.Differences)
		}
		return nil
	})
	if rawDiff, _ := json.Marshal(diff); strings.Contains(string(rawDiff), secret) {
		t.Errorf("the diff shows a variable's value: %s", rawDiff)
	}

	// Every state change is in the audit trail.
	var records []audit.Record
	mustCall(t, http.StatusOK, http.MethodGet, "/api/v1/audit?project="+project+"&limit=1000", nil, &records)
	var trail []string
	for _, r := range records {
		trail = append(trail, r.Action+" "+r.User+" "+r.Env+" "+r.Result)
	}
	for _, want := range []string{
		"promotion-requested " + requester + " prod ok",
		"promotion-approved " + requester + " prod refused",
		"promotion-approved " + approver + " prod ok",
	} {
		if !slices.Contains(trail, want) {
			t.Errorf("audit trail lacks %q:\n%s", want, strings.Join(trail, "\n"))
		}
	}
	if strings.Contains(fmt.Sprint(records), secret) {
		t.Error("the audit trail holds a variable's value")
	}
}

// TestPromotionApprovedOnce: several colleagues approve the same promotion at once; one
// approval deploys it, the others are told it is no longer pending, and prod gets one revision.
func TestPromotionApprovedOnce(t *testing.T) {
	const project, app = "promo-race", "api"
	createProject(t, project)
	mustCall(t, http.StatusCreated, http.MethodPost, appPath(project, app, "test")+"/deployments", map[string]any{"image": "dev.local/race/api:v1"}, nil)
	waitRevisionReady(t, project+"-test", "api-00001", "dev.local/race/api:v1")
	var tokens []string
	for i := range 4 {
		token, _ := member(t, project, fmt.Sprintf("race-approver-%d", i), "developer")
		tokens = append(tokens, token)
	}
	var p promotions.Promotion
	mustCall(t, http.StatusCreated, http.MethodPost, promotionsPath(project, app), map[string]any{"from": "test", "to": "prod"}, &p)
	one := promotionsPath(project, app) + "/" + p.ID
	// Each approver's role must reach the authorizer before the race, or the race is with RBAC.
	for _, token := range tokens {
		eventually(t, 20*time.Second, "an approver's role reaches the authorizer", func() error {
			code, raw := callAt(t, env.server.URL, token, http.MethodGet, "/api/v1/projects/"+project+"/access", nil, nil)
			if code != http.StatusOK || !strings.Contains(string(raw), "approvePromotions") {
				return fmt.Errorf("access = %d: %s", code, raw)
			}
			return nil
		})
	}

	var wg sync.WaitGroup
	codes := make([]string, len(tokens))
	for i, token := range tokens {
		wg.Go(func() {
			code, raw := callAt(t, env.server.URL, token, http.MethodPost, one+"/approve", map[string]string{}, nil)
			rule := ""
			if code != http.StatusOK {
				rule = refusal(t, code, raw).Rule
			}
			codes[i] = fmt.Sprintf("%d %s", code, rule)
		})
	}
	wg.Wait()
	slices.Sort(codes)
	want := []string{"200 ", "409 " + environments.RuleNotPending, "409 " + environments.RuleNotPending, "409 " + environments.RuleNotPending}
	if d := cmp.Diff(want, codes); d != "" {
		t.Fatalf("concurrent approvals (-want,+got):\n%s", d)
	}
	mustCall(t, http.StatusOK, http.MethodGet, one, nil, &p)
	if p.State != promotions.StateDeployed || len(p.Approvals) != 1 {
		t.Fatalf("promotion = %+v, want deployed with one approval", p)
	}
	eventually(t, 10*time.Second, "prod's revisions in the cache", func() error {
		revs, err := env.clients.Serving.ServingV1().Revisions(project+"-prod").List(context.Background(), metav1.ListOptions{})
		if err != nil {
			return err
		}
		if len(revs.Items) != 1 {
			return fmt.Errorf("prod has %d revisions, want 1", len(revs.Items))
		}
		return nil
	})
}

// TestPromotionPolicyRefusals runs a platform-api whose prod needs a soak and is frozen by a
// deny window now: the soak refuses until it has elapsed, then the window refuses with its
// end as the next opening, a revision that is not Ready is refused, and an admin's
// break-glass goes through both, recorded with its reason.
func TestPromotionPolicyRefusals(t *testing.T) {
	const project, app = "promo-policy", "svc"
	const soak = 12 * time.Second
	freezeStart := time.Now().UTC().Truncate(time.Minute).Add(-time.Minute)
	cfg := *env.cfg
	cfg.Environments = slices.Clone(env.cfg.Environments)
	for i := range cfg.Environments {
		if cfg.Environments[i].Name == "prod" {
			cfg.Environments[i].Soak = &metav1.Duration{Duration: soak}
			cfg.Environments[i].Windows = []environments.Window{{Kind: environments.WindowDeny, TimeZone: "UTC",
				Cron: fmt.Sprintf("%d %d * * *", freezeStart.Minute(), freezeStart.Hour()), Duration: metav1.Duration{Duration: time.Hour}}}
		}
	}
	if errs := cfg.Environments.Validate(field.NewPath("environments")); len(errs) > 0 {
		t.Fatalf("test config: %v", errs)
	}
	platform := startPlatform(t, &cfg, env.platformClients)
	at := func(method, path string, body, out any) (int, []byte) {
		return callAt(t, platform.URL, env.stack.AdminToken, method, path, body, out)
	}
	createProject(t, project)
	mustCall(t, http.StatusCreated, http.MethodPost, appPath(project, app, "test")+"/deployments", map[string]any{"image": "dev.local/policy/svc:v1"}, nil)
	waitRevisionReady(t, project+"-test", "svc-00001", "dev.local/policy/svc:v1")
	rev, err := env.clients.Serving.ServingV1().Revisions(project+"-test").Get(context.Background(), "svc-00001", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	readySince := rev.Status.GetCondition("Ready").LastTransitionTime.Inner.UTC()
	request := map[string]any{"from": "test", "to": "prod", "message": "during the freeze"}

	if time.Since(readySince) < soak-2*time.Second {
		code, raw := at(http.MethodPost, promotionsPath(project, app), request, nil)
		p := wantRefusal(t, "a promotion before the soak", http.StatusConflict, environments.RuleSoak, code, raw)
		if p.NextOpening == nil || !p.NextOpening.Equal(readySince.Add(soak)) {
			t.Errorf("soak's next opening = %v, want %s", p.NextOpening, readySince.Add(soak))
		}
	} else {
		t.Logf("the revision was Ready %s ago, past the soak: its refusal is not checked", time.Since(readySince))
	}
	eventually(t, soak+10*time.Second, "the soak elapses into the freeze", func() error {
		code, raw := at(http.MethodPost, promotionsPath(project, app), request, nil)
		if p := refusal(t, code, raw); code != http.StatusConflict || p.Rule != environments.RuleWindow {
			return fmt.Errorf("promotion = %d rule %q: %s", code, p.Rule, raw)
		}
		p := refusal(t, code, raw)
		if want := freezeStart.Add(time.Hour); p.NextOpening == nil || !p.NextOpening.Equal(want) {
			t.Fatalf("window's next opening = %v, want %s", p.NextOpening, want)
		}
		return nil
	})

	// A revision that cannot be scheduled is never Ready.
	mustCall(t, http.StatusCreated, http.MethodPost, appPath(project, app, "test")+"/deployments", map[string]any{"image": "dev.local/policy/svc:huge",
		"resources": map[string]any{"requests": map[string]string{"cpu": "900"}}, "strategy": map[string]any{"type": "canary", "percent": 10}}, nil)
	eventually(t, 20*time.Second, "the unschedulable revision is in platform-api's cache", func() error {
		code, raw := at(http.MethodPost, promotionsPath(project, app), map[string]any{"from": "test", "to": "prod", "revision": "svc-00002"}, nil)
		if p := refusal(t, code, raw); code != http.StatusConflict || p.Rule != environments.RuleNotReady {
			return fmt.Errorf("promotion of svc-00002 = %d rule %q: %s", code, p.Rule, raw)
		}
		return nil
	})

	// Break-glass skips the window and the approval, and says why.
	var p promotions.Promotion
	request["breakGlass"] = map[string]string{"reason": "hotfix for an outage"}
	if code, raw := at(http.MethodPost, promotionsPath(project, app), request, &p); code != http.StatusCreated {
		t.Fatalf("break-glass promotion = %d: %s", code, raw)
	}
	if p.State != promotions.StateDeployed || p.BreakGlass == nil || p.BreakGlass.Message != "hotfix for an outage" || p.DeployedRevision != "svc-00001" {
		t.Fatalf("break-glass promotion = %+v, want deployed as svc-00001 with its reason", p)
	}
	waitRevisionReady(t, project+"-prod", "svc-00001", "dev.local/policy/svc:v1")
	var records []audit.Record
	mustCall(t, http.StatusOK, http.MethodGet, "/api/v1/audit?project="+project+"&limit=1000", nil, &records)
	found := false
	for _, r := range records {
		if r.Action == "promotion-requested" && r.Result == "ok" && strings.Contains(r.After, "hotfix for an outage") {
			found = true
		}
	}
	if !found {
		t.Errorf("no audit record of the break-glass promotion with its reason: %+v", records)
	}
}
