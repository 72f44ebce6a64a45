package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/slipway-dev/slipway/pkg/revisions"
)

func (s *Server) setTraffic(c echo.Context) error {
	var req revisions.TrafficRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	res, err := s.apps.SetTraffic(c.Request().Context(), caller(c).Name, target(c), req)
	if err != nil {
		return err
	}
	c.Set(auditAfterKey, res.Summary)
	return c.JSON(http.StatusOK, res)
}

func (s *Server) rollback(c echo.Context) error {
	var req revisions.RollbackRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	res, err := s.apps.Rollback(c.Request().Context(), caller(c).Name, target(c), req)
	if err != nil {
		return err
	}
	c.Set(auditAfterKey, res.Summary)
	return c.JSON(http.StatusOK, res)
}
