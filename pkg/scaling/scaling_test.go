package scaling

import (
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/utils/ptr"

	"github.com/slipway-dev/slipway/pkg/environments"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func tp(s string) *time.Time { t := at(s); return &t }

var office = ScalingWindow{Name: "office", Start: "0 9 * * 1-5", End: "0 18 * * 1-5", Timezone: "Europe/Berlin", MinScale: 3}
var sale = ScalingWindow{Name: "sale", Start: "30 11 * * *", Duration: "1h", MinScale: 5}

func TestAt(t *testing.T) {
	// 2026-12-02 is a Wednesday; Berlin is UTC+1 in December.
	cases := []struct {
		name    string
		windows []ScalingWindow
		own     int32
		t       string
		want    ScalingState
	}{{
		name: "no windows: the revision's own", own: 1, t: "2026-12-02T10:00:00Z",
		want: ScalingState{EffectiveMinScale: 1, Windows: []ScalingWindowState{}},
	}, {
		name: "inside office hours", windows: []ScalingWindow{office}, own: 1, t: "2026-12-02T10:00:00Z",
		want: ScalingState{EffectiveMinScale: 3, Windows: []ScalingWindowState{{ScalingWindow: office, Active: true,
			NextStart: tp("2026-12-03T08:00:00Z"), NextEnd: tp("2026-12-02T17:00:00Z")}},
			Next: &ScalingChange{At: at("2026-12-02T17:00:00Z"), MinScale: 1}},
	}, {
		name: "before office hours, in Berlin's zone", windows: []ScalingWindow{office}, own: 0, t: "2026-12-02T07:30:00Z",
		want: ScalingState{EffectiveMinScale: 0, Windows: []ScalingWindowState{{ScalingWindow: office,
			NextStart: tp("2026-12-02T08:00:00Z"), NextEnd: tp("2026-12-02T17:00:00Z")}},
			Next: &ScalingChange{At: at("2026-12-02T08:00:00Z"), MinScale: 3}},
	}, {
		name: "exactly at the end: closed", windows: []ScalingWindow{office}, own: 0, t: "2026-12-02T17:00:00Z",
		want: ScalingState{EffectiveMinScale: 0, Windows: []ScalingWindowState{{ScalingWindow: office,
			NextStart: tp("2026-12-03T08:00:00Z"), NextEnd: tp("2026-12-03T17:00:00Z")}},
			Next: &ScalingChange{At: at("2026-12-03T08:00:00Z"), MinScale: 3}},
	}, {
		name: "weekend: the next start is Monday", windows: []ScalingWindow{office}, own: 0, t: "2026-12-05T12:00:00Z",
		want: ScalingState{EffectiveMinScale: 0, Windows: []ScalingWindowState{{ScalingWindow: office,
			NextStart: tp("2026-12-07T08:00:00Z"), NextEnd: tp("2026-12-07T17:00:00Z")}},
			Next: &ScalingChange{At: at("2026-12-07T08:00:00Z"), MinScale: 3}},
	}, {
		name: "overlap: the highest wins, and the next change is the sale's end", windows: []ScalingWindow{office, sale}, own: 1, t: "2026-12-02T11:45:00Z",
		want: ScalingState{EffectiveMinScale: 5, Windows: []ScalingWindowState{
			{ScalingWindow: office, Active: true, NextStart: tp("2026-12-03T08:00:00Z"), NextEnd: tp("2026-12-02T17:00:00Z")},
			{ScalingWindow: sale, Active: true, NextStart: tp("2026-12-03T11:30:00Z"), NextEnd: tp("2026-12-02T12:30:00Z")}},
			Next: &ScalingChange{At: at("2026-12-02T12:30:00Z"), MinScale: 3}},
	}, {
		name: "never below the revision's own", windows: []ScalingWindow{office}, own: 4, t: "2026-12-02T10:00:00Z",
		want: ScalingState{EffectiveMinScale: 4, Windows: []ScalingWindowState{{ScalingWindow: office, Active: true,
			NextStart: tp("2026-12-03T08:00:00Z"), NextEnd: tp("2026-12-02T17:00:00Z")}},
			Next: &ScalingChange{At: at("2026-12-02T17:00:00Z"), MinScale: 4}},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := At(tc.windows, tc.own, at(tc.t))
			tc.want.OwnMinScale = tc.own
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("At (-want,+got):\n%s", diff)
			}
		})
	}
}

func TestChainedStartsStayOpen(t *testing.T) {
	burst := ScalingWindow{Name: "burst", Start: "* * * * *", Duration: "2m", MinScale: 2}
	got := At([]ScalingWindow{burst}, 0, at("2026-12-02T10:00:30Z"))
	if !got.Windows[0].Active || got.EffectiveMinScale != 2 {
		t.Errorf("At = %+v, want open with minimum 2", got)
	}
	if got.Next == nil || !got.Next.At.After(at("2026-12-02T10:02:30Z")) {
		t.Errorf("Next = %+v, want past the first start's own end", got.Next)
	}
}

