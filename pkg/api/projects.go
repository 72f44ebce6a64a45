package api

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/slipway-dev/slipway/pkg/apierror"
	"github.com/slipway-dev/slipway/pkg/projects"
)

func (s *Server) listEnvironments(c echo.Context) error {
	return c.JSON(http.StatusOK, s.projects.Environments())
}

// listProjects shows only the projects the caller may see.
func (s *Server) listProjects(c echo.Context) error {
	ps, err := s.projects.List()
	if err != nil {
		return err
	}
	shown := []projects.Project{}
	for _, p := range ps {
		ok, err := s.visible(c.Request().Context(), caller(c), p.Name)
		if err != nil {
			return apierror.Unavailable(5, "authorization is unavailable: %v", err)
		}
		if ok {
			shown = append(shown, p)
		}
	}
	return c.JSON(http.StatusOK, shown)
}

func (s *Server) createProject(c echo.Context) error {
	var req projects.CreateRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	p, err := s.projects.Create(c.Request().Context(), req, caller(c))
	if err != nil {
		return err
	}
	c.Set(auditAfterKey, fmt.Sprintf("project %s with namespaces %v, %s its admin", p.Name, p.Namespaces, caller(c).Name))
	return c.JSON(http.StatusCreated, p)
}
