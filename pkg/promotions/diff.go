package promotions

import (
	"fmt"
	"slices"
	"strconv"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/slipway-dev/slipway/pkg/apierror"
	"github.com/slipway-dev/slipway/pkg/environments"
	"github.com/slipway-dev/slipway/pkg/records"
	"github.com/slipway-dev/slipway/pkg/revisions"
)

// Diff is how what an app serves in one environment differs from another.
type Diff struct {
	From string `json:"from"`
	To   string `json:"to"`
	// FromRevision and ToRevision are the revisions compared: each environment's serving
	// revision ("" where the app is not deployed).
	FromRevision string       `json:"fromRevision"`
	ToRevision   string       `json:"toRevision"`
	FromRelease  string       `json:"fromRelease,omitempty"`
	ToRelease    string       `json:"toRelease,omitempty"`
	Differences  []Difference `json:"differences"`
}

// Difference is one field that differs. Environment variables are compared by name and
// shown as "set" or "" (their values may be secrets); a value that differs is "set" on both
// sides with Changed.
type Difference struct {
	Field string `json:"field"`
	From  string `json:"from"`
	To    string `json:"to"`
}

// Diff compares the app's serving revisions in from and to: image, environment variable
// names (each environment's overlays aside), scaling, port and log paths.
func (s *Promotions) Diff(project, app, from, to string) (Diff, error) {
	if err := s.records.AppExists(project, app); err != nil {
		return Diff{}, err
	}
	var errs field.ErrorList
	fromEnv, ok := s.env(from)
	if !ok {
		errs = append(errs, field.NotFound(field.NewPath("from"), from))
	}
	toEnv, ok := s.env(to)
	if !ok {
		errs = append(errs, field.NotFound(field.NewPath("to"), to))
	}
	if len(errs) > 0 {
		return Diff{}, apierror.Invalid(errs)
	}
	a, aOK, err := s.serving(records.Target{Project: project, App: app, Env: from})
	if err != nil {
		return Diff{}, err
	}
	b, bOK, err := s.serving(records.Target{Project: project, App: app, Env: to})
	if err != nil {
		return Diff{}, err
	}
	if !aOK && !bOK {
		return Diff{}, apierror.NotFound("app %q is deployed in neither %s nor %s", app, from, to)
	}
	d := Diff{From: from, To: to, FromRevision: a.RevisionName, ToRevision: b.RevisionName, FromRelease: a.Release, ToRelease: b.Release,
		Differences: compare(a, fromEnv, b, toEnv)}
	return d, nil
}

// serving is the template of the revision that serves the most traffic (Knative's latest
// Ready when traffic follows latest).
func (s *Promotions) serving(t records.Target) (revisions.Template, bool, error) {
	svc := s.records.CachedService(t)
	if svc == nil {
		return revisions.Template{}, false, nil
	}
	name, best := "", int64(-1)
	for _, tt := range svc.Status.Traffic {
		if tt.Percent != nil && *tt.Percent > best {
			name, best = tt.RevisionName, *tt.Percent
		}
	}
	if name == "" {
		name = svc.Status.LatestReadyRevisionName
	}
	if name == "" {
		app, err := revisions.AppFromService(svc)
		return app.Template, err == nil, err
	}
	rev, err := s.records.Revision(t, name)
	if err != nil {
		return revisions.Template{}, false, err
	}
	return revisions.TemplateFromRevision(rev), true, nil
}

func compare(a revisions.Template, aEnv environments.Environment, b revisions.Template, bEnv environments.Environment) []Difference {
	out := []Difference{}
	add := func(f, x, y string) {
		if x != y {
			out = append(out, Difference{Field: f, From: x, To: y})
		}
	}
	add("image", a.Image, b.Image)
	add("port", port(a.Port), port(b.Port))
	add("scaling.minScale", scale(a.MinScale), scale(b.MinScale))
	add("scaling.maxScale", scale(a.MaxScale), scale(b.MaxScale))
	add("scaling.target", scale(a.Target), scale(b.Target))
	av, bv := envValues(a, aEnv), envValues(b, bEnv)
	var keys []string
	for k := range av {
		keys = append(keys, k)
	}
	for k := range bv {
		if _, ok := av[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		x, inA := av[k]
		y, inB := bv[k]
		switch {
		case inA && !inB:
			add("env."+k, "set", "")
		case !inA && inB:
			add("env."+k, "", "set")
		case x != y:
			add("env."+k, "set", "set (another value)")
		}
	}
	add("logPaths", logPaths(a), logPaths(b))
	return out
}

func envValues(t revisions.Template, env environments.Environment) map[string]string {
	out := map[string]string{}
	for _, v := range t.Env {
		if _, overlay := env.Overlay(v.Name); !overlay && v.ValueFrom == nil {
			out[v.Name] = v.Value
		}
	}
	return out
}

func port(p int32) string {
	if p == 0 {
		return ""
	}
	return strconv.Itoa(int(p))
}

func scale(v *int32) string {
	if v == nil {
		return ""
	}
	return strconv.Itoa(int(*v))
}

func logPaths(t revisions.Template) string {
	out := ""
	for i, lp := range t.LogPaths {
		if i > 0 {
			out += ", "
		}
		out += fmt.Sprintf("%s:%s", lp.Container, lp.Path)
	}
	return out
}
