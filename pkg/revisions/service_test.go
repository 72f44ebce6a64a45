package revisions

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"knative.dev/pkg/apis"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"

	"github.com/slipway-dev/slipway/pkg/logging"
	"github.com/slipway-dev/slipway/pkg/names"
)

// deployedAt is the fixed deploy time of the test apps; whole seconds, as TemplateFor stores.
var deployedAt = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

type appOption func(*App)

// app is a minimal, valid record of app "web" in project "shop", environment "prod",
// serving its first revision; options change it.
func app(opts ...appOption) App {
	a := App{
		Project:   "shop",
		Name:      "web",
		Env:       "prod",
		Namespace: "shop-prod",
		Template: Template{
			RevisionName: "web-00001",
			Image:        "registry.example/shop/web:v1",
			DeployedBy:   "alice@example.com",
			DeployedAt:   deployedAt,
		},
		Traffic: []Target{{Revision: "web-00001", Percent: 100}},
	}
	for _, o := range opts {
		o(&a)
	}
	return a
}

func withImage(image string) appOption { return func(a *App) { a.Template.Image = image } }
func withRevision(name string) appOption {
	return func(a *App) { a.Template.RevisionName = name }
}
func withPort(port int32) appOption        { return func(a *App) { a.Template.Port = port } }
func withMessage(msg string) appOption     { return func(a *App) { a.Template.Message = msg } }
func withDeployedBy(user string) appOption { return func(a *App) { a.Template.DeployedBy = user } }
func withDeployedAt(at time.Time) appOption {
	return func(a *App) { a.Template.DeployedAt = at }
}
func withEnv(env ...corev1.EnvVar) appOption { return func(a *App) { a.Template.Env = env } }
func withResources(r corev1.ResourceRequirements) appOption {
	return func(a *App) { a.Template.Resources = r }
}
func withScale(minScale, maxScale, target *int32) appOption {
	return func(a *App) {
		a.Template.MinScale, a.Template.MaxScale, a.Template.Target = minScale, maxScale, target
	}
}
func withTraffic(targets ...Target) appOption { return func(a *App) { a.Traffic = targets } }
func withLogPaths(p ...logging.LogPath) appOption {
	return func(a *App) { a.Template.LogPaths = p }
}
func withRules(rules ...Rule) appOption       { return func(a *App) { a.Rules = rules } }
func withHistory(h ...HistoryEntry) appOption { return func(a *App) { a.History = h } }
func withNames(project, name, env, namespace string) appOption {
	return func(a *App) {
		a.Project, a.Name, a.Env, a.Namespace = project, name, env, namespace
	}
}

type serviceOption func(*servingv1.Service)

// service is the Service BuildService must produce for app() with no options, written out
// literally (keys included) so that a changed constant shows up here.
func service(opts ...serviceOption) *servingv1.Service {
	s := &servingv1.Service{
		TypeMeta: metav1.TypeMeta{APIVersion: "serving.knative.dev/v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      "web",
			Namespace: "shop-prod",
			Labels: map[string]string{
				"app.kubernetes.io/managed-by": "slipway",
				"slipway.dev/project":          "shop",
				"slipway.dev/app":              "web",
				"slipway.dev/env":              "prod",
			},
			Annotations: map[string]string{"slipway.dev/history": "[]"},
		},
		Spec: servingv1.ServiceSpec{
			ConfigurationSpec: servingv1.ConfigurationSpec{
				Template: servingv1.RevisionTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{
						Name: "web-00001",
						Labels: map[string]string{
							"slipway.dev/project": "shop",
							"slipway.dev/app":     "web",
							"slipway.dev/env":     "prod",
						},
						Annotations: map[string]string{
							"slipway.dev/deployed-by": "alice@example.com",
							"slipway.dev/deployed-at": "2025-03-04T05:06:07Z",
						},
					},
					Spec: servingv1.RevisionSpec{
						PodSpec: corev1.PodSpec{Containers: []corev1.Container{{
							Name:  "user-container",
							Image: "registry.example/shop/web:v1",
						}}},
					},
				},
			},
			RouteSpec: servingv1.RouteSpec{Traffic: []servingv1.TrafficTarget{
				{RevisionName: "web-00001", LatestRevision: ptr.To(false), Percent: ptr.To[int64](100)},
			}},
		},
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

func svcAnnotation(k, v string) serviceOption {
	return func(s *servingv1.Service) { s.Annotations[k] = v }
}
func svcTemplateAnnotation(k, v string) serviceOption {
	return func(s *servingv1.Service) { s.Spec.Template.Annotations[k] = v }
}
func svcContainer(f func(c *corev1.Container)) serviceOption {
	return func(s *servingv1.Service) { f(&s.Spec.Template.Spec.Containers[0]) }
}
func svcTraffic(t ...servingv1.TrafficTarget) serviceOption {
	return func(s *servingv1.Service) { s.Spec.Traffic = t }
}

func pinned(rev string, percent int64, tag string) servingv1.TrafficTarget {
	return servingv1.TrafficTarget{RevisionName: rev, LatestRevision: ptr.To(false), Percent: ptr.To(percent), Tag: tag}
}

func latest(percent int64, tag string) servingv1.TrafficTarget {
	return servingv1.TrafficTarget{LatestRevision: ptr.To(true), Percent: ptr.To(percent), Tag: tag}
}

func resources() corev1.ResourceRequirements {
	return corev1.ResourceRequirements{
		Requests: corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse("100m"),
			corev1.ResourceMemory: resource.MustParse("128Mi"),
		},
		Limits: corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse("1"),
			corev1.ResourceMemory: resource.MustParse("256Mi"),
		},
	}
}

