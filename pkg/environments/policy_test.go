package environments

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func dur(d time.Duration) metav1.Duration { return metav1.Duration{Duration: d} }

func durp(d time.Duration) *metav1.Duration { return &metav1.Duration{Duration: d} }

// checkErrors fails t unless errs are want, in order, each "field: message fragment".
func checkErrors(t *testing.T, errs field.ErrorList, want []string) {
	t.Helper()
	if len(errs) != len(want) {
		t.Fatalf("errors %v, want %v", errs, want)
	}
	for i, e := range errs {
		f, msg, _ := strings.Cut(want[i], ": ")
		if e.Field != f || !strings.Contains(e.Error(), msg) {
			t.Errorf("error %d = %v, want field %s with %q", i, e, f, msg)
		}
	}
}

func TestValidatePolicy(t *testing.T) {
	window := Window{Kind: WindowDeny, Cron: "0 22 * * 5", Duration: dur(60 * time.Hour), TimeZone: "Europe/Berlin"}
	withWindow := func(change func(*Window)) []Window {
		w := window
		change(&w)
		return []Window{w}
	}
	const p = "environments[1]"
	for _, tc := range []struct {
		name string
		env  Environment
		want []string // "field: message fragment"
	}{
		{"no policy", Environment{}, nil},
		{"full policy", Environment{
			DeployVia:        DeployPromotion,
			RequireApprovals: &Approvals{Count: 2, Groups: []string{"release-managers", "sre"}, ForbidSelfApproval: true},
			Soak:             durp(24 * time.Hour),
			Windows: []Window{
				window,
				{Kind: WindowAllow, Cron: "0 9 * * 1-5", Duration: dur(8 * time.Hour)},
				{Kind: WindowAllow, Cron: "@daily", Duration: dur(time.Minute), TimeZone: "UTC"},
				{Kind: WindowDeny, Cron: "0 0 24 12 *", Duration: dur(MaxWindowDuration), TimeZone: "America/New_York"},
			},
			Strategies: []string{"replace", "canary", "header"},
			Env:        []EnvVar{{Name: "TIER", Value: "production"}, {Name: "LOG_LEVEL", Value: ""}},
		}, nil},
		{"direct", Environment{DeployVia: DeployDirect}, nil},
		{"zero soak", Environment{Soak: durp(0)}, nil},
		{"longest soak", Environment{Soak: durp(MaxSoak)}, nil},
		{"ten windows", Environment{Windows: []Window{window, window, window, window, window, window, window, window, window, window}}, nil},

		{"bad deployVia", Environment{DeployVia: "pipeline"}, []string{p + ".deployVia: Unsupported value: \"pipeline\""}},
		{"deployVia is case sensitive", Environment{DeployVia: "Promotion"}, []string{p + ".deployVia: Unsupported value"}},
		{"bad schedules policy", Environment{Schedules: "maybe"}, []string{p + ".schedules: Unsupported value: \"maybe\""}},
		{"no approvals", Environment{RequireApprovals: &Approvals{}}, []string{p + ".requireApprovals.count: must be between 1 and 10"}},
		{"eleven approvals", Environment{RequireApprovals: &Approvals{Count: 11}}, []string{p + ".requireApprovals.count: must be between 1 and 10"}},
		{"empty groups", Environment{RequireApprovals: &Approvals{Count: 1, Groups: []string{"sre", "", " "}}},
			[]string{p + ".requireApprovals.groups[1]: Required value", p + ".requireApprovals.groups[2]: Required value"}},
		{"negative soak", Environment{Soak: durp(-time.Second)}, []string{p + ".soak: must be between 0s and 720h0m0s"}},
		{"soak too long", Environment{Soak: durp(MaxSoak + time.Second)}, []string{p + ".soak: must be between 0s and 720h0m0s"}},
		{"eleven windows", Environment{Windows: []Window{window, window, window, window, window, window, window, window, window, window, window}},
			[]string{p + ".windows: Too many: 11: must have at most 10 items"}},
		{"no kind", Environment{Windows: withWindow(func(w *Window) { w.Kind = "" })},
			[]string{p + ".windows[0].kind: Unsupported value: \"\""}},
		{"bad kind", Environment{Windows: withWindow(func(w *Window) { w.Kind = "freeze" })},
			[]string{p + ".windows[0].kind: Unsupported value: \"freeze\": supported values: \"allow\", \"deny\""}},
		{"no cron", Environment{Windows: withWindow(func(w *Window) { w.Cron = "" })},
			[]string{p + ".windows[0].cron: not a five-field cron schedule"}},
		{"bad hour", Environment{Windows: withWindow(func(w *Window) { w.Cron = "0 25 * * *" })},
			[]string{p + ".windows[0].cron: not a five-field cron schedule"}},
		{"six fields", Environment{Windows: withWindow(func(w *Window) { w.Cron = "0 0 22 * * 5" })},
			[]string{p + ".windows[0].cron: not a five-field cron schedule"}},
		{"four fields", Environment{Windows: withWindow(func(w *Window) { w.Cron = "0 22 * *" })},
			[]string{p + ".windows[0].cron: not a five-field cron schedule"}},
		{"unknown descriptor", Environment{Windows: withWindow(func(w *Window) { w.Cron = "@fortnightly" })},
			[]string{p + ".windows[0].cron: not a five-field cron schedule"}},
		// @every counts from the moment asked, not the clock: no window at all.
		{"every", Environment{Windows: withWindow(func(w *Window) { w.Cron = "@every 1h" })},
			[]string{p + ".windows[0].cron: not a five-field cron schedule"}},
		{"TZ prefix", Environment{Windows: withWindow(func(w *Window) { w.Cron = "TZ=Europe/Berlin 0 22 * * 5" })},
			[]string{p + ".windows[0].cron: name the zone in timeZone"}},
		{"CRON_TZ prefix", Environment{Windows: withWindow(func(w *Window) { w.Cron = " CRON_TZ=UTC 0 22 * * 5" })},
			[]string{p + ".windows[0].cron: name the zone in timeZone"}},
		{"no duration", Environment{Windows: withWindow(func(w *Window) { w.Duration = dur(0) })},
			[]string{p + ".windows[0].duration: must be between 1m0s and 744h0m0s"}},
		{"duration under a minute", Environment{Windows: withWindow(func(w *Window) { w.Duration = dur(59 * time.Second) })},
			[]string{p + ".windows[0].duration: must be between 1m0s and 744h0m0s"}},
		{"duration over 31 days", Environment{Windows: withWindow(func(w *Window) { w.Duration = dur(MaxWindowDuration + time.Minute) })},
			[]string{p + ".windows[0].duration: must be between 1m0s and 744h0m0s"}},
		{"bad timeZone", Environment{Windows: withWindow(func(w *Window) { w.TimeZone = "Mars/Olympus_Mons" })},
			[]string{p + ".windows[0].timeZone: not an IANA time zone"}},
		{"offset is not a zone", Environment{Windows: withWindow(func(w *Window) { w.TimeZone = "+01:00" })},
			[]string{p + ".windows[0].timeZone: not an IANA time zone"}},
		// Local is the host's zone: the same configuration would mean different times.
		{"Local", Environment{Windows: withWindow(func(w *Window) { w.TimeZone = "Local" })},
			[]string{p + ".windows[0].timeZone: not an IANA time zone"}},
		{"every window field", Environment{Windows: []Window{window, {Kind: "maybe", Cron: "daily", Duration: dur(time.Second), TimeZone: "Nowhere"}}},
			[]string{p + ".windows[1].kind: Unsupported value", p + ".windows[1].cron: not a five-field", p + ".windows[1].duration: must be between",
				p + ".windows[1].timeZone: not an IANA"}},
		{"bad strategy", Environment{Strategies: []string{"replace", "blue-green"}},
			[]string{p + ".strategies[1]: Unsupported value: \"blue-green\": supported values: \"replace\", \"canary\", \"header\""}},
		{"duplicate strategy", Environment{Strategies: []string{"canary", "header", "canary"}},
			[]string{p + ".strategies[2]: Duplicate value: \"canary\""}},
		{"invalid overlay name", Environment{Env: []EnvVar{{Name: "TIER", Value: "x"}, {Name: "1TIER", Value: "x"}}},
			[]string{p + ".env[1].name: Invalid value: \"1TIER\""}},
		{"empty overlay name", Environment{Env: []EnvVar{{Name: ""}}},
			[]string{p + ".env[0].name: Invalid value: \"\""}},
		{"reserved overlay", Environment{Env: []EnvVar{{Name: "PORT", Value: "9000"}, {Name: "K_REVISION", Value: "x"}}},
			[]string{p + ".env[0].name: PORT is set by Knative", p + ".env[1].name: K_REVISION is set by Knative"}},
		{"duplicate overlay", Environment{Env: []EnvVar{{Name: "TIER", Value: "a"}, {Name: "REGION", Value: "b"}, {Name: "TIER", Value: "c"}}},
			[]string{p + ".env[2].name: Duplicate value: \"TIER\""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := tc.env
			env.Name = "prod"
			checkErrors(t, List{{Name: "test"}, env}.Validate(field.NewPath("environments")), tc.want)
		})
	}
}

