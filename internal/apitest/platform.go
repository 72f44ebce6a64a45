package apitest

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
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
	eventingfake "knative.dev/eventing/pkg/client/clientset/versioned/fake"
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
	"github.com/slipway-dev/slipway/pkg/promotions"
	"github.com/slipway-dev/slipway/pkg/revisions"
	"github.com/slipway-dev/slipway/pkg/server"
)

// The seeded world: project demo with namespaces demo-test and demo-prod, and app hello in
// demo-test whose Service names revision hello-00002 (not Ready) while all traffic stays on
// hello-00001 (Ready).
const (
	Project = "demo"
	App     = "hello"
	Rev1    = "hello-00001"
	Rev2    = "hello-00002"
	Image1  = "registry.example/demo/hello:v1"
	Image2  = "registry.example/demo/hello:v2"
	TestNS  = "demo-test"
	ProdNS  = "demo-prod"
)

// Tokens the fake apiserver's TokenReview accepts: tester may do anything,
// viewer may only get and list, in the seeded project's namespaces.
const (
	TesterToken = "tester-token"
	ViewerToken = "viewer-token"
)

// When the seeded revisions were made.
var (
	Created1 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	Created2 = time.Date(2026, 1, 3, 4, 5, 6, 0, time.UTC)
)

// PlatformConfig is the platform configuration of the in-process platform-api.
const PlatformConfig = `
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
    requireApprovals: {count: 1}
    schedules: denied
promotion:
  path: [test, prod]
`

// PipelinesConfig turns pipelines on (PlatformOptions.Pipelines): runs are Workflows in the
// fake clientset, which no Argo controller advances.
const PipelinesConfig = `
pipelines:
  platformURL: http://platform.test
  registry: dev.local
  images:
    git: dev.local/tools/git:v1
    builder: dev.local/tools/buildkit:rootless
    deploy: dev.local/tools/curl:v1
`

// Platform is the whole platform-api in process, over fake clientsets. The fake clientsets
// run no controllers: nothing becomes Ready or served unless a test writes its status.
type Platform struct {
	Echo    *echo.Echo
	Cache   *kube.Cache
	Kube    *kubefake.Clientset
	Serving *servingfake.Clientset
	Argo    *argofake.Clientset
	// Eventing holds PingSources (no reconciler runs here: a test writes them).
	Eventing *eventingfake.Clientset
	// Promotions is the promotion service behind the handler (its leader-only Resume).
	Promotions *promotions.Promotions
	// Logs collects what the server logged.
	Logs *testutil.Buffer
}

// PlatformOptions change the defaults of NewPlatform.
type PlatformOptions struct {
	// Limit overrides each caller's token bucket (default: too large to matter).
	Limit *ratelimit.Bucket
	// Ready overrides Options.Ready (default: the cache's Synced).
	Ready func() bool
	// Pipelines configures pipelines (PipelinesConfig); without it pipeline calls are 409s.
	Pipelines bool
}

var watchListOff sync.Once

// NewPlatform starts platform-api's caches and services over fake clientsets seeded with
// the world above, and returns its HTTP handler; everything stops when t ends.
func NewPlatform(t testing.TB, o PlatformOptions) *Platform {
	t.Helper()
	// The generated fake clientsets cannot stream an informer's initial list (client-go's
	// WatchListClient); list-then-watch is what they serve. client-go reads the gate once,
	// when the process's first informer starts, so this must come before the cache.
	watchListOff.Do(func() { os.Setenv("KUBE_FEATURE_WatchListClient", "false") })
	text := PlatformConfig
	if o.Pipelines {
		text += PipelinesConfig
	}
	cfg, err := config.Parse([]byte(text))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	kc := kubefake.NewClientset(SeedNamespaces()...)
	sc := servingfake.NewSimpleClientset(SeedServing()...)
	var argoSeed []runtime.Object
	if o.Pipelines {
		// Argo's generated fake clientset cannot server-side apply an object that does not
		// exist yet (the pipeline reconciler's template); an empty one is applied over.
		argoSeed = append(argoSeed, &wfv1.WorkflowTemplate{ObjectMeta: metav1.ObjectMeta{Name: names.StandardTemplate, Namespace: names.BuildNamespace(Project)}})
	}
	ac := argofake.NewSimpleClientset(argoSeed...)
	ec := eventingfake.NewSimpleClientset()
	clients := &kube.Clients{Kube: kc, Serving: sc, Argo: ac, Eventing: ec, Reviews: kc, Leases: kc.CoordinationV1()}
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
	if o.Ready != nil {
		ready = o.Ready
	}
	Reviews(kc)
	limit := ratelimit.Bucket{Rate: 1000, Burst: 1000}
	if o.Limit != nil {
		limit = *o.Limit
	}
	trail := audit.NewStore(kc, "slipway-system", 1000, log)
	if !trail.Start(ctx) {
		t.Fatal("audit informer did not sync")
	}
	t.Cleanup(trail.Shutdown)
	e := api.New(api.Options{Projects: svc.Projects, Apps: svc.Apps, Runs: svc.Runs, Hooks: svc.Runs, Promotions: svc.Promotions, Schedules: svc.Schedules, Scaling: svc.Scaling, Ready: ready, Logger: log, RateLimit: limit, HookRateLimit: limit, Audit: trail,
		Authenticator: identity.NewTokenAuthenticator(clients.Reviews, time.Minute), Authorizer: identity.NewSARAuthorizer(clients.Reviews, time.Minute)})
	e.Logger.SetOutput(io.Discard)
	return &Platform{Echo: e, Cache: cache, Kube: kc, Serving: sc, Argo: ac, Eventing: ec, Promotions: svc.Promotions, Logs: logs}
}

