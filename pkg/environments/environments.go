// Package environments holds the operator's deploy targets and their policy. Every project
// gets one namespace per environment (names.Namespace). The config loader embeds the list;
// pure packages (request validation, builders) take an Environment without importing it.
package environments

import (
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/slipway-dev/slipway/pkg/names"
)

// Environment is an operator-defined deploy target with its policy.
type Environment struct {
	Name string `json:"name"`
	// Description is shown to users.
	Description string `json:"description,omitempty"`
	// MinScale is the lowest min-scale an app may run with here; 0 allows scale to zero.
	MinScale int32 `json:"minScale"`
	// MaxScale, when set, caps the max-scale an app may ask for.
	MaxScale int32 `json:"maxScale,omitempty"`
	// DeployVia is how a revision gets here: "direct" (a deploy, the default) or
	// "promotion" (only a release promoted from the previous step of the path; a direct
	// deploy needs break-glass).
	DeployVia DeployVia `json:"deployVia,omitempty"`
	// RequireApprovals holds a promotion into this environment until enough approvers agree.
	RequireApprovals *Approvals `json:"requireApprovals,omitempty"`
	// Soak is how long a release must have served, Ready, in the previous environment of
	// the path before it may be promoted here.
	Soak *metav1.Duration `json:"soak,omitempty"`
	// Windows say when promotions into this environment may deploy.
	Windows []Window `json:"windows,omitempty"`
	// Strategies are the deploy strategies allowed here (replace, canary, header); empty
	// allows all.
	Strategies []string `json:"strategies,omitempty"`
	// Env are environment variables every revision here gets (overlays): they are the
	// environment's, so a release promoted elsewhere does not carry them.
	Env []EnvVar `json:"env,omitempty"`
	// Schedules says whether apps here may have schedules (PingSources): "allowed" (the
	// default) or "denied" (e.g. while the event channel is not durable).
	Schedules SchedulesPolicy `json:"schedules,omitempty"`
}

// SchedulesPolicy says whether an environment's apps may have schedules.
type SchedulesPolicy string

const (
	SchedulesAllowed SchedulesPolicy = "allowed"
	SchedulesDenied  SchedulesPolicy = "denied"
)

// AllowsSchedules reports whether apps here may have schedules ("" is allowed).
func (e Environment) AllowsSchedules() bool { return e.Schedules != SchedulesDenied }

// EnvVar is a plain environment variable an environment adds to its revisions.
type EnvVar struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// DeployVia says how revisions reach an environment.
type DeployVia string

const (
	DeployDirect    DeployVia = "direct"
	DeployPromotion DeployVia = "promotion"
)

// PromotionOnly reports whether a direct deploy here needs break-glass.
func (e Environment) PromotionOnly() bool { return e.DeployVia == DeployPromotion }

// AllowsStrategy reports whether a deploy may move traffic with strategy s ("" is replace).
func (e Environment) AllowsStrategy(s string) bool {
	if len(e.Strategies) == 0 {
		return true
	}
	if s == "" {
		s = "replace"
	}
	return slices.Contains(e.Strategies, s)
}

// SoakFor is the environment's soak (0 for none).
func (e Environment) SoakFor() time.Duration {
	if e.Soak == nil {
		return 0
	}
	return e.Soak.Duration
}

// Overlay is the value the environment gives the variable name, if it gives one.
func (e Environment) Overlay(name string) (string, bool) {
	for _, v := range e.Env {
		if v.Name == name {
			return v.Value, true
		}
	}
	return "", false
}

// List is the configured environments, in display order.
type List []Environment

// Find returns the named environment.
func (l List) Find(name string) (Environment, bool) {
	for _, e := range l {
		if e.Name == name {
			return e, true
		}
	}
	return Environment{}, false
}

// Validate checks the list: at least one environment, each a unique DNS label with
// consistent scale bounds.
func (l List) Validate(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(l) == 0 {
		errs = append(errs, field.Required(path, "at least one environment"))
	}
	seen := map[string]bool{}
	for i, e := range l {
		p := path.Index(i)
		if msgs := validation.IsDNS1123Label(e.Name); len(msgs) > 0 {
			errs = append(errs, field.Invalid(p.Child("name"), e.Name, msgs[0]))
		}
		if e.Name == names.BuildEnv {
			// {project}-build is the project's build namespace (names.BuildNamespace).
			errs = append(errs, field.Invalid(p.Child("name"), e.Name, "is reserved: {project}-"+names.BuildEnv+" is the project's build namespace"))
		}
		if seen[e.Name] {
			errs = append(errs, field.Duplicate(p.Child("name"), e.Name))
		}
		seen[e.Name] = true
		if e.MinScale < 0 {
			errs = append(errs, field.Invalid(p.Child("minScale"), e.MinScale, "must be >= 0"))
		}
		if e.MaxScale != 0 && e.MaxScale < e.MinScale {
			errs = append(errs, field.Invalid(p.Child("maxScale"), e.MaxScale, "must be >= minScale"))
		}
		errs = append(errs, e.validatePolicy(p)...)
	}
	return errs
}
