package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

func (s *Server) filebeatInputs(c echo.Context) error {
	y, err := s.projects.FilebeatInputs()
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "application/yaml", y)
}