// SeedNamespaces are the project's namespaces, and one of no project.
func SeedNamespaces() []runtime.Object {
	var out []runtime.Object
	for _, env := range []string{"test", "prod"} {
		out = append(out, projects.BuildNamespace(Project, env))
	}
	// The project's build namespace: not an environment, so no listing may show it as one.
	out = append(out, projects.BuildBuildNamespace(Project))
	// A namespace of no project: the cache must not see it.
	out = append(out, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "kube-system"}})
	return out
}

// SeedServing is hello's Service with its two revisions, and a Service Slipway does not
// manage.
func SeedServing() []runtime.Object {
	svc := revisions.BuildService(revisions.App{
		Project: Project, Name: App, Env: "test", Namespace: TestNS,
		Template: revisions.Template{
			RevisionName: Rev2, Image: Image2, Port: 8080,
			DeployedBy: "bob", DeployedAt: Created2, Message: "second",
		},
		Traffic: []revisions.Target{{Revision: Rev1, Percent: 100}},
		History: []revisions.HistoryEntry{
			{Time: Created1, User: "alice", Action: revisions.ActionDeploy, Revision: Rev1, Image: Image1, Message: "first",
				Traffic: []revisions.Target{{Revision: Rev1, Percent: 100}}},
			{Time: Created2, User: "bob", Action: revisions.ActionDeploy, Revision: Rev2, Image: Image2, Message: "second",
				Traffic: []revisions.Target{{Revision: Rev1, Percent: 100}}},
		},
	})
	svc.UID = "uid-hello"
	svc.ResourceVersion = "7"
	svc.Generation = 2
	svc.CreationTimestamp = metav1.NewTime(Created1)
	svc.Status.ObservedGeneration = 2
	svc.Status.Conditions = duckv1.Conditions{{Type: apis.ConditionReady, Status: corev1.ConditionTrue}}
	svc.Status.LatestCreatedRevisionName = Rev2
	svc.Status.LatestReadyRevisionName = Rev1
	svc.Status.URL = &apis.URL{Scheme: "http", Host: "hello.demo-test.slipway.test"}
	svc.Status.Traffic = []servingv1.TrafficTarget{{RevisionName: Rev1, Percent: ptr.To[int64](100), LatestRevision: ptr.To(false)}}

	// A Service in a project namespace that Slipway does not manage (it carries the project
	// label, so the cache holds it, but not the managed-by label).
	foreign := &servingv1.Service{ObjectMeta: metav1.ObjectMeta{
		Name: "foreign", Namespace: TestNS, UID: "uid-foreign",
		Labels: map[string]string{names.LabelProject: Project},
	}}
	return []runtime.Object{
		svc,
		foreign,
		Revision(Rev1, Image1, "alice", "first", Created1, apis.Condition{Type: apis.ConditionReady, Status: corev1.ConditionTrue}),
		Revision(Rev2, Image2, "bob", "second", Created2, apis.Condition{Type: apis.ConditionReady, Status: corev1.ConditionFalse, Reason: "ContainerMissing", Message: "image not found"}),
	}
}

// Revision is a Revision as Knative derives it from hello's template.
func Revision(name, image, user, message string, created time.Time, ready apis.Condition) *servingv1.Revision {
	return &servingv1.Revision{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: TestNS, CreationTimestamp: metav1.NewTime(created),
			Labels: map[string]string{
				"serving.knative.dev/service": App,
				names.LabelProject:            Project, names.LabelApp: App, names.LabelEnv: "test",
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

// Reviews makes the fake clientset answer TokenReviews and SubjectAccessReviews like an
// apiserver with that RBAC: TesterToken is user tester, who may do anything; ViewerToken is
// viewer, who may get and list in the seeded project's namespaces.
func Reviews(kc *kubefake.Clientset) {
	users := map[string]string{TesterToken: "tester", ViewerToken: "viewer"}
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
		inProject := strings.HasPrefix(ra.Namespace, Project+"-")
		sar.Status.Allowed = sar.Spec.User == "tester" ||
			(sar.Spec.User == "viewer" && inProject && (ra.Verb == "get" || ra.Verb == "list"))
		return true, sar, nil
	})
}
