package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	argofake "github.com/argoproj/argo-workflows/v3/pkg/client/clientset/versioned/fake"

	"github.com/labstack/echo/v4"
	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	kubefake "k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	servingfake "knative.dev/serving/pkg/client/clientset/versioned/fake"

	"github.com/slipway-dev/slipway/internal/testutil"
	"github.com/slipway-dev/slipway/pkg/api"
	"github.com/slipway-dev/slipway/pkg/api/ratelimit"
	"github.com/slipway-dev/slipway/pkg/audit"
	"github.com/slipway-dev/slipway/pkg/config"
	"github.com/slipway-dev/slipway/pkg/identity"
	"github.com/slipway-dev/slipway/pkg/kube"
	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/projects"
	"github.com/slipway-dev/slipway/pkg/revisions"
	"github.com/slipway-dev/slipway/pkg/server"
)

// The seeded world: project demo with namespaces demo-test and demo-prod, and app hello in
// demo-test whose Service names revision hello-00002 (not Ready) while all traffic stays on
// hello-00001 (Ready).
const (
	project  = "demo"
	app      = "hello"
	rev1     = "hello-00001"
	rev2     = "hello-00002"
	image1   = "registry.example/demo/hello:v1"
	image2   = "registry.example/demo/hello:v2"
	testNS   = "demo-test"
	prodNS   = "demo-prod"
	appsPath = "/api/v1/projects/" + project + "/apps/"
	testPath = appsPath + app + "/envs/test"
	prodPath = appsPath + app + "/envs/prod"
)

var (
	created1 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	created2 = time.Date(2026, 1, 3, 4, 5, 6, 0, time.UTC)
)

const testConfig = `
cluster: dev
domains:
  default: slipway.test
  base: slipway.test
environments:
  - name: test
    description: scales to zero
    minScale: 0
  - name: prod
    minScale: 1
    maxScale: 10
`

// stack is the whole platform-api in process, over fake clientsets.
type stack struct {
	e       *echo.Echo
	cache   *kube.Cache
	kube    *kubefake.Clientset
	serving *servingfake.Clientset
	argo    *argofake.Clientset
	// logs collects what the server logged.
	logs *testutil.Buffer
}

// Argo's generated fake clientset cannot stream an informer's initial list (client-go's
// WatchListClient); list-then-watch is what it serves.
func init() { os.Setenv("KUBE_FEATURE_WatchListClient", "false") }

type stackOptions struct {
	// limit overrides each caller's token bucket (default: too large to matter).
	limit *ratelimit.Bucket
	// ready overrides Options.Ready (default: the cache's Synced).
	ready func() bool
}

func newStack(t testing.TB, o stackOptions) *stack {
	t.Helper()
	cfg, err := config.Parse([]byte(testConfig))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	kc := kubefake.NewClientset(seedNamespaces()...)
	sc := servingfake.NewSimpleClientset(seedServing()...)
	ac := argofake.NewSimpleClientset()
	clients := &kube.Clients{Kube: kc, Serving: sc, Argo: ac, Reviews: kc, Leases: kc.CoordinationV1()}
	cache := kube.NewCache(clients, 0, "slipway-system")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(func() {
		cancel()
		cache.Shutdown()
	})
	if err := cache.Start(ctx); err != nil {
		t.Fatalf("starting the cache: %v", err)
	}

	logs := &testutil.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	svc := server.NewServices(cfg, clients, cache, log)
	ready := cache.Synced
	if o.ready != nil {
		ready = o.ready
	}
	reviews(kc)
	limit := ratelimit.Bucket{Rate: 1000, Burst: 1000}
	if o.limit != nil {
		limit = *o.limit
	}
	trail := audit.NewStore(kc, "slipway-system", 1000, log)
	if !trail.Start(ctx) {
		t.Fatal("audit informer did not sync")
	}
	t.Cleanup(trail.Shutdown)
	e := api.New(api.Options{Projects: svc.Projects, Apps: svc.Apps, Runs: svc.Runs, Hooks: svc.Runs, Ready: ready, Logger: log, RateLimit: limit, HookRateLimit: limit, Audit: trail,
		Authenticator: identity.NewTokenAuthenticator(clients.Reviews, time.Minute), Authorizer: identity.NewSARAuthorizer(clients.Reviews, time.Minute)})
	e.Logger.SetOutput(io.Discard)
	return &stack{e: e, cache: cache, kube: kc, serving: sc, argo: ac, logs: logs}
}

func seedNamespaces() []runtime.Object {
	var out []runtime.Object
	for _, env := range []string{"test", "prod"} {
		out = append(out, projects.BuildNamespace(project, env))
	}
	// The project's build namespace: not an environment, so no listing may show it as one.
	out = append(out, projects.BuildBuildNamespace(project))
	// A namespace of no project: the cache must not see it.
	out = append(out, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "kube-system"}})
	return out
}