var betaRule = Rule{
	Match:    Match{Headers: map[string]StringMatch{"x-user": {Exact: "beta"}}},
	Revision: "web-00002",
}

var deployEntry = HistoryEntry{
	Time:     deployedAt,
	User:     "alice@example.com",
	Action:   ActionDeploy,
	Revision: "web-00001",
	Image:    "registry.example/shop/web:v1",
	Message:  "first",
	Traffic:  []Target{{Revision: "web-00001", Percent: 100}},
}

// knativeCheck defaults and validates svc the way Knative's webhook does on create. Only
// errors count: the webhook admits objects with warnings (Knative warns about every pod
// without a restrictive securityContext).
func knativeCheck(svc *servingv1.Service) error {
	ctx := apis.WithinCreate(context.Background())
	svc = svc.DeepCopy()
	svc.SetDefaults(ctx)
	if err := svc.Validate(ctx).Filter(apis.ErrorLevel); err != nil {
		return err
	}
	return nil
}

func TestBuildService(t *testing.T) {
	cases := []struct {
		name string
		app  App
		want *servingv1.Service
	}{{
		name: "minimal",
		app:  app(),
		want: service(),
	}, {
		name: "nil history is written as an empty list",
		app:  app(withHistory()),
		want: service(svcAnnotation("slipway.dev/history", "[]")),
	}, {
		name: "history is written as JSON",
		app:  app(withHistory(deployEntry)),
		want: service(svcAnnotation("slipway.dev/history",
			`[{"time":"2025-03-04T05:06:07Z","user":"alice@example.com","action":"deploy",`+
				`"revision":"web-00001","image":"registry.example/shop/web:v1","message":"first",`+
				`"traffic":[{"revision":"web-00001","percent":100}]}]`)),
	}, {
		name: "rules: annotation, and cluster-local visibility so Slipway owns the external host",
		app: app(
			withTraffic(Target{Revision: "web-00001", Percent: 100}, Target{Revision: "web-00002", Tag: "r00002"}),
			withRules(betaRule),
		),
		want: service(
			func(s *servingv1.Service) { s.Labels["networking.knative.dev/visibility"] = "cluster-local" },
			svcAnnotation("slipway.dev/routing-rules", `[{"match":{"headers":{"x-user":{"exact":"beta"}}},"revision":"web-00002"}]`),
			svcTraffic(pinned("web-00001", 100, ""), pinned("web-00002", 0, "r00002")),
		),
	}, {
		name: "log paths: the pod-mutator's opt-in label and annotation on the template",
		app: app(withLogPaths(
			logging.LogPath{Path: "/app/logs", Container: "user-container", Name: "app"},
			logging.LogPath{Path: "/var/log/nginx", Container: "user-container", Name: "nginx"},
		)),
		want: service(
			func(s *servingv1.Service) { s.Spec.Template.Labels["slipway.dev/log-collect"] = "true" },
			svcTemplateAnnotation("slipway.dev/log-paths",
				`[{"path":"/app/logs","container":"user-container","name":"app"},{"path":"/var/log/nginx","container":"user-container","name":"nginx"}]`),
		),
	}, {
		name: "empty log paths write neither label nor annotation",
		app:  app(withLogPaths([]logging.LogPath{}...)),
		want: service(),
	}, {
		name: "empty rules slice writes no annotation",
		app:  app(withRules()),
		want: service(),
	}, {
		name: "other names and revision",
		app:  app(withNames("acme", "api", "staging", "acme-staging"), withRevision("api-00042"), withTraffic(Target{Revision: "api-00042", Percent: 100})),
		want: service(func(s *servingv1.Service) {
			s.Name, s.Namespace = "api", "acme-staging"
			s.Labels = map[string]string{
				"app.kubernetes.io/managed-by": "slipway",
				"slipway.dev/project":          "acme",
				"slipway.dev/app":              "api",
				"slipway.dev/env":              "staging",
			}
			s.Spec.Template.Name = "api-00042"
			s.Spec.Template.Labels = map[string]string{
				"slipway.dev/project": "acme",
				"slipway.dev/app":     "api",
				"slipway.dev/env":     "staging",
			}
			s.Spec.Traffic = []servingv1.TrafficTarget{pinned("api-00042", 100, "")}
		}),
	}, {
		name: "deployed-at is written in UTC, message when set",
		app: app(
			withDeployedAt(time.Date(2025, 3, 4, 7, 6, 7, 0, time.FixedZone("EET", 2*60*60))),
			withDeployedBy("bob@example.com"),
			withMessage("fix the login page"),
		),
		want: service(
			svcTemplateAnnotation("slipway.dev/deployed-at", "2025-03-04T05:06:07Z"),
			svcTemplateAnnotation("slipway.dev/deployed-by", "bob@example.com"),
			svcTemplateAnnotation("slipway.dev/message", "fix the login page"),
		),
	}, {
		name: "min-scale only",
		app:  app(withScale(ptr.To[int32](1), nil, nil)),
		want: service(svcTemplateAnnotation("autoscaling.knative.dev/min-scale", "1")),
	}, {
		name: "min-scale zero is still written",
		app:  app(withScale(ptr.To[int32](0), nil, nil)),
		want: service(svcTemplateAnnotation("autoscaling.knative.dev/min-scale", "0")),
	}, {
		name: "all autoscaling annotations",
		app:  app(withScale(ptr.To[int32](2), ptr.To[int32](10), ptr.To[int32](50))),
		want: service(
			svcTemplateAnnotation("autoscaling.knative.dev/min-scale", "2"),
			svcTemplateAnnotation("autoscaling.knative.dev/max-scale", "10"),
			svcTemplateAnnotation("autoscaling.knative.dev/target", "50"),
		),
	}, {
		name: "max-scale and target without min-scale",
		app:  app(withScale(nil, ptr.To[int32](3), ptr.To[int32](100))),
		want: service(
			svcTemplateAnnotation("autoscaling.knative.dev/max-scale", "3"),
			svcTemplateAnnotation("autoscaling.knative.dev/target", "100"),
		),
	}, {
		name: "container image, env, port and resources",
		app: app(
			withImage("registry.example/shop/web@sha256:"+strings.Repeat("ab", 32)),
			withPort(8080),
			withEnv(corev1.EnvVar{Name: "LOG_LEVEL", Value: "debug"}, corev1.EnvVar{Name: "FEATURE_X", Value: ""}),
			withResources(resources()),
		),
		want: service(svcContainer(func(c *corev1.Container) {
			c.Image = "registry.example/shop/web@sha256:" + strings.Repeat("ab", 32)
			c.Ports = []corev1.ContainerPort{{ContainerPort: 8080}}
			c.Env = []corev1.EnvVar{{Name: "LOG_LEVEL", Value: "debug"}, {Name: "FEATURE_X", Value: ""}}
			c.Resources = resources()
		})),
	}, {
		name: "latest revision target",
		app:  app(withTraffic(Target{Latest: true, Percent: 100})),
		want: service(svcTraffic(latest(100, ""))),
	}, {
		name: "canary split with tags, latest tagged at 0%",
		app: app(
			withRevision("web-00003"),
			withTraffic(
				Target{Revision: "web-00001", Percent: 90, Tag: "stable"},
				Target{Revision: "web-00003", Percent: 10},
				Target{Latest: true, Tag: "latest"},
			),
		),
		want: service(
			func(s *servingv1.Service) { s.Spec.Template.Name = "web-00003" },
			svcTraffic(pinned("web-00001", 90, "stable"), pinned("web-00003", 10, ""), latest(0, "latest")),
		),
	}, {
		name: "three-way split",
		app: app(
			withRevision("web-00004"),
			withTraffic(
				Target{Revision: "web-00002", Percent: 33},
				Target{Revision: "web-00003", Percent: 33},
				Target{Revision: "web-00004", Percent: 34},
			),
		),
		want: service(
			func(s *servingv1.Service) { s.Spec.Template.Name = "web-00004" },
			svcTraffic(pinned("web-00002", 33, ""), pinned("web-00003", 33, ""), pinned("web-00004", 34, "")),
		),
	}, {
		name: "no traffic gives an empty list",
		app:  app(withTraffic()),
		want: service(svcTraffic([]servingv1.TrafficTarget{}...)),
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := BuildService(tc.app)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("BuildService() (-want,+got):\n%s", diff)
			}
			if len(tc.app.Traffic) == 0 {
				return // Knative needs traffic summing to 100; Slipway never writes none.
			}
			if err := knativeCheck(got); err != nil {
				t.Errorf("Knative rejects the built Service: %v", err)
			}
		})
	}
}

