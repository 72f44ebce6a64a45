package revisions

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/utils/ptr"
	"knative.dev/pkg/apis"
	"knative.dev/serving/pkg/apis/autoscaling"
	"knative.dev/serving/pkg/apis/config"
	asconfig "knative.dev/serving/pkg/autoscaler/config"

	"github.com/slipway-dev/slipway/pkg/environments"
	"github.com/slipway-dev/slipway/pkg/names"
)

var allKnobs = Scaling{
	MinScale: ptr.To[int32](1), MaxScale: ptr.To[int32](8), InitialScale: ptr.To[int32](2),
	Target: ptr.To[int32](50), Metric: MetricRPS, TargetUtilization: ptr.To[int32](70),
	ScaleDownDelay: "90s", Window: "2m", ContainerConcurrency: ptr.To[int64](10),
}

func TestValidateScaling(t *testing.T) {
	bounded := environments.Environment{Name: "prod", MinScale: 1, MaxScale: 10}
	open := environments.Environment{Name: "test"}
	cases := []struct {
		name string
		env  environments.Environment
		s    Scaling
		// want are the field paths of the errors, sorted; none for a valid request.
		want []string
	}{
		{"every knob", bounded, allKnobs, nil},
		{"concurrency metric", open, Scaling{Metric: MetricConcurrency}, nil},
		{"window at its bounds", open, Scaling{Window: "6s", ScaleDownDelay: "0s"}, nil},
		{"window of an hour", open, Scaling{Window: "1h", ScaleDownDelay: "1h"}, nil},
		{"container concurrency 0 is no limit", open, Scaling{ContainerConcurrency: ptr.To[int64](0)}, nil},
		{"maxScale above the environment's", bounded, Scaling{MaxScale: ptr.To[int32](11)}, []string{"scaling.maxScale"}},
		{"minScale above the environment's maxScale", bounded, Scaling{MinScale: ptr.To[int32](11)}, []string{"scaling.minScale"}},
		{"maxScale below the environment's minScale", environments.Environment{Name: "prod", MinScale: 3}, Scaling{MaxScale: ptr.To[int32](2)}, []string{"scaling.maxScale"}},
		{"initialScale 0", open, Scaling{InitialScale: ptr.To[int32](0)}, []string{"scaling.initialScale"}},
		{"initialScale above maxScale", open, Scaling{InitialScale: ptr.To[int32](5), MaxScale: ptr.To[int32](4)}, []string{"scaling.initialScale"}},
		{"initialScale above the environment's maxScale", bounded, Scaling{InitialScale: ptr.To[int32](20)}, []string{"scaling.initialScale"}},
		{"metric cpu", open, Scaling{Metric: "cpu"}, []string{"scaling.metric"}},
		{"targetUtilization 0", open, Scaling{TargetUtilization: ptr.To[int32](0)}, []string{"scaling.targetUtilization"}},
		{"targetUtilization 101", open, Scaling{TargetUtilization: ptr.To[int32](101)}, []string{"scaling.targetUtilization"}},
		{"window 5s", open, Scaling{Window: "5s"}, []string{"scaling.window"}},
		{"window over an hour", open, Scaling{Window: "61m"}, []string{"scaling.window"}},
		{"window not a duration", open, Scaling{Window: "10"}, []string{"scaling.window"}},
		{"window with milliseconds", open, Scaling{Window: "6500ms"}, []string{"scaling.window"}},
		{"negative scaleDownDelay", open, Scaling{ScaleDownDelay: "-1s"}, []string{"scaling.scaleDownDelay"}},
		{"scaleDownDelay over an hour", open, Scaling{ScaleDownDelay: "2h"}, []string{"scaling.scaleDownDelay"}},
		{"containerConcurrency 1001", open, Scaling{ContainerConcurrency: ptr.To[int64](1001)}, []string{"scaling.containerConcurrency"}},
		{"negative containerConcurrency", open, Scaling{ContainerConcurrency: ptr.To[int64](-1)}, []string{"scaling.containerConcurrency"}},
		{"target 0", open, Scaling{Target: ptr.To[int32](0)}, []string{"scaling.target"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.s
			got := fieldsOf(deploy(func(r *DeployRequest) { r.Scaling = &s }).Validate(tc.env))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("error fields (-want,+got):\n%s", diff)
			}
		})
	}
}

