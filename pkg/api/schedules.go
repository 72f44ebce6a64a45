package api

import (
	"net/http"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"

	"github.com/slipway-dev/slipway/pkg/schedules"
)

// getSchedules serves GET …/schedules: each schedule with its next runs and its
// PingSource's state.
func (s *Server) getSchedules(c echo.Context) error {
	res, err := s.schedules.List(c.Request().Context(), target(c))
	if err != nil {
		return err
	}
	// The ETag is the schedules' version (what If-Match takes); the body also holds next
	// runs and PingSource states, which change without it: never stored, never a 304.
	c.Response().Header().Set("ETag", res.Version)
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, res.Schedules)
}

// putSchedules serves PUT …/schedules: the body replaces the app's schedules.
func (s *Server) putSchedules(c echo.Context) error {
	var set []schedules.Schedule
	if err := decodeBody(c, &set); err != nil {
		return err
	}
	if set == nil { // JSON null
		set = []schedules.Schedule{}
	}
	res, err := s.schedules.Put(c.Request().Context(), target(c), set, ifMatch(c.Request().Header.Get(schedulesIfMatch.Name)))
	if err != nil {
		return err
	}
	// The app summary the middleware took knows nothing of schedules; both sides say them.
	c.Set(auditBeforeKey, res.Before)
	c.Set(auditAfterKey, res.After)
	c.Response().Header().Set("ETag", res.Version)
	return c.JSON(http.StatusOK, res.Schedules)
}

// schedulesIfMatch is setSchedules' If-Match header as the document describes it.
var schedulesIfMatch = openapi3.NewHeaderParameter("If-Match").
	WithDescription("getSchedules' ETag (a strong entity tag; several may be listed): the schedules are replaced only while they are still that version, else 412. * or no header: any version.").
	WithSchema(openapi3.NewStringSchema())
