package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/slipway-dev/slipway/pkg/apierror"
	"github.com/slipway-dev/slipway/pkg/identity"
	"github.com/slipway-dev/slipway/pkg/names"
)

// Authenticator decides who is calling (identity.TokenAuthenticator in
// production). Handlers only ever see the identity.User it yields.
type Authenticator interface {
	Authenticate(r *http.Request) (identity.User, error)
}

// Authorizer decides whether a user may do an action in a namespace ("" for
// the cluster); identity.SARAuthorizer in production.
type Authorizer interface {
	Allowed(ctx context.Context, u identity.User, a identity.Action, namespace string) (bool, error)
}

// scope says which namespaces a route's action is checked in.
type scope int

const (
	// scopeUser: any authenticated caller; what they see is filtered.
	scopeUser scope = iota
	// scopeCluster: the action at cluster scope.
	scopeCluster
	// scopeProject: the action in any of the project's namespaces (reads),
	// or all of them (scopeProjectAll).
	scopeProject
	scopeProjectAll
	// scopeApp: the action in the namespace of the path's project and environment.
	scopeApp
	// scopeHook: no bearer token and no access check; the request carries the Git hook's
	// own token or signature, which the handler verifies.
	scopeHook
)

// access is the check a route makes before its handler runs.
type access struct {
	action identity.Action
	scope  scope
}

const identityKey = "slipway.identity"

func authenticate(a Authenticator) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			u, err := a.Authenticate(c.Request())
			if errors.Is(err, identity.ErrUnauthenticated) {
				return apierror.Unauthorized(err.Error())
			}
			if err != nil {
				return apierror.Unavailable(5, "authentication is unavailable: %v", err)
			}
			c.Set(identityKey, u)
			return next(c)
		}
	}
}

func caller(c echo.Context) identity.User {
	u, _ := c.Get(identityKey).(identity.User)
	return u
}

// authorize runs a route's access check.
func (s *Server) authorize(a access) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			var namespaces []string
			switch a.scope {
			case scopeUser:
				return next(c)
			case scopeCluster:
				namespaces = []string{""}
			case scopeProject, scopeProjectAll:
				namespaces = s.projectNamespaces(c.Param("project"))
			case scopeApp:
				namespaces = []string{names.Namespace(c.Param("project"), c.Param("env"))}
			}
			u := caller(c)
			granted := 0
			for _, ns := range namespaces {
				ok, err := s.authz.Allowed(c.Request().Context(), u, a.action, ns)
				if err != nil {
					return apierror.Unavailable(5, "authorization is unavailable: %v", err)
				}
				if ok {
					granted++
				}
			}
			if granted == 0 || (a.scope == scopeProjectAll && granted < len(namespaces)) {
				return forbidden(u, a, c)
			}
			return next(c)
		}
	}
}

func forbidden(u identity.User, a access, c echo.Context) error {
	switch a.scope {
	case scopeCluster:
		return apierror.Forbidden("%s may not %s", u.Name, a.action)
	case scopeApp:
		return apierror.Forbidden("%s may not %s in project %q, environment %q", u.Name, a.action, c.Param("project"), c.Param("env"))
	}
	return apierror.Forbidden("%s may not %s in project %q", u.Name, a.action, c.Param("project"))
}

// projectNamespaces are a project's namespaces, one per environment, whether
// or not they exist (a check in a missing namespace is simply refused).
func (s *Server) projectNamespaces(project string) []string {
	var out []string
	for _, env := range s.projects.Environments() {
		out = append(out, names.Namespace(project, env.Name))
	}
	return out
}

// allowedEnvs are the environments of project in which the caller may do action.
func (s *Server) allowedEnvs(c echo.Context, action identity.Action, project string) ([]string, error) {
	var envs []string
	for _, env := range s.projects.Environments() {
		ok, err := s.authz.Allowed(c.Request().Context(), caller(c), action, names.Namespace(project, env.Name))
		if err != nil {
			return nil, apierror.Unavailable(5, "authorization is unavailable: %v", err)
		}
		if ok {
			envs = append(envs, env.Name)
		}
	}
	return envs, nil
}

// visible reports whether u may list apps in any namespace of project.
func (s *Server) visible(ctx context.Context, u identity.User, project string) (bool, error) {
	for _, ns := range s.projectNamespaces(project) {
		ok, err := s.authz.Allowed(ctx, u, identity.ListApps, ns)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}
