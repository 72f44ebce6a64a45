//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	istionetworkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"

	"github.com/slipway-dev/slipway/internal/latency"
	"github.com/slipway-dev/slipway/pkg/apps"
	"github.com/slipway-dev/slipway/pkg/environments"
	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/records"
	"github.com/slipway-dev/slipway/pkg/revisions"
	"github.com/slipway-dev/slipway/pkg/routing"
)

// Benchmarks run with `make bench`, on a stack without Knative's controllers (nothing would
// reconcile thousands of fixtures fast enough on two cores); Knative's webhook still admits
// every write, as in production. Each benchmark times Slipway's path and the bare client-go
// call for the same object interleaved in one run, and reports their ratio.

var benchProject sync.Once

func ensureBenchProject(b *testing.B) {
	benchProject.Do(func() { createProject(b, "bench") })
}

func report(b *testing.B, ours, bare latency.Samples) {
	b.ReportMetric(float64(ours.Mean().Microseconds()), "slipway-µs/op")
	b.ReportMetric(float64(bare.Mean().Microseconds()), "client-go-µs/op")
	b.ReportMetric(float64(ours.Percentile(99).Microseconds()), "slipway-p99-µs")
	b.ReportMetric(float64(bare.Percentile(99).Microseconds()), "client-go-p99-µs")
	b.ReportMetric(float64(ours.Mean())/float64(bare.Mean()), "ratio")
}

// bareApply is the physical limit: one server-side apply of an already built Service.
func bareApply(ctx context.Context, svc *servingv1.Service) (time.Duration, error) {
	body, err := json.Marshal(svc)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	_, err = env.clients.Serving.ServingV1().Services(svc.Namespace).Patch(ctx, svc.Name, types.ApplyPatchType, body,
		metav1.PatchOptions{FieldManager: names.FieldManager, Force: ptr.To(true)})
	return time.Since(start), err
}

// currentApp reads the app's record straight from the apiserver (outside the timings).
func currentApp(ctx context.Context, b *testing.B, ns, name string) (revisions.App, string) {
	svc, err := env.clients.Serving.ServingV1().Services(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		b.Fatal(err)
	}
	app, err := revisions.AppFromService(svc)
	if err != nil {
		b.Fatal(err)
	}
	return app, svc.ResourceVersion
}

// BenchmarkDeploy: POST …/deployments through platform-api vs applying the same Service
// (next revision, same history) with client-go.
func BenchmarkDeploy(b *testing.B) {
	ensureBenchProject(b)
	ctx := context.Background()
	path := appPath("bench", "deploy", "test")
	mustCall(b, http.StatusCreated, http.MethodPost, path+"/deployments", map[string]any{"image": "dev.local/bench/app:v0"}, nil)
	var ours, bare latency.Samples
	i := 0
	for b.Loop() {
		i++
		start := time.Now()
		mustCall(b, http.StatusCreated, http.MethodPost, path+"/deployments",
			map[string]any{"image": fmt.Sprintf("dev.local/bench/app:v%d", i), "message": "bench"}, nil)
		ours = append(ours, time.Since(start))

		b.StopTimer()
		app, rv := currentApp(ctx, b, "bench-test", "deploy")
		rev := revisions.NextRevisionName("deploy", []string{app.Template.RevisionName})
		app.Template = revisions.DeployRequest{Image: fmt.Sprintf("dev.local/bench/app:b%d", i), Message: "bench"}.
			TemplateFor(environments.Environment{Name: "test"}, rev, "bench", time.Now)
		app.StoredTemplate = nil
		app.Traffic, app.Rules = revisions.PlanDeploy(app.Traffic, app.Rules, rev, nil)
		app.AppendHistory(revisions.HistoryEntry{Time: time.Now(), User: "bench", Action: revisions.ActionDeploy, Revision: rev, Traffic: app.Traffic}, 200)
		bare = append(bare, timedBareApply(b, app, rv))
	}
	report(b, ours, bare)
}

// BenchmarkRollback: POST …/rollback vs applying the same traffic change with client-go.
func BenchmarkRollback(b *testing.B) {
	ensureBenchProject(b)
	ctx := context.Background()
	path := appPath("bench", "rollback", "test")
	for i := 0; i < 2; i++ {
		mustCall(b, http.StatusCreated, http.MethodPost, path+"/deployments", map[string]any{"image": fmt.Sprintf("dev.local/bench/rb:v%d", i)}, nil)
	}
	// No Knative controller runs here: stand in for the two Ready revisions it would create.
	for _, name := range []string{"rollback-00001", "rollback-00002"} {
		createReadyRevision(b, "bench-test", "rollback", name)
	}
	eventually(b, 10*time.Second, "revisions in cache", func() error {
		_, err := env.platform.GetRevision(records.Target{Project: "bench", App: "rollback", Env: "test"}, "rollback-00002")
		return err
	})
	var ours, bare latency.Samples
	i := 0
	for b.Loop() {
		i++
		target := fmt.Sprintf("rollback-%05d", 1+i%2)
		start := time.Now()
		mustCall(b, http.StatusOK, http.MethodPost, path+"/rollback", map[string]any{"revision": target, "message": "bench"}, nil)
		ours = append(ours, time.Since(start))

		b.StopTimer()
		app, rv := currentApp(ctx, b, "bench-test", "rollback")
		other := fmt.Sprintf("rollback-%05d", 2-i%2)
		app.Traffic = revisions.PlanRollback(app.Traffic, other)
		app.AppendHistory(revisions.HistoryEntry{Time: time.Now(), User: "bench", Action: revisions.ActionRollback, Revision: other, Traffic: app.Traffic}, 200)
		bare = append(bare, timedBareApply(b, app, rv))
	}
	report(b, ours, bare)
}

