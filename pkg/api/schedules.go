package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/slipway-dev/slipway/pkg/schedules"
)

// getSchedules serves GET …/schedules: each schedule with its next runs and its
// PingSource's state.
func (s *Server) getSchedules(c echo.Context) error {
	views, err := s.schedules.List(c.Request().Context(), target(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, views)
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
	res, err := s.schedules.Put(c.Request().Context(), target(c), set)
	if err != nil {
		return err
	}
	// The app summary the middleware took knows nothing of schedules; both sides say them.
	c.Set(auditBeforeKey, res.Before)
	c.Set(auditAfterKey, res.After)
	return c.JSON(http.StatusOK, res.Schedules)
}
