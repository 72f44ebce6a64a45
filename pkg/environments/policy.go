package environments

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	// Windows name IANA zones; the binaries must not depend on the host's zoneinfo.
	_ "time/tzdata"

	"github.com/robfig/cron/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Approvals is how many people must approve a promotion into an environment, and who may.
type Approvals struct {
	// Count is the number of distinct approvers needed.
	Count int `json:"count"`
	// Groups, when set, are the groups an approver must belong to (one of them); without
	// them anyone holding the approvePromotions right in the environment may approve.
	Groups []string `json:"groups,omitempty"`
	// ForbidSelfApproval refuses the requester's own approval.
	ForbidSelfApproval bool `json:"forbidSelfApproval,omitempty"`
}

// InGroups reports whether a member of groups may approve.
func (a Approvals) InGroups(groups []string) bool {
	if len(a.Groups) == 0 {
		return true
	}
	for _, g := range groups {
		if slices.Contains(a.Groups, g) {
			return true
		}
	}
	return false
}

// WindowKind says what a window does.
type WindowKind string

const (
	// WindowAllow: promotions deploy only inside the allow windows (when there are any).
	WindowAllow WindowKind = "allow"
	// WindowDeny: promotions never deploy inside a deny window (a freeze).
	WindowDeny WindowKind = "deny"
)

// Window is a recurring span of time: it starts at each time Cron names, in TimeZone, and
// lasts Duration.
type Window struct {
	Kind WindowKind `json:"kind"`
	// Cron is a standard five-field schedule ("0 22 * * 5": Fridays at 22:00).
	Cron     string          `json:"cron"`
	Duration metav1.Duration `json:"duration"`
	TimeZone string          `json:"timeZone,omitempty"`
}

// Bounds of the windows an environment may have.
const (
	MaxWindows        = 10
	MinWindowDuration = time.Minute
	MaxWindowDuration = 31 * 24 * time.Hour
	// MaxSoak bounds a soak.
	MaxSoak = 30 * 24 * time.Hour
	// horizon is how far Open looks for the next opening.
	horizon = 366 * 24 * time.Hour
)

var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// parseCron parses a window's schedule: five fields or a descriptor that stands for them
// (@daily). "@every" is refused: it counts from the moment asked, not from the clock, so it
// names no recurring span of time.
func parseCron(spec string) (cron.Schedule, error) {
	s, err := cronParser.Parse(spec)
	if err != nil {
		return nil, err
	}
	if _, ok := s.(*cron.SpecSchedule); !ok {
		return nil, errors.New("@every is not a time of day; use five fields")
	}
	return s, nil
}

// loadZone loads a window's IANA zone ("" is UTC). "Local" is refused: it is the host's
// zone, so the same configuration would mean different times on different hosts.
func loadZone(name string) (*time.Location, error) {
	if name == "Local" {
		return nil, errors.New("the host's zone (Local) is not an IANA zone")
	}
	return time.LoadLocation(name)
}

// schedule parses the window's cron in its zone; Validate has checked both.
func (w Window) schedule() (cron.Schedule, *time.Location, error) {
	loc, err := loadZone(w.TimeZone)
	if err != nil {
		return nil, nil, err
	}
	s, err := parseCron(w.Cron)
	return s, loc, err
}

// activeUntil reports whether the window covers at, and until when.
func (w Window) activeUntil(at time.Time) (bool, time.Time) {
	s, loc, err := w.schedule()
	if err != nil {
		return false, time.Time{}
	}
	d := w.Duration.Duration
	// The first start after at-d is the earliest that still covers at; later starts up to
	// at extend the span.
	start := s.Next(at.Add(-d).In(loc))
	if start.IsZero() || start.After(at) {
		return false, time.Time{}
	}
	end := start.Add(d)
	for i := 0; i < 100000; i++ {
		next := s.Next(start)
		if next.IsZero() || next.After(end) {
			break
		}
		start, end = next, next.Add(d)
	}
	return true, end
}

