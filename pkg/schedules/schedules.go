// Package schedules is an app's scheduled triggers: each enabled schedule becomes a Knative
// Eventing PingSource whose sink is the app's Knative Service. The schedules are Slipway's
// record, kept on that Service (names.AnnoSchedules) and written through records.Update, so
// a paused schedule (enabled: false) keeps its spec while its PingSource goes. This file and
// pingsource.go are pure (validation, fire times, the builder); service.go is the domain
// service the API calls, and the reconciler package keeps the PingSources in shape.
package schedules

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/url"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Limits of a schedule set. The annotation holding them shares the Service's 256 KiB of
// annotations with its history, so data is bounded per schedule and schedules per app.
const (
	// MaxSchedules per app in one environment.
	MaxSchedules = 10
	// MaxStoredBytes bounds the whole set as the Service's annotation stores it (a Service's
	// annotations share 256 KiB with its history).
	MaxStoredBytes = 32 << 10
	// MaxNameLength keeps names.PingSource(app, name) well inside a DNS subdomain.
	MaxNameLength = 40
	// MaxDataBytes bounds each schedule's event body.
	MaxDataBytes = 4096
	// MaxPathLength bounds the path requests go to.
	MaxPathLength = 1024
	// NextRunsCount is how many fire times a view shows.
	NextRunsCount = 5
)

// DefaultTimezone is the zone of a schedule that names none. It is written on the
// PingSource explicitly: Eventing's default is the adapter's system zone.
const DefaultTimezone = "UTC"

// Schedule is one scheduled trigger: at each time cron (five fields) names in timezone, an
// event with data is sent to the app, at path.
type Schedule struct {
	// Name is a DNS label, unique among the app's schedules.
	Name string `json:"name"`
	// Cron is a standard five-field cron expression (minute hour day-of-month month
	// day-of-week); no descriptors (@daily), no seconds, no CRON_TZ= prefix.
	Cron string `json:"cron"`
	// Timezone is an IANA time zone (Europe/Berlin); UTC when empty.
	Timezone string `json:"timezone,omitempty"`
	// Path is where on the app the event is sent (starting with /); the root when empty.
	Path string `json:"path,omitempty"`
	// ContentType is the media type of data (application/json requires a JSON object).
	ContentType string `json:"contentType,omitempty"`
	// Data is the event's body, at most 4096 bytes.
	Data string `json:"data,omitempty"`
	// Enabled false pauses the schedule: its PingSource is removed, its spec kept. True
	// when omitted.
	Enabled *bool `json:"enabled,omitempty"`
}

// IsEnabled reports whether the schedule fires (omitted means yes).
func (s Schedule) IsEnabled() bool { return s.Enabled == nil || *s.Enabled }

// Normalize fills in the defaults as they are stored: the zone and enabled.
func (s Schedule) Normalize() Schedule {
	if s.Timezone == "" {
		s.Timezone = DefaultTimezone
	}
	enabled := s.IsEnabled()
	s.Enabled = &enabled
	return s
}

// parser reads exactly five fields: no seconds, no descriptors.
var parser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

// parse reads a validated schedule's cron in its zone.
func (s Schedule) parse() (cron.Schedule, *time.Location, error) {
	loc, err := loadZone(s.Timezone)
	if err != nil {
		return nil, nil, err
	}
	sched, err := parseCron(s.Cron)
	if err != nil {
		return nil, nil, err
	}
	return sched, loc, nil
}

func parseCron(spec string) (cron.Schedule, error) {
	trimmed := strings.TrimSpace(spec)
	switch {
	case strings.HasPrefix(trimmed, "TZ=") || strings.HasPrefix(trimmed, "CRON_TZ="):
		return nil, fmt.Errorf("name the zone in timezone, not in cron")
	case strings.HasPrefix(trimmed, "@"):
		return nil, fmt.Errorf("descriptors such as @daily are not accepted; write the five fields")
	case len(strings.Fields(trimmed)) != 5:
		return nil, fmt.Errorf("want five fields (minute hour day-of-month month day-of-week), got %d", len(strings.Fields(trimmed)))
	}
	return parser.Parse(trimmed)
}

func loadZone(name string) (*time.Location, error) {
	if name == "" {
		name = DefaultTimezone
	}
	// "Local" is the server's zone, which differs between platform-api and Eventing's adapter.
	if name == "Local" {
		return nil, fmt.Errorf("Local is the server's zone; name an IANA zone such as Europe/Berlin")
	}
	return time.LoadLocation(name)
}