// TestBuildServiceKnativeRejects shows that the Knative check in TestBuildService can fail:
// each of these apps builds a Service the Knative webhook refuses.
func TestBuildServiceKnativeRejects(t *testing.T) {
	cases := []struct {
		name string
		app  App
		// wantPath is a field path Knative must name in its error.
		wantPath string
	}{{
		name:     "percents sum to 90",
		app:      app(withTraffic(Target{Revision: "web-00001", Percent: 90})),
		wantPath: "spec.traffic",
	}, {
		name:     "percents sum to 110",
		app:      app(withTraffic(Target{Revision: "web-00001", Percent: 60}, Target{Latest: true, Percent: 50})),
		wantPath: "spec.traffic",
	}, {
		name:     "tag that is not a DNS label",
		app:      app(withTraffic(Target{Revision: "web-00001", Percent: 100, Tag: "Bad_Tag"})),
		wantPath: "spec.traffic.tag[0]",
	}, {
		name:     "tag starting with a digit",
		app:      app(withTraffic(Target{Revision: "web-00001", Percent: 100, Tag: "1beta"})),
		wantPath: "spec.traffic.tag[0]",
	}, {
		name: "duplicate tags",
		app: app(withTraffic(
			Target{Revision: "web-00001", Percent: 100, Tag: "beta"},
			Target{Revision: "web-00002", Tag: "beta"},
		)),
		wantPath: "spec.traffic[1].tag",
	}, {
		name:     "min-scale above max-scale",
		app:      app(withScale(ptr.To[int32](5), ptr.To[int32](2), nil)),
		wantPath: "autoscaling.knative.dev/min-scale",
	}, {
		name:     "revision name without the service prefix",
		app:      app(withRevision("other-00001")),
		wantPath: "spec.template.metadata.name",
	}, {
		name:     "no image",
		app:      app(withImage("")),
		wantPath: "spec.template.spec.containers[0].image",
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := knativeCheck(BuildService(tc.app))
			if err == nil {
				t.Fatal("Knative accepted the Service, want an error")
			}
			if !strings.Contains(err.Error(), tc.wantPath) {
				t.Errorf("Knative error %q does not name %q", err, tc.wantPath)
			}
		})
	}
}