func seedServing() []runtime.Object {
	svc := revisions.BuildService(revisions.App{
		Project: project, Name: app, Env: "test", Namespace: testNS,
		Template: revisions.Template{
			RevisionName: rev2, Image: image2, Port: 8080,
			DeployedBy: "bob", DeployedAt: created2, Message: "second",
		},
		Traffic: []revisions.Target{{Revision: rev1, Percent: 100}},
		History: []revisions.HistoryEntry{
			{Time: created1, User: "alice", Action: revisions.ActionDeploy, Revision: rev1, Image: image1, Message: "first",
				Traffic: []revisions.Target{{Revision: rev1, Percent: 100}}},
			{Time: created2, User: "bob", Action: revisions.ActionDeploy, Revision: rev2, Image: image2, Message: "second",
				Traffic: []revisions.Target{{Revision: rev1, Percent: 100}}},
		},
	})
	svc.UID = "uid-hello"
	svc.ResourceVersion = "7"
	svc.Generation = 2
	svc.CreationTimestamp = metav1.NewTime(created1)
	svc.Status.ObservedGeneration = 2
	svc.Status.Conditions = duckv1.Conditions{{Type: apis.ConditionReady, Status: corev1.ConditionTrue}}
	svc.Status.LatestCreatedRevisionName = rev2
	svc.Status.LatestReadyRevisionName = rev1
	svc.Status.URL = &apis.URL{Scheme: "http", Host: "hello.demo-test.slipway.test"}
	svc.Status.Traffic = []servingv1.TrafficTarget{{RevisionName: rev1, Percent: ptr.To[int64](100), LatestRevision: ptr.To(false)}}

	// A Service in a project namespace that Slipway does not manage (it carries the project
	// label, so the cache holds it, but not the managed-by label).
	foreign := &servingv1.Service{ObjectMeta: metav1.ObjectMeta{
		Name: "foreign", Namespace: testNS, UID: "uid-foreign",
		Labels: map[string]string{names.LabelProject: project},
	}}
	return []runtime.Object{
		svc,
		foreign,
		revision(rev1, image1, "alice", "first", created1, apis.Condition{Type: apis.ConditionReady, Status: corev1.ConditionTrue}),
		revision(rev2, image2, "bob", "second", created2, apis.Condition{Type: apis.ConditionReady, Status: corev1.ConditionFalse, Reason: "ContainerMissing", Message: "image not found"}),
	}
}

// revision is a Revision as Knative derives it from hello's template.
func revision(name, image, user, message string, created time.Time, ready apis.Condition) *servingv1.Revision {
	return &servingv1.Revision{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: testNS, CreationTimestamp: metav1.NewTime(created),
			Labels: map[string]string{
				"serving.knative.dev/service": app,
				names.LabelProject:            project, names.LabelApp: app, names.LabelEnv: "test",
			},
			Annotations: map[string]string{
				names.AnnoDeployedBy: user,
				names.AnnoDeployedAt: created.Format(time.RFC3339),
				names.AnnoMessage:    message,
			},
		},
		Spec:   servingv1.RevisionSpec{PodSpec: corev1.PodSpec{Containers: []corev1.Container{{Name: revisions.UserContainer, Image: image}}}},
		Status: servingv1.RevisionStatus{Status: duckv1.Status{ObservedGeneration: 1, Conditions: duckv1.Conditions{ready}}},
	}
}

// response is what a request got.
type response struct {
	status int
	header http.Header
	body   []byte
}

// Tokens the fake apiserver's TokenReview accepts: tester may do anything,
// viewer may only get and list, in the seeded project's namespaces.
const (
	testerToken = "tester-token"
	viewerToken = "viewer-token"
)

// reviews makes the fake clientset answer TokenReviews and
// SubjectAccessReviews like an apiserver with that RBAC.
func reviews(kc *kubefake.Clientset) {
	users := map[string]string{testerToken: "tester", viewerToken: "viewer"}
	kc.PrependReactor("create", "tokenreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		tr := a.(k8stesting.CreateAction).GetObject().(*authnv1.TokenReview)
		if name, ok := users[tr.Spec.Token]; ok {
			tr.Status = authnv1.TokenReviewStatus{Authenticated: true, User: authnv1.UserInfo{Username: name}}
		}
		return true, tr, nil
	})
	kc.PrependReactor("create", "subjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		sar := a.(k8stesting.CreateAction).GetObject().(*authzv1.SubjectAccessReview)
		ra := sar.Spec.ResourceAttributes
		inProject := strings.HasPrefix(ra.Namespace, project+"-")
		sar.Status.Allowed = sar.Spec.User == "tester" ||
			(sar.Spec.User == "viewer" && inProject && (ra.Verb == "get" || ra.Verb == "list"))
		return true, sar, nil
	})
}

// do sends one request through the echo instance as tester. A non-empty body
// is sent as application/json unless contentType says otherwise.
func (s *stack) do(t *testing.T, method, path, contentType, body string) response {
	t.Helper()
	return s.doAs(t, testerToken, method, path, contentType, body)
}

// doAs is do with another bearer token ("" sends none).
func (s *stack) doAs(t *testing.T, token, method, path, contentType, body string) response {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" && contentType == "" {
		contentType = "application/json"
	}
	if contentType != "" {
		req.Header.Set(echo.HeaderContentType, contentType)
	}
	return s.serve(req)
}

// serve runs req through the echo instance.
func (s *stack) serve(req *http.Request) response {
	rec := httptest.NewRecorder()
	s.e.ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

// getJSON GETs path, requires 200 and application/json, and decodes the body generically so
// comparisons see the wire shape (null versus [], omitted keys).
func (s *stack) getJSON(t *testing.T, path string) any {
	t.Helper()
	r := s.do(t, http.MethodGet, path, "", "")
	if r.status != http.StatusOK {
		t.Fatalf("GET %s: status %d, want 200; body: %.500s", path, r.status, r.body)
	}
	if ct := r.header.Get(echo.HeaderContentType); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("GET %s: Content-Type %q, want application/json", path, ct)
	}
	return decodeAny(t, r.body)
}

func decodeAny(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("not JSON: %v: %.500s", err, b)
	}
	return v
}

// problem decodes a problem+json answer, failing on any other media type.
func problem(t *testing.T, r response) api.Problem {
	t.Helper()
	if ct := r.header.Get(echo.HeaderContentType); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json; body: %.300s", ct, r.body)
	}
	var p api.Problem
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("problem body: %v: %.300s", err, r.body)
	}
	return p
}
