//go:build integration

package integration

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"knative.dev/pkg/apis"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"

	"github.com/slipway-dev/slipway/pkg/apps"
	"github.com/slipway-dev/slipway/pkg/revisions"
)

const readyTimeout = 3 * time.Minute

// routeTraffic is the split Knative's Route status reports, as "revision=percent".
func routeTraffic(ctx context.Context, ns, name string) ([]string, error) {
	route, err := env.clients.Serving.ServingV1().Routes(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	if route.Status.ObservedGeneration != route.Generation || !route.IsReady() {
		return nil, fmt.Errorf("route %s not ready at generation %d (observed %d): %+v", name, route.Generation,
			route.Status.ObservedGeneration, route.Status.GetCondition(apis.ConditionReady))
	}
	var out []string
	for _, t := range route.Status.Traffic {
		if t.Percent != nil && *t.Percent > 0 {
			out = append(out, fmt.Sprintf("%s=%d", t.RevisionName, *t.Percent))
		}
	}
	sort.Strings(out)
	return out, nil
}

func waitRouteTraffic(t *testing.T, ns, name string, want ...string) {
	t.Helper()
	sort.Strings(want)
	eventually(t, readyTimeout, "route traffic "+strings.Join(want, ","), func() error {
		got, err := routeTraffic(context.Background(), ns, name)
		if err != nil {
			return err
		}
		if d := cmp.Diff(want, got); d != "" {
			return fmt.Errorf("route traffic (-want,+got):\n%s", d)
		}
		return nil
	})
}

func waitRevisionReady(t *testing.T, ns, name, image string) {
	t.Helper()
	eventually(t, readyTimeout, "revision "+name+" Ready", func() error {
		rev, err := env.clients.Serving.ServingV1().Revisions(ns).Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if got := rev.Spec.Containers[0].Image; got != image {
			return fmt.Errorf("revision %s runs %s, want %s", name, got, image)
		}
		if !rev.IsReady() {
			return fmt.Errorf("revision %s not Ready: %v", name, rev.Status.GetCondition(servingv1.RevisionConditionReady))
		}
		return nil
	})
}

// TestDeployCanaryRollback is the first hour of a new user: deploy A, deploy B as a canary,
// read Knative's own Route status, roll back, read the history.
func TestDeployCanaryRollback(t *testing.T) {
	createProject(t, "shop")
	base := appPath("shop", "web", "test")
	ns := "shop-test"
	imageA, imageB := "dev.local/shop/web:v1", "dev.local/shop/web:v2"

	var first apps.DeployResult
	mustCall(t, http.StatusCreated, http.MethodPost, base+"/deployments",
		map[string]any{"image": imageA, "message": "first release"}, &first)
	if first.Revision != "web-00001" {
		t.Fatalf("first revision = %q, want web-00001", first.Revision)
	}
	waitRevisionReady(t, ns, "web-00001", imageA)
	waitRouteTraffic(t, ns, "web", "web-00001=100")

	var second apps.DeployResult
	mustCall(t, http.StatusCreated, http.MethodPost, base+"/deployments",
		map[string]any{"image": imageB, "message": "try v2 on a fifth", "strategy": map[string]any{"type": "canary", "percent": 20}}, &second)
	if second.Revision != "web-00002" {
		t.Fatalf("second revision = %q, want web-00002", second.Revision)
	}
	waitRevisionReady(t, ns, "web-00002", imageB)
	waitRouteTraffic(t, ns, "web", "web-00001=80", "web-00002=20")

	var revs []apps.Revision
	mustCall(t, http.StatusOK, http.MethodGet, base+"/revisions", nil, &revs)
	eventually(t, 10*time.Second, "revision list shows both Ready with Knative's percentages", func() error {
		mustCall(t, http.StatusOK, http.MethodGet, base+"/revisions", nil, &revs)
		got := []string{}
		for _, r := range revs {
			got = append(got, fmt.Sprintf("%s %s ready=%v %d%% by=%s msg=%q", r.Name, r.Image, r.Ready, r.Percent, r.DeployedBy, r.Message))
		}
		want := []string{
			`web-00001 dev.local/shop/web:v1 ready=true 80% by=admin msg="first release"`,
			`web-00002 dev.local/shop/web:v2 ready=true 20% by=admin msg="try v2 on a fifth"`,
		}
		if d := cmp.Diff(want, got); d != "" {
			return fmt.Errorf("(-want,+got):\n%s", d)
		}
		return nil
	})

	mustCall(t, http.StatusOK, http.MethodPost, base+"/rollback", map[string]any{"revision": "web-00001", "message": "v2 is slow"}, nil)
	waitRouteTraffic(t, ns, "web", "web-00001=100")

	var status apps.AppStatus
	eventually(t, 10*time.Second, "app status reports the rollback", func() error {
		mustCall(t, http.StatusOK, http.MethodGet, base, nil, &status)
		if !status.Ready || len(status.ServedTraffic) != 1 || status.ServedTraffic[0].Revision != "web-00001" {
			return fmt.Errorf("status %+v", status)
		}
		return nil
	})
	if want := "http://web.shop-test.slipway.test"; status.URL != want {
		t.Errorf("URL = %q, want %q", status.URL, want)
	}

	var history []revisions.HistoryEntry
	mustCall(t, http.StatusOK, http.MethodGet, base+"/history", nil, &history)
	var got []string
	for _, h := range history {
		got = append(got, fmt.Sprintf("%s %s %s %q %s", h.User, h.Action, h.Revision, h.Message, revisions.TrafficSummary(h.Traffic)))
	}
	want := []string{
		`admin deploy web-00001 "first release" web-00001=100`,
		`admin deploy web-00002 "try v2 on a fifth" web-00001=80,web-00002=20`,
		`admin rollback web-00001 "v2 is slow" web-00001=100`,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("history (-want,+got):\n%s", d)
	}

	// The export is what Slipway applies; applied elsewhere it would rebuild the app.
	code, yaml := call(t, http.MethodGet, base+"/manifests", nil, nil)
	if code != http.StatusOK || !strings.Contains(string(yaml), "name: web-00002") || strings.Contains(string(yaml), "resourceVersion") {
		t.Errorf("manifests = %d:\n%s", code, yaml)
	}
}

// TestConcurrentTrafficUpdates: 50 writers change one app's split at once. Each write is
// applied with the read's resourceVersion and retried on conflict, so the final split equals
// one of the requests and the history holds every one of them.
func TestConcurrentTrafficUpdates(t *testing.T) {
	createProject(t, "race")
	base := appPath("race", "api", "test")
	mustCall(t, http.StatusCreated, http.MethodPost, base+"/deployments", map[string]any{"image": "dev.local/race/api:v1"}, nil)
	// Knative creates only the latest template's revision: wait for v1 before superseding it.
	waitRevisionReady(t, "race-test", "api-00001", "dev.local/race/api:v1")
	mustCall(t, http.StatusCreated, http.MethodPost, base+"/deployments", map[string]any{"image": "dev.local/race/api:v2"}, nil)
	waitRevisionReady(t, "race-test", "api-00002", "dev.local/race/api:v2")

	const writers = 50
	requested := map[string]bool{}
	var wg sync.WaitGroup
	codes := make([]int, writers)
	bodies := make([][]byte, writers)
	for i := 1; i <= writers; i++ {
		split := []revisions.Target{{Revision: "api-00001", Percent: int64(i)}, {Revision: "api-00002", Percent: int64(100 - i)}}
		requested[revisions.TrafficSummary(split)] = true
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			codes[i-1], bodies[i-1] = call(t, http.MethodPut, base+"/traffic", map[string]any{"targets": split, "message": fmt.Sprintf("writer %d", i)}, nil)
		}(i)
	}
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusOK {
			t.Fatalf("writer %d: %d %s", i+1, c, bodies[i])
		}
	}

	svc, err := env.clients.Serving.ServingV1().Services("race-test").Get(context.Background(), "api", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	app, err := revisions.AppFromService(svc)
	if err != nil {
		t.Fatal(err)
	}
	final := revisions.TrafficSummary(app.Traffic)
	if !requested[final] {
		t.Errorf("final split %s is none of the requested ones", final)
	}
	seen := map[string]bool{}
	for _, h := range app.History {
		if h.Action == revisions.ActionTraffic {
			seen[revisions.TrafficSummary(h.Traffic)] = true
		}
	}
	if d := cmp.Diff(requested, seen); d != "" {
		t.Errorf("history does not hold every request (-want,+got):\n%s", d)
	}
	last := app.History[len(app.History)-1]
	if got := revisions.TrafficSummary(last.Traffic); got != final {
		t.Errorf("last history entry %s differs from the final split %s", got, final)
	}
}

// TestKnativeWebhookEnforcesValidation: the dev stack rejects an invalid Knative Service
// exactly as production does, with Knative's own message.
func TestKnativeWebhookEnforcesValidation(t *testing.T) {
	bad := &servingv1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "bad", Namespace: "default"},
		Spec: servingv1.ServiceSpec{ConfigurationSpec: servingv1.ConfigurationSpec{Template: servingv1.RevisionTemplateSpec{
			Spec: servingv1.RevisionSpec{ContainerConcurrency: ptr.To(int64(-5))},
		}}},
	}
	bad.Spec.Template.Spec.Containers = append(bad.Spec.Template.Spec.Containers, corev1Container("dev.local/bad/app:v1"))
	_, err := env.clients.Serving.ServingV1().Services("default").Create(context.Background(), bad, metav1.CreateOptions{})
	if err == nil || !strings.Contains(err.Error(), "expected 0 <= -5 <= 1000: spec.template.spec.containerConcurrency") {
		t.Fatalf("creating an invalid Service: err = %v, want Knative's validation message", err)
	}
}