func TestAppFromServiceRoundTrip(t *testing.T) {
	traffic := app(withTraffic(
		Target{Revision: "web-00001", Percent: 80, Tag: "stable"},
		Target{Revision: "web-00002", Percent: 20},
		Target{Revision: "web-00002", Tag: "r00002"},
		Target{Latest: true, Tag: "latest"},
	), withRevision("web-00002"), withRules(betaRule, Rule{
		Match:    Match{Headers: map[string]StringMatch{"x-team": {Prefix: "qa-"}, "user-agent": {Regex: "^curl/"}}},
		Revision: "web-00002",
	}))
	cases := []struct {
		name string
		app  App
	}{
		{"minimal", app()},
		{"full template", app(
			withPort(8080),
			withMessage("ship it"),
			withEnv(corev1.EnvVar{Name: "A", Value: "1"}, corev1.EnvVar{Name: "B", Value: "two"}),
			withResources(resources()),
			withScale(ptr.To[int32](1), ptr.To[int32](10), ptr.To[int32](70)),
		)},
		{"min-scale zero", app(withScale(ptr.To[int32](0), nil, nil))},
		{"log paths", app(withLogPaths(logging.LogPath{Path: "/app/logs", Container: "user-container", Name: "logs"}))},
		{"zero deploy time", app(withDeployedAt(time.Time{}))},
		{"traffic, tags and rules", traffic},
		{"history", app(withHistory(deployEntry, HistoryEntry{
			Time:     deployedAt.Add(time.Hour),
			User:     "bob@example.com",
			Action:   ActionRollback,
			Revision: "web-00001",
			Traffic:  []Target{{Revision: "web-00001", Percent: 100}, {Revision: "web-00002", Tag: "r00002"}},
		}))},
		{"no traffic", app(withTraffic())},
		{"schedules carried", func() App { a := app(); a.Schedules = `[{"name":"nightly"}]`; return a }()},
		{"scaling schedules", app(func(a *App) {
			a.ScalingSchedules = `[{"name":"office","start":"0 9 * * *","end":"0 18 * * *","minScale":3}]`
		})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			svc := BuildService(tc.app)
			got, err := AppFromService(svc)
			if err != nil {
				t.Fatalf("AppFromService() error: %v", err)
			}
			// A nil and an empty list are the same record (history is always written as []).
			if diff := cmp.Diff(tc.app, got, cmpopts.EquateEmpty(), cmpopts.IgnoreFields(App{}, "StoredTemplate")); diff != "" {
				t.Errorf("AppFromService(BuildService(a)) (-want,+got):\n%s", diff)
			}
			if diff := cmp.Diff(&svc.Spec.Template, got.StoredTemplate); diff != "" {
				t.Errorf("StoredTemplate (-want,+got):\n%s", diff)
			}
			if got.StoredTemplate == &svc.Spec.Template {
				t.Error("StoredTemplate shares the Service's template")
			}
			// Written back unchanged, the record gives the same Service.
			if diff := cmp.Diff(svc, BuildService(got)); diff != "" {
				t.Errorf("BuildService(AppFromService(svc)) (-want,+got):\n%s", diff)
			}
		})
	}
}

