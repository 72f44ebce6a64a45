// Package scaling is scaling by the clock: an app's scaling windows (each raises its
// revisions' minimum number of pods while it is open), their validation, and, for a moment,
// which windows are open, the effective minimum and the next boundary. It is pure: the
// reconciler (pkg/scaling/reconciler) applies what it computes.
package scaling

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/slipway-dev/slipway/pkg/environments"
)

// ScalingWindow raises the app's minimum from each start until its end (the next time end
// fires) or for duration. (The API document names schemas by Go type name, and
// environments.Window is taken: hence the prefix on this package's wire types.)
type ScalingWindow struct {
	Name string `json:"name"`
	// Start is a five-field cron expression, in Timezone.
	Start string `json:"start"`
	// End is a five-field cron expression; set exactly one of end and duration.
	End string `json:"end,omitempty"`
	// Duration is how long the window stays open after each start, a Go duration.
	Duration string `json:"duration,omitempty"`
	// Timezone is an IANA zone ("" is UTC).
	Timezone string `json:"timezone,omitempty"`
	// MinScale is the minimum number of pods of every routed revision while open.
	MinScale int32 `json:"minScale"`
}

// Bounds of an app's windows.
const (
	MaxWindows  = 20
	MinDuration = time.Minute
	MaxDuration = 31 * 24 * time.Hour
	// lookback is how far back a window's last start or end is searched.
	lookback = 400 * 24 * time.Hour
)

var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

func parseCron(spec string) (cron.Schedule, error) {
	if strings.Contains(spec, "TZ=") {
		return nil, errors.New("set the zone in timezone, not in the expression")
	}
	return cronParser.Parse(spec)
}

func loadZone(name string) (*time.Location, error) {
	if name == "Local" {
		return nil, errors.New("the host's zone (Local) is not an IANA zone")
	}
	return time.LoadLocation(name)
}

// SchedulesRequest is the body of PUT …/scaling/schedules: the whole list of windows.
type SchedulesRequest struct {
	Windows []ScalingWindow `json:"windows"`
}

// Validate checks the request, with paths from the body (windows[0].start).
func (r SchedulesRequest) Validate(b Bounds) field.ErrorList {
	return Validate(field.NewPath("windows"), r.Windows, b)
}

// Bounds are what a window's minScale must respect: the environment's and the app's.
type Bounds struct {
	Env environments.Environment
	// AppMaxScale is the serving template's max-scale, if it has one.
	AppMaxScale *int32
}