func TestPromotionValidate(t *testing.T) {
	envs := List{{Name: "dev"}, {Name: "test"}, {Name: "prod", DeployVia: DeployPromotion}}
	direct := List{{Name: "dev"}, {Name: "test"}, {Name: "prod"}}
	for _, tc := range []struct {
		name string
		path []string
		envs List
		want []string
	}{
		{"fine", []string{"test", "prod"}, envs, nil},
		{"whole path", []string{"dev", "test", "prod"}, envs, nil},
		{"no path, no promotion-only environment", nil, direct, nil},
		{"a path of direct environments", []string{"dev", "prod"}, direct, nil},
		{"unknown environment", []string{"test", "staging", "prod"}, envs, []string{"promotion.path[1]: Not found: \"staging\""}},
		{"build is no environment", []string{"build", "test", "prod"}, envs, []string{"promotion.path[0]: Not found: \"build\""}},
		{"duplicate", []string{"dev", "test", "dev", "prod"}, envs, []string{"promotion.path[2]: Duplicate value: \"dev\""}},
		{"one environment", []string{"dev"}, direct, []string{"promotion.path: a path has at least two environments"}},
		{"only the promotion-only environment", []string{"prod"}, envs, []string{
			"promotion.path: a path has at least two environments",
			"environments[2].deployVia: must follow another on promotion.path"}},
		{"promotion-only first", []string{"prod", "test"}, envs, []string{"environments[2].deployVia: must follow another on promotion.path"}},
		{"promotion-only not on the path", []string{"dev", "test"}, envs, []string{"environments[2].deployVia: must follow another on promotion.path"}},
		{"promotion-only without a path", nil, envs, []string{"environments[2].deployVia: must follow another on promotion.path"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkErrors(t, Promotion{Path: tc.path}.Validate(field.NewPath("promotion"), tc.envs), tc.want)
		})
	}
}