func TestAppFromServiceDeployedAtIsUTC(t *testing.T) {
	at := time.Date(2025, 3, 4, 7, 6, 7, 0, time.FixedZone("EET", 2*60*60))
	got, err := AppFromService(BuildService(app(withDeployedAt(at))))
	if err != nil {
		t.Fatal(err)
	}
	if !got.Template.DeployedAt.Equal(at) || got.Template.DeployedAt.Location() != time.UTC {
		t.Errorf("DeployedAt = %v, want %v in UTC", got.Template.DeployedAt, at)
	}
}

func TestAppFromServiceErrors(t *testing.T) {
	cases := []struct {
		name    string
		mutate  func(*servingv1.Service)
		wantErr string
	}{{
		name:    "no labels",
		mutate:  func(s *servingv1.Service) { s.Labels = nil },
		wantErr: "not managed by slipway",
	}, {
		name:    "no project label",
		mutate:  func(s *servingv1.Service) { delete(s.Labels, names.LabelProject) },
		wantErr: "not managed by slipway",
	}, {
		name:    "no env label",
		mutate:  func(s *servingv1.Service) { delete(s.Labels, names.LabelEnv) },
		wantErr: "not managed by slipway",
	}, {
		name:    "malformed history",
		mutate:  func(s *servingv1.Service) { s.Annotations[names.AnnoHistory] = `[{"time":` },
		wantErr: "reading slipway.dev/history",
	}, {
		name:    "history of the wrong shape",
		mutate:  func(s *servingv1.Service) { s.Annotations[names.AnnoHistory] = `{"time":"x"}` },
		wantErr: "reading slipway.dev/history",
	}, {
		name:    "malformed routing rules",
		mutate:  func(s *servingv1.Service) { s.Annotations[names.AnnoRoutingRules] = `not json` },
		wantErr: "reading slipway.dev/routing-rules",
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			svc := BuildService(app(withRules(betaRule)))
			tc.mutate(svc)
			got, err := AppFromService(svc)
			if err == nil {
				t.Fatalf("AppFromService() = %+v, want an error", got)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q does not contain %q", err, tc.wantErr)
			}
			if diff := cmp.Diff(App{}, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("AppFromService() returned a partial app (-want,+got):\n%s", diff)
			}
		})
	}
}

