package reconciler

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	servinglisters "knative.dev/serving/pkg/client/listers/serving/v1"

	"github.com/slipway-dev/slipway/pkg/audit"
	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/scaling"
)

type trail struct{ records []audit.Record }

func (t *trail) Write(_ context.Context, r audit.Record) { t.records = append(t.records, r) }

func TestReconcile(t *testing.T) {
	svc := &servingv1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop-test",
			Labels:      map[string]string{names.LabelManagedBy: names.ManagedBy, names.LabelProject: "shop", names.LabelEnv: "test"},
			Annotations: map[string]string{names.AnnoScalingSchedules: scaling.Format([]scaling.ScalingWindow{open})}},
		Spec: servingv1.ServiceSpec{RouteSpec: servingv1.RouteSpec{Traffic: []servingv1.TrafficTarget{
			{RevisionName: "web-00002", Percent: ptr.To[int64](100)}}}},
	}
	revision := func(name string, annotations ...string) *servingv1.Revision {
		r := rev(annotations...)
		r.Name, r.Labels = name, map[string]string{"serving.knative.dev/service": "web"}
		return r
	}
	services := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	revs := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	_ = services.Add(svc)
	// web-00001 is no longer routed and was raised before; web-00002 serves.
	_ = revs.Add(revision("web-00001", minKey, "3", ownKey, "1"))
	_ = revs.Add(revision("web-00002", minKey, "1"))
	var applied []*RevisionPatch
	tr := &trail{}
	r := &Reconciler{
		Services: servinglisters.NewServiceLister(services), Revisions: servinglisters.NewRevisionLister(revs),
		Apply: func(_ context.Context, p *RevisionPatch) error { applied = append(applied, p); return nil },
		Audit: tr, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return now },
	}
	after, err := r.Reconcile(context.Background(), "shop-test", "web")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range applied {
		got[p.Name] = p.Annotations[minKey]
	}
	if len(applied) != 2 || got["web-00001"] != "1" || got["web-00002"] != "3" {
		t.Errorf("applied %v, want web-00001 restored to 1 and web-00002 raised to 3", got)
	}
	if len(tr.records) != 2 || tr.records[0].User != names.ScalingActor || tr.records[0].Action != ActionScaleRevision || tr.records[0].App != "web" {
		t.Errorf("audit records %+v", tr.records)
	}
	// The window (09:00 for 2h) closes at 11:00, an hour after now: the resync comes first.
	if after != resync {
		t.Errorf("requeue after %s, want %s", after, resync)
	}
	r.Now = func() time.Time { return time.Date(2026, 12, 2, 10, 59, 30, 0, time.UTC) }
	if after, err := r.Reconcile(context.Background(), "shop-test", "web"); err != nil || after != 31*time.Second {
		t.Errorf("30 s before the end: requeue after %s (%v), want 31s", after, err)
	}
}
