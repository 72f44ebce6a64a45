package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

func (s *Server) listRevisions(c echo.Context) error {
	revs, err := s.apps.ListRevisions(target(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, revs)
}

func (s *Server) getRevision(c echo.Context) error {
	rev, err := s.apps.GetRevision(target(c), c.Param("revision"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, rev)
}
