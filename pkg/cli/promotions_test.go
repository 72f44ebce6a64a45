package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"

	"github.com/slipway-dev/slipway/internal/apitest"
	"github.com/slipway-dev/slipway/pkg/api"
	"github.com/slipway-dev/slipway/pkg/cli"
	"github.com/slipway-dev/slipway/pkg/environments"
	"github.com/slipway-dev/slipway/pkg/names"
)

// approverToken is a third user's: approver may do anything, like tester, so a promotion
// tester asked for can be approved by someone else.
const approverToken = "approver-token"

// promotionWorld is a world with the approver, whose transcripts number promotions by the
// order they appear in (hello-YYYYMMDDhhmmssSSS-0001, …) and show the times the server stamps
// as YYYY-MM-DDThh:mm:ssZ: of the same widths, so tables stay aligned.
func promotionWorld(t *testing.T) (*world, string) {
	t.Helper()
	w := newWorld(t)
	kc := w.platform.Kube
	kc.PrependReactor("create", "tokenreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		tr := a.(k8stesting.CreateAction).GetObject().(*authnv1.TokenReview)
		if tr.Spec.Token != approverToken {
			return false, nil, nil
		}
		tr.Status = authnv1.TokenReviewStatus{Authenticated: true, User: authnv1.UserInfo{Username: "approver"}}
		return true, tr, nil
	})
	kc.PrependReactor("create", "subjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		sar := a.(k8stesting.CreateAction).GetObject().(*authzv1.SubjectAccessReview)
		if sar.Spec.User != "approver" {
			return false, nil, nil
		}
		sar.Status.Allowed = true
		return true, sar, nil
	})
	ids := regexp.MustCompile(apitest.App + `-\d{17}-[0-9a-f]{4}`)
	seen := map[string]string{}
	stamps := regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)
	w.scrubbers = append(w.scrubbers,
		func(s string) string {
			return ids.ReplaceAllStringFunc(s, func(id string) string {
				if _, ok := seen[id]; !ok {
					seen[id] = fmt.Sprintf("%s-YYYYMMDDhhmmssSSS-%04d", apitest.App, len(seen)+1)
				}
				return seen[id]
			})
		},
		func(s string) string {
			return stamps.ReplaceAllStringFunc(s, func(ts string) string {
				if at, err := time.Parse(time.RFC3339, ts); err == nil && time.Since(at).Abs() < time.Hour {
					return "YYYY-MM-DDThh:mm:ssZ"
				}
				return ts
			})
		})
	return w, w.writeFile("approver-token", approverToken+"\n")
}