// timedBareApply applies the Service built from app (outside the timer but for the apply
// itself), then waits untimed for platform-api's cache to see it.
func timedBareApply(b *testing.B, app revisions.App, resourceVersion string) time.Duration {
	svc := revisions.BuildService(app)
	svc.ResourceVersion = resourceVersion
	b.StartTimer()
	d, err := bareApply(context.Background(), svc)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	awaitCache(b, svc.Namespace, svc.Name)
	b.StartTimer()
	return d
}

// awaitCache waits until platform-api's cache holds the apiserver's current Service, so the
// next timed call measures a deploy, not a lost race with the untimed write before it.
func awaitCache(b *testing.B, ns, name string) {
	live, err := env.clients.Serving.ServingV1().Services(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		b.Fatal(err)
	}
	eventually(b, 10*time.Second, "cache catches up", func() error {
		cached, err := env.cache.Services.Services(ns).Get(name)
		if err != nil {
			return err
		}
		if cached.ResourceVersion != live.ResourceVersion {
			return fmt.Errorf("cache at %s, apiserver at %s", cached.ResourceVersion, live.ResourceVersion)
		}
		return nil
	})
}

func createReadyRevision(b testing.TB, ns, app, name string) {
	rev := &servingv1.Revision{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{
			"serving.knative.dev/service": app, names.LabelProject: "bench", names.LabelApp: app, names.LabelEnv: "test"}},
		Spec: servingv1.RevisionSpec{PodSpec: corev1.PodSpec{Containers: []corev1.Container{{Image: "dev.local/bench/" + name + ":v1"}}}},
	}
	created, err := env.clients.Serving.ServingV1().Revisions(ns).Create(context.Background(), rev, metav1.CreateOptions{})
	if err != nil {
		b.Fatal(err)
	}
	created.Status = servingv1.RevisionStatus{Status: duckv1.Status{Conditions: duckv1.Conditions{{Type: apis.ConditionReady, Status: corev1.ConditionTrue,
		LastTransitionTime: apis.VolatileTime{Inner: metav1.Now()}}}}}
	if _, err := env.clients.Serving.ServingV1().Revisions(ns).UpdateStatus(context.Background(), created, metav1.UpdateOptions{}); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkListApps2000: a project's apps with their revisions for 2,000 Services, from the
// informer cache (what platform-api serves) vs direct List calls to the apiserver, both
// grouped by the same apps.Summaries.
func BenchmarkListApps2000(b *testing.B) {
	const n = 2000
	ctx := context.Background()
	createProject(b, "fleet")
	ns := "fleet-test"
	work := make(chan int)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				name := fmt.Sprintf("app%04d", i)
				rev := revisions.RevisionName(name, 1)
				svc := revisions.BuildService(revisions.App{Project: "fleet", Name: name, Env: "test", Namespace: ns,
					Template: revisions.Template{RevisionName: rev, Image: "dev.local/fleet/" + name + ":v1", DeployedBy: "bench", DeployedAt: time.Now()},
					Traffic:  []revisions.Target{{Revision: rev, Percent: 100}}})
				if _, err := env.clients.Serving.ServingV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
					errs <- err
					continue
				}
				r := &servingv1.Revision{ObjectMeta: metav1.ObjectMeta{Name: rev, Namespace: ns, Labels: map[string]string{
					"serving.knative.dev/service": name, names.LabelProject: "fleet", names.LabelApp: name, names.LabelEnv: "test"}},
					Spec: svc.Spec.Template.Spec}
				if _, err := env.clients.Serving.ServingV1().Revisions(ns).Create(ctx, r, metav1.CreateOptions{}); err != nil {
					errs <- err
				}
			}
		}()
	}
	setup := time.Now()
	for i := 0; i < n; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	b.Logf("created %d Services and %d Revisions in %s", n, n, time.Since(setup).Round(time.Millisecond))
	eventually(b, time.Minute, "cache holds every app", func() error {
		list, err := env.platform.ListApps("fleet")
		if err != nil || len(list) != n {
			return fmt.Errorf("%d apps, %v", len(list), err)
		}
		return nil
	})

	direct := func() ([]apps.AppSummary, error) {
		var envs []records.EnvObjects
		for _, e := range []string{"test", "prod"} {
			svcs, err := env.clients.Serving.ServingV1().Services("fleet-"+e).List(ctx, metav1.ListOptions{})
			if err != nil {
				return nil, err
			}
			revs, err := env.clients.Serving.ServingV1().Revisions("fleet-"+e).List(ctx, metav1.ListOptions{})
			if err != nil {
				return nil, err
			}
			eo := records.EnvObjects{Env: e}
			for i := range svcs.Items {
				eo.Services = append(eo.Services, &svcs.Items[i])
			}
			for i := range revs.Items {
				eo.Revisions = append(eo.Revisions, &revs.Items[i])
			}
			envs = append(envs, eo)
		}
		return apps.Summaries(envs, env.cfg.Domains), nil
	}

	var ours, bare latency.Samples
	for b.Loop() {
		start := time.Now()
		list, err := env.platform.ListApps("fleet")
		ours = append(ours, time.Since(start))
		if err != nil || len(list) != n || len(list[0].Envs["test"].Revisions) != 1 {
			b.Fatalf("cache listing: %d apps, %v", len(list), err)
		}
		start = time.Now()
		list, err = direct()
		bare = append(bare, time.Since(start))
		if err != nil || len(list) != n {
			b.Fatalf("direct listing: %d apps, %v", len(list), err)
		}
	}
	b.ReportMetric(float64(ours.Mean().Microseconds()), "cache-µs/op")
	b.ReportMetric(float64(bare.Mean().Microseconds()), "list-µs/op")
	b.ReportMetric(float64(bare.Mean())/float64(ours.Mean()), "speedup")
}

