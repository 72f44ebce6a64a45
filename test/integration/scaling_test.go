//go:build integration

package integration

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/serving/pkg/apis/autoscaling"

	"github.com/slipway-dev/slipway/pkg/apps"
	"github.com/slipway-dev/slipway/pkg/audit"
	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/scaling/windows"
)

// TestScaling: every autoscaling knob of a deploy reaches the Revision through Knative's own
// webhook, out-of-bounds values are refused naming the field, and a scaling window open now
// raises every routed revision's PodAutoscaler min-scale through the Revision's annotation —
// no new revision — and lets it drop back when the window ends.
func TestScaling(t *testing.T) {
	// Mostly waiting for a window to open and close: alongside TestFaults (its own stack),
	// after the shared stack's other tests.
	t.Parallel()
	ctx := context.Background()
	createProject(t, "clock")
	base := appPath("clock", "api", "test")
	ns := "clock-test"
	imageA, imageB := "dev.local/clock/api:v1", "dev.local/clock/api:v2"

	knobs := map[string]any{"minScale": 1, "maxScale": 5, "initialScale": 1, "target": 50, "metric": "rps",
		"targetUtilization": 70, "scaleDownDelay": "30s", "window": "2m", "containerConcurrency": 10}
	mustCall(t, http.StatusCreated, http.MethodPost, base+"/deployments", map[string]any{"image": imageA, "scaling": knobs}, nil)
	waitRevisionReady(t, ns, "api-00001", imageA)
	rev, err := env.clients.Serving.ServingV1().Revisions(ns).Get(ctx, "api-00001", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantAnnotations := map[string]string{
		"autoscaling.knative.dev/min-scale": "1", "autoscaling.knative.dev/max-scale": "5",
		"autoscaling.knative.dev/initial-scale": "1", "autoscaling.knative.dev/target": "50",
		"autoscaling.knative.dev/metric": "rps", "autoscaling.knative.dev/target-utilization-percentage": "70",
		"autoscaling.knative.dev/scale-down-delay": "30s", "autoscaling.knative.dev/window": "2m0s",
	}
	got := map[string]string{}
	for k, v := range rev.Annotations {
		if strings.HasPrefix(k, autoscaling.GroupName+"/") && k != autoscaling.ClassAnnotationKey {
			got[k] = v
		}
	}
	if d := cmp.Diff(wantAnnotations, got); d != "" {
		t.Errorf("Revision's autoscaling annotations (-want,+got):\n%s", d)
	}
	if cc := rev.Spec.ContainerConcurrency; cc == nil || *cc != 10 {
		t.Errorf("containerConcurrency = %v, want 10", cc)
	}
	var status apps.AppStatus
	mustCall(t, http.StatusOK, http.MethodGet, base, nil, &status)
	if s := status.Scaling; s.Metric != "rps" || s.Window != "2m0s" || s.MaxScale == nil || *s.MaxScale != 5 || s.ContainerConcurrency == nil || *s.ContainerConcurrency != 10 {
		t.Errorf("app view scaling = %+v", s)
	}

	// Out of bounds: the environment's maxScale (20), Knative's window range, the app's maxScale.
	for _, tc := range []struct {
		name, path, field string
		body              any
	}{
		{"maxScale above the environment's", base + "/deployments", "scaling.maxScale", map[string]any{"image": imageA, "scaling": map[string]any{"maxScale": 21}}},
		{"window below Knative's 6s", base + "/deployments", "scaling.window", map[string]any{"image": imageA, "scaling": map[string]any{"window": "5s"}}},
		{"metric cpu", base + "/deployments", "scaling.metric", map[string]any{"image": imageA, "scaling": map[string]any{"metric": "cpu"}}},
		{"window minScale above the app's maxScale", base + "/scaling/schedules", "windows[0].minScale", map[string]any{"windows": []any{map[string]any{"name": "big", "start": "0 9 * * *", "duration": "1h", "minScale": 6}}}},
		{"window in no zone", base + "/scaling/schedules", "windows[0].timezone", map[string]any{"windows": []any{map[string]any{"name": "tz", "start": "0 9 * * *", "duration": "1h", "timezone": "Mars/Base", "minScale": 2}}}},
	} {
		method := http.MethodPost
		if strings.HasSuffix(tc.path, "/schedules") {
			method = http.MethodPut
		}
		code, raw := call(t, method, tc.path, tc.body, nil)
		if code != http.StatusUnprocessableEntity || !strings.Contains(string(raw), `"field":"`+tc.field+`"`) {
			t.Errorf("%s: %d %s, want 422 naming %s", tc.name, code, raw, tc.field)
		}
	}

	// A second revision takes half the traffic: both are routed. It has no min-scale of its own.
	mustCall(t, http.StatusCreated, http.MethodPost, base+"/deployments",
		map[string]any{"image": imageB, "strategy": map[string]any{"type": "canary", "percent": 50}}, nil)
	waitRevisionReady(t, ns, "api-00002", imageB)
	waitRouteTraffic(t, ns, "api", "api-00001=50", "api-00002=50")
	revisionCount := func() int {
		list, err := env.clients.Serving.ServingV1().Revisions(ns).List(ctx, metav1.ListOptions{LabelSelector: "serving.knative.dev/service=api"})
		if err != nil {
			t.Fatal(err)
		}
		return len(list.Items)
	}
	if n := revisionCount(); n != 2 {
		t.Fatalf("%d revisions before the window, want 2", n)
	}

	// A window open now: it started at this minute and lasts two. Late in a minute, wait for
	// the next one, so at least 80 s of the window remain for the raise to be seen.
	now := time.Now().UTC()
	if now.Second() >= 40 {
		time.Sleep(now.Truncate(time.Minute).Add(time.Minute).Sub(now))
		now = time.Now().UTC()
	}
	window := map[string]any{"name": "launch", "start": fmt.Sprintf("%d %d * * *", now.Minute(), now.Hour()), "duration": "2m", "minScale": 3}
	var view windows.ScalingView
	mustCall(t, http.StatusOK, http.MethodPut, base+"/scaling/schedules", map[string]any{"windows": []any{window}}, &view)
	if view.EffectiveMinScale != 3 || len(view.Windows) != 1 || !view.Windows[0].Active || view.Next == nil || view.Next.MinScale != 0 {
		t.Fatalf("PUT answered %+v, want minimum 3 now, back to the own 0 next", view)
	}

	minScales := func() (map[string]string, error) {
		out := map[string]string{}
		for _, name := range []string{"api-00001", "api-00002"} {
			rev, err := env.clients.Serving.ServingV1().Revisions(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return nil, err
			}
			pa, err := env.clients.Serving.AutoscalingV1alpha1().PodAutoscalers(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return nil, err
			}
			out[name+" revision"] = rev.Annotations[autoscaling.MinScaleAnnotationKey]
			out[name+" pa"] = pa.Annotations[autoscaling.MinScaleAnnotationKey]
		}
		return out, nil
	}
	waitMinScales := func(what string, timeout time.Duration, want map[string]string) {
		t.Helper()
		eventually(t, timeout, what, func() error {
			got, err := minScales()
			if err != nil {
				return err
			}
			if d := cmp.Diff(want, got); d != "" {
				return fmt.Errorf("min-scale (-want,+got):\n%s", d)
			}
			return nil
		})
	}
	raised := map[string]string{"api-00001 revision": "3", "api-00001 pa": "3", "api-00002 revision": "3", "api-00002 pa": "3"}
	waitMinScales("every routed revision raised to 3", 30*time.Second, raised)
	// Knative's HPA-class autoscaler took it from the PodAutoscaler: the HPA's floor is 3,
	// and the revision reconciler has not put the PodAutoscaler back.
	eventually(t, 30*time.Second, "HPAs with minReplicas 3", func() error {
		for _, name := range []string{"api-00001", "api-00002"} {
			hpa, err := env.clients.Kube.AutoscalingV2().HorizontalPodAutoscalers(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if hpa.Spec.MinReplicas == nil || *hpa.Spec.MinReplicas != 3 {
				return fmt.Errorf("HPA %s minReplicas = %v", name, hpa.Spec.MinReplicas)
			}
		}
		return nil
	})
	if got, err := minScales(); err != nil || !cmp.Equal(raised, got) {
		t.Errorf("after the HPAs followed: %v (%v), want %v", got, err, raised)
	}
	if n := revisionCount(); n != 2 {
		t.Errorf("%d revisions while the window is open, want 2 (no new revision)", n)
	}
	rev1, err := env.clients.Serving.ServingV1().Revisions(ns).Get(ctx, "api-00001", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if own, ok := rev1.Annotations[names.AnnoOwnMinScale]; !ok || own != "1" {
		t.Errorf("api-00001 records its own min-scale as %q (%v), want 1", own, ok)
	}

	// The window ends within two minutes: each revision is back to its own.
	waitMinScales("min-scale back to each revision's own", 3*time.Minute,
		map[string]string{"api-00001 revision": "1", "api-00001 pa": "1", "api-00002 revision": "", "api-00002 pa": ""})
	if n := revisionCount(); n != 2 {
		t.Errorf("%d revisions after the window, want 2", n)
	}
	mustCall(t, http.StatusOK, http.MethodGet, base+"/scaling", nil, &view)
	if view.EffectiveMinScale != 0 || view.Windows[0].Active {
		t.Errorf("GET scaling after the window = %+v", view)
	}

	// Each change is on the audit trail, made by the reconciler.
	eventually(t, 10*time.Second, "scale-revision audit records", func() error {
		var records []audit.Record
		mustCall(t, http.StatusOK, http.MethodGet, "/api/v1/audit?action=scale-revision&project=clock&app=api", nil, &records)
		if len(records) < 4 {
			return fmt.Errorf("%d records, want 4 (two raised, two restored): %+v", len(records), records)
		}
		for _, r := range records {
			if r.User != names.ScalingActor || r.Env != "test" {
				return fmt.Errorf("record %+v", r)
			}
		}
		return nil
	})

	// An empty list removes the windows from the app's record.
	mustCall(t, http.StatusOK, http.MethodPut, base+"/scaling/schedules", map[string]any{"windows": []any{}}, nil)
	svc, err := env.clients.Serving.ServingV1().Services(ns).Get(ctx, "api", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if raw, ok := svc.Annotations[names.AnnoScalingSchedules]; ok {
		t.Errorf("the Service keeps %s = %q", names.AnnoScalingSchedules, raw)
	}

	// Changing a knob is a deploy of the current spec (api-00002's image) with it.
	var scaled apps.DeployResult
	mustCall(t, http.StatusCreated, http.MethodPost, base+"/scaling", map[string]any{"scaling": map[string]any{"maxScale": 4, "window": "90s"}}, &scaled)
	if scaled.Revision != "api-00003" || scaled.Image != imageB {
		t.Fatalf("scale deployed %+v, want api-00003 of %s", scaled, imageB)
	}
	waitRevisionReady(t, ns, "api-00003", imageB)
	rev3, err := env.clients.Serving.ServingV1().Revisions(ns).Get(ctx, "api-00003", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if a := rev3.Annotations; a[autoscaling.MaxScaleAnnotationKey] != "4" || a[autoscaling.WindowAnnotationKey] != "1m30s" {
		t.Errorf("api-00003's annotations: %v", a)
	}
}