// promotionID is the ID of the promotion a command printed with -o name.
func promotionID(t *testing.T, r result) string {
	t.Helper()
	id := strings.TrimSpace(r.stdout)
	if r.code != 0 || id == "" || strings.Contains(id, "\n") {
		t.Fatalf("slipway %s: exit %d, %q %q", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
	}
	return id
}

// A promotion from test into prod waits for prod's one approval; another user's approval
// deploys it, as a new revision in prod that runs test's release.
func TestPromotionFlow(t *testing.T) {
	t.Parallel()
	w, approver := promotionWorld(t)
	w.resolveDigest(apitest.TestNS, apitest.Rev1, "sha256:"+strings.Repeat("0123456789abcdef", 4))
	w.check("diff-before", cli.ExitOK, w.do("diff", "hello", "--to", "prod"))

	promote := w.do("promote", "hello", "--to", "prod", "--message", "v1 has soaked in test")
	w.check("promote-pending", cli.ExitOK, promote)
	reqs := w.got()
	if len(reqs) != 2 || reqs[1].method != http.MethodPost || reqs[1].path != "/api/v1/projects/demo/apps/hello/promotions" ||
		reqs[1].body != `{"from":"test","message":"v1 has soaked in test","to":"prod"}` {
		t.Errorf("requests: %+v", reqs)
	}
	id := promotionID(t, w.do("promotion", "list", "hello", "--state", "pending", "-o", "name"))

	w.check("promotion-list", cli.ExitOK,
		w.do("promotion", "list", "hello"),
		w.do("promotion", "list", "hello", "--state", "deployed"),
		w.do("promotion", "describe", "hello", id),
		w.do("promotion", "describe", "hello", id, "-o", "json"),
	)
	// viewer may read promotions, not approve them: a 403 that names no rule is exit 4.
	w.check("promotion-approve-forbidden", cli.ExitAuth, w.as(w.viewer, "promotion", "approve", "hello", id))

	approve := w.as(approver, "promotion", "approve", "hello", id, "--message", "checked the dashboards")
	approve.args = []string{"promotion", "approve", "hello", id, "--message", "checked the dashboards"}
	w.check("promotion-approve", cli.ExitOK, approve, w.do("promotion", "list", "hello"))

	// Approving a promotion that is no longer pending is the policy's refusal (rule
	// notPending, a 409): exit 7, the rule shown.
	w.check("promotion-not-pending", cli.ExitRefused,
		w.do("promotion", "approve", "hello", id),
		w.do("promotion", "reject", "hello", id, "--message", "too late"),
	)
	w.check("diff", cli.ExitOK,
		w.do("diff", "hello", "--from", "test", "--to", "prod"),
		w.do("diff", "hello", "--from", "test", "--to", "prod", "-o", "json"),
	)
	// Knative's part, which the fake clientsets do not play: prod's new revision becomes
	// Ready and serves; the release list then shows it serving there.
	w.serveTemplate(apitest.ProdNS)
	w.check("release-list", cli.ExitOK,
		w.do("release", "list", "hello"),
		w.do("release", "list", "hello", "-o", "name"),
	)
}

// A rejected promotion ends; --wait on one still pending gives up with exit 7, waiting for
// approval.
func TestPromotionRejectAndWait(t *testing.T) {
	t.Parallel()
	w, _ := promotionWorld(t)
	wait := w.do("promote", "hello", "--from", "test", "--to", "prod", "--revision", "hello-00001", "--canary", "10", "--wait", "--wait-timeout", "400ms", "-o", "name")
	w.check("promote-wait-approval", cli.ExitRefused, wait)
	reqs := w.got()
	if len(reqs) < 2 || reqs[0].body != `{"from":"test","revision":"hello-00001","strategy":{"percent":10,"type":"canary"},"to":"prod"}` {
		t.Errorf("requests: %+v", reqs)
	}
	for _, r := range reqs[1:] {
		if r.method != http.MethodGet || !strings.HasPrefix(r.path, "/api/v1/projects/demo/apps/hello/promotions/") {
			t.Errorf("the wait asked %s %s", r.method, r.path)
		}
	}
	id := strings.TrimSpace(wait.stdout)
	w.check("promotion-reject", cli.ExitOK, w.do("promotion", "reject", "hello", id, "--message", "wait for the schema migration"))
	w.check("promotion-list-rejected", cli.ExitOK, w.do("promotion", "list", "hello", "--state", "rejected"))
	w.check("promotion-invalid", cli.ExitUsage,
		w.do("promote", "hello", "--to", "prod", "--strategy", "canary"),
		w.do("promote", "hello", "--to", "prod", "--break-glass", " "),
		w.do("promote", "hello", "--from", "test"),
		w.do("promotion", "list", "hello", "--state", "bogus"),
		w.do("promote", "hello", "--from", "prod", "--to", "nosuch"),
	)
	// Not the next step on the path: a 409 naming its rule is exit 7.
	w.check("promote-not-next-step", cli.ExitRefused, w.do("promote", "hello", "--from", "prod", "--to", "test"))
}

// resolveDigest does what Knative would for a revision: it resolves the image's tag to
// digest. It returns once the platform's caches have it.
func (w *world) resolveDigest(ns, name, digest string) {
	w.t.Helper()
	ctx := context.Background()
	revs := w.platform.Serving.ServingV1().Revisions(ns)
	rev, err := revs.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		w.t.Fatal(err)
	}
	rev.Status.ContainerStatuses = []servingv1.ContainerStatus{{Name: "user-container", ImageDigest: "registry.example/demo/hello@" + digest}}
	if _, err := revs.UpdateStatus(ctx, rev, metav1.UpdateOptions{}); err != nil {
		w.t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if got, err := w.platform.Cache.Revisions.Revisions(ns).Get(name); err == nil && len(got.Status.ContainerStatuses) == 1 {
			return
		}
	}
	w.t.Fatalf("the caches never had %s/%s's digest", ns, name)
}

