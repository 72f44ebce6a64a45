package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"

	"github.com/slipway-dev/slipway/pkg/apierror"
	"github.com/slipway-dev/slipway/pkg/audit"
	"github.com/slipway-dev/slipway/pkg/identity"
)

// AuditStore keeps the audit trail (audit.Store in production).
type AuditStore interface {
	Write(ctx context.Context, r audit.Record)
	List(f audit.Filter, allow func(audit.Record) bool) ([]audit.Record, error)
}

// auditAfterKey lets a handler describe what its change made: the summary of the object it
// wrote (deploy, traffic, rollback) or a line of its own (project-level changes).
const auditAfterKey = "slipway.audit.after"

// auditBeforeKey holds the app's state before the change, taken by auditBefore.
const auditBeforeKey = "slipway.audit.before"

// auditCall records a mutating route's call, refused or not, with the app's state before
// (taken once the call is authorized, by auditBefore) and after (what the handler wrote).
// Request bodies are never recorded: they may hold secrets. No read of the apiserver happens
// here: both states come from the cache and from the handler's write.
func (s *Server) auditCall(action string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			ctx := c.Request().Context()
			err := next(c)
			status := c.Response().Status
			if err != nil {
				status = http.StatusInternalServerError
				if ae, ok := apierror.As(err); ok {
					status = ae.Status
				}
			}
			before, _ := c.Get(auditBeforeKey).(string)
			after, _ := c.Get(auditAfterKey).(string)
			if after == "" && before != "" && status < 400 {
				// An app route whose handler describes nothing (its pipeline, hook or runs):
				// the app itself is as it was.
				after = before
			}
			u := caller(c)
			id := c.Response().Header().Get(echo.HeaderXRequestID)
			env := c.Param("env")
			if named, _ := c.Get(auditEnvKey).(string); env == "" {
				env = named
			}
			s.audit.Write(ctx, audit.Record{
				ID: id, Time: time.Now().UTC(), User: u.Name, Groups: u.Groups, Action: action,
				Method: c.Request().Method, Path: c.Request().URL.EscapedPath(),
				Project: c.Param("project"), App: c.Param("app"), Env: env,
				Before: before, After: after, Status: status, Result: audit.ResultOf(status), RequestID: id,
			})
			return err
		}
	}
}

// auditBefore takes the app's state for the audit record once the call is authorized, from
// the cache: a refused call (or a malformed path) looks nothing up.
func (s *Server) auditBefore(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Param("app") != "" && c.Param("env") != "" {
			c.Set(auditBeforeKey, s.apps.Summary(target(c)))
		}
		return next(c)
	}
}

// actionName names a mutating route in the trail.
func actionName(method, path string) string {
	switch {
	case method == http.MethodPost && path == "/api/v1/projects":
		return "create-project"
	case strings.HasSuffix(path, "/members"):
		return "add-member"
	case strings.HasSuffix(path, "/deployments"):
		return "deploy"
	case strings.HasSuffix(path, "/traffic"):
		return "set-traffic"
	case strings.HasSuffix(path, "/rollback"):
		return "rollback"
	case strings.HasSuffix(path, "/scaling/schedules"):
		return "set-scaling-schedules"
	case method == http.MethodPost && strings.HasSuffix(path, "/scaling"):
		return "scale"
	case strings.HasSuffix(path, "/schedules"):
		return "set-schedules"
	case strings.HasSuffix(path, "/promotions"):
		return "promotion-requested"
	case strings.HasSuffix(path, "/promotions/:promotion/approve"):
		return "promotion-approved"
	case strings.HasSuffix(path, "/promotions/:promotion/reject"):
		return "promotion-rejected"
	case method == http.MethodDelete:
		return "delete"
	}
	return strings.ToLower(method) + " " + path
}

// auditQuery are the query parameters listAudit reads, as the document describes them.
var auditQuery = []*openapi3.Parameter{
	openapi3.NewQueryParameter("user").WithDescription("Only this user's calls.").WithSchema(openapi3.NewStringSchema()),
	openapi3.NewQueryParameter("project").WithDescription("Only calls in this project.").WithSchema(openapi3.NewStringSchema()),
	openapi3.NewQueryParameter("app").WithDescription("Only calls on this app.").WithSchema(openapi3.NewStringSchema()),
	openapi3.NewQueryParameter("env").WithDescription("Only calls in this environment.").WithSchema(openapi3.NewStringSchema()),
	openapi3.NewQueryParameter("action").WithDescription("Only this action: create-project, add-member, deploy, set-traffic, rollback, set-schedules, scale, set-scaling-schedules, scale-revision (the scaling reconciler's changes), delete, promotion-requested, promotion-approved, promotion-rejected, or a method and path such as \"post /api/v1/projects/:project/apps/:app/envs/:env/runs\".").WithSchema(openapi3.NewStringSchema()),
	openapi3.NewQueryParameter("since").WithDescription("Only records at or after this RFC 3339 time.").WithSchema(openapi3.NewDateTimeSchema()),
	openapi3.NewQueryParameter("limit").WithDescription("At most this many records (default 100).").WithSchema(openapi3.NewIntegerSchema().WithMin(1).WithMax(1000)),
}

// listAudit serves GET /api/v1/audit: everything to those who may see the whole platform,
// otherwise the records of the projects the caller may see.
func (s *Server) listAudit(c echo.Context) error {
	q := c.QueryParams()
	f := audit.Filter{User: q.Get("user"), Project: q.Get("project"), App: q.Get("app"), Env: q.Get("env"), Action: q.Get("action"), Limit: 100}
	var errs []string
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			errs = append(errs, "since: want an RFC 3339 time such as 2026-11-24T10:00:00Z")
		}
		f.Since = t
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			errs = append(errs, "limit: want a number from 1 to 1000")
		}
		f.Limit = n
	}
	if len(errs) > 0 {
		return apierror.BadRequest(strings.Join(errs, "; "))
	}
	ctx, u := c.Request().Context(), caller(c)
	all, err := s.authz.Allowed(ctx, u, identity.ReadPlatform, "")
	if err != nil {
		return apierror.Unavailable(5, "authorization is unavailable: %v", err)
	}
	seen := map[string]bool{}
	records, err := s.audit.List(f, func(r audit.Record) bool {
		if all {
			return true
		}
		if r.Project == "" {
			return r.User == u.Name
		}
		v, ok := seen[r.Project]
		if !ok {
			v, _ = s.visible(ctx, u, r.Project)
			seen[r.Project] = v
		}
		return v
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, records)
}