// nextStart is the window's first start after at.
func (w Window) nextStart(at time.Time) time.Time {
	s, loc, err := w.schedule()
	if err != nil {
		return time.Time{}
	}
	return s.Next(at.In(loc))
}

// Open reports whether windows let a promotion deploy at the given moment, and, when they
// do not, the next moment they do (zero when none comes within a year).
func Open(windows []Window, at time.Time) (bool, time.Time) {
	t := at
	for t.Sub(at) < horizon {
		var denyEnd time.Time
		denied := false
		hasAllow, allowed := false, false
		for _, w := range windows {
			active, end := w.activeUntil(t)
			switch w.Kind {
			case WindowDeny:
				if active {
					denied = true
					if end.After(denyEnd) {
						denyEnd = end
					}
				}
			case WindowAllow:
				hasAllow = true
				allowed = allowed || active
			}
		}
		switch {
		case !denied && (!hasAllow || allowed):
			return t.Equal(at), t
		case denied:
			t = denyEnd
		default:
			var next time.Time
			for _, w := range windows {
				if w.Kind != WindowAllow {
					continue
				}
				if s := w.nextStart(t); !s.IsZero() && (next.IsZero() || s.Before(next)) {
					next = s
				}
			}
			if next.IsZero() {
				return false, time.Time{}
			}
			t = next
		}
	}
	return false, time.Time{}
}

// validatePolicy checks an environment's promotion policy.
func (e Environment) validatePolicy(p *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch e.DeployVia {
	case "", DeployDirect, DeployPromotion:
	default:
		errs = append(errs, field.NotSupported(p.Child("deployVia"), e.DeployVia, []string{string(DeployDirect), string(DeployPromotion)}))
	}
	switch e.Schedules {
	case "", SchedulesAllowed, SchedulesDenied:
	default:
		errs = append(errs, field.NotSupported(p.Child("schedules"), e.Schedules, []string{string(SchedulesAllowed), string(SchedulesDenied)}))
	}
	if a := e.RequireApprovals; a != nil {
		ap := p.Child("requireApprovals")
		if a.Count < 1 || a.Count > 10 {
			errs = append(errs, field.Invalid(ap.Child("count"), a.Count, "must be between 1 and 10"))
		}
		for i, g := range a.Groups {
			if strings.TrimSpace(g) == "" {
				errs = append(errs, field.Required(ap.Child("groups").Index(i), "a group name"))
			}
		}
	}
	if e.Soak != nil && (e.Soak.Duration < 0 || e.Soak.Duration > MaxSoak) {
		errs = append(errs, field.Invalid(p.Child("soak"), e.Soak.Duration.String(), fmt.Sprintf("must be between 0s and %s", MaxSoak)))
	}
	if len(e.Windows) > MaxWindows {
		errs = append(errs, field.TooMany(p.Child("windows"), len(e.Windows), MaxWindows))
	}
	for i, w := range e.Windows {
		wp := p.Child("windows").Index(i)
		if w.Kind != WindowAllow && w.Kind != WindowDeny {
			errs = append(errs, field.NotSupported(wp.Child("kind"), w.Kind, []string{string(WindowAllow), string(WindowDeny)}))
		}
		if strings.HasPrefix(strings.TrimSpace(w.Cron), "TZ=") || strings.HasPrefix(strings.TrimSpace(w.Cron), "CRON_TZ=") {
			errs = append(errs, field.Invalid(wp.Child("cron"), w.Cron, "name the zone in timeZone"))
		} else if _, err := parseCron(w.Cron); err != nil {
			errs = append(errs, field.Invalid(wp.Child("cron"), w.Cron, "not a five-field cron schedule: "+err.Error()))
		}
		if d := w.Duration.Duration; d < MinWindowDuration || d > MaxWindowDuration {
			errs = append(errs, field.Invalid(wp.Child("duration"), d.String(), fmt.Sprintf("must be between %s and %s", MinWindowDuration, MaxWindowDuration)))
		}
		if _, err := loadZone(w.TimeZone); err != nil {
			errs = append(errs, field.Invalid(wp.Child("timeZone"), w.TimeZone, "not an IANA time zone"))
		}
	}
	seen := map[string]bool{}
	for i, s := range e.Strategies {
		sp := p.Child("strategies").Index(i)
		if !slices.Contains(strategies, s) {
			errs = append(errs, field.NotSupported(sp, s, strategies))
		}
		if seen[s] {
			errs = append(errs, field.Duplicate(sp, s))
		}
		seen[s] = true
	}
	seen = map[string]bool{}
	for i, v := range e.Env {
		np := p.Child("env").Index(i).Child("name")
		for _, msg := range validation.IsEnvVarName(v.Name) {
			errs = append(errs, field.Invalid(np, v.Name, msg))
		}
		if ReservedEnv[v.Name] {
			errs = append(errs, field.Forbidden(np, v.Name+" is set by Knative"))
		}
		if seen[v.Name] {
			errs = append(errs, field.Duplicate(np, v.Name))
		}
		seen[v.Name] = true
	}
	return errs
}

