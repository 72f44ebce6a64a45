package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/slipway-dev/slipway/pkg/apierror"
	"github.com/slipway-dev/slipway/pkg/audit"
	"github.com/slipway-dev/slipway/pkg/identity"
	"github.com/slipway-dev/slipway/pkg/records"
)

// AuditStore keeps the audit trail (audit.Store in production).
type AuditStore interface {
	Write(ctx context.Context, r audit.Record)
	List(f audit.Filter, allow func(audit.Record) bool) ([]audit.Record, error)
}

// auditAfterKey lets a handler describe what a project-level change made.
const auditAfterKey = "slipway.audit.after"

// auditCall records a mutating route's call, refused or not, with the app's state before and
// after when the route names an app. Request bodies are never recorded: they may hold secrets.
func (s *Server) auditCall(action string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			ctx := c.Request().Context()
			var t *records.Target
			// The app's state is read only for a path checkPath lets through: a malformed
			// one is refused before anything is looked up with it.
			if c.Param("app") != "" && s.pathError(c) == nil {
				tt := target(c)
				t = &tt
			}
			var before string
			if t != nil {
				before = s.apps.Summary(ctx, *t)
			}
			err := next(c)
			status := c.Response().Status
			if err != nil {
				status = http.StatusInternalServerError
				if ae, ok := apierror.As(err); ok {
					status = ae.Status
				}
			}
			after, _ := c.Get(auditAfterKey).(string)
			if t != nil && status < 400 {
				after = s.apps.Summary(ctx, *t)
			}
			u := caller(c)
			id := c.Response().Header().Get(echo.HeaderXRequestID)
			s.audit.Write(ctx, audit.Record{
				ID: id, Time: time.Now().UTC(), User: u.Name, Groups: u.Groups, Action: action,
				Method: c.Request().Method, Path: c.Request().URL.EscapedPath(),
				Project: c.Param("project"), App: c.Param("app"), Env: c.Param("env"),
				Before: before, After: after, Status: status, Result: audit.ResultOf(status), RequestID: id,
			})
			return err
		}
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
	case method == http.MethodDelete:
		return "delete"
	}
	return strings.ToLower(method) + " " + path
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
