package api

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/slipway-dev/slipway/pkg/identity"
	"github.com/slipway-dev/slipway/pkg/pipelines"
)

// listTemplates shows the build namespace's templates to a caller who may read runs in one of the project's environments.
func (s *Server) listTemplates(c echo.Context) error {
	project := c.Param("project")
	envs, err := s.allowedEnvs(c, identity.ReadRuns, project)
	if err != nil {
		return err
	}
	list, err := s.runs.ListTemplates(c.Request().Context(), project, envs)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list)
}

func (s *Server) getPipeline(c echo.Context) error {
	pl, err := s.runs.GetPipeline(c.Request().Context(), target(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, pl)
}

func (s *Server) putPipeline(c echo.Context) error {
	var req pipelines.Pipeline
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	pl, err := s.runs.PutPipeline(c.Request().Context(), target(c), req)
	if err != nil {
		return err
	}
	c.Set(auditAfterKey, fmt.Sprintf("pipeline from %s (branch %s), %d stages", pl.Repo, pl.Branch, len(pl.Stages)))
	return c.JSON(http.StatusOK, pl)
}