func TestScalingRendersAsKnativeAnnotations(t *testing.T) {
	req := deploy(func(r *DeployRequest) { s := allKnobs; r.Scaling = &s })
	tmpl := req.TemplateFor(prodEnv, "web-00002", "alice@example.com", func() time.Time { return deployedAt })
	svc := BuildService(app(func(a *App) { a.Template = tmpl }))
	want := map[string]string{
		"autoscaling.knative.dev/min-scale":                     "1",
		"autoscaling.knative.dev/max-scale":                     "8",
		"autoscaling.knative.dev/initial-scale":                 "2",
		"autoscaling.knative.dev/target":                        "50",
		"autoscaling.knative.dev/metric":                        "rps",
		"autoscaling.knative.dev/target-utilization-percentage": "70",
		"autoscaling.knative.dev/scale-down-delay":              "1m30s",
		"autoscaling.knative.dev/window":                        "2m0s",
	}
	got := map[string]string{}
	for k, v := range svc.Spec.Template.Annotations {
		if strings.HasPrefix(k, autoscaling.GroupName) {
			got[k] = v
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("template annotations (-want,+got):\n%s", diff)
	}
	if cc := svc.Spec.Template.Spec.ContainerConcurrency; cc == nil || *cc != 10 {
		t.Errorf("containerConcurrency = %v, want 10", cc)
	}
	// Read back, the app shows what it runs with (durations as Slipway writes them).
	back, err := AppFromService(svc)
	if err != nil {
		t.Fatal(err)
	}
	wantView := allKnobs
	wantView.ScaleDownDelay, wantView.Window = "1m30s", "2m0s"
	if diff := cmp.Diff(wantView, back.Template.Scaling()); diff != "" {
		t.Errorf("Scaling() (-want,+got):\n%s", diff)
	}
}

// Every accepted knob must also pass Knative's own validation, under both autoscaler
// classes (the dev stack runs HPA; production clusters default to KPA).
func TestAcceptedScalingPassesKnative(t *testing.T) {
	for _, class := range []string{autoscaling.KPA, autoscaling.HPA} {
		for _, s := range []Scaling{allKnobs, {Metric: MetricConcurrency, Window: "6s", ScaleDownDelay: "0s"}, {Window: "1h", ScaleDownDelay: "1h", ContainerConcurrency: ptr.To[int64](1000)}} {
			s := s
			req := deploy(func(r *DeployRequest) { r.Scaling = &s })
			if errs := req.Validate(prodEnv); len(errs) > 0 {
				t.Fatalf("%+v: Slipway refuses: %v", s, errs)
			}
			tmpl := req.TemplateFor(prodEnv, "web-00002", "alice@example.com", func() time.Time { return deployedAt })
			svc := BuildService(app(func(a *App) { a.Template = tmpl }))
			ac, _ := asconfig.NewConfigFromMap(map[string]string{"pod-autoscaler-class": class})
			ctx := config.ToContext(apis.WithinCreate(context.Background()), &config.Config{Autoscaler: ac, Defaults: mustDefaults(t), Features: mustFeatures(t)})
			svc.SetDefaults(ctx)
			if err := svc.Validate(ctx).Filter(apis.ErrorLevel); err != nil {
				t.Errorf("class %s, %+v: Knative refuses: %v", class, s, err)
			}
		}
	}
}

func mustDefaults(t *testing.T) *config.Defaults {
	d, err := config.NewDefaultsConfigFromMap(nil)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func mustFeatures(t *testing.T) *config.Features {
	f, err := config.NewFeaturesConfigFromMap(nil)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestOwnMinScaleIsTheRevisionsConfiguration(t *testing.T) {
	svc := BuildService(app(withScale(ptr.To[int32](1), nil, nil)))
	meta := svc.Spec.Template.ObjectMeta
	meta.Annotations[autoscaling.MinScaleAnnotationKey] = "5"
	meta.Annotations[names.AnnoOwnMinScale] = "1"
	if got := templateFromRevisionSpec(meta, svc.Spec.Template.Spec).MinScale; got == nil || *got != 1 {
		t.Errorf("MinScale = %v, want the own 1", got)
	}
	meta.Annotations[names.AnnoOwnMinScale] = ""
	if got := templateFromRevisionSpec(meta, svc.Spec.Template.Spec).MinScale; got != nil {
		t.Errorf("MinScale = %v, want none (the revision had none)", *got)
	}
}

func TestRedeployKeepsTheSpec(t *testing.T) {
	env := environments.Environment{Name: "prod", MinScale: 1, MaxScale: 10, Env: []environments.EnvVar{{Name: "TIER", Value: "production"}}}
	first := deploy(func(r *DeployRequest) {
		r.Port, r.Env = 9000, []EnvVar{{Name: "A", Value: "1"}}
		r.Resources = &ResourcesSpec{Requests: map[string]string{"cpu": "100m"}, Limits: map[string]string{"memory": "256Mi"}}
		s := allKnobs
		r.Scaling = &s
	})
	tmpl := first.TemplateFor(env, "web-00001", "alice", func() time.Time { return deployedAt })
	scaled := tmpl.Scaling().Over(Scaling{MinScale: ptr.To[int32](3), Window: "10m"})
	req := tmpl.Redeploy(env, scaled, "more pods")
	if errs := req.Validate(env); len(errs) > 0 {
		t.Fatalf("the redeploy is refused: %v", errs)
	}
	next := req.TemplateFor(env, "web-00002", "bob", func() time.Time { return deployedAt })
	want := tmpl
	want.RevisionName, want.DeployedBy, want.Message = "web-00002", "bob", "more pods"
	want.MinScale, want.Window = ptr.To[int32](3), "10m0s"
	if diff := cmp.Diff(want, next); diff != "" {
		t.Errorf("the next revision's template (-want,+got):\n%s", diff)
	}
}
