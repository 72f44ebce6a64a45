// Package environments holds the operator's deploy targets and their policy. Every project
// gets one namespace per environment (names.Namespace). The config loader embeds the list;
// pure packages (request validation, builders) take an Environment without importing it.
package environments

import (
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
	}
	return errs
}
