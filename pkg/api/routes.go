package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/slipway-dev/slipway/pkg/api/ratelimit"
	"github.com/slipway-dev/slipway/pkg/apps"
	"github.com/slipway-dev/slipway/pkg/audit"
	"github.com/slipway-dev/slipway/pkg/environments"
	"github.com/slipway-dev/slipway/pkg/identity"
	"github.com/slipway-dev/slipway/pkg/pipelines"
	"github.com/slipway-dev/slipway/pkg/pipelines/runs"
	"github.com/slipway-dev/slipway/pkg/projects"
	"github.com/slipway-dev/slipway/pkg/records"
	"github.com/slipway-dev/slipway/pkg/revisions"
)

// route is one row of the API: the router and the OpenAPI document are both built from it.
type route struct {
	// id is the operationId: the generated clients' method name.
	id           string
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
		{"getMe", http.MethodGet, "/api/v1/me", s.me, "The caller, and whether they may create projects or see the whole platform", nil, Me{}, 200, "", access{scope: scopeUser}},
		{"getProjectAccess", http.MethodGet, "/api/v1/projects/:project/access", s.projectAccess, "What the caller may do in each environment of a project", nil, ProjectAccess{}, 200, "", access{identity.ListApps, scopeProject}},
		{"listEnvironments", http.MethodGet, "/api/v1/environments", s.listEnvironments, "List environments", nil, environments.List{}, 200, "", access{scope: scopeUser}},
		{"listProjects", http.MethodGet, "/api/v1/projects", s.listProjects, "List projects", nil, []projects.Project{}, 200, "", access{scope: scopeUser}},
		{"createProject", http.MethodPost, "/api/v1/projects", s.createProject, "Create a project (one namespace per environment)", projects.CreateRequest{}, projects.Project{}, 201, "", access{identity.CreateProjects, scopeCluster}},
		{"listMembers", http.MethodGet, "/api/v1/projects/:project/members", s.listMembers, "List a project's members and their roles", nil, []identity.Member{}, 200, "", access{identity.ReadMembers, scopeProject}},
		{"addMember", http.MethodPost, "/api/v1/projects/:project/members", s.addMember, "Grant a role in every environment of a project", projects.MemberRequest{}, identity.Member{}, 201, "", access{identity.ManageMembers, scopeProjectAll}},
		{"listApps", http.MethodGet, "/api/v1/projects/:project/apps", s.listApps, "List a project's apps with status per environment", nil, []apps.AppSummary{}, 200, "", access{identity.ListApps, scopeProject}},
		{"deploy", http.MethodPost, appPath + "/deployments", s.deploy, "Deploy a new revision", revisions.DeployRequest{}, apps.DeployResult{}, 201, "", access{identity.Deploy, scopeApp}},
		{"getApp", http.MethodGet, appPath, s.getApp, "Get an app's status in an environment", nil, apps.AppStatus{}, 200, "", access{identity.ReadApps, scopeApp}},
		{"deleteApp", http.MethodDelete, appPath, s.deleteApp, "Delete an app from an environment", nil, nil, 204, "", access{identity.DeleteApps, scopeApp}},
		{"listRevisions", http.MethodGet, appPath + "/revisions", s.listRevisions, "List revisions", nil, []apps.Revision{}, 200, "", access{identity.ReadApps, scopeApp}},
		{"getRevision", http.MethodGet, appPath + "/revisions/:revision", s.getRevision, "Get a revision", nil, apps.Revision{}, 200, "", access{identity.ReadApps, scopeApp}},
		{"getTraffic", http.MethodGet, appPath + "/traffic", s.getTraffic, "Get the traffic split and header rules; the ETag is what setTraffic's If-Match takes", nil, apps.TrafficResult{}, 200, "", access{identity.ReadApps, scopeApp}},
		{"setTraffic", http.MethodPut, appPath + "/traffic", s.setTraffic, "Set the traffic split and header rules", revisions.TrafficRequest{}, apps.TrafficResult{}, 200, "", access{identity.SetTraffic, scopeApp}},
		{"rollback", http.MethodPost, appPath + "/rollback", s.rollback, "Send all traffic to an earlier revision", revisions.RollbackRequest{}, apps.TrafficResult{}, 200, "", access{identity.Rollback, scopeApp}},
		{"getHistory", http.MethodGet, appPath + "/history", s.history, "Deploys, traffic changes and rollbacks, oldest first", nil, []revisions.HistoryEntry{}, 200, "", access{identity.ReadApps, scopeApp}},
		{"getManifests", http.MethodGet, appPath + "/manifests", s.manifests, "Every managed object as YAML", nil, nil, 200, "application/yaml", access{identity.ReadApps, scopeApp}},
		{"listAudit", http.MethodGet, "/api/v1/audit", s.listAudit, "The audit trail, newest first (query: user, project, app, env, action, since, limit)", nil, []audit.Record{}, 200, "", access{scope: scopeUser}},
		// Pipelines: a project's templates; an app's pipeline and hook in an environment, and its runs.
		{"listTemplates", http.MethodGet, "/api/v1/projects/:project/pipelines/templates", s.listTemplates, "List the WorkflowTemplates of a project's build namespace", nil, []runs.Template{}, 200, "", access{identity.ReadRuns, scopeProject}},
		{"getPipeline", http.MethodGet, appPath + "/pipeline", s.getPipeline, "Get the app's pipeline (repository, branch, build context, stages)", nil, pipelines.Pipeline{}, 200, "", access{identity.ReadApps, scopeApp}},
		{"setPipeline", http.MethodPut, appPath + "/pipeline", s.putPipeline, "Set the app's pipeline; stages are checked with Argo's validator", pipelines.Pipeline{}, pipelines.Pipeline{}, 200, "", access{identity.SetPipeline, scopeApp}},
		{"getHook", http.MethodGet, appPath + "/pipeline/hook", s.getHook, "The app's Git hook URL (without credentials)", nil, runs.Hook{}, 200, "", access{identity.ReadApps, scopeApp}},
		{"rotateHook", http.MethodPost, appPath + "/pipeline/hook/rotate", s.rotateHook, "Make the app's Git hook, or give it a new token and secret (shown once)", nil, runs.Hook{}, 200, "", access{identity.RotateHook, scopeApp}},
		{"listRuns", http.MethodGet, appPath + "/runs", s.listRuns, "List pipeline runs, newest first", nil, []pipelines.Run{}, 200, "", access{identity.ReadRuns, scopeApp}},
		{"startRun", http.MethodPost, appPath + "/runs", s.startRun, "Start a pipeline run (a commit, or a branch's head)", pipelines.RunRequest{}, pipelines.Run{}, 201, "", access{identity.StartRuns, scopeApp}},
		{"getRun", http.MethodGet, appPath + "/runs/:run", s.getRun, "Get a pipeline run with its steps", nil, pipelines.Run{}, 200, "", access{identity.ReadRuns, scopeApp}},
		{"followRunLogs", http.MethodGet, appPath + "/runs/:run/logs", s.runLogs, "Follow a run: each step's start, its output and its end, then the run's end (server-sent events: run, step, log, error, end)", nil, nil, 200, "text/event-stream", access{identity.ReadRuns, scopeApp}},
		{"cancelRun", http.MethodPost, appPath + "/runs/:run/cancel", s.cancelRun, "Stop a pipeline run", nil, pipelines.Run{}, 200, "", access{identity.CancelRuns, scopeApp}},
		{"retryRun", http.MethodPost, appPath + "/runs/:run/retry", s.retryRun, "Start a finished run again as a new run", nil, pipelines.Run{}, 201, "", access{identity.StartRuns, scopeApp}},
		{"approveRun", http.MethodPost, appPath + "/runs/:run/approve", s.approveRun, "Pass the approval gate a run waits at", nil, pipelines.Run{}, 200, "", access{identity.ApproveRuns, scopeApp}},
		{"getFilebeatInputs", http.MethodGet, "/api/v1/logging/filebeat", s.filebeatInputs, "Filebeat inputs for every project namespace (mounted log directories and container stdout)", nil, nil, 200, "application/yaml", access{identity.ReadPlatform, scopeCluster}},
	}
}

// class is the route's in-flight class: streams apart, then reads and writes.
func (r route) class() string {
	switch {
	case r.raw == "text/event-stream":
		return ratelimit.ClassStream
	case r.method == http.MethodGet:
		return ratelimit.ClassRead
	}
	return ratelimit.ClassWrite
}

// target is the app and environment a route's path names.
func target(c echo.Context) records.Target {
	return records.Target{Project: c.Param("project"), App: c.Param("app"), Env: c.Param("env")}
}
