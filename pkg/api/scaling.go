package api

import (
	"net/http"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"

	"github.com/slipway-dev/slipway/pkg/apierror"
	"github.com/slipway-dev/slipway/pkg/identity"
	"github.com/slipway-dev/slipway/pkg/pipelines"
	"github.com/slipway-dev/slipway/pkg/revisions"
	"github.com/slipway-dev/slipway/pkg/scaling"
)

// getScaling answers the app's scaling windows with their state now: the effective minimum,
// which windows are open, and the next boundary.
func (s *Server) getScaling(c echo.Context) error {
	res, err := s.scaling.Get(target(c))
	if err != nil {
		return err
	}
	// The ETag is the windows' version (what If-Match takes); the body also says which are
	// open and what comes next, which change without it: never stored, never a 304.
	c.Response().Header().Set("ETag", res.Version)
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, res)
}

// setScalingSchedules replaces the app's scaling windows; the body is the whole list.
func (s *Server) setScalingSchedules(c echo.Context) error {
	var req scaling.SchedulesRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	res, err := s.scaling.Put(c.Request().Context(), target(c), req, ifMatch(c.Request().Header.Get(scalingIfMatch.Name)))
	if err != nil {
		return err
	}
	// The app summary the middleware took knows nothing of windows; both sides say them.
	c.Set(auditBeforeKey, res.Before)
	c.Set(auditAfterKey, res.After)
	c.Response().Header().Set("ETag", res.Version)
	return c.JSON(http.StatusOK, res)
}

// scale deploys the current spec again with new scaling knobs (a deploy, so its checks and
// its right).
func (s *Server) scale(c echo.Context) error {
	var req revisions.ScaleRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	if req.BreakGlass != nil {
		if err := s.authorizeIn(c, identity.BreakGlass, c.Param("project"), c.Param("env")); err != nil {
			return err
		}
	}
	if u := caller(c); u.Name == pipelines.RunIdentity(c.Param("project")) {
		return apierror.Forbidden("%s deploys only as a pipeline run (POST …/deployments with pipelineRun)", u.Name)
	}
	res, err := s.scaling.Rescale(c.Request().Context(), caller(c).Name, target(c), req)
	if err != nil {
		return err
	}
	c.Set(auditAfterKey, res.Summary)
	return c.JSON(http.StatusCreated, res)
}

// scalingIfMatch is setScalingSchedules' If-Match header as the document describes it.
var scalingIfMatch = openapi3.NewHeaderParameter("If-Match").
	WithDescription("getScaling's ETag (a strong entity tag; several may be listed): the windows are replaced only while they are still that version, else 412. * or no header: any version.").
	WithSchema(openapi3.NewStringSchema())