func TestPromotionSteps(t *testing.T) {
	p := Promotion{Path: []string{"dev", "test", "prod"}}
	for _, tc := range []struct {
		env            string
		next, previous string
	}{
		{"dev", "test", ""},
		{"test", "prod", "dev"},
		{"prod", "", "test"},
		{"staging", "", ""},
	} {
		next, ok := p.Next(tc.env)
		if next != tc.next || ok != (tc.next != "") {
			t.Errorf("Next(%s) = %q, %v; want %q", tc.env, next, ok, tc.next)
		}
		prev, ok := p.Previous(tc.env)
		if prev != tc.previous || ok != (tc.previous != "") {
			t.Errorf("Previous(%s) = %q, %v; want %q", tc.env, prev, ok, tc.previous)
		}
	}
	if _, ok := (Promotion{}).Next("test"); ok {
		t.Error("an empty path has a next step")
	}
	if _, ok := (Promotion{}).Previous("test"); ok {
		t.Error("an empty path has a previous step")
	}
}

func TestOpen(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	// 2026-03-02 is a Monday.
	utc := func(day, hour, minute int) time.Time {
		return time.Date(2026, time.March, day, hour, minute, 0, 0, time.UTC)
	}
	w := func(kind WindowKind, cron string, d time.Duration) Window {
		return Window{Kind: kind, Cron: cron, Duration: dur(d)}
	}
	inBerlin := func(win Window) Window { win.TimeZone = "Europe/Berlin"; return win }
	weekend := w(WindowDeny, "0 22 * * 5", 60*time.Hour) // Friday 22:00 to Monday 10:00
	office := w(WindowAllow, "0 9 * * 1-5", 8*time.Hour) // weekdays 09:00 to 17:00
	for _, tc := range []struct {
		name    string
		windows []Window
		at      time.Time
		open    bool
		next    time.Time // when open: at
	}{
		{"no windows", nil, utc(7, 12, 0), true, utc(7, 12, 0)},
		{"outside a deny window", []Window{weekend}, utc(4, 12, 0), true, utc(4, 12, 0)},
		{"inside a deny window", []Window{weekend}, utc(7, 12, 0), false, utc(9, 10, 0)},
		{"a deny window's first moment", []Window{weekend}, utc(6, 22, 0), false, utc(9, 10, 0)},
		{"a deny window's end is open", []Window{weekend}, utc(9, 10, 0), true, utc(9, 10, 0)},
		{"a deny window's last minute", []Window{weekend}, utc(9, 9, 59), false, utc(9, 10, 0)},
		{"back-to-back starts extend a deny window",
			[]Window{w(WindowDeny, "0 9,10,11 * * *", time.Hour)}, utc(4, 9, 30), false, utc(4, 12, 0)},
		{"overlapping starts extend a deny window",
			[]Window{w(WindowDeny, "0,30 9 * * *", 45*time.Minute)}, utc(4, 9, 10), false, utc(4, 10, 15)},
		{"a later start of the same window covers the moment",
			[]Window{w(WindowDeny, "0,30 9 * * *", 45*time.Minute)}, utc(4, 9, 50), false, utc(4, 10, 15)},
		{"overlapping deny windows",
			[]Window{w(WindowDeny, "0 9 * * *", time.Hour), w(WindowDeny, "45 9 * * *", 75*time.Minute)}, utc(4, 9, 30), false, utc(4, 11, 0)},
		{"the longer of two deny windows",
			[]Window{w(WindowDeny, "0 9 * * *", time.Hour), w(WindowDeny, "0 8 * * *", 4*time.Hour)}, utc(4, 9, 30), false, utc(4, 12, 0)},
		{"inside an allow window", []Window{office}, utc(4, 12, 0), true, utc(4, 12, 0)},
		{"an allow window's first moment", []Window{office}, utc(4, 9, 0), true, utc(4, 9, 0)},
		{"before an allow window", []Window{office}, utc(4, 8, 0), false, utc(4, 9, 0)},
		{"an allow window's end is closed", []Window{office}, utc(4, 17, 0), false, utc(5, 9, 0)},
		{"after the last allow window of the week", []Window{office}, utc(6, 18, 0), false, utc(9, 9, 0)},
		{"the earliest of two allow windows",
			[]Window{office, w(WindowAllow, "0 20 * * *", time.Hour)}, utc(4, 18, 0), false, utc(4, 20, 0)},
		{"inside the second allow window", []Window{office, w(WindowAllow, "0 20 * * *", time.Hour)}, utc(4, 20, 30), true, utc(4, 20, 30)},
		{"deny inside allow", []Window{office, w(WindowDeny, "0 12 * * *", time.Hour)}, utc(4, 12, 30), false, utc(4, 13, 0)},
		{"allow around a deny", []Window{office, w(WindowDeny, "0 12 * * *", time.Hour)}, utc(4, 11, 0), true, utc(4, 11, 0)},
		{"deny past an allow window's end", []Window{office, w(WindowDeny, "0 16 * * *", 2*time.Hour)}, utc(4, 16, 30), false, utc(5, 9, 0)},
		{"deny over an allow window's start", []Window{office, w(WindowDeny, "0 8 * * *", 2*time.Hour)}, utc(4, 7, 0), false, utc(4, 10, 0)},
		{"the weekend freeze over Monday morning", []Window{office, weekend}, utc(7, 12, 0), false, utc(9, 10, 0)},
		{"an allow window that never starts", []Window{w(WindowAllow, "0 0 30 2 *", time.Hour)}, utc(4, 12, 0), false, time.Time{}},
		{"a deny window that never starts", []Window{w(WindowDeny, "0 0 30 2 *", time.Hour)}, utc(4, 12, 0), true, utc(4, 12, 0)},
		{"a deny window that never closes", []Window{w(WindowDeny, "* * * * *", time.Hour)}, utc(4, 12, 0), false, time.Time{}},
		{"hourly back-to-back deny", []Window{w(WindowDeny, "0 * * * *", time.Hour)}, utc(4, 12, 0), false, time.Time{}},
		{"the next opening more than a year away", []Window{w(WindowAllow, "0 0 1 1 *", time.Hour), w(WindowDeny, "0 0 1 1 *", 2*time.Hour)},
			utc(4, 12, 0), false, time.Time{}},
		{"a yearly allow window", []Window{w(WindowAllow, "0 0 1 1 *", time.Hour)}, utc(4, 12, 0), false,
			time.Date(2027, time.January, 1, 0, 0, 0, 0, time.UTC)},

		// Europe/Berlin: CET (UTC+1) until 2026-03-29 02:00, CEST (UTC+2) after.
		{"a zone's allow window", []Window{inBerlin(w(WindowAllow, "0 9 * * *", time.Hour))},
			utc(27, 8, 30), true, utc(27, 8, 30)},
		{"a zone's allow window over the change to summer time", []Window{inBerlin(w(WindowAllow, "0 9 * * *", time.Hour))},
			utc(28, 10, 0), false, time.Date(2026, time.March, 29, 9, 0, 0, 0, berlin)},
		{"a zone's allow window after the change to summer time", []Window{inBerlin(w(WindowAllow, "0 9 * * *", time.Hour))},
			utc(29, 7, 30), true, utc(29, 7, 30)},
		{"a UTC allow window over the change", []Window{w(WindowAllow, "0 9 * * *", time.Hour)},
			utc(28, 10, 0), false, utc(29, 9, 0)},
		// A deny window lasts its duration: from 01:00 CET to 05:00 CEST is three hours.
		{"a zone's deny window across the change", []Window{inBerlin(w(WindowDeny, "0 1 29 3 *", 3*time.Hour))},
			utc(29, 1, 0), false, time.Date(2026, time.March, 29, 5, 0, 0, 0, berlin)},
		{"a zone's deny window over the change to winter time", []Window{inBerlin(w(WindowDeny, "0 18 * * 6", 15*time.Hour))},
			time.Date(2026, time.October, 25, 0, 0, 0, 0, time.UTC), false, time.Date(2026, time.October, 25, 8, 0, 0, 0, berlin)},
		{"Berlin's freeze, asked in another zone", []Window{inBerlin(weekend)},
			time.Date(2026, time.March, 9, 3, 30, 0, 0, time.FixedZone("EST", -5*3600)), false, time.Date(2026, time.March, 9, 10, 0, 0, 0, berlin)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, win := range tc.windows {
				if errs := (List{{Name: "prod", Windows: []Window{win}}}).Validate(field.NewPath("environments")); len(errs) > 0 {
					t.Fatalf("test window invalid: %v", errs)
				}
			}
			open, next := Open(tc.windows, tc.at)
			if open != tc.open || !next.Equal(tc.next) {
				t.Errorf("Open(%s) = %v, %s; want %v, %s", tc.at, open, next, tc.open, tc.next)
			}
		})
	}
}

