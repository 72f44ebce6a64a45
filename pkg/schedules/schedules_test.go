package schedules_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	"sigs.k8s.io/yaml"

	"github.com/slipway-dev/slipway/internal/golden"
	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/schedules"
)

var nightly = schedules.Schedule{Name: "nightly", Cron: "0 2 * * *", Timezone: "Europe/Berlin", Path: "/cleanup"}

func TestValidate(t *testing.T) {
	long := strings.Repeat("x", schedules.MaxDataBytes+1)
	cases := []struct {
		name string
		set  []schedules.Schedule
		want []string // substrings of each error, in order
	}{
		{"nightly", []schedules.Schedule{nightly}, nil},
		{"minimal: UTC, root path", []schedules.Schedule{{Name: "tick", Cron: "*/5 * * * *"}}, nil},
		{"json data", []schedules.Schedule{{Name: "a", Cron: "0 * * * *", ContentType: "application/json; charset=utf-8", Data: `{"kind":"sync"}`}}, nil},
		{"path with query", []schedules.Schedule{{Name: "a", Cron: "0 * * * *", Path: "/jobs/sync?dry=1"}}, nil},
		{"paused", []schedules.Schedule{{Name: "a", Cron: "0 * * * *", Enabled: ptr.To(false)}}, nil},
		{"empty set", nil, nil},

		{"no name, no cron", []schedules.Schedule{{}}, []string{"[0].name: Required value", "[0].cron: Required value"}},
		{"bad name", []schedules.Schedule{{Name: "Nightly_1", Cron: "0 2 * * *"}}, []string{"[0].name: Invalid value"}},
		{"long name", []schedules.Schedule{{Name: strings.Repeat("a", 41), Cron: "0 2 * * *"}}, []string{"[0].name: Too long"}},
		{"duplicate", []schedules.Schedule{nightly, {Name: "other", Cron: "0 3 * * *"}, nightly}, []string{"[2].name: Duplicate value"}},
		{"six fields", []schedules.Schedule{{Name: "a", Cron: "0 0 2 * * *"}}, []string{"[0].cron: Invalid value", "want five fields"}},
		{"descriptor", []schedules.Schedule{{Name: "a", Cron: "@daily"}}, []string{"[0].cron: Invalid value", "descriptors"}},
		{"every", []schedules.Schedule{{Name: "a", Cron: "@every 1h"}}, []string{"[0].cron: Invalid value"}},
		{"zone in cron", []schedules.Schedule{{Name: "a", Cron: "CRON_TZ=UTC 0 2 * * *"}}, []string{"[0].cron: Invalid value", "timezone"}},
		{"out of range", []schedules.Schedule{{Name: "a", Cron: "61 2 * * *"}}, []string{"[0].cron: Invalid value"}},
		{"bad zone", []schedules.Schedule{{Name: "a", Cron: "0 2 * * *", Timezone: "Mars/Olympus"}}, []string{"[0].timezone: Invalid value"}},
		{"Local", []schedules.Schedule{{Name: "a", Cron: "0 2 * * *", Timezone: "Local"}}, []string{"[0].timezone: Invalid value"}},
		{"zone path escape", []schedules.Schedule{{Name: "a", Cron: "0 2 * * *", Timezone: "../../etc/passwd"}}, []string{"[0].timezone: Invalid value"}},
		{"relative path", []schedules.Schedule{{Name: "a", Cron: "0 2 * * *", Path: "cleanup"}}, []string{"[0].path: Invalid value"}},
		{"host in path", []schedules.Schedule{{Name: "a", Cron: "0 2 * * *", Path: "//evil.example/x"}}, []string{"[0].path: Invalid value"}},
		{"fragment", []schedules.Schedule{{Name: "a", Cron: "0 2 * * *", Path: "/a#b"}}, []string{"[0].path: Invalid value"}},
		{"bad content type", []schedules.Schedule{{Name: "a", Cron: "0 2 * * *", ContentType: "json"}}, []string{"[0].contentType: Invalid value"}},
		{"json not an object", []schedules.Schedule{{Name: "a", Cron: "0 2 * * *", ContentType: "application/json", Data: "[1]"}}, []string{"[0].data: Invalid value"}},
		{"data too big", []schedules.Schedule{{Name: "a", Cron: "0 2 * * *", Data: long}}, []string{"[0].data: Too long"}},
		{"too many", make11(), []string{"Too many: 11"}},
		{"whole set too big as stored", bigSet(), []string{"Too long"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			errs := schedules.Validate(tc.set)
			if len(tc.want) == 0 {
				if len(errs) > 0 {
					t.Fatalf("Validate() = %v, want none", errs)
				}
				return
			}
			got := errs.ToAggregate()
			if got == nil {
				t.Fatalf("Validate() = nil, want %v", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(got.Error(), w) {
					t.Errorf("Validate() = %v, want it to contain %q", got, w)
				}
			}
		})
	}
}

func make11() []schedules.Schedule {
	var out []schedules.Schedule
	for i := range 11 {
		out = append(out, schedules.Schedule{Name: "s" + string(rune('a'+i)), Cron: "0 * * * *"})
	}
	return out
}

func TestNextRuns(t *testing.T) {
	// 01:30 in Berlin (CET, UTC+1) on 2026-03-28; the clocks go forward on the 29th.
	now := time.Date(2026, 3, 28, 0, 30, 0, 0, time.UTC)
	got := nightly.NextRuns(now, schedules.NextRunsCount)
	want := []time.Time{
		time.Date(2026, 3, 28, 1, 0, 0, 0, time.UTC), // 02:00 CET
		// 02:00 on the 29th does not exist in Berlin: robfig/cron (Eventing's adapter too)
		// skips it, so the preview shows no run that day.
		time.Date(2026, 3, 30, 0, 0, 0, 0, time.UTC), // 02:00 CEST
		time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 4, 2, 0, 0, 0, 0, time.UTC),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("NextRuns (-want,+got):\n%s", diff)
	}
	for _, r := range got {
		if r.Location() != time.UTC {
			t.Errorf("%v is not UTC", r)
		}
	}
	if got := (schedules.Schedule{Cron: "0 0 30 2 *"}).NextRuns(now, 5); len(got) != 0 {
		t.Errorf("February 30th fires at %v", got)
	}
}