// Validate checks a schedule set as a request's body (an array): paths are "[i].field".
func Validate(set []Schedule) field.ErrorList {
	var errs field.ErrorList
	root := field.NewPath("")
	if len(set) > MaxSchedules {
		errs = append(errs, field.TooMany(root, len(set), MaxSchedules))
	}
	seen := map[string]bool{}
	for i, s := range set {
		// The body is the array itself: field paths start at the item ("[0].cron").
		p := field.NewPath(fmt.Sprintf("[%d]", i))
		errs = append(errs, s.validate(p)...)
		if seen[s.Name] && s.Name != "" {
			errs = append(errs, field.Duplicate(p.Child("name"), s.Name))
		}
		seen[s.Name] = true
	}
	// The set rides on the Service as one annotation, beside the history: bounded in bytes
	// as stored (escapes included), not only per field.
	if len(errs) == 0 {
		if n := len(Format(set)); n > MaxStoredBytes {
			errs = append(errs, field.TooLong(root, n, MaxStoredBytes))
		}
	}
	return errs
}

func (s Schedule) validate(p *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch {
	case s.Name == "":
		errs = append(errs, field.Required(p.Child("name"), "a DNS label, unique among the app's schedules"))
	case len(s.Name) > MaxNameLength:
		errs = append(errs, field.TooLong(p.Child("name"), s.Name, MaxNameLength))
	default:
		for _, msg := range validation.IsDNS1123Label(s.Name) {
			errs = append(errs, field.Invalid(p.Child("name"), s.Name, msg))
		}
	}
	if s.Cron == "" {
		errs = append(errs, field.Required(p.Child("cron"), "five fields: minute hour day-of-month month day-of-week"))
	} else if _, err := parseCron(s.Cron); err != nil {
		errs = append(errs, field.Invalid(p.Child("cron"), s.Cron, "not a five-field cron schedule: "+err.Error()))
	}
	if _, err := loadZone(s.Timezone); err != nil {
		errs = append(errs, field.Invalid(p.Child("timezone"), s.Timezone, "not an IANA time zone: "+err.Error()))
	}
	if s.Path != "" {
		errs = append(errs, validatePath(p.Child("path"), s.Path)...)
	}
	var mediaType string
	if s.ContentType != "" {
		mt, _, err := mime.ParseMediaType(s.ContentType)
		if err != nil || !strings.Contains(mt, "/") {
			errs = append(errs, field.Invalid(p.Child("contentType"), s.ContentType, "not a media type such as application/json"))
		}
		mediaType = mt
	}
	if len(s.Data) > MaxDataBytes {
		errs = append(errs, field.TooLong(p.Child("data"), "", MaxDataBytes))
	} else if s.Data != "" && mediaType == "application/json" {
		// Eventing's webhook requires a JSON object for this content type.
		var obj map[string]any
		if err := json.Unmarshal([]byte(s.Data), &obj); err != nil {
			errs = append(errs, field.Invalid(p.Child("data"), "", "contentType is application/json: want a JSON object"))
		}
	}
	return errs
}

func validatePath(p *field.Path, v string) field.ErrorList {
	if len(v) > MaxPathLength {
		return field.ErrorList{field.TooLong(p, "", MaxPathLength)}
	}
	if !strings.HasPrefix(v, "/") || strings.HasPrefix(v, "//") {
		return field.ErrorList{field.Invalid(p, v, "must start with a single /")}
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Fragment != "" || strings.ContainsAny(v, " \t\r\n#") {
		return field.ErrorList{field.Invalid(p, v, "must be a URL path (and query), without spaces or a fragment")}
	}
	return nil
}

// NextRuns are the next n times the schedule fires after now, in UTC; none for a schedule
// that does not parse or never fires (February 30th).
func (s Schedule) NextRuns(now time.Time, n int) []time.Time {
	sched, loc, err := s.parse()
	if err != nil {
		return nil
	}
	runs := make([]time.Time, 0, n)
	at := now.In(loc)
	for range n {
		at = sched.Next(at)
		if at.IsZero() {
			break
		}
		runs = append(runs, at.UTC())
	}
	return runs
}

// Parse reads the schedules annotation; an empty value is no schedules.
func Parse(raw string) ([]Schedule, error) {
	if raw == "" {
		return nil, nil
	}
	var set []Schedule
	if err := json.Unmarshal([]byte(raw), &set); err != nil {
		return nil, fmt.Errorf("reading the schedules annotation: %w", err)
	}
	return set, nil
}

// Format writes a normalized set as the annotation's value; "" for none, which removes it.
func Format(set []Schedule) string {
	if len(set) == 0 {
		return ""
	}
	out := make([]Schedule, len(set))
	for i, s := range set {
		out[i] = s.Normalize()
	}
	// Without HTML escaping: "<" stays one byte, not six, in the stored annotation.
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		panic(fmt.Sprintf("marshalling schedules: %v", err)) // plain strings and a bool
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// Describe is a set in one line for the audit trail: each name, cron and zone, or paused.
func Describe(set []Schedule) string {
	if len(set) == 0 {
		return "no schedules"
	}
	parts := make([]string, 0, len(set))
	for _, s := range set {
		s = s.Normalize()
		d := fmt.Sprintf("%s (%s %s)", s.Name, s.Cron, s.Timezone)
		if !s.IsEnabled() {
			d = s.Name + " (paused)"
		}
		parts = append(parts, d)
	}
	return "schedules " + strings.Join(parts, ", ")
}