// Validate checks windows, with paths from p (the request body is the list).
func Validate(p *field.Path, windows []ScalingWindow, b Bounds) field.ErrorList {
	var errs field.ErrorList
	if len(windows) > MaxWindows {
		return field.ErrorList{field.TooMany(p.Index(MaxWindows), len(windows), MaxWindows)}
	}
	seen := map[string]bool{}
	for i, w := range windows {
		wp := p.Index(i)
		switch {
		case w.Name == "":
			errs = append(errs, field.Required(wp.Child("name"), ""))
		case seen[w.Name]:
			errs = append(errs, field.Duplicate(wp.Child("name"), w.Name))
		default:
			for _, msg := range validation.IsDNS1123Label(w.Name) {
				errs = append(errs, field.Invalid(wp.Child("name"), w.Name, msg))
			}
		}
		seen[w.Name] = true
		if w.Start == "" {
			errs = append(errs, field.Required(wp.Child("start"), "a five-field cron expression such as \"0 9 * * 1-5\""))
		} else if _, err := parseCron(w.Start); err != nil {
			errs = append(errs, field.Invalid(wp.Child("start"), w.Start, "not a five-field cron expression: "+err.Error()))
		}
		switch {
		case w.End != "" && w.Duration != "":
			errs = append(errs, field.Invalid(wp.Child("duration"), w.Duration, "set either end or duration, not both"))
		case w.End == "" && w.Duration == "":
			errs = append(errs, field.Required(wp.Child("end"), "or duration"))
		case w.End != "":
			if _, err := parseCron(w.End); err != nil {
				errs = append(errs, field.Invalid(wp.Child("end"), w.End, "not a five-field cron expression: "+err.Error()))
			} else if w.End == w.Start {
				errs = append(errs, field.Invalid(wp.Child("end"), w.End, "must differ from start"))
			}
		default:
			d, err := time.ParseDuration(w.Duration)
			switch {
			case err != nil:
				errs = append(errs, field.Invalid(wp.Child("duration"), w.Duration, "must be a Go duration such as 90m"))
			case d < MinDuration || d > MaxDuration:
				errs = append(errs, field.Invalid(wp.Child("duration"), w.Duration, fmt.Sprintf("must be between %s and %s", MinDuration, MaxDuration)))
			}
		}
		if _, err := loadZone(w.Timezone); err != nil {
			errs = append(errs, field.Invalid(wp.Child("timezone"), w.Timezone, "not an IANA time zone: "+err.Error()))
		}
		mp := wp.Child("minScale")
		switch {
		case w.MinScale < 1:
			errs = append(errs, field.Invalid(mp, w.MinScale, "must be >= 1"))
		case w.MinScale < b.Env.MinScale:
			errs = append(errs, field.Invalid(mp, w.MinScale, fmt.Sprintf("environment %q requires minScale >= %d", b.Env.Name, b.Env.MinScale)))
		case b.Env.MaxScale > 0 && w.MinScale > b.Env.MaxScale:
			errs = append(errs, field.Invalid(mp, w.MinScale, fmt.Sprintf("environment %q allows at most %d pods (its maxScale)", b.Env.Name, b.Env.MaxScale)))
		case b.AppMaxScale != nil && *b.AppMaxScale > 0 && w.MinScale > *b.AppMaxScale:
			errs = append(errs, field.Invalid(mp, w.MinScale, fmt.Sprintf("must be <= the app's maxScale %d", *b.AppMaxScale)))
		}
	}
	return errs
}

// Parse reads the windows stored on an app's Service ("" is none).
func Parse(raw string) ([]ScalingWindow, error) {
	if raw == "" {
		return nil, nil
	}
	var ws []ScalingWindow
	if err := json.Unmarshal([]byte(raw), &ws); err != nil {
		return nil, err
	}
	return ws, nil
}

// Format is the stored form of windows ("" for none, so the annotation goes).
func Format(ws []ScalingWindow) string {
	if len(ws) == 0 {
		return ""
	}
	b, err := json.Marshal(ws)
	if err != nil {
		panic(fmt.Sprintf("scaling windows: %v", err)) // plain data only
	}
	return string(b)
}

// ScalingWindowState is a window at a moment.
type ScalingWindowState struct {
	ScalingWindow
	Active bool `json:"active"`
	// NextStart is the first start after the moment (after the open span ends, if active).
	NextStart *time.Time `json:"nextStart,omitempty"`
	// NextEnd is when the open span ends (active), or when the next one would.
	NextEnd *time.Time `json:"nextEnd,omitempty"`
}

// ScalingChange is the next moment the effective minimum may change, and its value then.
type ScalingChange struct {
	At       time.Time `json:"at"`
	MinScale int32     `json:"minScale"`
}

// ScalingState is an app's scaling by the clock at a moment.
type ScalingState struct {
	// OwnMinScale is the revision's own min-scale (its template's; 0 for none).
	OwnMinScale int32 `json:"ownMinScale"`
	// EffectiveMinScale is the highest open window's minScale, never below the revision's own.
	EffectiveMinScale int32                `json:"effectiveMinScale"`
	Windows           []ScalingWindowState `json:"windows"`
	// Next is the next boundary of any window; absent with no windows.
	Next *ScalingChange `json:"next,omitempty"`
}

type schedules struct {
	start, end cron.Schedule
	duration   time.Duration
	loc        *time.Location
}

