package promotions_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"

	"github.com/slipway-dev/slipway/internal/apitest"
	"github.com/slipway-dev/slipway/internal/testutil"
	"github.com/slipway-dev/slipway/pkg/api"
	"github.com/slipway-dev/slipway/pkg/environments"
	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/promotions"
	"github.com/slipway-dev/slipway/pkg/revisions"
)

const store = "slipway-system"

var collection = fmt.Sprintf("/api/v1/projects/%s/apps/%s/promotions", apitest.Project, apitest.App)

// send calls the in-process platform-api as the tester and decodes a success into out.
func send(t *testing.T, p *apitest.Platform, method, path string, body, out any) (int, api.Problem) {
	t.Helper()
	raw, _ := json.Marshal(body)
	req := httptest.NewRequest(method, path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+apitest.TesterToken)
	rec := httptest.NewRecorder()
	p.Echo.ServeHTTP(rec, req)
	var problem api.Problem
	if rec.Code >= 300 {
		_ = json.Unmarshal(rec.Body.Bytes(), &problem)
	} else if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, rec.Body)
		}
	}
	return rec.Code, problem
}

func request(t *testing.T, p *apitest.Platform) promotions.Promotion {
	t.Helper()
	var out promotions.Promotion
	if code, problem := send(t, p, http.MethodPost, collection, map[string]string{"from": "test", "to": "prod", "message": "ship it"}, &out); code != http.StatusCreated {
		t.Fatalf("request = %d: %+v", code, problem)
	}
	return out
}

func TestRequestApproveDeploysOnce(t *testing.T) {
	p := apitest.NewPlatform(t, apitest.PlatformOptions{})
	pending := request(t, p)
	if pending.State != promotions.StatePending || pending.Revision != apitest.Rev1 || pending.RequiredApprovals != 1 || pending.Release == "" {
		t.Fatalf("promotion = %+v, want pending for what serves 100 %% in test", pending)
	}
	var done promotions.Promotion
	if code, problem := send(t, p, http.MethodPost, collection+"/"+pending.ID+"/approve", map[string]string{"message": "ok"}, &done); code != http.StatusOK {
		t.Fatalf("approve = %d: %+v", code, problem)
	}
	if done.State != promotions.StateDeployed || done.DeployedRevision != apitest.Rev1 {
		t.Fatalf("approved = %+v, want deployed as %s", done, apitest.Rev1)
	}
	for _, decide := range []string{"approve", "reject"} {
		code, problem := send(t, p, http.MethodPost, collection+"/"+pending.ID+"/"+decide, map[string]string{}, nil)
		if code != http.StatusConflict || problem.Rule != environments.RuleNotPending {
			t.Errorf("%s a deployed promotion = %d %q, want 409 %s", decide, code, problem.Rule, environments.RuleNotPending)
		}
	}
	svc, err := p.Serving.ServingV1().Services(apitest.ProdNS).Get(context.Background(), apitest.App, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	from := revisions.TemplateFromRevision(&servingv1.Revision{ObjectMeta: svc.Spec.Template.ObjectMeta, Spec: svc.Spec.Template.Spec}).PromotedFrom
	if from == nil || from.Promotion != pending.ID || from.Env != "test" || from.Revision != apitest.Rev1 {
		t.Errorf("prod's template promoted from %+v, want promotion %s of test's %s", from, pending.ID, apitest.Rev1)
	}
}

func TestRequestRefusals(t *testing.T) {
	p := apitest.NewPlatform(t, apitest.PlatformOptions{})
	for _, c := range []struct {
		name   string
		body   map[string]string
		status int
		rule   string
		field  string
	}{
		{"against the path", map[string]string{"from": "prod", "to": "test"}, http.StatusConflict, environments.RuleNotNextStep, ""},
		{"a revision that is not Ready", map[string]string{"from": "test", "to": "prod", "revision": apitest.Rev2}, http.StatusConflict, environments.RuleNotReady, ""},
		{"an unknown revision", map[string]string{"from": "test", "to": "prod", "revision": "hello-00009"}, http.StatusUnprocessableEntity, "", "revision"},
		{"an unknown environment", map[string]string{"from": "staging", "to": "prod"}, http.StatusUnprocessableEntity, "", "from"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, problem := send(t, p, http.MethodPost, collection, c.body, nil)
			if code != c.status || problem.Rule != c.rule {
				t.Fatalf("= %d rule %q, want %d rule %q: %+v", code, problem.Rule, c.status, c.rule, problem)
			}
			if c.field != "" && (len(problem.Errors) != 1 || problem.Errors[0].Field != c.field) {
				t.Errorf("field errors %+v, want one for %s", problem.Errors, c.field)
			}
		})
	}
	var none []promotions.Promotion
	send(t, p, http.MethodGet, collection, nil, &none)
	if len(none) != 0 {
		t.Errorf("refused requests left promotions: %+v", none)
	}
}