// serveTemplate does what Knative would with hello's Service in ns: its template's revision
// is made, Ready, and serves all traffic. It returns once the platform's caches have it.
func (w *world) serveTemplate(ns string) {
	w.t.Helper()
	ctx := context.Background()
	services := w.platform.Serving.ServingV1().Services(ns)
	svc, err := services.Get(ctx, apitest.App, metav1.GetOptions{})
	if err != nil {
		w.t.Fatal(err)
	}
	tmpl := svc.Spec.Template
	labels := map[string]string{"serving.knative.dev/service": apitest.App, names.LabelProject: apitest.Project, names.LabelApp: apitest.App}
	for k, v := range tmpl.Labels {
		labels[k] = v
	}
	ready := apis.Condition{Type: apis.ConditionReady, Status: corev1.ConditionTrue}
	rev := &servingv1.Revision{
		ObjectMeta: metav1.ObjectMeta{Name: tmpl.Name, Namespace: ns, Labels: labels, Annotations: tmpl.Annotations},
		Spec:       tmpl.Spec,
		Status:     servingv1.RevisionStatus{Status: duckv1.Status{ObservedGeneration: 1, Conditions: duckv1.Conditions{ready}}},
	}
	if _, err := w.platform.Serving.ServingV1().Revisions(ns).Create(ctx, rev, metav1.CreateOptions{}); err != nil {
		w.t.Fatal(err)
	}
	svc.Status.ObservedGeneration = svc.Generation
	svc.Status.Conditions = duckv1.Conditions{ready}
	svc.Status.LatestCreatedRevisionName, svc.Status.LatestReadyRevisionName = tmpl.Name, tmpl.Name
	svc.Status.Traffic = []servingv1.TrafficTarget{{RevisionName: tmpl.Name, Percent: ptr.To[int64](100), LatestRevision: ptr.To(false)}}
	if _, err := services.UpdateStatus(ctx, svc, metav1.UpdateOptions{}); err != nil {
		w.t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		got, err := w.platform.Cache.Services.Services(ns).Get(apitest.App)
		if err == nil && len(got.Status.Traffic) == 1 {
			if _, err := w.platform.Cache.Revisions.Revisions(ns).Get(tmpl.Name); err == nil {
				return
			}
		}
	}
	w.t.Fatalf("the caches never had %s/%s serving %s", ns, apitest.App, tmpl.Name)
}

// refusal answers a request the way platform-api answers a policy's refusal.
func refusal(status int, rule, detail string, next time.Time) func(http.ResponseWriter) {
	p := api.Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail, Rule: rule}
	if !next.IsZero() {
		p.NextOpening = &next
	}
	return func(rw http.ResponseWriter) {
		rw.Header().Set("Content-Type", "application/problem+json")
		rw.WriteHeader(status)
		_ = json.NewEncoder(rw).Encode(p)
	}
}

// The refusals of a promotion policy the seeded platform has none of (a promotion-only
// prod, forbidden self-approval, windows), as platform-api sends them: each is exit 7, with
// its rule and next opening shown; a 403 without a rule stays exit 4.
func TestPolicyRefusals(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	answers := map[string]func(http.ResponseWriter){
		"POST /api/v1/projects/demo/apps/hello/envs/prod/deployments": refusal(http.StatusConflict, environments.RulePromotionRequired,
			"prod is reached only by promotion: promote a release from test, or deploy with breakGlass", time.Time{}),
		"POST /api/v1/projects/demo/apps/hello/promotions/hello-20260203040506-ab12/approve": refusal(http.StatusForbidden, environments.RuleSelfApproval,
			"tester asked for promotion hello-20260203040506-ab12 and may not approve it: prod forbids self-approval", time.Time{}),
		"POST /api/v1/projects/demo/apps/hello/promotions": refusal(http.StatusConflict, environments.RuleWindow,
			"prod's windows are closed until 2026-12-02T18:00:00Z", time.Date(2026, 12, 2, 18, 0, 0, 0, time.UTC)),
		"POST /api/v1/projects/demo/apps/hello/promotions/hello-20260203040506-ab12/reject": refusal(http.StatusForbidden, "",
			"viewer may not approvePromotions in project \"demo\", environment \"prod\"", time.Time{}),
	}
	w.answer = func(rw http.ResponseWriter, r *http.Request) bool {
		if a, ok := answers[r.Method+" "+r.URL.Path]; ok {
			a(rw)
			return true
		}
		return false
	}
	w.check("policy-refused", cli.ExitRefused,
		w.do("-e", "prod", "deploy", "hello", "--image", "dev.local/hello:v3"),
		w.do("promotion", "approve", "hello", "hello-20260203040506-ab12"),
		w.do("promote", "hello", "--to", "prod"),
	)
	w.check("policy-forbidden", cli.ExitAuth, w.do("promotion", "reject", "hello", "hello-20260203040506-ab12"))
}

// deploy --break-glass sends its reason; the platform keeps it with the revision.
func TestDeployBreakGlass(t *testing.T) {
	t.Parallel()
	w, _ := promotionWorld(t)
	r := w.do("-e", "prod", "deploy", "hello", "--image", "dev.local/hello:v3", "--min-scale", "1", "--break-glass", "INC-42: v2 leaks memory", "--async")
	reqs := w.got()
	if len(reqs) != 1 || reqs[0].body != `{"breakGlass":{"reason":"INC-42: v2 leaks memory"},"image":"dev.local/hello:v3","scaling":{"minScale":1}}` {
		t.Errorf("requests: %+v", reqs)
	}
	// The history is read from the platform's caches.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if _, err := w.platform.Cache.Services.Services(apitest.ProdNS).Get(apitest.App); err == nil {
			break
		}
	}
	w.check("deploy-break-glass", cli.ExitOK, r, w.do("-e", "prod", "history", "hello", "-o", "json"))
	w.check("deploy-break-glass-invalid", cli.ExitUsage, w.do("deploy", "hello", "--image", "dev.local/hello:v3", "--break-glass", ""))
}
