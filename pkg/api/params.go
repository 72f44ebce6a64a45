package api

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/slipway-dev/slipway/pkg/apierror"
	"github.com/slipway-dev/slipway/pkg/pipelines/runs"
	"github.com/slipway-dev/slipway/pkg/records"
	"github.com/slipway-dev/slipway/pkg/revisions"
)

// paramRule is how one path parameter is checked before authorization, the audit trail's
// reads or the handler look anything up with it. A value is either not a name at all
// (invalid: a 422 naming the parameter) or a name of something that cannot exist here
// (unknown: a 404); whether a well-formed name exists is the domain package's answer.
type paramRule struct {
	// invalid returns the value's field errors.
	invalid func(p *field.Path, v string) field.ErrorList
	// unknown refuses a well-formed value that names nothing (an environment that is not
	// configured, a hook ID RotateHook never makes).
	unknown func(s *Server, v string) error
	// schema describes the valid values in the OpenAPI document.
	schema func(s *Server) *openapi3.Schema
}

// DNS-1035 labels (Knative's object names) and DNS-1123 subdomains (Kubernetes' generic
// object names), as apimachinery's validation checks them.
const (
	dns1035Label     = `^[a-z]([-a-z0-9]*[a-z0-9])?$`
	dns1123Subdomain = `^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	hexID            = `^[0-9a-f]+$`
)

// pathParams are the rules for every parameter a route's path may hold; a route with any
// other parameter does not start (checkPathParams).
var pathParams = map[string]paramRule{
	// A project is the prefix of its namespaces ({project}-{env}); an app is a Knative
	// Service. Both are what records.Resolve checks again.
	"project": nameRule(records.MaxProjectNameLength),
	"app":     nameRule(revisions.MaxAppNameLength),
	// An environment is one of the operator's.
	"env": {
		unknown: func(s *Server, v string) error {
			if _, ok := s.projects.Environments().Find(v); !ok {
				return apierror.NotFound("environment %q is not configured", shown(v))
			}
			return nil
		},
		schema: func(s *Server) *openapi3.Schema {
			sch := openapi3.NewStringSchema()
			if s.projects != nil {
				for _, env := range s.projects.Environments() {
					sch.Enum = append(sch.Enum, env.Name)
				}
			}
			return sch
		},
	},
	// A revision is a Knative Revision: a DNS-1035 label.
	"revision": nameRule(validation.DNS1035LabelMaxLength),
	// A promotion ID is {app}-{time}-{random} (promotions.NewID): a DNS-1035 label too.
	"promotion": nameRule(validation.DNS1035LabelMaxLength),
	// A run is an Argo Workflow: a DNS-1123 subdomain, as Kubernetes names objects.
	"run": {
		invalid: func(p *field.Path, v string) field.ErrorList {
			if v == "" {
				return field.ErrorList{field.Required(p, "")}
			}
			var errs field.ErrorList
			for _, msg := range validation.IsDNS1123Subdomain(v) {
				errs = append(errs, field.Invalid(p, shown(v), msg))
			}
			return errs
		},
		schema: func(*Server) *openapi3.Schema {
			return openapi3.NewStringSchema().WithPattern(dns1123Subdomain).WithMaxLength(int64(validation.DNS1123SubdomainMaxLength))
		},
	},
	// A hook ID is RotateHook's: anything else is no hook, the answer an unknown ID gets.
	"hook": {
		unknown: func(_ *Server, v string) error {
			if !runs.ValidHookID(v) {
				return apierror.NotFound("no such hook")
			}
			return nil
		},
		schema: func(*Server) *openapi3.Schema {
			return openapi3.NewStringSchema().WithPattern(hexID).WithMinLength(runs.HookIDLength).WithMaxLength(runs.HookIDLength)
		},
	},
}

// nameRule is a DNS-1035 label of at most maxLen characters (revisions.ValidateName).
func nameRule(maxLen int) paramRule {
	return paramRule{
		invalid: func(p *field.Path, v string) field.ErrorList {
			errs := revisions.ValidateName(p, v, maxLen)
			for _, e := range errs {
				if e.Type != field.ErrorTypeRequired {
					e.BadValue = shown(v)
				}
			}
			return errs
		},
		schema: func(*Server) *openapi3.Schema {
			return openapi3.NewStringSchema().WithPattern(dns1035Label).WithMinLength(1).WithMaxLength(int64(maxLen))
		},
	}
}

// checkPathParams panics when a route's path has a parameter without a rule: every
// parameter is checked, and a new one needs its rule here first.
func checkPathParams(path string) {
	for _, m := range echoParam.FindAllStringSubmatch(path, -1) {
		if _, ok := pathParams[m[1]]; !ok {
			panic(fmt.Sprintf("route %s: path parameter %q has no rule in pathParams", path, m[1]))
		}
	}
}

// checkPath refuses a request whose path parameters are not names, or name an environment
// or hook that cannot exist, before anything looks them up. It runs after authentication,
// the rate limit and the audit middleware (a refused path is on the record as refused) and
// before authorization, whose access reviews would otherwise name a bogus namespace.
func (s *Server) checkPath(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := s.pathError(c); err != nil {
			return err
		}
		return next(c)
	}
}

// pathError is the problem with the request's path parameters, or nil: first every
// malformed parameter (one 422 naming them all), then one that names nothing (404).
func (s *Server) pathError(c echo.Context) error {
	var errs field.ErrorList
	for _, name := range c.ParamNames() {
		if r := pathParams[name]; r.invalid != nil {
			errs = append(errs, r.invalid(field.NewPath(name), c.Param(name))...)
		}
	}
	if len(errs) > 0 {
		return apierror.Invalid(errs)
	}
	for _, name := range c.ParamNames() {
		if r := pathParams[name]; r.unknown != nil {
			if err := r.unknown(s, c.Param(name)); err != nil {
				return err
			}
		}
	}
	return nil
}

// shown is a value as a problem quotes it: at most 64 characters of it.
func shown(v string) string {
	const max = 64
	if len(v) <= max {
		return v
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(v[cut]) {
		cut--
	}
	return strings.ToValidUTF8(v[:cut], "") + "…"
}