func TestFormatParse(t *testing.T) {
	set := []schedules.Schedule{{Name: "a", Cron: "0 * * * *"}, {Name: "b", Cron: "0 1 * * *", Enabled: ptr.To(false)}}
	raw := schedules.Format(set)
	back, err := schedules.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := []schedules.Schedule{
		{Name: "a", Cron: "0 * * * *", Timezone: "UTC", Enabled: ptr.To(true)},
		{Name: "b", Cron: "0 1 * * *", Timezone: "UTC", Enabled: ptr.To(false)},
	}
	if diff := cmp.Diff(want, back); diff != "" {
		t.Errorf("Parse(Format(set)) (-want,+got):\n%s", diff)
	}
	if schedules.Format(nil) != "" {
		t.Error("an empty set is not an empty annotation")
	}
	if _, err := schedules.Parse("{"); err == nil {
		t.Error("Parse accepted a broken annotation")
	}
	if got := schedules.Describe(want); got != "schedules a (0 * * * * UTC), b (paused)" {
		t.Errorf("Describe = %q", got)
	}
}

func service(set []schedules.Schedule, ready bool) *servingv1.Service {
	svc := &servingv1.Service{ObjectMeta: metav1.ObjectMeta{
		Name: "hello", Namespace: "demo-test", UID: "uid-hello",
		Labels:      map[string]string{names.LabelManagedBy: names.ManagedBy, names.LabelProject: "demo", names.LabelApp: "hello", names.LabelEnv: "test"},
		Annotations: map[string]string{names.AnnoSchedules: schedules.Format(set)},
	}}
	status := corev1.ConditionUnknown
	if ready {
		status = corev1.ConditionTrue
	}
	svc.Status.Conditions = duckv1.Conditions{{Type: apis.ConditionReady, Status: status}}
	return svc
}

func TestBuildPingSource(t *testing.T) {
	owner := schedules.OwnerOf(service(nil, true))
	cases := []struct {
		name string
		s    schedules.Schedule
	}{
		{"nightly-cleanup", schedules.Schedule{Name: "nightly", Cron: "0 2 * * *", Timezone: "Europe/Berlin", Path: "/cleanup",
			ContentType: "application/json", Data: `{"olderThan":"7d"}`}},
		{"minimal", schedules.Schedule{Name: "tick", Cron: "*/5 * * * *"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ps := schedules.BuildPingSource(owner, tc.s)
			// Eventing's own validation (its webhook's) accepts what the builder makes.
			if err := ps.Validate(context.Background()); err != nil {
				t.Errorf("Eventing refuses the PingSource: %v", err)
			}
			out, err := yaml.Marshal(ps)
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", tc.name+".golden.yaml"), out)
		})
	}
}

func TestDesired(t *testing.T) {
	set := []schedules.Schedule{nightly, {Name: "paused", Cron: "0 3 * * *", Enabled: ptr.To(false)}}
	got, err := schedules.Desired(service(set, false), true)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[names.PingSource("hello", "nightly")] == nil {
		t.Errorf("Desired = %v, want only hello.nightly (paused ones have none)", got)
	}
	if got, _ := schedules.Desired(service(set, true), false); len(got) != 0 {
		t.Errorf("a denied environment wants %d PingSources", len(got))
	}
	broken := service(nil, true)
	broken.Annotations[names.AnnoSchedules] = `[{"name":"x","cron":"@daily"}]`
	if got, err := schedules.Desired(broken, true); len(got) != 0 || err == nil {
		t.Errorf("an invalid hand-edited annotation wants %v (err %v)", got, err)
	}
	if schedules.ServiceReady(service(nil, false)) || !schedules.ServiceReady(service(nil, true)) {
		t.Error("ServiceReady does not follow the Ready condition")
	}
}

// bigSet is ten schedules, each within its own limits, together over MaxStoredBytes.
func bigSet() []schedules.Schedule {
	set := make([]schedules.Schedule, 10)
	for i := range set {
		set[i] = schedules.Schedule{Name: fmt.Sprintf("s%d", i), Cron: "0 2 * * *", Data: strings.Repeat("<", schedules.MaxDataBytes)}
	}
	return set
}

// HTML characters are stored as themselves, not as six-byte escapes.
func TestFormatKeepsHTMLCharacters(t *testing.T) {
	if got := schedules.Format([]schedules.Schedule{{Name: "a", Cron: "0 2 * * *", Data: "<&>"}}); !strings.Contains(got, `"data":"<&>"`) || strings.HasSuffix(got, "\n") {
		t.Errorf("Format() = %q", got)
	}
}
