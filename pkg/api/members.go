package api

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/slipway-dev/slipway/pkg/projects"
)

func (s *Server) listMembers(c echo.Context) error {
	ms, err := s.projects.ListMembers(c.Request().Context(), c.Param("project"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ms)
}

func (s *Server) addMember(c echo.Context) error {
	var req projects.MemberRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	m, err := s.projects.AddMember(c.Request().Context(), c.Param("project"), req)
	if err != nil {
		return err
	}
	c.Set(auditAfterKey, fmt.Sprintf("%s %s is %s", m.Kind, m.Name, m.Role))
	return c.JSON(http.StatusCreated, m)
}