func TestAppFromServiceWithoutAnnotations(t *testing.T) {
	svc := &servingv1.Service{
		ObjectMeta: metav1.ObjectMeta{
			Name:      "web",
			Namespace: "shop-prod",
			Labels:    map[string]string{names.LabelProject: "shop", names.LabelEnv: "prod"},
		},
	}
	got, err := AppFromService(svc)
	if err != nil {
		t.Fatalf("AppFromService() error: %v", err)
	}
	want := App{Project: "shop", Name: "web", Env: "prod", Namespace: "shop-prod", StoredTemplate: &servingv1.RevisionTemplateSpec{}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("AppFromService() (-want,+got):\n%s", diff)
	}
}

func TestBuildServiceWritesStoredTemplate(t *testing.T) {
	stored := &servingv1.RevisionTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{
			Name:        "web-00001",
			Labels:      map[string]string{"slipway.dev/app": "web", "extra": "kept"},
			Annotations: map[string]string{"slipway.dev/deployed-by": "alice@example.com"},
		},
		Spec: servingv1.RevisionSpec{
			PodSpec:              corev1.PodSpec{Containers: []corev1.Container{{Name: "user-container", Image: "registry.example/shop/web:v1"}}},
			ContainerConcurrency: ptr.To[int64](0),
			TimeoutSeconds:       ptr.To[int64](300),
		},
	}
	a := app(
		withImage("registry.example/shop/web:v2"), // ignored: the stored template wins
		withMessage("ignored"),
		withTraffic(Target{Revision: "web-00001", Percent: 100, Tag: "stable"}),
		withRules(Rule{Match: betaMatch, Revision: "web-00001"}),
	)
	a.StoredTemplate = stored.DeepCopy()
	got := BuildService(a)
	want := service(
		func(s *servingv1.Service) {
			s.Spec.Template = *stored.DeepCopy()
			s.Labels["networking.knative.dev/visibility"] = "cluster-local"
		},
		svcAnnotation("slipway.dev/routing-rules", `[{"match":{"headers":{"x-user":{"exact":"beta"}}},"revision":"web-00001"}]`),
		svcTraffic(pinned("web-00001", 100, "stable")),
	)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("BuildService() (-want,+got):\n%s", diff)
	}
	got.Spec.Template.Labels["extra"] = "changed"
	if a.StoredTemplate.Labels["extra"] != "kept" {
		t.Error("BuildService() shares StoredTemplate with the Service it returns")
	}
}

// TestStoredTemplateSurvivesKnativeUpdate writes a traffic change back over a Service the
// apiserver has defaulted, and checks Knative's update validation, which refuses a changed
// template under the same revision name.
func TestStoredTemplateSurvivesKnativeUpdate(t *testing.T) {
	createCtx := apis.WithinCreate(context.Background())
	stored := BuildService(app(
		withRevision("web-00002"),
		withTraffic(Target{Revision: "web-00001", Percent: 90}, Target{Revision: "web-00002", Percent: 10}),
	))
	stored.SetDefaults(createCtx)
	update := func(next *servingv1.Service) error {
		ctx := apis.WithinUpdate(context.Background(), stored)
		next = next.DeepCopy()
		next.SetDefaults(ctx)
		if err := next.Validate(ctx).Filter(apis.ErrorLevel); err != nil {
			return err
		}
		return nil // not a nil *apis.FieldError in a non-nil error
	}

	a, err := AppFromService(stored)
	if err != nil {
		t.Fatal(err)
	}
	a.Traffic = PlanRollback(Resolve(a.Traffic, "web-00002"), "web-00001")
	next := BuildService(a)
	if diff := cmp.Diff(stored.Spec.Template, next.Spec.Template); diff != "" {
		t.Errorf("template changed by a traffic change (-stored,+written):\n%s", diff)
	}
	if err := update(next); err != nil {
		t.Errorf("Knative refuses the traffic change: %v", err)
	}

	// Without the stored template, even the same Template renders without the defaults the
	// apiserver added, and Knative refuses it as a change under the same name.
	a.StoredTemplate = nil
	if err := update(BuildService(a)); err == nil || !strings.Contains(err.Error(), "without a name change") {
		t.Errorf("Knative update error = %v, want a refused template change", err)
	}
	a.Template.Image = "registry.example/shop/web:v9"
	if err := update(BuildService(a)); err == nil || !strings.Contains(err.Error(), "without a name change") {
		t.Errorf("Knative update error = %v, want a refused template change", err)
	}
}