func TestInGroups(t *testing.T) {
	anyone := Approvals{Count: 1}
	sre := Approvals{Count: 1, Groups: []string{"sre", "release-managers"}}
	for _, tc := range []struct {
		name   string
		a      Approvals
		groups []string
		want   bool
	}{
		{"no groups required", anyone, nil, true},
		{"no groups required, some held", anyone, []string{"dev"}, true},
		{"one of the groups", sre, []string{"dev", "release-managers"}, true},
		{"none of the groups", sre, []string{"dev", "qa"}, false},
		{"no groups held", sre, nil, false},
		{"group names are exact", sre, []string{"SRE", "sre-oncall"}, false},
	} {
		if got := tc.a.InGroups(tc.groups); got != tc.want {
			t.Errorf("%s: InGroups(%v) = %v, want %v", tc.name, tc.groups, got, tc.want)
		}
	}
}

func TestAllowsStrategy(t *testing.T) {
	for _, tc := range []struct {
		strategies []string
		s          string
		want       bool
	}{
		{nil, "", true},
		{nil, "replace", true},
		{nil, "canary", true},
		{nil, "header", true},
		{[]string{"canary"}, "canary", true},
		{[]string{"canary"}, "header", false},
		{[]string{"canary"}, "replace", false},
		{[]string{"canary"}, "", false}, // no strategy is replace
		{[]string{"replace", "header"}, "", true},
		{[]string{"replace", "header"}, "header", true},
		{[]string{"replace", "header"}, "canary", false},
	} {
		if got := (Environment{Strategies: tc.strategies}).AllowsStrategy(tc.s); got != tc.want {
			t.Errorf("%v.AllowsStrategy(%q) = %v, want %v", tc.strategies, tc.s, got, tc.want)
		}
	}
}

