package api

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/slipway-dev/slipway/pkg/apierror"
	"github.com/slipway-dev/slipway/pkg/apps"
	"github.com/slipway-dev/slipway/pkg/audit"
	"github.com/slipway-dev/slipway/pkg/config"
	"github.com/slipway-dev/slipway/pkg/identity"
	"github.com/slipway-dev/slipway/pkg/pipelines"
	"github.com/slipway-dev/slipway/pkg/revisions"
)

// route is one row of the API: the router and the OpenAPI document are both built from it.
type route struct {
	method, path string
	handler      echo.HandlerFunc
	summary      string
	// request and response are zero values of the bodies' types (nil for none).
	request, response any
	status            int
	// raw names a non-JSON response media type.
	raw string
	// access is checked before the handler runs.
	access access
}

const appPath = "/api/v1/projects/:project/apps/:app/envs/:env"

func (s *Server) routes() []route {
	return []route{
		{http.MethodGet, "/api/v1/me", s.me, "The caller, and whether they may create projects or see the whole platform", nil, Me{}, 200, "", access{scope: scopeUser}},
		{http.MethodGet, "/api/v1/projects/:project/access", s.projectAccess, "What the caller may do in each environment of a project", nil, ProjectAccess{}, 200, "", access{identity.ListApps, scopeProject}},
		{http.MethodGet, "/api/v1/environments", s.listEnvironments, "List environments", nil, []config.Environment{}, 200, "", access{scope: scopeUser}},
		{http.MethodGet, "/api/v1/projects", s.listProjects, "List projects", nil, []apps.Project{}, 200, "", access{scope: scopeUser}},
		{http.MethodPost, "/api/v1/projects", s.createProject, "Create a project (one namespace per environment)", apps.CreateProjectRequest{}, apps.Project{}, 201, "", access{identity.CreateProjects, scopeCluster}},
		{http.MethodGet, "/api/v1/projects/:project/members", s.listMembers, "List a project's members and their roles", nil, []identity.Member{}, 200, "", access{identity.ListApps, scopeProject}},
		{http.MethodPost, "/api/v1/projects/:project/members", s.addMember, "Grant a role in every environment of a project", apps.MemberRequest{}, identity.Member{}, 201, "", access{identity.ManageMembers, scopeProjectAll}},
		{http.MethodGet, "/api/v1/projects/:project/apps", s.listApps, "List a project's apps with status per environment", nil, []apps.AppSummary{}, 200, "", access{identity.ListApps, scopeProject}},
		{http.MethodPost, appPath + "/deployments", s.deploy, "Deploy a new revision", revisions.DeployRequest{}, apps.DeployResult{}, 201, "", access{identity.ChangeApps, scopeApp}},
		{http.MethodGet, appPath, s.getApp, "Get an app's status in an environment", nil, apps.AppStatus{}, 200, "", access{identity.ReadApps, scopeApp}},
		{http.MethodDelete, appPath, s.deleteApp, "Delete an app from an environment", nil, nil, 204, "", access{identity.DeleteApps, scopeApp}},
		{http.MethodGet, appPath + "/revisions", s.listRevisions, "List revisions", nil, []apps.Revision{}, 200, "", access{identity.ReadApps, scopeApp}},
		{http.MethodGet, appPath + "/revisions/:revision", s.getRevision, "Get a revision", nil, apps.Revision{}, 200, "", access{identity.ReadApps, scopeApp}},
		{http.MethodPut, appPath + "/traffic", s.setTraffic, "Set the traffic split and header rules", revisions.TrafficRequest{}, apps.TrafficResult{}, 200, "", access{identity.ChangeApps, scopeApp}},
		{http.MethodPost, appPath + "/rollback", s.rollback, "Send all traffic to an earlier revision", revisions.RollbackRequest{}, apps.TrafficResult{}, 200, "", access{identity.ChangeApps, scopeApp}},
		{http.MethodGet, appPath + "/history", s.history, "Deploys, traffic changes and rollbacks, oldest first", nil, []revisions.HistoryEntry{}, 200, "", access{identity.ReadApps, scopeApp}},
		{http.MethodGet, appPath + "/manifests", s.manifests, "Every managed object as YAML", nil, nil, 200, "application/yaml", access{identity.ReadApps, scopeApp}},
		{http.MethodGet, "/api/v1/audit", s.listAudit, "The audit trail, newest first (query: user, project, app, env, action, since, limit)", nil, []audit.Record{}, 200, "", access{scope: scopeUser}},
		// Pipelines: a project's templates; an app's pipeline and hook in an environment, and its runs.
		{http.MethodGet, "/api/v1/projects/:project/pipelines/templates", s.listTemplates, "List the WorkflowTemplates of a project's environments", nil, []apps.Template{}, 200, "", access{identity.ReadRuns, scopeProject}},
		{http.MethodGet, appPath + "/pipeline", s.getPipeline, "Get the app's pipeline (repository, branch, build context, stages)", nil, pipelines.Pipeline{}, 200, "", access{identity.ReadApps, scopeApp}},
		{http.MethodPut, appPath + "/pipeline", s.putPipeline, "Set the app's pipeline; stages are checked with Argo's validator", pipelines.Pipeline{}, pipelines.Pipeline{}, 200, "", access{identity.ChangeApps, scopeApp}},
		{http.MethodGet, appPath + "/pipeline/hook", s.getHook, "The app's Git hook URL (without credentials)", nil, apps.Hook{}, 200, "", access{identity.ReadApps, scopeApp}},
		{http.MethodPost, appPath + "/pipeline/hook/rotate", s.rotateHook, "Make the app's Git hook, or give it a new token and secret (shown once)", nil, apps.Hook{}, 200, "", access{identity.ChangeApps, scopeApp}},
		{http.MethodGet, appPath + "/runs", s.listRuns, "List pipeline runs, newest first", nil, []pipelines.Run{}, 200, "", access{identity.ReadRuns, scopeApp}},
		{http.MethodPost, appPath + "/runs", s.startRun, "Start a pipeline run (a commit, or a branch's head)", pipelines.RunRequest{}, pipelines.Run{}, 201, "", access{identity.StartRuns, scopeApp}},
		{http.MethodGet, appPath + "/runs/:run", s.getRun, "Get a pipeline run with its steps", nil, pipelines.Run{}, 200, "", access{identity.ReadRuns, scopeApp}},
		{http.MethodGet, appPath + "/runs/:run/logs", s.runLogs, "Follow a run: each step's start, its output and its end, then the run's end (server-sent events: run, step, log, error, end)", nil, nil, 200, "text/event-stream", access{identity.ReadRuns, scopeApp}},
		{http.MethodPost, appPath + "/runs/:run/cancel", s.cancelRun, "Stop a pipeline run", nil, pipelines.Run{}, 200, "", access{identity.ChangeRuns, scopeApp}},
		{http.MethodPost, appPath + "/runs/:run/retry", s.retryRun, "Start a finished run again as a new run", nil, pipelines.Run{}, 201, "", access{identity.StartRuns, scopeApp}},
		{http.MethodPost, appPath + "/runs/:run/approve", s.approveRun, "Pass the approval gate a run waits at (needs the right to deploy)", nil, pipelines.Run{}, 200, "", access{identity.ChangeApps, scopeApp}},
		{http.MethodGet, "/api/v1/logging/filebeat", s.filebeatInputs, "Filebeat inputs for every project namespace (mounted log directories and container stdout)", nil, nil, 200, "application/yaml", access{identity.ReadPlatform, scopeCluster}},
	}
}