// strategies are the deploy strategies' names (revisions.Strategy*).
var strategies = []string{"replace", "canary", "header"}

// ReservedEnv are the variables Knative sets in every app container.
var ReservedEnv = map[string]bool{"PORT": true, "K_SERVICE": true, "K_CONFIGURATION": true, "K_REVISION": true}

// Promotion is the path releases take to production.
type Promotion struct {
	// Path orders environments: a release is promoted from each to the next.
	Path []string `json:"path,omitempty"`
}

// Next is the environment after from on the path.
func (p Promotion) Next(from string) (string, bool) {
	i := slices.Index(p.Path, from)
	if i < 0 || i+1 >= len(p.Path) {
		return "", false
	}
	return p.Path[i+1], true
}

// Previous is the environment before to on the path.
func (p Promotion) Previous(to string) (string, bool) {
	i := slices.Index(p.Path, to)
	if i <= 0 {
		return "", false
	}
	return p.Path[i-1], true
}

// Validate checks the path against the environments: each a configured environment, once;
// an environment reached only by promotion is on the path after its first step.
func (p Promotion) Validate(path *field.Path, envs List) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	for i, name := range p.Path {
		ip := path.Child("path").Index(i)
		if _, ok := envs.Find(name); !ok {
			errs = append(errs, field.NotFound(ip, name))
		}
		if seen[name] {
			errs = append(errs, field.Duplicate(ip, name))
		}
		seen[name] = true
	}
	if len(p.Path) == 1 {
		errs = append(errs, field.Invalid(path.Child("path"), p.Path, "a path has at least two environments"))
	}
	for i, e := range envs {
		if !e.PromotionOnly() {
			continue
		}
		if _, ok := p.Previous(e.Name); !ok {
			errs = append(errs, field.Invalid(field.NewPath("environments").Index(i).Child("deployVia"), e.DeployVia,
				"an environment reached only by promotion must follow another on promotion.path"))
		}
	}
	return errs
}

// The rules a promotion policy refuses by, as a problem's "rule" member: 409 for state and
// time, 403 for who may act.
const (
	RulePromotionRequired = "promotionRequired"
	RuleNotNextStep       = "notNextStep"
	RuleNotReady          = "notReady"
	RuleSoak              = "soak"
	RuleWindow            = "window"
	RuleNotPending        = "notPending"
	RuleAlreadyApproved   = "alreadyApproved"
	RuleSelfApproval      = "selfApproval"
	RuleNotApprover       = "notApprover"
	// RuleSchedulesDenied: the environment's policy denies schedules (schedules: denied).
	RuleSchedulesDenied = "schedulesDenied"
)
