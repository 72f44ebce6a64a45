package api

import (
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/slipway-dev/slipway/pkg/apierror"
	"github.com/slipway-dev/slipway/pkg/apps"
	"github.com/slipway-dev/slipway/pkg/identity"
	"github.com/slipway-dev/slipway/pkg/pipelines"
	"github.com/slipway-dev/slipway/pkg/revisions"
)

// listApps shows each app only in the environments the caller may see.
func (s *Server) listApps(c echo.Context) error {
	project := c.Param("project")
	list, err := s.apps.ListApps(project)
	if err != nil {
		return err
	}
	allowed, err := s.allowedEnvs(c, identity.ListApps, project)
	if err != nil {
		return err
	}
	shown := []apps.AppSummary{}
	for _, a := range list {
		for env := range a.Envs {
			if !slices.Contains(allowed, env) {
				delete(a.Envs, env)
			}
		}
		if len(a.Envs) > 0 {
			shown = append(shown, a)
		}
	}
	return c.JSON(http.StatusOK, shown)
}

func (s *Server) deploy(c echo.Context) error {
	var req revisions.DeployRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	if req.BreakGlass != nil {
		if err := s.authorizeIn(c, identity.BreakGlass, c.Param("project"), c.Param("env")); err != nil {
			return err
		}
	}
	// The runs' ServiceAccount is the deployer in every environment the project's pipelines
	// deploy or promote to; it deploys only as a run of this app in this environment, which
	// pipelineRun names and the domain checks (runs.Source).
	if u := caller(c); u.Name == pipelines.RunIdentity(c.Param("project")) && req.PipelineRun == "" {
		return apierror.Forbidden("%s deploys only as a pipeline run: the deploy must name its pipelineRun", u.Name)
	}
	res, err := s.apps.Deploy(c.Request().Context(), caller(c).Name, target(c), req)
	if err != nil {
		return err
	}
	c.Set(auditAfterKey, res.Summary)
	return c.JSON(http.StatusCreated, res)
}

func (s *Server) getApp(c echo.Context) error {
	st, err := s.apps.GetApp(target(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}

func (s *Server) deleteApp(c echo.Context) error {
	if err := s.apps.DeleteApp(c.Request().Context(), target(c)); err != nil {
		return err
	}
	c.Set(auditAfterKey, apps.SummaryOf(nil))
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) history(c echo.Context) error {
	h, err := s.apps.History(target(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, h)
}

func (s *Server) manifests(c echo.Context) error {
	y, err := s.apps.Manifests(target(c))
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "application/yaml", y)
}