func TestTemplateFromRevision(t *testing.T) {
	cases := []struct {
		name string
		rev  *servingv1.Revision
		want Template
	}{{
		name: "everything",
		rev: &servingv1.Revision{
			ObjectMeta: metav1.ObjectMeta{
				Name: "web-00007",
				Annotations: map[string]string{
					"slipway.dev/deployed-by":           "alice@example.com",
					"slipway.dev/deployed-at":           "2025-03-04T05:06:07Z",
					"slipway.dev/message":               "hello",
					"autoscaling.knative.dev/min-scale": "1",
					"autoscaling.knative.dev/max-scale": "5",
					"autoscaling.knative.dev/target":    "80",
				},
			},
			Spec: servingv1.RevisionSpec{PodSpec: corev1.PodSpec{Containers: []corev1.Container{{
				Name:      "user-container",
				Image:     "registry.example/shop/web:v7",
				Ports:     []corev1.ContainerPort{{ContainerPort: 9090}},
				Env:       []corev1.EnvVar{{Name: "A", Value: "b"}},
				Resources: resources(),
			}}}},
		},
		want: Template{
			RevisionName: "web-00007",
			Image:        "registry.example/shop/web:v7",
			Port:         9090,
			Env:          []corev1.EnvVar{{Name: "A", Value: "b"}},
			Resources:    resources(),
			MinScale:     ptr.To[int32](1),
			MaxScale:     ptr.To[int32](5),
			Target:       ptr.To[int32](80),
			DeployedBy:   "alice@example.com",
			DeployedAt:   deployedAt,
			Message:      "hello",
		},
	}, {
		name: "unreadable annotations are left unset",
		rev: &servingv1.Revision{
			ObjectMeta: metav1.ObjectMeta{
				Name: "web-00008",
				Annotations: map[string]string{
					"slipway.dev/deployed-at":           "yesterday",
					"autoscaling.knative.dev/min-scale": "one",
					"autoscaling.knative.dev/max-scale": "99999999999",
					"autoscaling.knative.dev/target":    "",
				},
			},
		},
		want: Template{RevisionName: "web-00008"},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, TemplateFromRevision(tc.rev)); diff != "" {
				t.Errorf("TemplateFromRevision() (-want,+got):\n%s", diff)
			}
		})
	}
}

func TestAppendHistory(t *testing.T) {
	entry := func(rev string) HistoryEntry { return HistoryEntry{Action: ActionDeploy, Revision: rev} }
	cases := []struct {
		name    string
		history []HistoryEntry
		limit   int
		want    []HistoryEntry
	}{
		{"first", nil, 3, []HistoryEntry{entry("a")}},
		{"below limit", []HistoryEntry{entry("x")}, 3, []HistoryEntry{entry("x"), entry("a")}},
		{"at limit drops oldest", []HistoryEntry{entry("x"), entry("y"), entry("z")}, 3, []HistoryEntry{entry("y"), entry("z"), entry("a")}},
		{"far over limit", []HistoryEntry{entry("v"), entry("w"), entry("x"), entry("y"), entry("z")}, 2, []HistoryEntry{entry("z"), entry("a")}},
		{"limit one", []HistoryEntry{entry("x")}, 1, []HistoryEntry{entry("a")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := App{History: tc.history}
			a.AppendHistory(entry("a"), tc.limit)
			if diff := cmp.Diff(tc.want, a.History); diff != "" {
				t.Errorf("History (-want,+got):\n%s", diff)
			}
		})
	}
}
