//go:build integration

package integration

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	authnv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipway-dev/slipway/internal/latency"
	"github.com/slipway-dev/slipway/pkg/api/ratelimit"
	"github.com/slipway-dev/slipway/pkg/apps"
	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/pipelines"
	"github.com/slipway-dev/slipway/pkg/pipelines/runs"
	"github.com/slipway-dev/slipway/pkg/promotions"
	"github.com/slipway-dev/slipway/pkg/revisions"
)

const pipelineCommit = "4c1f0e2d3b5a69788796a5b4c3d2e1f00a1b2c3d"

// waitRun waits until platform-api's cache shows the run as check wants it.
func waitRun(t *testing.T, path string, what string, check func(pipelines.Run) error) pipelines.Run {
	t.Helper()
	var run pipelines.Run
	eventually(t, 15*time.Second, what, func() error {
		run = pipelines.Run{}
		if code, raw := call(t, http.MethodGet, path, nil, &run); code != http.StatusOK {
			return fmt.Errorf("GET %s: %d %s", path, code, raw)
		}
		return check(run)
	})
	return run
}

// TestPipelineRun: an app's pipeline with a test stage and an approval gate; a run started
// from the API becomes a Workflow the real apiserver accepts under Argo's schema; as Argo's
// controller reports progress, the run's steps follow; the gate is approved by a developer;
// the deploy step, calling platform-api with the run's ServiceAccount token, makes a
// revision that records the run and the commit the clone step reported.
func TestPipelineRun(t *testing.T) {
	const project, app = "builds", "web"
	createProject(t, project)
	ns := names.Namespace(project, "test")
	// Runs, their ServiceAccount and the standard template are in the build namespace.
	buildNS := names.BuildNamespace(project)
	base := appPath(project, app, "test")
	ctx := context.Background()

	// Refusals first: Argo's validator speaks for a stage it refuses; our own rules name fields.
	bad := map[string]any{"repo": "https://git.example/builds/web", "stages": []map[string]any{{
		"name": "unit", "at": "before-build",
		"template": map[string]any{"container": map[string]any{"image": "dev.local/t/go:v1", "args": []string{"{{inputs.parameters.nope}}"}}},
	}}}
	code, raw := call(t, http.MethodPut, base+"/pipeline", bad, nil)
	if code != http.StatusUnprocessableEntity || !strings.Contains(string(raw), "failed to resolve {{inputs.parameters.nope}}") {
		t.Errorf("stage Argo refuses: %d %s", code, raw)
	}
	code, raw = call(t, http.MethodPut, base+"/pipeline", map[string]any{"repo": "git@git.example:x", "branch": "a..b"}, nil)
	if code != http.StatusUnprocessableEntity || !strings.Contains(string(raw), `"field":"repo"`) || !strings.Contains(string(raw), `"field":"branch"`) {
		t.Errorf("bad repo and branch: %d %s", code, raw)
	}
	mustCall(t, http.StatusNotFound, http.MethodPost, base+"/runs", map[string]any{}, nil)

	pipeline := map[string]any{"repo": "https://git.example/builds/web", "contextDir": "services/web", "stages": []map[string]any{
		{"name": "unit", "at": "before-build", "template": map[string]any{"container": map[string]any{"image": "dev.local/t/go:v1", "args": []string{"test", "./..."}}}},
		{"name": "approve", "at": "before-deploy", "approval": true},
	}}
	var stored pipelines.Pipeline
	mustCall(t, http.StatusOK, http.MethodPut, base+"/pipeline", pipeline, &stored)
	if stored.Branch != "main" || stored.Dockerfile != "Dockerfile" {
		t.Errorf("defaults not applied: %+v", stored)
	}
	// The build namespace got what runs need, built by pkg/pipelines.
	templates := env.clients.Argo.ArgoprojV1alpha1().WorkflowTemplates(buildNS)
	installed, err := templates.Get(ctx, names.StandardTemplate, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("standard template: %v", err)
	}
	if _, err := env.clients.Kube.CoreV1().ServiceAccounts(buildNS).Get(ctx, names.PipelineAccount, metav1.GetOptions{}); err != nil {
		t.Errorf("pipeline ServiceAccount: %v", err)
	}
	if _, err := env.clients.Kube.RbacV1().RoleBindings(ns).Get(ctx, names.PipelineDeployBinding, metav1.GetOptions{}); err != nil {
		t.Errorf("the runs' deployer binding in the environment: %v", err)
	}
	var listed0 []runs.Template
	mustCall(t, http.StatusOK, http.MethodGet, "/api/v1/projects/"+project+"/pipelines/templates", nil, &listed0)
	if len(listed0) != 1 || listed0[0].Name != names.StandardTemplate || listed0[0].Namespace != buildNS || listed0[0].Entrypoint != "pipeline" ||
		strings.Join(listed0[0].Steps, ",") != "pipeline,clone,build,deploy,promote" {
		t.Errorf("templates %+v", listed0)
	}

	var run pipelines.Run
	mustCall(t, http.StatusCreated, http.MethodPost, base+"/runs", map[string]any{"branch": "main"}, &run)
	if run.Phase != pipelines.PhasePending || len(run.Steps) != 5 || run.StartedBy != "admin" || run.Trigger != pipelines.TriggerManual {
		t.Fatalf("new run %+v", run)
	}
	runPath := base + "/runs/" + run.Name
	mustCall(t, http.StatusConflict, http.MethodPost, runPath+"/approve", nil, nil)
	// A run reads the template and writes nothing while it is as the configuration builds it.
	if again, err := templates.Get(ctx, names.StandardTemplate, metav1.GetOptions{}); err != nil || again.ResourceVersion != installed.ResourceVersion {
		t.Errorf("template rewritten by a run: resourceVersion %s → %s (%v)", installed.ResourceVersion, again.ResourceVersion, err)
	}

	// Follow the run from the start, as the console does: its events arrive as Argo's
	// controller reports the steps. (No step pods run here, so there is no output, and the
	// apiserver never proxies to a node for logs.)
	events := make(chan []string, 1)
	go func() { events <- followRun(t, runPath+"/logs") }()

	argo := argoRun{t: t, namespace: buildNS, name: run.Name}
	argo.start()
	argo.step(0, "clone", wfv1.NodeTypePod, wfv1.NodeSucceeded, map[string]string{pipelines.OutputCommit: pipelineCommit})
	argo.step(1, "unit", wfv1.NodeTypePod, wfv1.NodeSucceeded, nil)
	argo.step(2, "build", wfv1.NodeTypePod, wfv1.NodeSucceeded, map[string]string{pipelines.OutputDigest: "sha256:" + strings.Repeat("ab", 32)})
	argo.step(3, "approve", wfv1.NodeTypeSuspend, wfv1.NodeRunning, nil)
	got := waitRun(t, runPath, "run waiting at the gate", func(r pipelines.Run) error {
		if r.AwaitingApproval != "approve" {
			return fmt.Errorf("awaiting %q, steps %+v", r.AwaitingApproval, r.Steps)
		}
		return nil
	})
	var phases []string
	for _, s := range got.Steps {
		phases = append(phases, s.Name+":"+s.Phase)
	}
	if want := "clone:Succeeded unit:Succeeded build:Succeeded approve:Running deploy:Pending"; strings.Join(phases, " ") != want {
		t.Errorf("steps %s, want %s", strings.Join(phases, " "), want)
	}
	if got.Commit != pipelineCommit || got.Phase != "Running" {
		t.Errorf("run commit %q phase %q", got.Commit, got.Phase)
	}
	var listed []pipelines.Run
	mustCall(t, http.StatusOK, http.MethodGet, base+"/runs", nil, &listed)
	if len(listed) != 1 || listed[0].Name != run.Name {
		t.Errorf("runs %+v", listed)
	}

	// A developer of the project approves; a viewer may not. (Not dev-user: other tests
	// count the projects dev-user sees.)
	approverToken, approver := serviceAccountToken(t, "pipeline-approver")
	mustCall(t, http.StatusCreated, http.MethodPost, "/api/v1/projects/"+project+"/members", map[string]string{"name": approver, "role": "viewer"}, nil)
	eventually(t, 20*time.Second, "a viewer is refused the approval", func() error {
		var code int
		as(approverToken, func() { code, _ = call(t, http.MethodPost, runPath+"/approve", nil, nil) })
		if code != http.StatusForbidden {
			return fmt.Errorf("viewer approving: %d", code)
		}
		return nil
	})
	mustCall(t, http.StatusCreated, http.MethodPost, "/api/v1/projects/"+project+"/members", map[string]string{"name": approver, "role": "developer"}, nil)
	var approved pipelines.Run
	eventually(t, 20*time.Second, "the developer approves (role bindings reach the authorizer)", func() error {
		var code int
		var raw []byte
		as(approverToken, func() { code, raw = call(t, http.MethodPost, runPath+"/approve", nil, &approved) })
		if code != http.StatusOK {
			return fmt.Errorf("approve: %d %s", code, raw)
		}
		return nil
	})
	stored2, err := env.clients.Argo.ArgoprojV1alpha1().Workflows(buildNS).Get(ctx, run.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	gate := stored2.Status.Nodes[stored2.NodeID(pipelines.StepNodeName(run.Name, 3, "approve"))]
	if gate.Phase != wfv1.NodeSucceeded || gate.Message != "approved by "+approver || !strings.Contains(stored2.Annotations[names.AnnoApprovals], approver) {
		t.Errorf("gate node %+v, approvals %q", gate, stored2.Annotations[names.AnnoApprovals])
	}

	// The deploy step, as the run's pod would: the ServiceAccount's token, the built digest.
	argo.step(4, "deploy", wfv1.NodeTypePod, wfv1.NodeRunning, nil)
	image := "dev.local/builds/web@sha256:" + strings.Repeat("ab", 32)
	tr, deployed := runDeploys(t, buildNS, base, run.Name, image)
	// The same token may not deploy in another project.
	createProject(t, "builds-other")
	as(tr.Status.Token, func() {
		mustCall(t, http.StatusForbidden, http.MethodPost, appPath("builds-other", app, "test")+"/deployments", map[string]any{"image": image}, nil)
	})
	// A run of another app is not provenance for this one.
	mustCall(t, http.StatusUnprocessableEntity, http.MethodPost, appPath(project, "api", "test")+"/deployments",
		map[string]any{"image": image, "pipelineRun": run.Name}, nil)

	waitRevisionReady(t, ns, deployed.Revision, image)
	var rev apps.Revision
	mustCall(t, http.StatusOK, http.MethodGet, base+"/revisions/"+deployed.Revision, nil, &rev)
	if rev.Source == nil || rev.Source.PipelineRun != run.Name || rev.Source.Commit != pipelineCommit {
		t.Errorf("revision source %+v, want run %s commit %s", rev.Source, run.Name, pipelineCommit)
	}
	var history []revisions.HistoryEntry
	mustCall(t, http.StatusOK, http.MethodGet, base+"/history", nil, &history)
	last := history[len(history)-1]
	if last.Source == nil || last.Source.PipelineRun != run.Name || last.Source.Commit != pipelineCommit ||
		last.User != "system:serviceaccount:"+buildNS+":"+names.PipelineAccount {
		t.Errorf("last history entry %+v", last)
	}

	argo.step(4, "deploy", wfv1.NodeTypePod, wfv1.NodeSucceeded, nil)
	argo.finish(wfv1.WorkflowSucceeded)
	waitRun(t, runPath, "run succeeded", func(r pipelines.Run) error {
		if r.Phase != "Succeeded" || r.Finished == nil {
			return fmt.Errorf("phase %s", r.Phase)
		}
		return nil
	})
	select {
	case got := <-events:
		want := []string{"run Pending", "step clone Running", "step clone Succeeded", "step unit Running", "step unit Succeeded", "step build Running",
			"step build Succeeded", "step approve Running", "step approve Succeeded", "step deploy Running", "step deploy Succeeded", "end Succeeded"}
		if strings.Join(got, ", ") != strings.Join(want, ", ") {
			t.Errorf("log stream events:\n got %v\nwant %v", got, want)
		}
	case <-time.After(30 * time.Second):
		t.Error("the log stream did not end with the run")
	}
	// A finished run deploys no more, and cannot be cancelled; it can be retried.
	mustCall(t, http.StatusConflict, http.MethodPost, base+"/deployments", map[string]any{"image": image, "pipelineRun": run.Name}, nil)
	mustCall(t, http.StatusConflict, http.MethodPost, runPath+"/cancel", nil, nil)
	// A template deleted by hand is restored by the reconciler (every 2 s in the dev
	// configuration), and would be by the next run anyway.
	if err := templates.Delete(ctx, names.StandardTemplate, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "standard template restored by the reconciler", func() error {
		_, err := templates.Get(ctx, names.StandardTemplate, metav1.GetOptions{})
		return err
	})
	if err := templates.Delete(ctx, names.StandardTemplate, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	var retry pipelines.Run
	mustCall(t, http.StatusCreated, http.MethodPost, runPath+"/retry", nil, &retry)
	if _, err := templates.Get(ctx, names.StandardTemplate, metav1.GetOptions{}); err != nil {
		t.Errorf("standard template not restored by the next run: %v", err)
	}
	if retry.RetryOf != run.Name || retry.Revision != pipelineCommit || retry.Trigger != pipelines.TriggerRetry {
		t.Errorf("retry %+v", retry)
	}
	var cancelled pipelines.Run
	mustCall(t, http.StatusOK, http.MethodPost, base+"/runs/"+retry.Name+"/cancel", nil, &cancelled)
	wf, err := env.clients.Argo.ArgoprojV1alpha1().Workflows(buildNS).Get(ctx, retry.Name, metav1.GetOptions{})
	if err != nil || wf.Spec.Shutdown != wfv1.ShutdownStrategyTerminate || !cancelled.CancelRequested {
		t.Errorf("cancelled run's shutdown %q (%v), view %+v", wf.Spec.Shutdown, err, cancelled)
	}
}

// TestPipelinePromote: a pipeline in test that ends with promote: {to: prod} (config/dev.yaml:
// test → prod, prod by promotion with one approval) is refused any other target; its runs
// get the promote step last and the runs' ServiceAccount the deployer role in prod as well;
// the promote step, calling platform-api with that ServiceAccount's token, asks for the
// promotion of what the run deployed, which is then pending on prod's approval like
// anyone's; the same token may ask for no other promotion, nor deploy naming no run.
func TestPipelinePromote(t *testing.T) {
	const project, app = "promoting", "web"
	createProject(t, project)
	buildNS := names.BuildNamespace(project)
	base := appPath(project, app, "test")
	ctx := context.Background()

	for _, to := range []string{"test", "staging"} {
		code, raw := call(t, http.MethodPut, base+"/pipeline", map[string]any{"repo": "https://git.example/promoting/web", "promote": map[string]string{"to": to}}, nil)
		if code != http.StatusUnprocessableEntity || !strings.Contains(string(raw), `"field":"promote.to"`) {
			t.Errorf("promote to %s: %d %s", to, code, raw)
		}
	}
	var stored pipelines.Pipeline
	mustCall(t, http.StatusOK, http.MethodPut, base+"/pipeline", map[string]any{"repo": "https://git.example/promoting/web", "promote": map[string]string{"to": "prod"}}, &stored)
	if stored.Promote == nil || stored.Promote.To != "prod" {
		t.Fatalf("stored %+v", stored)
	}
	// The runs' ServiceAccount is the deployer where the pipeline is and where it promotes.
	for _, e := range []string{"test", "prod"} {
		b, err := env.clients.Kube.RbacV1().RoleBindings(names.Namespace(project, e)).Get(ctx, names.PipelineDeployBinding, metav1.GetOptions{})
		if err != nil || b.RoleRef.Name != pipelines.DeployerClusterRole {
			t.Errorf("deployer binding in %s: %v", e, err)
		}
	}

	var run pipelines.Run
	mustCall(t, http.StatusCreated, http.MethodPost, base+"/runs", map[string]any{}, &run)
	var steps []string
	for _, s := range run.Steps {
		steps = append(steps, s.Name)
	}
	if strings.Join(steps, ",") != "clone,build,deploy,promote" {
		t.Fatalf("run steps %v", steps)
	}
	// The real apiserver took the run with its promote step by reference to the template.
	wf, err := env.clients.Argo.ArgoprojV1alpha1().Workflows(buildNS).Get(ctx, run.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	last := wf.Spec.Templates[0].Steps[len(wf.Spec.Templates[0].Steps)-1].Steps[0]
	if last.Name != "promote" || last.TemplateRef == nil || last.TemplateRef.Template != "promote" || last.Arguments.GetParameterByName(pipelines.InputTo).Value.String() != "prod" {
		t.Errorf("last step %+v", last)
	}

	argo := argoRun{t: t, namespace: buildNS, name: run.Name}
	argo.start()
	argo.step(0, "clone", wfv1.NodeTypePod, wfv1.NodeSucceeded, map[string]string{pipelines.OutputCommit: pipelineCommit})
	argo.step(1, "build", wfv1.NodeTypePod, wfv1.NodeSucceeded, map[string]string{pipelines.OutputDigest: "sha256:" + strings.Repeat("cd", 32)})
	argo.step(2, "deploy", wfv1.NodeTypePod, wfv1.NodeRunning, nil)
	image := "dev.local/promoting/web@sha256:" + strings.Repeat("cd", 32)
	tr, deployed := runDeploys(t, buildNS, base, run.Name, image)
	waitRevisionReady(t, names.Namespace(project, "test"), deployed.Revision, image)
	argo.step(2, "deploy", wfv1.NodeTypePod, wfv1.NodeSucceeded, map[string]string{pipelines.OutputRevision: deployed.Revision})
	argo.step(3, "promote", wfv1.NodeTypePod, wfv1.NodeRunning, nil)

	promotionsPath := "/api/v1/projects/" + project + "/apps/" + app + "/promotions"
	// The deployer binding in prod lets the token reach prod, but only as the pipeline says.
	as(tr.Status.Token, func() {
		mustCall(t, http.StatusForbidden, http.MethodPost, promotionsPath, map[string]any{"from": "test", "to": "test", "message": "pipeline run " + run.Name}, nil)
		mustCall(t, http.StatusForbidden, http.MethodPost, "/api/v1/projects/"+project+"/apps/api/promotions", map[string]any{"from": "test", "to": "prod"}, nil)
		mustCall(t, http.StatusForbidden, http.MethodPost, appPath(project, app, "prod")+"/deployments", map[string]any{"image": image}, nil)
		// A run of test is no provenance for a deploy in prod.
		code, raw := call(t, http.MethodPost, appPath(project, app, "prod")+"/deployments", map[string]any{"image": image, "pipelineRun": run.Name}, nil)
		if code == http.StatusCreated {
			t.Errorf("the run deployed straight into prod: %s", raw)
		}
	})
	// The promote step's request.
	var promoted promotions.Promotion
	eventually(t, 20*time.Second, "the run's ServiceAccount asks for the promotion", func() error {
		var code int
		var raw []byte
		as(tr.Status.Token, func() {
			code, raw = call(t, http.MethodPost, promotionsPath, map[string]any{"from": "test", "to": "prod", "revision": deployed.Revision, "message": "pipeline run " + run.Name}, &promoted)
		})
		if code != http.StatusCreated {
			return fmt.Errorf("promote: %d %s", code, raw)
		}
		return nil
	})
	if promoted.State != promotions.StatePending || promoted.Revision != deployed.Revision || promoted.RequestedBy != pipelines.RunIdentity(project) ||
		promoted.Message != "pipeline run "+run.Name || promoted.RequiredApprovals != 1 {
		t.Errorf("promotion %+v", promoted)
	}
	argo.step(3, "promote", wfv1.NodeTypePod, wfv1.NodeSucceeded, nil)
	argo.finish(wfv1.WorkflowSucceeded)
	eventually(t, 20*time.Second, "a finished run asks for no promotion", func() error {
		var code int
		as(tr.Status.Token, func() {
			code, _ = call(t, http.MethodPost, promotionsPath, map[string]any{"from": "test", "to": "prod", "message": "pipeline run " + run.Name}, nil)
		})
		if code != http.StatusForbidden {
			return fmt.Errorf("after the run: %d", code)
		}
		return nil
	})
}

// followRun reads a run's server-sent events until the stream ends (bounded: one minute),
// as "kind step phase" lines.
func followRun(t *testing.T, path string) []string {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, env.server.URL+path, nil)
	if err != nil {
		t.Error(err)
		return nil
	}
	req.Header.Set("Authorization", "Bearer "+env.stack.AdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return nil
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Errorf("GET %s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		return nil
	}
	var out []string
	var kind string
	lines := bufio.NewScanner(resp.Body)
	for lines.Scan() {
		line := lines.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			kind = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			var ev runs.Event
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev); err != nil {
				t.Errorf("event data %q: %v", line, err)
			}
			out = append(out, strings.Join(strings.Fields(kind+" "+ev.Step+" "+ev.Phase), " "))
		}
	}
	return out
}

// hookPost delivers body to the hook with headers, straight over HTTP (no bearer token),
// to TestMain's platform-api.
func hookPost(t testing.TB, url string, body []byte, headers map[string]string) (int, []byte) {
	t.Helper()
	return hookPostTo(t, env.server.URL, url, body, headers)
}

// hookPostTo delivers to the platform-api at base.
func hookPostTo(t testing.TB, base, url string, body []byte, headers map[string]string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

func githubPush(branch, commit string) []byte {
	b, _ := json.Marshal(map[string]any{
		"ref": "refs/heads/" + branch, "before": strings.Repeat("0", 40), "after": commit, "created": false, "deleted": false,
		"repository":  map[string]any{"id": 1, "name": "web", "full_name": "hooks/web", "clone_url": "https://git.example/hooks/web.git"},
		"pusher":      map[string]any{"name": "octocat", "email": "octo@example.test"},
		"head_commit": map[string]any{"id": commit, "message": "Fix checkout"},
	})
	return b
}

func hubSignature(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// TestPipelineHooks: a GitHub push signed with the hook's secret starts one run; its
// replay, a bad signature, another branch, another event and an unknown hook are each
// refused with their own status and start nothing; GitLab and token deliveries work too,
// and rotation retires the old credentials.
func TestPipelineHooks(t *testing.T) {
	const project, app = "hooks", "web"
	createProject(t, project)
	ns := names.BuildNamespace(project) // where runs are
	base := appPath(project, app, "test")
	mustCall(t, http.StatusNotFound, http.MethodPost, base+"/pipeline/hook/rotate", nil, nil)
	mustCall(t, http.StatusOK, http.MethodPut, base+"/pipeline", map[string]any{"repo": "https://git.example/hooks/web"}, nil)
	var hook runs.Hook
	mustCall(t, http.StatusOK, http.MethodPost, base+"/pipeline/hook/rotate", nil, &hook)
	if !strings.HasPrefix(hook.URL, "/hooks/v1/") || hook.Token == "" || hook.Secret == "" || hook.Branch != "main" {
		t.Fatalf("hook %+v", hook)
	}
	var shown runs.Hook
	mustCall(t, http.StatusOK, http.MethodGet, base+"/pipeline/hook", nil, &shown)
	if shown.URL != hook.URL || shown.Token != "" || shown.Secret != "" {
		t.Errorf("GET hook shows %+v", shown)
	}
	countRuns := func() int {
		list, err := env.clients.Argo.ArgoprojV1alpha1().Workflows(ns).List(context.Background(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return len(list.Items)
	}
	eventually(t, 10*time.Second, "hook in the cache", func() error {
		if code, raw := hookPost(t, hook.URL, []byte("{}"), nil); code != http.StatusUnauthorized {
			return fmt.Errorf("%d %s", code, raw)
		}
		return nil
	})

	push := githubPush("main", pipelineCommit)
	github := func(event, delivery string, body []byte, secret string) map[string]string {
		return map[string]string{"X-GitHub-Event": event, "X-GitHub-Delivery": delivery, "X-Hub-Signature-256": hubSignature(secret, body)}
	}
	code, raw := hookPost(t, hook.URL, push, github("push", "d-1", push, hook.Secret))
	if code != http.StatusAccepted {
		t.Fatalf("signed push: %d %s", code, raw)
	}
	var accepted struct{ Run string }
	if err := json.Unmarshal(raw, &accepted); err != nil || accepted.Run == "" {
		t.Fatalf("accepted %s", raw)
	}
	var run pipelines.Run
	mustCall(t, http.StatusOK, http.MethodGet, base+"/runs/"+accepted.Run, nil, &run)
	if run.Trigger != pipelines.TriggerHook || run.Revision != pipelineCommit || run.StartedBy != "github:octocat" {
		t.Errorf("hook run %+v", run)
	}
	other := githubPush("feature", pipelineCommit)
	for name, tc := range map[string]struct {
		url     string
		body    []byte
		headers map[string]string
		want    int
	}{
		"replay":         {hook.URL, push, github("push", "d-1", push, hook.Secret), http.StatusConflict},
		"bad signature":  {hook.URL, push, github("push", "d-2", push, "guessed"), http.StatusUnauthorized},
		"other branch":   {hook.URL, other, github("push", "d-3", other, hook.Secret), http.StatusForbidden},
		"other event":    {hook.URL, []byte(`{"zen":"hi"}`), github("ping", "d-4", []byte(`{"zen":"hi"}`), hook.Secret), http.StatusUnprocessableEntity},
		"unknown hook":   {"/hooks/v1/0123456789abcdef", push, github("push", "d-5", push, hook.Secret), http.StatusNotFound},
		"no credentials": {hook.URL, push, nil, http.StatusUnauthorized},
		"too large":      {hook.URL, bytes.Repeat([]byte(" "), 6<<20), github("push", "d-6", nil, hook.Secret), http.StatusRequestEntityTooLarge},
	} {
		if code, raw := hookPost(t, tc.url, tc.body, tc.headers); code != tc.want {
			t.Errorf("%s: %d %s, want %d", name, code, raw, tc.want)
		}
	}
	if n := countRuns(); n != 1 {
		t.Errorf("%d runs after one accepted delivery, want 1", n)
	}

	gitlab, _ := json.Marshal(map[string]any{"object_kind": "push", "ref": "refs/heads/main", "after": strings.Repeat("e", 40),
		"user_username": "jsmith", "project": map[string]any{"path_with_namespace": "hooks/web"}})
	if code, raw := hookPost(t, hook.URL, gitlab, map[string]string{"X-Gitlab-Event": "Push Hook", "X-Gitlab-Event-UUID": "g-1", "X-Gitlab-Token": hook.Secret}); code != http.StatusAccepted {
		t.Errorf("gitlab push: %d %s", code, raw)
	}
	if code, raw := hookPost(t, hook.URL+"?branch=main", nil, map[string]string{"X-Slipway-Token": hook.Token}); code != http.StatusAccepted {
		t.Errorf("token delivery: %d %s", code, raw)
	}

	// Rotation: the URL stays, the old token and secret stop working.
	var rotated runs.Hook
	mustCall(t, http.StatusOK, http.MethodPost, base+"/pipeline/hook/rotate", nil, &rotated)
	if rotated.URL != hook.URL || rotated.Token == hook.Token || rotated.Secret == hook.Secret {
		t.Errorf("rotated %+v from %+v", rotated, hook)
	}
	eventually(t, 10*time.Second, "old token refused", func() error {
		if code, _ := hookPost(t, hook.URL, nil, map[string]string{"X-Slipway-Token": hook.Token}); code != http.StatusUnauthorized {
			return fmt.Errorf("old token: %d", code)
		}
		return nil
	})
	// Each hook has its own, tighter bucket, taken before any verification: a second
	// platform-api allowing a burst of 2 refuses the third delivery in a row.
	tight := *env.cfg
	tight.Limits.Hooks = ratelimit.Bucket{Rate: 0.5, Burst: 2}
	limited := startPlatform(t, &tight, env.platformClients)
	var codes []int
	var retryAfter string
	for range 3 {
		req, _ := http.NewRequest(http.MethodPost, limited.URL+hook.URL, strings.NewReader("{}"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		codes, retryAfter = append(codes, resp.StatusCode), resp.Header.Get("Retry-After")
	}
	if fmt.Sprint(codes) != "[401 401 429]" || retryAfter != "2" {
		t.Errorf("deliveries beyond the hook's burst: %v, Retry-After %q; want [401 401 429], 2", codes, retryAfter)
	}

	// Neither credential appears in platform-api's log.
	for _, secret := range []string{hook.Token, hook.Secret, rotated.Token, rotated.Secret} {
		if strings.Contains(env.logs.String(), secret) {
			t.Errorf("a hook credential is in the log")
		}
	}
}

// BenchmarkHookToWorkflow: a signed GitHub push through platform-api until its Workflow is
// stored, vs creating the same Workflow with client-go.
func BenchmarkHookToWorkflow(b *testing.B) {
	ensureBenchProject(b)
	base := appPath("bench", "hooked", "test")
	mustCall(b, http.StatusOK, http.MethodPut, base+"/pipeline", map[string]any{"repo": "https://git.example/bench/hooked"}, nil)
	var hook runs.Hook
	mustCall(b, http.StatusOK, http.MethodPost, base+"/pipeline/hook/rotate", nil, &hook)
	push := githubPush("main", pipelineCommit)
	headers := func(i int) map[string]string {
		return map[string]string{"X-GitHub-Event": "push", "X-GitHub-Delivery": fmt.Sprintf("bench-%d-%d", time.Now().UnixNano(), i), "X-Hub-Signature-256": hubSignature(hook.Secret, push)}
	}
	eventually(b, 10*time.Second, "hook in the cache", func() error {
		if code, raw := hookPost(b, hook.URL, push, headers(-1)); code != http.StatusAccepted {
			return fmt.Errorf("%d %s", code, raw)
		}
		return nil
	})
	cfg := env.cfg.Pipelines
	workflows := env.clients.Argo.ArgoprojV1alpha1().Workflows(names.BuildNamespace("bench"))
	var ours, bare latency.Samples
	i := 0
	for b.Loop() {
		i++
		start := time.Now()
		if code, raw := hookPost(b, hook.URL, push, headers(i)); code != http.StatusAccepted {
			b.Fatalf("delivery: %d %s", code, raw)
		}
		ours = append(ours, time.Since(start))
		b.StopTimer()
		wf, err := pipelines.BuildRun(pipelines.Start{Target: pipelines.Target{Project: "bench", App: "hooked", Env: "test", Namespace: names.Namespace("bench", "test")},
			Pipeline: pipelines.Pipeline{Repo: "https://git.example/bench/hooked"}, Trigger: pipelines.TriggerHook, Delivery: fmt.Sprintf("bare-%d-%d", time.Now().UnixNano(), i)}, cfg)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start = time.Now()
		if _, err := workflows.Create(context.Background(), wf, metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
		bare = append(bare, time.Since(start))
	}
	report(b, ours, bare)
}

// runDeploys is the deploy step as the run's pod makes it: with a token of the run's
// ServiceAccount (returned for the test's further calls as the run), image at base.
func runDeploys(t *testing.T, buildNS, base, run, image string) (*authnv1.TokenRequest, apps.DeployResult) {
	t.Helper()
	tr, err := env.clients.Kube.CoreV1().ServiceAccounts(buildNS).CreateToken(context.Background(), names.PipelineAccount, &authnv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var deployed apps.DeployResult
	eventually(t, 20*time.Second, "the run's ServiceAccount deploys", func() error {
		var code int
		var raw []byte
		as(tr.Status.Token, func() {
			code, raw = call(t, http.MethodPost, base+"/deployments", map[string]any{"image": image, "pipelineRun": run, "message": "pipeline run " + run}, &deployed)
		})
		if code != http.StatusCreated {
			return fmt.Errorf("deploy: %d %s", code, raw)
		}
		return nil
	})
	return tr, deployed
}