func target(c echo.Context) apps.Target {
	return apps.Target{Project: c.Param("project"), App: c.Param("app"), Env: c.Param("env")}
}

func (s *Server) listEnvironments(c echo.Context) error {
	return c.JSON(http.StatusOK, s.platform.Environments())
}

// listProjects shows only the projects the caller may see.
func (s *Server) listProjects(c echo.Context) error {
	ps, err := s.platform.ListProjects()
	if err != nil {
		return err
	}
	shown := []apps.Project{}
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
	var req apps.CreateProjectRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	p, err := s.platform.CreateProject(c.Request().Context(), req, caller(c))
	if err != nil {
		return err
	}
	c.Set(auditAfterKey, fmt.Sprintf("project %s with namespaces %v, %s its admin", p.Name, p.Namespaces, caller(c).Name))
	return c.JSON(http.StatusCreated, p)
}

func (s *Server) listMembers(c echo.Context) error {
	ms, err := s.platform.ListMembers(c.Request().Context(), c.Param("project"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ms)
}

func (s *Server) addMember(c echo.Context) error {
	var req apps.MemberRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	m, err := s.platform.AddMember(c.Request().Context(), c.Param("project"), req)
	if err != nil {
		return err
	}
	c.Set(auditAfterKey, fmt.Sprintf("%s %s is %s", m.Kind, m.Name, m.Role))
	return c.JSON(http.StatusCreated, m)
}

// listApps shows each app only in the environments the caller may see.
func (s *Server) listApps(c echo.Context) error {
	project := c.Param("project")
	list, err := s.platform.ListApps(project)
	if err != nil {
		return err
	}
	hidden := map[string]bool{}
	for _, env := range s.platform.Environments() {
		ok, err := s.authz.Allowed(c.Request().Context(), caller(c), identity.ListApps, config.Namespace(project, env.Name))
		if err != nil {
			return apierror.Unavailable(5, "authorization is unavailable: %v", err)
		}
		hidden[env.Name] = !ok
	}
	shown := []apps.AppSummary{}
	for _, a := range list {
		for env := range a.Envs {
			if hidden[env] {
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
	res, err := s.platform.Deploy(c.Request().Context(), caller(c).Name, target(c), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, res)
}

func (s *Server) getApp(c echo.Context) error {
	st, err := s.platform.GetApp(target(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}

func (s *Server) deleteApp(c echo.Context) error {
	if err := s.platform.DeleteApp(c.Request().Context(), target(c)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) listRevisions(c echo.Context) error {
	revs, err := s.platform.ListRevisions(target(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, revs)
}

func (s *Server) getRevision(c echo.Context) error {
	rev, err := s.platform.GetRevision(target(c), c.Param("revision"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, rev)
}

func (s *Server) setTraffic(c echo.Context) error {
	var req revisions.TrafficRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	res, err := s.platform.SetTraffic(c.Request().Context(), caller(c).Name, target(c), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

func (s *Server) rollback(c echo.Context) error {
	var req revisions.RollbackRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	res, err := s.platform.Rollback(c.Request().Context(), caller(c).Name, target(c), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

func (s *Server) history(c echo.Context) error {
	h, err := s.platform.History(target(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, h)
}

func (s *Server) filebeatInputs(c echo.Context) error {
	y, err := s.platform.FilebeatInputs()
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "application/yaml", y)
}

func (s *Server) manifests(c echo.Context) error {
	y, err := s.platform.Manifests(target(c))
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "application/yaml", y)
}