func compile(w ScalingWindow) (schedules, bool) {
	var s schedules
	var err error
	if s.loc, err = loadZone(w.Timezone); err != nil {
		return s, false
	}
	if s.start, err = parseCron(w.Start); err != nil {
		return s, false
	}
	if w.End != "" {
		s.end, err = parseCron(w.End)
		return s, err == nil
	}
	s.duration, err = time.ParseDuration(w.Duration)
	return s, err == nil && s.duration > 0
}

// last is the latest time sched fires at or before t, searched back to lookback.
func last(sched cron.Schedule, t time.Time) (time.Time, bool) {
	for l := time.Minute; l <= lookback*2; l *= 2 {
		first := sched.Next(t.Add(-l))
		if first.IsZero() || first.After(t) {
			continue
		}
		for n := sched.Next(first); !n.IsZero() && !n.After(t); n = sched.Next(n) {
			first = n
		}
		return first, true
	}
	return time.Time{}, false
}

// span says whether w is open at t, and when the open span ends.
func (s schedules) span(t time.Time) (active bool, end time.Time) {
	t = t.In(s.loc)
	if s.end != nil {
		ls, okS := last(s.start, t)
		le, okE := last(s.end, t)
		if active = okS && (!okE || ls.After(le)); active {
			return true, s.end.Next(t)
		}
		return false, time.Time{}
	}
	// Open when a start lies in (t-d, t]; starts closer than d chain into one span.
	start := s.start.Next(t.Add(-s.duration))
	if start.IsZero() || start.After(t) {
		return false, time.Time{}
	}
	end = start.Add(s.duration)
	for i := 0; i < 10000; i++ {
		n := s.start.Next(start)
		if n.IsZero() || n.After(end) {
			break
		}
		start, end = n, n.Add(s.duration)
	}
	return true, end
}

// At evaluates windows at t for a revision whose own min-scale is own.
func At(windows []ScalingWindow, own int32, t time.Time) ScalingState {
	st := ScalingState{OwnMinScale: own, EffectiveMinScale: own, Windows: []ScalingWindowState{}}
	var next time.Time
	for _, w := range windows {
		ws := ScalingWindowState{ScalingWindow: w}
		s, ok := compile(w)
		if !ok { // stored windows were validated; an unreadable one is closed
			st.Windows = append(st.Windows, ws)
			continue
		}
		active, end := s.span(t)
		ws.Active = active
		after := t.In(s.loc)
		if active && !end.IsZero() {
			after = end.Add(-time.Nanosecond)
		}
		start := s.start.Next(after)
		if !start.IsZero() {
			n := start.UTC()
			ws.NextStart = &n
		}
		if !active && !start.IsZero() {
			// The next span's end: that start's duration, or end's first time after it.
			if s.end != nil {
				end = s.end.Next(start)
			} else {
				end = start.Add(s.duration)
			}
		}
		if !end.IsZero() {
			e := end.UTC()
			ws.NextEnd = &e
		}
		if active && w.MinScale > st.EffectiveMinScale {
			st.EffectiveMinScale = w.MinScale
		}
		boundary := ws.NextStart
		if active {
			boundary = ws.NextEnd
		}
		if boundary != nil && (next.IsZero() || boundary.Before(next)) {
			next = *boundary
		}
		st.Windows = append(st.Windows, ws)
	}
	if !next.IsZero() {
		st.Next = &ScalingChange{At: next, MinScale: Effective(windows, own, next)}
	}
	return st
}

// Effective is the effective minimum at t: the highest open window's minScale, never below own.
func Effective(windows []ScalingWindow, own int32, t time.Time) int32 {
	eff := own
	for _, w := range windows {
		s, ok := compile(w)
		if !ok {
			continue
		}
		if active, _ := s.span(t); active && w.MinScale > eff {
			eff = w.MinScale
		}
	}
	return eff
}

// Names lists windows' names, sorted (for audit summaries).
func Names(ws []ScalingWindow) []string {
	out := make([]string, 0, len(ws))
	for _, w := range ws {
		out = append(out, w.Name)
	}
	sort.Strings(out)
	return out
}