func TestAtYearlyWindow(t *testing.T) {
	w := ScalingWindow{Name: "newyear", Start: "0 0 1 1 *", End: "0 0 3 1 *", MinScale: 2}
	if got := Effective([]ScalingWindow{w}, 0, at("2027-01-02T00:00:00Z")); got != 2 {
		t.Errorf("Effective on 2 January = %d, want 2", got)
	}
	if got := Effective([]ScalingWindow{w}, 0, at("2026-12-31T00:00:00Z")); got != 0 {
		t.Errorf("Effective on 31 December = %d, want 0", got)
	}
}

func TestValidate(t *testing.T) {
	env := environments.Environment{Name: "prod", MinScale: 1, MaxScale: 10}
	ok := ScalingWindow{Name: "office", Start: "0 9 * * 1-5", End: "0 18 * * 1-5", Timezone: "Europe/Berlin", MinScale: 3}
	with := func(f func(w *ScalingWindow)) []ScalingWindow { w := ok; f(&w); return []ScalingWindow{w} }
	cases := []struct {
		name    string
		windows []ScalingWindow
		appMax  *int32
		want    []string
	}{
		{"valid", []ScalingWindow{ok, {Name: "sale", Start: "0 12 * * *", Duration: "90m", MinScale: 5}}, nil, nil},
		{"no name", with(func(w *ScalingWindow) { w.Name = "" }), nil, []string{"windows[0].name"}},
		{"bad name", with(func(w *ScalingWindow) { w.Name = "Office Hours" }), nil, []string{"windows[0].name"}},
		{"duplicate name", []ScalingWindow{ok, ok}, nil, []string{"windows[1].name"}},
		{"six-field cron", with(func(w *ScalingWindow) { w.Start = "0 0 9 * * 1-5" }), nil, []string{"windows[0].start"}},
		{"descriptor", with(func(w *ScalingWindow) { w.Start = "@daily" }), nil, []string{"windows[0].start"}},
		{"zone inside the cron", with(func(w *ScalingWindow) { w.Start = "CRON_TZ=UTC 0 9 * * *" }), nil, []string{"windows[0].start"}},
		{"no start", with(func(w *ScalingWindow) { w.Start = "" }), nil, []string{"windows[0].start"}},
		{"bad end", with(func(w *ScalingWindow) { w.End = "61 * * * *" }), nil, []string{"windows[0].end"}},
		{"end equals start", with(func(w *ScalingWindow) { w.End = w.Start }), nil, []string{"windows[0].end"}},
		{"end and duration", with(func(w *ScalingWindow) { w.Duration = "1h" }), nil, []string{"windows[0].duration"}},
		{"neither end nor duration", with(func(w *ScalingWindow) { w.End = "" }), nil, []string{"windows[0].end"}},
		{"duration too short", with(func(w *ScalingWindow) { w.End, w.Duration = "", "30s" }), nil, []string{"windows[0].duration"}},
		{"duration not a duration", with(func(w *ScalingWindow) { w.End, w.Duration = "", "1 hour" }), nil, []string{"windows[0].duration"}},
		{"bad zone", with(func(w *ScalingWindow) { w.Timezone = "Mars/Olympus" }), nil, []string{"windows[0].timezone"}},
		{"Local zone", with(func(w *ScalingWindow) { w.Timezone = "Local" }), nil, []string{"windows[0].timezone"}},
		{"minScale 0", with(func(w *ScalingWindow) { w.MinScale = 0 }), nil, []string{"windows[0].minScale"}},
		{"minScale above the environment's maxScale", with(func(w *ScalingWindow) { w.MinScale = 11 }), nil, []string{"windows[0].minScale"}},
		{"minScale above the app's maxScale", with(func(w *ScalingWindow) { w.MinScale = 5 }), ptr.To[int32](4), []string{"windows[0].minScale"}},
		{"too many", make([]ScalingWindow, MaxWindows+1), nil, []string{"windows[20]"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, e := range (SchedulesRequest{Windows: tc.windows}).Validate(Bounds{Env: env, AppMaxScale: tc.appMax}) {
				got = append(got, e.Field)
			}
			sort.Strings(got)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("fields (-want,+got):\n%s", diff)
			}
		})
	}
}

func TestParseFormatRoundTrip(t *testing.T) {
	ws := []ScalingWindow{office, sale}
	got, err := Parse(Format(ws))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ws, got); diff != "" {
		t.Errorf("(-want,+got):\n%s", diff)
	}
	if Format(nil) != "" {
		t.Error("Format(nil) is not empty")
	}
}