// BenchmarkVirtualServiceApply20Rules: what the routing reconciler does to enact an app with
// 20 header rules (build the VirtualService, marshal, server-side apply) vs a bare client-go
// apply of the same, already built object. Each iteration alternates between two rule sets so
// every apply changes the object.
func BenchmarkVirtualServiceApply20Rules(b *testing.B) {
	ctx := context.Background()
	ensureBenchProject(b)
	d, cfg := env.cfg.Domains, env.cfg.Routing
	// No Service named vsbench exists, so the running reconciler leaves this object alone.
	input := func(variant int) routing.Input {
		in := routing.Input{App: "vsbench", Namespace: "bench-test",
			Owner:               metav1.OwnerReference{APIVersion: "serving.knative.dev/v1", Kind: "Service", Name: "vsbench", UID: "00000000-0000-0000-0000-000000000001"},
			AppHosts:            []string{d.AppHost("vsbench", "bench-test", "")},
			DefaultInternalHost: d.InternalHost("vsbench", "bench-test")}
		for i := 0; i < 20; i++ {
			tag := fmt.Sprintf("r%05d", i+1)
			in.Tags = append(in.Tags, routing.TagRoute{Tag: tag, ExternalHost: d.TagHost(tag, "vsbench", "bench-test", ""), InternalHost: d.InternalTagHost(tag, "vsbench", "bench-test")})
			in.Rules = append(in.Rules, routing.RuleRoute{
				Match: revisions.Match{Headers: map[string]revisions.StringMatch{
					"x-user-group": {Exact: fmt.Sprintf("group-%d-%d", i, variant)},
					"x-region":     {Prefix: "eu-"},
				}, Cookie: &revisions.CookieMatch{Name: "lane", Value: fmt.Sprintf("l%d", i)}},
				InternalHost: d.InternalTagHost(tag, "vsbench", "bench-test"),
			})
		}
		return in
	}
	apply := func(vs *istionetworkingv1.VirtualService) error {
		body, err := json.Marshal(vs)
		if err != nil {
			return err
		}
		_, err = env.clients.Istio.NetworkingV1().VirtualServices(vs.Namespace).Patch(ctx, vs.Name, types.ApplyPatchType, body,
			metav1.PatchOptions{FieldManager: names.FieldManager, Force: ptr.To(true)})
		return err
	}
	if err := apply(routing.Build(input(0), cfg)); err != nil {
		b.Fatal(err)
	}
	var ours, bare latency.Samples
	i := 0
	for b.Loop() {
		i++
		start := time.Now()
		if err := apply(routing.Build(input(2*i), cfg)); err != nil {
			b.Fatal(err)
		}
		ours = append(ours, time.Since(start))

		b.StopTimer()
		body, err := json.Marshal(routing.Build(input(2*i+1), cfg))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start = time.Now()
		if _, err := env.clients.Istio.NetworkingV1().VirtualServices("bench-test").Patch(ctx, names.VirtualService("vsbench"), types.ApplyPatchType, body,
			metav1.PatchOptions{FieldManager: names.FieldManager, Force: ptr.To(true)}); err != nil {
			b.Fatal(err)
		}
		bare = append(bare, time.Since(start))
	}
	report(b, ours, bare)
}
