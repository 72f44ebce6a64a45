package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"

	"github.com/slipway-dev/slipway/internal/apitest"
	"github.com/slipway-dev/slipway/pkg/identity"
	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/pipelines"
	"github.com/slipway-dev/slipway/pkg/promotions"
)

// runToken is the runs' ServiceAccount token of the seeded project: the fake apiserver lets
// it do what the deployer role's bindings in demo-test and demo-prod let it do.
const runToken = "run-token"

// asRunIdentity makes the fake TokenReview accept runToken as the project's runs' identity,
// and the fake SubjectAccessReview grant it the deployer role's actions in the project's
// environments (where a pipeline that promotes test → prod has it bound).
func asRunIdentity(p *apitest.Platform) string {
	user := pipelines.RunIdentity(project)
	p.Kube.PrependReactor("create", "tokenreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		tr := a.(k8stesting.CreateAction).GetObject().(*authnv1.TokenReview)
		if tr.Spec.Token != runToken {
			return false, nil, nil
		}
		tr.Status = authnv1.TokenReviewStatus{Authenticated: true, User: authnv1.UserInfo{Username: user}}
		return true, tr, nil
	})
	p.Kube.PrependReactor("create", "subjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		sar := a.(k8stesting.CreateAction).GetObject().(*authzv1.SubjectAccessReview)
		if sar.Spec.User != user {
			return false, nil, nil
		}
		ra := sar.Spec.ResourceAttributes
		for _, g := range identity.Actions {
			if g.Action.Verb == ra.Verb && g.Action.Resource == ra.Resource && g.Action.Group == ra.Group &&
				(ra.Namespace == testNS || ra.Namespace == prodNS) && contains(g.Roles, identity.RoleDeployer) {
				sar.Status.Allowed = true
			}
		}
		return true, sar, nil
	})
	return user
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestRunIdentityPromotes: a pipeline in test that ends with promote: {to: prod} is checked
// against the promotion path; its runs' identity may ask for exactly that promotion (of
// this app, from test, to prod) while a run of it is running — and it is then pending on
// prod's approval like anyone's — and nothing else: another target, another app, a
// finished run, a deploy that names no run.
func TestRunIdentityPromotes(t *testing.T) {
	p := apitest.NewPlatform(t, apitest.PlatformOptions{Pipelines: true})
	s := &stack{e: p.Echo, cache: p.Cache, kube: p.Kube, serving: p.Serving, argo: p.Argo, logs: p.Logs, platform: p}
	user := asRunIdentity(p)
	ctx := context.Background()

	// promote.to is checked against the environments and the path.
	for to, want := range map[string]string{"staging": "Not found", "test": `must be \"prod\"`, "Prod!": "a lowercase RFC 1123 label"} {
		body := fmt.Sprintf(`{"repo":"https://git.example/demo/hello","promote":{"to":%q}}`, to)
		r := s.do(t, http.MethodPut, testPath+"/pipeline", "", body)
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), `"field":"promote.to"`) || !strings.Contains(string(r.body), want) {
			t.Errorf("promote to %q: %d %s", to, r.status, r.body)
		}
	}
	if r := s.do(t, http.MethodPut, prodPath+"/pipeline", "", `{"repo":"https://git.example/demo/hello","promote":{"to":"prod"}}`); r.status != http.StatusUnprocessableEntity ||
		!strings.Contains(string(r.body), `"field":"promote.to"`) || !strings.Contains(string(r.body), "no next step") {
		t.Errorf("promote from the end of the path: %d %s", r.status, r.body)
	}
	r := s.do(t, http.MethodPut, testPath+"/pipeline", "", `{"repo":"https://git.example/demo/hello","promote":{"to":"prod"}}`)
	var stored pipelines.Pipeline
	if r.status != http.StatusOK || json.Unmarshal(r.body, &stored) != nil || stored.Promote == nil || stored.Promote.To != "prod" {
		t.Fatalf("pipeline that promotes: %d %s", r.status, r.body)
	}
	// The runs' identity is the deployer where the pipeline is and where it promotes to.
	for _, ns := range []string{testNS, prodNS} {
		b, err := p.Kube.RbacV1().RoleBindings(ns).Get(ctx, names.PipelineDeployBinding, metav1.GetOptions{})
		if err != nil || b.RoleRef.Name != pipelines.DeployerClusterRole {
			t.Errorf("deployer binding in %s: %+v %v", ns, b, err)
		}
	}

	promote := func(app, from, to string) response {
		return s.doAs(t, runToken, http.MethodPost, appsPath+app+"/promotions", "", fmt.Sprintf(`{"from":%q,"to":%q,"message":"pipeline run hello-run-abcde"}`, from, to))
	}
	// No run is running: refused.
	if r := promote(app, "test", "prod"); r.status != http.StatusForbidden || !strings.Contains(problem(t, r).Detail, "no run") {
		t.Errorf("without a running run: %d %s", r.status, r.body)
	}

	wf := p.SeedRun(t, "hello-run-abcde", wfv1.WorkflowRunning, time.Now())
	waitFor(t, "the run in the cache", func() bool {
		got, err := p.Cache.Workflows.Workflows(wf.Namespace).Get(wf.Name)
		return err == nil && got.Status.Phase == wfv1.WorkflowRunning
	})
	// Not its pipeline's promotion: another target, another app.
	for _, tc := range []struct{ app, from, to string }{{app, "test", "test"}, {"other", "test", "prod"}} {
		if r := promote(tc.app, tc.from, tc.to); r.status != http.StatusForbidden {
			t.Errorf("promote %s from %s to %s: %d %s", tc.app, tc.from, tc.to, r.status, r.body)
		}
	}
	// Its own: pending on prod's approval, requested by the runs' identity.
	r = promote(app, "test", "prod")
	var got promotions.Promotion
	if r.status != http.StatusCreated || json.Unmarshal(r.body, &got) != nil {
		t.Fatalf("the run's promotion: %d %s", r.status, r.body)
	}
	if got.State != promotions.StatePending || got.From != "test" || got.To != "prod" || got.RequestedBy != user || !strings.Contains(got.Message, "hello-run-abcde") {
		t.Errorf("promotion %+v", got)
	}
	// The runs' identity deploys only as a run.
	if r := s.doAs(t, runToken, http.MethodPost, testPath+"/deployments", "", `{"image":"dev.local/demo/hello@sha256:`+strings.Repeat("ab", 32)+`"}`); r.status != http.StatusForbidden ||
		!strings.Contains(problem(t, r).Detail, "pipelineRun") {
		t.Errorf("deploy naming no run: %d %s", r.status, r.body)
	}
	// Someone else is admitted as before: tester may ask for it too.
	if r := s.do(t, http.MethodPost, appsPath+app+"/promotions", "", `{"from":"test","to":"prod"}`); r.status == http.StatusForbidden {
		t.Errorf("tester refused: %d %s", r.status, r.body)
	}

	// Once the run has finished it asks for nothing.
	done, err := p.Argo.ArgoprojV1alpha1().Workflows(wf.Namespace).Get(ctx, wf.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	done.Status.Phase = wfv1.WorkflowSucceeded
	if _, err := p.Argo.ArgoprojV1alpha1().Workflows(wf.Namespace).Update(ctx, done, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the finished run in the cache", func() bool {
		got, err := p.Cache.Workflows.Workflows(wf.Namespace).Get(wf.Name)
		return err == nil && got.Status.Phase == wfv1.WorkflowSucceeded
	})
	if r := promote(app, "test", "prod"); r.status != http.StatusForbidden {
		t.Errorf("after the run: %d %s", r.status, r.body)
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
