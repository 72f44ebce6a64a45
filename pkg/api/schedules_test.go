package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"

	"github.com/slipway-dev/slipway/internal/testutil"
	"github.com/slipway-dev/slipway/pkg/audit"
	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/schedules"
)

func TestSchedules(t *testing.T) {
	s := newStack(t, stackOptions{})
	ctx := context.Background()
	path := testPath + "/schedules"
	body := `[{"name":"nightly","cron":"0 2 * * *","timezone":"Europe/Berlin","path":"/cleanup"},{"name":"hourly","cron":"0 * * * *","enabled":false}]`
	r := s.do(t, http.MethodPut, path, "", body)
	if r.status != http.StatusOK {
		t.Fatalf("PUT schedules = %d: %s", r.status, r.body)
	}
	var views []schedules.ScheduleView
	if err := json.Unmarshal(r.body, &views); err != nil {
		t.Fatal(err)
	}
	if len(views) != 2 || views[0].State != schedules.StatePending || len(views[0].NextRuns) != 5 || views[0].PingSource != "hello.nightly" ||
		views[1].State != schedules.StatePaused || len(views[1].NextRuns) != 0 || views[1].Timezone != "UTC" {
		t.Fatalf("views = %+v", views)
	}
	for _, at := range views[0].NextRuns {
		if at.Location() != time.UTC || at.In(mustZone(t, "Europe/Berlin")).Hour() != 2 {
			t.Errorf("next run %v is not 02:00 in Berlin, in UTC", at)
		}
	}
	svc, err := s.serving.ServingV1().Services(testNS).Get(ctx, app, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := schedules.Parse(svc.Annotations[names.AnnoSchedules])
	if err != nil || len(stored) != 2 || stored[1].IsEnabled() {
		t.Fatalf("stored schedules = %+v, %v", stored, err)
	}
	if svc.Spec.Template.Name != "hello-00002" || len(svc.Spec.Traffic) != 1 {
		t.Errorf("the schedules write changed the app: template %s, traffic %+v", svc.Spec.Template.Name, svc.Spec.Traffic)
	}

	// The reconciler (not running here) made the PingSource and Eventing reports it Ready.
	ps := schedules.BuildPingSource(schedules.OwnerOf(svc), stored[0])
	ps.Status.Conditions = duckv1.Conditions{{Type: apis.ConditionReady, Status: corev1.ConditionTrue}}
	if _, err := s.platform.Eventing.SourcesV1().PingSources(testNS).Create(ctx, ps, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := testutil.Poll(ctx, 5*time.Second, 10*time.Millisecond, nil, func(context.Context) error {
		views = nil
		r := s.doAs(t, viewerToken, http.MethodGet, path, "", "")
		if r.status != http.StatusOK {
			t.Fatalf("viewer GET schedules = %d: %s", r.status, r.body)
		}
		_ = json.Unmarshal(r.body, &views)
		if len(views) != 2 || views[0].State != schedules.StateReady {
			return fmt.Errorf("views %s", r.body)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	// A read-modify-write names the version it read: once someone changed the schedules, 412.
	read := s.do(t, http.MethodGet, path, "", "")
	tag := read.header.Get("ETag")
	if other := s.do(t, http.MethodPut, path, "", body); other.status != http.StatusOK || other.header.Get("ETag") != tag {
		t.Fatalf("the same set again = %d with ETag %q, want 200 and the version read %q", other.status, other.header.Get("ETag"), tag)
	}
	other := s.do(t, http.MethodPut, path, "", `[{"name":"nightly","cron":"0 3 * * *"}]`)
	if other.status != http.StatusOK || other.header.Get("ETag") == tag {
		t.Fatalf("unconditional PUT = %d, ETag %q", other.status, other.header.Get("ETag"))
	}
	// The fake clientset enforces no resourceVersion: wait until the cache has the change.
	if err := testutil.Poll(ctx, 5*time.Second, 5*time.Millisecond, nil, func(context.Context) error {
		if got := s.do(t, http.MethodGet, path, "", "").header.Get("ETag"); got != other.header.Get("ETag") {
			return fmt.Errorf("the cache serves %s", got)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPut, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testerToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("If-Match", tag)
	if stale := s.serve(req); stale.status != http.StatusPreconditionFailed {
		t.Fatalf("PUT with the stale ETag = %d, want 412: %s", stale.status, stale.body)
	}
	if r := s.do(t, http.MethodPut, path, "", body); r.status != http.StatusOK {
		t.Fatalf("PUT back = %d", r.status)
	}

	// A deploy keeps the schedules (the record is carried through every write).
	if r := s.do(t, http.MethodPost, testPath+"/deployments", "", `{"image":"dev.local/x/y:v3"}`); r.status != http.StatusCreated {
		t.Fatalf("deploy: %d %s", r.status, r.body)
	}
	if svc, _ := s.serving.ServingV1().Services(testNS).Get(ctx, app, metav1.GetOptions{}); svc.Annotations[names.AnnoSchedules] == "" {
		t.Error("a deploy dropped the schedules")
	}

	// Refusals: a viewer, bad cron and zone (field paths), the denied environment (rule).
	if r := s.doAs(t, viewerToken, http.MethodPut, path, "", `[]`); r.status != http.StatusForbidden {
		t.Errorf("viewer PUT = %d, want 403", r.status)
	}
	bad := s.do(t, http.MethodPut, path, "", `[{"name":"a","cron":"0 0 2 * * *"},{"name":"b","cron":"@daily","timezone":"Mars/Olympus"}]`)
	if bad.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad PUT = %d: %s", bad.status, bad.body)
	}
	var fields []string
	for _, e := range problem(t, bad).Errors {
		fields = append(fields, e.Field)
	}
	if strings.Join(fields, ",") != "[0].cron,[1].cron,[1].timezone" {
		t.Errorf("fields = %v", fields)
	}
	prod := "/api/v1/projects/" + project + "/apps/" + app + "/envs/prod/schedules"
	denied := s.do(t, http.MethodPut, prod, "", body)
	if p := problem(t, denied); denied.status != http.StatusConflict || p.Rule != "schedulesDenied" {
		t.Errorf("PUT in prod = %d %+v, want 409 rule schedulesDenied", denied.status, p)
	}
	// Clearing stays possible where schedules are denied: prod has no app here, so 404.
	if r := s.do(t, http.MethodPut, prod, "", `[]`); r.status != http.StatusNotFound {
		t.Errorf("PUT [] in prod = %d, want 404 (no app there)", r.status)
	}

	// The audit trail: the change with the schedules before and after.
	var rec audit.Record
	if err := testutil.Poll(ctx, 5*time.Second, 10*time.Millisecond, nil, func(context.Context) error {
		var records []audit.Record
		_ = json.Unmarshal(s.do(t, http.MethodGet, "/api/v1/audit?action=set-schedules", "", "").body, &records)
		for _, r := range records { // newest first: the first change is the last
			if r.Status == http.StatusOK && strings.Contains(r.Before, "no schedules") {
				rec = r
				return nil
			}
		}
		return fmt.Errorf("no set-schedules record in %+v", records)
	}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rec.Before, "no schedules") || !strings.Contains(rec.After, "nightly (0 2 * * * Europe/Berlin), hourly (paused)") || rec.Env != "test" {
		t.Errorf("audit record = %+v", rec)
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