// TestResumeFinishesStuckPromotions: a promotion whose replica stopped after moving it to
// deploying is deployed by the leader's resume, and one whose deploy was written but not
// recorded is only marked deployed — prod gets one revision either way.
func TestResumeFinishesStuckPromotions(t *testing.T) {
	p := apitest.NewPlatform(t, apitest.PlatformOptions{})
	stuck := request(t, p)
	markDeploying(t, p, stuck.ID)

	resume := func() promotions.Promotion {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go p.Promotions.Resume(ctx, 10*time.Millisecond, time.Minute)
		var got promotions.Promotion
		err := testutil.Poll(context.Background(), 10*time.Second, 10*time.Millisecond, nil, func(context.Context) error {
			send(t, p, http.MethodGet, collection+"/"+stuck.ID, nil, &got)
			if got.State != promotions.StateDeployed {
				return fmt.Errorf("state %s", got.State)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := resume(); got.DeployedRevision != apitest.Rev1 {
		t.Fatalf("resumed = %+v, want deployed as %s", got, apitest.Rev1)
	}
	// Knative makes the promoted Revision; a later break-glass deploy replaces prod's template.
	ctx := context.Background()
	svc, err := p.Serving.ServingV1().Services(apitest.ProdNS).Get(ctx, apitest.App, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	made := &servingv1.Revision{ObjectMeta: *svc.Spec.Template.ObjectMeta.DeepCopy(), Spec: svc.Spec.Template.Spec}
	made.Namespace, made.Labels["serving.knative.dev/service"] = apitest.ProdNS, apitest.App
	if _, err := p.Serving.ServingV1().Revisions(apitest.ProdNS).Create(ctx, made, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	const hotfix = "registry.example/demo/hello:hotfix"
	if code, problem := send(t, p, http.MethodPost, fmt.Sprintf("/api/v1/projects/%s/apps/%s/envs/prod/deployments", apitest.Project, apitest.App),
		map[string]any{"image": hotfix, "breakGlass": map[string]string{"reason": "outage"}}, nil); code != http.StatusCreated {
		t.Fatalf("break-glass deploy = %d: %+v", code, problem)
	}
	// The deploy was written, its record was not: resume only records it, and leaves the
	// newer deploy serving.
	markDeploying(t, p, stuck.ID)
	if got := resume(); got.DeployedRevision != apitest.Rev1 {
		t.Fatalf("resumed again = %+v, want deployed as %s", got, apitest.Rev1)
	}
	svc, err = p.Serving.ServingV1().Services(apitest.ProdNS).Get(ctx, apitest.App, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := svc.Spec.Template.Spec.Containers[0].Image; got != hotfix {
		t.Errorf("prod runs %s after the resume, want the newer %s", got, hotfix)
	}
	var history []revisions.HistoryEntry
	send(t, p, http.MethodGet, fmt.Sprintf("/api/v1/projects/%s/apps/%s/envs/prod/history", apitest.Project, apitest.App), nil, &history)
	promoted := 0
	for _, h := range history {
		if h.Action == revisions.ActionPromoted {
			promoted++
		}
	}
	if promoted != 1 {
		t.Errorf("prod's history has %d promoted entries, want 1: %+v", promoted, history)
	}
}

// markDeploying leaves the promotion as a replica that stopped mid-deploy would: deploying,
// last changed an hour ago.
func markDeploying(t *testing.T, p *apitest.Platform, id string) {
	t.Helper()
	ctx := context.Background()
	cms := p.Kube.CoreV1().ConfigMaps(store)
	cm, err := cms.Get(ctx, names.PromotionConfigMap(apitest.Project, id), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pr, err := promotions.FromConfigMap(cm)
	if err != nil {
		t.Fatal(err)
	}
	pr.State, pr.DeployedRevision, pr.UpdatedAt = promotions.StateDeploying, "", time.Now().Add(-time.Hour).UTC()
	if _, err := cms.Update(ctx, promotions.ConfigMap(store, pr, cm.ResourceVersion), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestPromotionPathIsServed(t *testing.T) {
	p := apitest.NewPlatform(t, apitest.PlatformOptions{})
	var path api.PromotionPath
	if code, problem := send(t, p, http.MethodGet, "/api/v1/promotion-path", nil, &path); code != http.StatusOK {
		t.Fatalf("promotion path = %d: %+v", code, problem)
	}
	if got := fmt.Sprint(path.Path); got != "[test prod]" {
		t.Errorf("promotion path = %s, want [test prod]", got)
	}
}
