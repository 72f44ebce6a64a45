//go:build integration

package integration

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	sourcesv1 "knative.dev/eventing/pkg/apis/sources/v1"
	"knative.dev/pkg/apis"

	"github.com/slipway-dev/slipway/pkg/environments"
	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/schedules"
)

// TestSchedules: a schedule put through the API becomes a PingSource that platform-api's
// reconciler writes (as platform-api, with the chart's RBAC, past the boundary policies),
// whose sink is the app's Service at the schedule's path; Knative Eventing's own reconciler
// resolves that sink and turns it Ready. Deleted by hand it comes back; bad cron and time
// zones are refused with field paths, prod (schedules: denied in config/dev.yaml) with the
// rule; pause removes the PingSource and keeps the spec, resume restores it.
func TestSchedules(t *testing.T) {
	ctx := context.Background()
	const project, app = "sched", "cron"
	ns := names.Namespace(project, "test")
	createProject(t, project)
	base := appPath(project, app, "test")
	mustCall(t, http.StatusCreated, http.MethodPost, base+"/deployments", map[string]any{"image": "dev.local/sched/cron:v1"}, nil)
	var address string
	var uid types.UID
	eventually(t, readyTimeout, "Knative Service Ready with an address", func() error {
		ksvc, err := env.clients.Serving.ServingV1().Services(ns).Get(ctx, app, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if !ksvc.IsReady() || ksvc.Status.Address == nil || ksvc.Status.Address.URL == nil {
			return fmt.Errorf("service not Ready with an address: %+v", ksvc.Status)
		}
		address, uid = ksvc.Status.Address.URL.String(), ksvc.UID
		return nil
	})

	nightly := map[string]any{"name": "nightly", "cron": "0 2 * * *", "timezone": "Europe/Berlin", "path": "/cleanup",
		"contentType": "application/json", "data": `{"olderThan":"7d"}`}
	var views []schedules.ScheduleView
	mustCall(t, http.StatusOK, http.MethodPut, base+"/schedules", []any{nightly}, &views)
	if len(views) != 1 || len(views[0].NextRuns) != schedules.NextRunsCount || views[0].PingSource != app+".nightly" {
		t.Fatalf("PUT answer = %+v", views)
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range views[0].NextRuns {
		if at.In(berlin).Hour() != 2 || at.In(berlin).Minute() != 0 {
			t.Errorf("next run %v is not 02:00 in Berlin", at)
		}
	}

	pings := env.clients.Eventing.SourcesV1().PingSources(ns)
	psName := names.PingSource(app, "nightly")
	readyPingSource := func(what string) *sourcesv1.PingSource {
		t.Helper()
		var ps *sourcesv1.PingSource
		eventually(t, readyTimeout, what, func() error {
			var err error
			if ps, err = pings.Get(ctx, psName, metav1.GetOptions{}); err != nil {
				return err
			}
			c := ps.Status.GetCondition(apis.ConditionReady)
			if c == nil || !c.IsTrue() || ps.Status.SinkURI == nil || ps.Status.SinkURI.String() != address+"/cleanup" {
				return fmt.Errorf("PingSource Ready=%v, sinkUri %v (want %s/cleanup)", c, ps.Status.SinkURI, address)
			}
			return nil
		})
		return ps
	}
	ps := readyPingSource("PingSource Ready with the Service's address and path as its sink")
	if ps.Spec.Sink.Ref == nil || ps.Spec.Sink.Ref.Kind != "Service" || ps.Spec.Sink.Ref.Name != app ||
		ps.Spec.Schedule != "0 2 * * *" || ps.Spec.Timezone != "Europe/Berlin" || ps.Spec.Data != `{"olderThan":"7d"}` {
		t.Errorf("PingSource spec = %+v", ps.Spec)
	}
	if len(ps.OwnerReferences) != 1 || ps.OwnerReferences[0].UID != uid || ps.Labels[names.LabelManagedBy] != names.ManagedBy {
		t.Errorf("PingSource owners %+v, labels %v: want the Service and Slipway's label", ps.OwnerReferences, ps.Labels)
	}
	// Written by platform-api (its field manager), not by the tests' hands.
	var managers []string
	for _, m := range ps.ManagedFields {
		managers = append(managers, m.Manager)
	}
	if !slices.Contains(managers, names.FieldManager) {
		t.Errorf("PingSource field managers %v, want %s", managers, names.FieldManager)
	}
	eventually(t, 30*time.Second, "GET shows the schedule ready", func() error {
		views = nil
		mustCall(t, http.StatusOK, http.MethodGet, base+"/schedules", nil, &views)
		if len(views) != 1 || views[0].State != schedules.StateReady {
			return fmt.Errorf("views %+v", views)
		}
		return nil
	})

	// Deleted by hand: the reconciler makes it again.
	if err := pings.Delete(ctx, psName, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, readyTimeout, "PingSource recreated", func() error {
		again, err := pings.Get(ctx, psName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if again.UID == ps.UID {
			return fmt.Errorf("still the deleted one (finalizing)")
		}
		return nil
	})
	ps = readyPingSource("recreated PingSource Ready")

	// Refused up front, with field paths; nothing changes.
	for _, bad := range []struct {
		schedule map[string]any
		field    string
	}{
		{map[string]any{"name": "bad", "cron": "0 0 2 * * *"}, "[0].cron"},
		{map[string]any{"name": "bad", "cron": "@daily"}, "[0].cron"},
		{map[string]any{"name": "bad", "cron": "0 2 * * *", "timezone": "Europe/Atlantis"}, "[0].timezone"},
	} {
		code, raw := call(t, http.MethodPut, base+"/schedules", []any{bad.schedule}, nil)
		p := refusal(t, code, raw)
		if code != http.StatusUnprocessableEntity || len(p.Errors) != 1 || p.Errors[0].Field != bad.field {
			t.Errorf("PUT %v = %d %s, want 422 naming %s", bad.schedule, code, raw, bad.field)
		}
	}
	code, raw := call(t, http.MethodPut, appPath(project, app, "prod")+"/schedules", []any{nightly}, nil)
	if p := wantRefusal(t, "PUT in prod", http.StatusConflict, environments.RuleSchedulesDenied, code, raw); !strings.Contains(p.Detail, "prod") {
		t.Errorf("prod refusal detail %q does not name the environment", p.Detail)
	}

	// Pause: the PingSource goes, the spec stays; resume: it comes back.
	paused := map[string]any{}
	for k, v := range nightly {
		paused[k] = v
	}
	paused["enabled"] = false
	mustCall(t, http.StatusOK, http.MethodPut, base+"/schedules", []any{paused}, &views)
	eventually(t, readyTimeout, "paused schedule's PingSource deleted", func() error {
		_, err := pings.Get(ctx, psName, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("still there (err %v)", err)
	})
	views = nil
	mustCall(t, http.StatusOK, http.MethodGet, base+"/schedules", nil, &views)
	if len(views) != 1 || views[0].State != schedules.StatePaused || views[0].Cron != "0 2 * * *" || views[0].Path != "/cleanup" {
		t.Errorf("paused schedule = %+v, want its spec kept", views)
	}
	mustCall(t, http.StatusOK, http.MethodPut, base+"/schedules", []any{nightly}, nil)
	readyPingSource("resumed schedule's PingSource Ready")

	// Removed: gone. (Deleting the app would leave it to the garbage collector.)
	mustCall(t, http.StatusOK, http.MethodPut, base+"/schedules", []any{}, nil)
	eventually(t, readyTimeout, "removed schedule's PingSource deleted", func() error {
		_, err := pings.Get(ctx, psName, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("still there (err %v)", err)
	})
}
