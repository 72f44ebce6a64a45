package reconciler

import (
	"context"
	"log/slog"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
	eventingfake "knative.dev/eventing/pkg/client/clientset/versioned/fake"
	sourceslisters "knative.dev/eventing/pkg/client/listers/sources/v1"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	servinglisters "knative.dev/serving/pkg/client/listers/serving/v1"

	"github.com/slipway-dev/slipway/pkg/environments"
	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/schedules"
)

func service(env string, ready bool, set ...schedules.Schedule) *servingv1.Service {
	svc := &servingv1.Service{ObjectMeta: metav1.ObjectMeta{
		Name: "hello", Namespace: "demo-" + env, UID: "uid-hello",
		Labels:      map[string]string{names.LabelManagedBy: names.ManagedBy, names.LabelProject: "demo", names.LabelApp: "hello", names.LabelEnv: env},
		Annotations: map[string]string{names.AnnoSchedules: schedules.Format(set)},
	}}
	status := corev1.ConditionUnknown
	if ready {
		status = corev1.ConditionTrue
	}
	svc.Status.Conditions = duckv1.Conditions{{Type: apis.ConditionReady, Status: status}}
	return svc
}

// reconcile runs one Reconcile over listers holding svc and the fake clientset's PingSources.
func reconcile(t *testing.T, ev *eventingfake.Clientset, svc *servingv1.Service) {
	t.Helper()
	ctx := context.Background()
	svcIdx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	_ = svcIdx.Add(svc)
	psIdx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	list, err := ev.SourcesV1().PingSources(svc.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range list.Items {
		_ = psIdx.Add(&list.Items[i])
	}
	r := &Reconciler{Eventing: ev, Services: servinglisters.NewServiceLister(svcIdx), PingSources: sourceslisters.NewPingSourceLister(psIdx),
		Environments: environments.List{{Name: "test"}, {Name: "prod", Schedules: environments.SchedulesDenied}}, Log: slog.New(slog.DiscardHandler)}
	if err := r.Reconcile(ctx, svc.Namespace, svc.Name); err != nil {
		t.Fatalf("Reconcile: %v", err)
	}
}

func pingSources(t *testing.T, ev *eventingfake.Clientset, ns string) map[string]string {
	t.Helper()
	list, err := ev.SourcesV1().PingSources(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, ps := range list.Items {
		out[ps.Name] = ps.Spec.Schedule
	}
	return out
}

func TestReconcile(t *testing.T) {
	ev := eventingfake.NewSimpleClientset()
	nightly := schedules.Schedule{Name: "nightly", Cron: "0 2 * * *", Timezone: "Europe/Berlin", Path: "/cleanup"}
	paused := schedules.Schedule{Name: "paused", Cron: "0 3 * * *", Enabled: ptr.To(false)}

	// Not Ready yet: nothing is created.
	reconcile(t, ev, service("test", false, nightly, paused))
	if got := pingSources(t, ev, "demo-test"); len(got) != 0 {
		t.Fatalf("PingSources before the Service is Ready: %v", got)
	}
	// Ready: the enabled schedule's PingSource, as built.
	reconcile(t, ev, service("test", true, nightly, paused))
	ps, err := ev.SourcesV1().PingSources("demo-test").Get(context.Background(), "hello.nightly", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("no PingSource: %v (have %v)", err, pingSources(t, ev, "demo-test"))
	}
	if !inShape(ps, schedules.BuildPingSource(owner, nightly)) {
		t.Errorf("created PingSource %+v is not what the builder makes", ps)
	}
	if got := pingSources(t, ev, "demo-test"); len(got) != 1 {
		t.Errorf("PingSources = %v, want only hello.nightly", got)
	}
	// Deleted by hand: recreated.
	if err := ev.SourcesV1().PingSources("demo-test").Delete(context.Background(), "hello.nightly", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	reconcile(t, ev, service("test", true, nightly, paused))
	if got := pingSources(t, ev, "demo-test"); got["hello.nightly"] != "0 2 * * *" {
		t.Errorf("not recreated: %v", got)
	}
	// Paused: deleted; the spec stays on the Service (the reconciler never writes it).
	nightly.Enabled = ptr.To(false)
	reconcile(t, ev, service("test", true, nightly, paused))
	if got := pingSources(t, ev, "demo-test"); len(got) != 0 {
		t.Errorf("paused schedule kept its PingSource: %v", got)
	}
}

func TestReconcileDeniedEnvironment(t *testing.T) {
	// A PingSource left from before the policy changed to denied goes.
	nightly := schedules.Schedule{Name: "nightly", Cron: "0 2 * * *"}
	o := owner
	o.Env, o.Namespace = "prod", "demo-prod"
	ev := eventingfake.NewSimpleClientset(schedules.BuildPingSource(o, nightly))
	reconcile(t, ev, service("prod", true, nightly))
	if got := pingSources(t, ev, "demo-prod"); len(got) != 0 {
		t.Errorf("PingSources in a denied environment: %v", got)
	}
}

func TestReconcileDrift(t *testing.T) {
	nightly := schedules.Schedule{Name: "nightly", Cron: "0 2 * * *"}
	drifted := schedules.BuildPingSource(owner, nightly)
	drifted.Spec.Schedule, drifted.Spec.Sink.Ref.Name = "* * * * *", "elsewhere"
	ev := eventingfake.NewSimpleClientset(drifted)
	reconcile(t, ev, service("test", true, nightly))
	ps, err := ev.SourcesV1().PingSources("demo-test").Get(context.Background(), "hello.nightly", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ps.Spec.Schedule != "0 2 * * *" || ps.Spec.Sink.Ref.Name != "hello" {
		t.Errorf("drift not rewritten: schedule %q, sink %q", ps.Spec.Schedule, ps.Spec.Sink.Ref.Name)
	}
}