func TestOverlay(t *testing.T) {
	e := Environment{Env: []EnvVar{{Name: "TIER", Value: "production"}, {Name: "EMPTY", Value: ""}}}
	for _, tc := range []struct {
		name, want string
		ok         bool
	}{
		{"TIER", "production", true},
		{"EMPTY", "", true},
		{"tier", "", false},
		{"REGION", "", false},
	} {
		if got, ok := e.Overlay(tc.name); got != tc.want || ok != tc.ok {
			t.Errorf("Overlay(%s) = %q, %v; want %q, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
	if _, ok := (Environment{}).Overlay("TIER"); ok {
		t.Error("an environment without overlays has one")
	}
}

func TestSoakFor(t *testing.T) {
	if got := (Environment{}).SoakFor(); got != 0 {
		t.Errorf("no soak: %s", got)
	}
	if got := (Environment{Soak: durp(90 * time.Minute)}).SoakFor(); got != 90*time.Minute {
		t.Errorf("soak: %s, want 1h30m", got)
	}
}

func TestPromotionOnly(t *testing.T) {
	for via, want := range map[DeployVia]bool{"": false, DeployDirect: false, DeployPromotion: true} {
		if got := (Environment{DeployVia: via}).PromotionOnly(); got != want {
			t.Errorf("PromotionOnly(%q) = %v, want %v", via, got, want)
		}
	}
}
