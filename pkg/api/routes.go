package api

import (
	"net/http"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/utils/ptr"

	"github.com/slipway-dev/slipway/pkg/api/ratelimit"
	"github.com/slipway-dev/slipway/pkg/apps"
	"github.com/slipway-dev/slipway/pkg/audit"
	"github.com/slipway-dev/slipway/pkg/environments"
	"github.com/slipway-dev/slipway/pkg/identity"
	"github.com/slipway-dev/slipway/pkg/pipelines"
	"github.com/slipway-dev/slipway/pkg/pipelines/runs"
	"github.com/slipway-dev/slipway/pkg/projects"
	"github.com/slipway-dev/slipway/pkg/promotions"
	"github.com/slipway-dev/slipway/pkg/records"
	"github.com/slipway-dev/slipway/pkg/revisions"
	"github.com/slipway-dev/slipway/pkg/scaling"
	"github.com/slipway-dev/slipway/pkg/scaling/windows"
	"github.com/slipway-dev/slipway/pkg/schedules"
)

// route is one row of the API: the router and the OpenAPI document are both built from it.
type route struct {
	// id is the operationId: the generated clients' method name.
	id           string
	method, path string
	handler      echo.HandlerFunc
	summary      string
	// description says more than the summary, where that helps a caller.
	description string
	// request is an example of the body (the document shows it; its type gives the schema),
	// response a zero value of the answer's type; nil for none.
	request, response any
	status            int
	// raw names a non-JSON response media type.
	raw string
	// access is checked before the handler runs.
	access access
	// params are the query and header parameters the handler reads (path parameters are
	// the path's, checked by params.go).
	params []*openapi3.Parameter
	// answers are the problems the route's domain can give beyond those openapi.go derives
	// from the row (path parameters, body, credentials, access check, limits).
	answers []answer
}

// answer is one reason a route answers with a problem of that status.
type answer struct {
	status int
	when   string
}

const appPath = "/api/v1/projects/:project/apps/:app/envs/:env"

// appAcrossEnvs is an app in all of its project's environments: its releases and promotions.
const appAcrossEnvs = "/api/v1/projects/:project/apps/:app"

// Why routes answer 404, 409 or 422, where more than one route can.
const (
	notManaged   = "a Knative Service of this name exists in the environment but is not managed by Slipway"
	concurrent   = "too many concurrent changes to the app (try again)"
	pipelinesOff = "pipelines are not configured on this platform (pipelines.platformURL)"
	noPipeline   = "the app has no pipeline in the environment (setPipeline)"
	argoRefuses  = "Argo's validator refuses the run the pipeline makes (errors[].field is stages)"
	// Knative's webhook validates a Service beyond what Slipway checks up front.
	clusterRefuses = "the cluster (Knative's webhook) refuses the Service (the detail quotes it)"
)

func (s *Server) routes() []route {
	return []route{
		{id: "getMe", method: http.MethodGet, path: "/api/v1/me", handler: s.me, summary: "The caller, and whether they may create projects or see the whole platform",
			response: Me{}, status: 200, access: access{scope: scopeUser}},
		{id: "getProjectAccess", method: http.MethodGet, path: "/api/v1/projects/:project/access", handler: s.projectAccess, summary: "What the caller may do in each environment of a project",
			response: ProjectAccess{}, status: 200, access: access{identity.ListApps, scopeProject}},
		{id: "listEnvironments", method: http.MethodGet, path: "/api/v1/environments", handler: s.listEnvironments, summary: "List environments",
			response: environments.List{}, status: 200, access: access{scope: scopeUser}},
		{id: "getPromotionPath", method: http.MethodGet, path: "/api/v1/promotion-path", handler: s.getPromotionPath, summary: "The promotion path: the environments a release is promoted through, in order",
			response: PromotionPath{}, status: 200, access: access{scope: scopeUser}},
		{id: "listProjects", method: http.MethodGet, path: "/api/v1/projects", handler: s.listProjects, summary: "List projects",
			description: "Only the projects in which the caller may list apps in at least one environment.",
			response:    []projects.Project{}, status: 200, access: access{scope: scopeUser}},
		{id: "createProject", method: http.MethodPost, path: "/api/v1/projects", handler: s.createProject, summary: "Create a project (one namespace per environment)",
			description: "Creates the project's namespace in every environment and its build namespace, and makes the caller its admin. A request that failed half-way is completed by the next.",
			request:     createProjectExample, response: projects.Project{}, status: 201, access: access{identity.CreateProjects, scopeCluster},
			answers: []answer{{409, "the project exists, or a namespace it needs exists and belongs to no project or another one"}}},
		{id: "listMembers", method: http.MethodGet, path: "/api/v1/projects/:project/members", handler: s.listMembers, summary: "List a project's members and their roles",
			response: []identity.Member{}, status: 200, access: access{identity.ReadMembers, scopeProject}},
		{id: "addMember", method: http.MethodPost, path: "/api/v1/projects/:project/members", handler: s.addMember, summary: "Grant a role in every environment of a project",
			description: "Granting again is harmless; a member may hold several roles (the highest counts).",
			request:     addMemberExample, response: identity.Member{}, status: 201, access: access{identity.ManageMembers, scopeProjectAll}},
		{id: "listApps", method: http.MethodGet, path: "/api/v1/projects/:project/apps", handler: s.listApps, summary: "List a project's apps with status per environment",
			description: "Each app shows only the environments in which the caller may list apps.",
			response:    []apps.AppSummary{}, status: 200, access: access{identity.ListApps, scopeProject}},
		{id: "deploy", method: http.MethodPost, path: appPath + "/deployments", handler: s.deploy, summary: "Deploy a new revision",
			description: "Creates the app on its first deploy. The strategy moves traffic: replace (all of it to the new revision, the default), canary (a percentage) or header (requests matching headers, a cookie or a lane).",
			request:     deployExample, response: apps.DeployResult{}, status: 201, access: access{identity.Deploy, scopeApp},
			answers: []answer{
				{409, notManaged}, {409, concurrent},
				{409, "a revision that would keep traffic (canary, header) does not exist yet: wait until it is Ready, or deploy with strategy replace"},
				{409, "the short host ({app}.sls-{cluster}.{base}) is taken by an app of this name in another namespace, or being claimed at the same moment"},
				{409, "pipelineRun is given and " + pipelinesOff + ", or the run has finished or not checked out a commit"},
				{409, "rule promotionRequired: the environment is reached only by promotion (createPromotion), unless the deploy carries breakGlass"},
				{403, "breakGlass is given and the caller may not breakGlass in the environment"},
				{403, "the caller is a pipeline run (the runs' ServiceAccount of the project) and the deploy names no pipelineRun"},
				{422, clusterRefuses}}},
		{id: "getApp", method: http.MethodGet, path: appPath, handler: s.getApp, summary: "Get an app's status in an environment",
			response: apps.AppStatus{}, status: 200, access: access{identity.ReadApps, scopeApp}, answers: []answer{{409, notManaged}}},
		{id: "deleteApp", method: http.MethodDelete, path: appPath, handler: s.deleteApp, summary: "Delete an app from an environment",
			status: 204, access: access{identity.DeleteApps, scopeApp}, answers: []answer{{409, notManaged}, {409, concurrent}}},
		{id: "listRevisions", method: http.MethodGet, path: appPath + "/revisions", handler: s.listRevisions, summary: "List revisions",
			response: []apps.Revision{}, status: 200, access: access{identity.ReadApps, scopeApp}, answers: []answer{{409, notManaged}}},
		{id: "getRevision", method: http.MethodGet, path: appPath + "/revisions/:revision", handler: s.getRevision, summary: "Get a revision",
			response: apps.Revision{}, status: 200, access: access{identity.ReadApps, scopeApp}, answers: []answer{{409, notManaged}}},
		{id: "getTraffic", method: http.MethodGet, path: appPath + "/traffic", handler: s.getTraffic, summary: "Get the traffic split and header rules; the ETag is what setTraffic's If-Match takes",
			description: "A read-modify-write reads the split here and sends its ETag back as setTraffic's If-Match, so a change made in between is refused (412) instead of lost.",
			response:    apps.TrafficResult{}, status: 200, access: access{identity.ReadApps, scopeApp}, answers: []answer{{409, notManaged}}},
		{id: "setTraffic", method: http.MethodPut, path: appPath + "/traffic", handler: s.setTraffic, summary: "Set the traffic split and header rules",
			description: "Replaces the percentage split and the header rules. With If-Match (getTraffic's ETag) the change is made only if the split and rules are still what the caller read.",
			request:     setTrafficExample, response: apps.TrafficResult{}, status: 200, access: access{identity.SetTraffic, scopeApp},
			params: []*openapi3.Parameter{ifMatchParam},
			answers: []answer{
				{409, notManaged}, {409, concurrent},
				{412, "If-Match names none of the split's and rules' current versions: someone changed them since they were read (read them again with getTraffic and reapply the change)"},
				{422, clusterRefuses}}},
		{id: "rollback", method: http.MethodPost, path: appPath + "/rollback", handler: s.rollback, summary: "Send all traffic to an earlier revision",
			description: "The revision must be Ready. Header rules stay as they are.",
			request:     rollbackExample, response: apps.TrafficResult{}, status: 200, access: access{identity.Rollback, scopeApp},
			answers: []answer{{409, notManaged}, {409, concurrent}, {422, "the revision is not Ready (errors[].field is revision)"}, {422, clusterRefuses}}},
		{id: "getSchedules", method: http.MethodGet, path: appPath + "/schedules", handler: s.getSchedules, summary: "The app's schedules, each with its next five fire times and its PingSource's state; the ETag is what setSchedules' If-Match takes",
			description: "State is ready (the PingSource is Ready), pending (not created yet — it is once the app is Ready — or not Ready yet), failed (Eventing's reason in message), paused (enabled: false), denied (the environment's policy) or unknown (the PingSources could not be read).",
			response:    []schedules.ScheduleView{}, status: 200, access: access{identity.ReadApps, scopeApp},
			answers: []answer{{409, notManaged}, {409, "the schedules annotation was edited by hand and cannot be read (put the schedules again)"}}},
		{id: "setSchedules", method: http.MethodPut, path: appPath + "/schedules", handler: s.putSchedules, summary: "Replace the app's schedules",
			description: "Each enabled schedule becomes a Knative Eventing PingSource whose sink is the app (at path), created once the app is Ready; enabled: false pauses one (its PingSource goes, its spec stays). An empty array removes them all. With If-Match (getSchedules' ETag) the change is made only if the schedules are still what the caller read. cron has five fields (no seconds, no descriptors), timezone is an IANA zone (UTC when omitted), data at most 4096 bytes, at most 10 schedules.",
			request:     setSchedulesExample, response: []schedules.ScheduleView{}, status: 200, access: access{identity.ManageSchedules, scopeApp},
			params: []*openapi3.Parameter{schedulesIfMatch},
			answers: []answer{
				{412, "If-Match names none of the schedules' current versions: someone changed them since they were read (read them again with getSchedules)"},
				{409, notManaged}, {409, concurrent},
				{409, "rule schedulesDenied: the environment's policy denies schedules (only an empty array is accepted)"},
				{422, "a schedule is invalid: errors[].field names it ([0].cron, [1].timezone, …)"},
				{422, clusterRefuses}}},
		{id: "getHistory", method: http.MethodGet, path: appPath + "/history", handler: s.history, summary: "Deploys, traffic changes and rollbacks, oldest first",
			response: []revisions.HistoryEntry{}, status: 200, access: access{identity.ReadApps, scopeApp}, answers: []answer{{409, notManaged}}},
		{id: "getManifests", method: http.MethodGet, path: appPath + "/manifests", handler: s.manifests, summary: "Every managed object as YAML",
			status: 200, raw: "application/yaml", access: access{identity.ReadApps, scopeApp}, answers: []answer{{409, notManaged}}},
		{id: "getScaling", method: http.MethodGet, path: appPath + "/scaling", handler: s.getScaling, summary: "The app's scaling by the clock now: the effective minimum, each window's state, the next change; the ETag is what setScalingSchedules' If-Match takes",
			description: "effectiveMinScale is the highest open window's minScale, never below the serving revision's own min-scale (ownMinScale). Times are RFC 3339 UTC; the other knobs are in getApp's scaling.",
			response:    windows.ScalingView{}, status: 200, access: access{identity.ReadApps, scopeApp},
			answers: []answer{{409, notManaged}, {409, "the scaling windows annotation was edited by hand and cannot be read (put the windows again)"}}},
		{id: "scale", method: http.MethodPost, path: appPath + "/scaling", handler: s.scale, summary: "Deploy the current spec again with new scaling knobs",
			description: "Knative keeps scaling settings on the revision template, so this is a deploy: a new revision of the same image, port, variables, resources and log paths, with the knobs given over the current ones (those not given stay), taking all traffic (strategy replace). Scaling windows (setScalingSchedules) change the minimum without a new revision. At least one knob must be given.",
			request:     scaleExample, response: apps.DeployResult{}, status: 201, access: access{identity.Deploy, scopeApp},
			answers: []answer{
				{409, notManaged}, {409, concurrent},
				{409, "rule promotionRequired: the environment is reached only by promotion, unless the request carries breakGlass"},
				{403, "breakGlass is given and the caller may not breakGlass in the environment, or the caller is a pipeline run"},
				{422, "no knob is given, or a knob is out of range or outside the environment's bounds (errors[].field names it, e.g. scaling.maxScale)"},
				{422, clusterRefuses}}},
		{id: "setScalingSchedules", method: http.MethodPut, path: appPath + "/scaling/schedules", handler: s.setScalingSchedules, summary: "Replace the app's scaling windows (an empty list removes them)",
			description: "Each window raises the minimum pods of every routed or tagged revision from each start (five-field cron in timezone, an IANA zone) until end (cron) or for duration (a Go duration). No new revision is made: the reconciler sets the min-scale annotation on the Revisions and restores their own when no window is open.",
			request:     setScalingSchedulesExample, response: windows.ScalingView{}, status: 200, access: access{identity.ManageScaling, scopeApp},
			params: []*openapi3.Parameter{scalingIfMatch},
			answers: []answer{{412, "If-Match names none of the windows' current versions: someone changed them since they were read (read them again with getScaling)"},
				{409, notManaged}, {409, concurrent},
				{422, "a window is malformed (name, cron, timezone, end or duration, not both), or its minScale is outside the environment's bounds or above the app's maxScale (errors[].field names it, e.g. windows[0].minScale)"},
				{422, clusterRefuses}}},
		{id: "listAudit", method: http.MethodGet, path: "/api/v1/audit", handler: s.listAudit, summary: "The audit trail, newest first",
			description: "Everything to a caller who may see the whole platform; to others the records of the projects they may see, and their own outside any project.",
			response:    []audit.Record{}, status: 200, access: access{scope: scopeUser}, params: auditQuery,
			answers: []answer{{400, "since is not an RFC 3339 time, or limit is not a number from 1 to 1000"}}},
		// Releases and promotions: an app across environments, along the promotion path.
		{id: "listReleases", method: http.MethodGet, path: appAcrossEnvs + "/releases", handler: s.listReleases, summary: "List the app's releases, newest first, with the environments each serves in",
			description: "A release is what a revision runs, named from a hash of its content: the image (by digest where known; unpinned when only a tag nothing resolved), the container spec and settings without the environment's overlays, and the pipeline run and commit. Environment variables are listed by name only.",
			response:    []apps.ReleaseView{}, status: 200, access: access{identity.ReadApps, scopeProject}},
		{id: "createPromotion", method: http.MethodPost, path: appAcrossEnvs + "/promotions", handler: s.createPromotion, summary: "Ask for a release to run in the next environment of the promotion path",
			description: "Promotes the release of a revision in from (by default what serves 100 % there, else its newest Ready revision) into to, the next environment on the path. With approvals required it stays pending; otherwise it deploys now, as a new revision that records where it came from. Needs requestPromotions in to; breakGlass (with a reason) needs breakGlass there and skips approvals and windows. A pipeline run (the runs' ServiceAccount of the project) may ask only as its pipeline's promote step: for an app whose pipeline in from promotes to to, while a run of it there is running.",
			request:     promoteExample, response: promotions.Promotion{}, status: 201, access: access{identity.RequestPromotions, scopeProject},
			answers: []answer{
				{403, "the caller may not requestPromotions (or breakGlass) in the target environment"},
				{403, "the caller is a pipeline run and the app's pipeline in from does not promote to to, or none of its runs there is running"},
				{404, "the app is not deployed in from"},
				{409, "rule notNextStep: to is not the step after from on the promotion path"},
				{409, "rule notReady: the revision is not Ready"},
				{409, "rule soak: the revision has not served, Ready, for the target's soak yet (nextOpening says when it will have)"},
				{409, "rule window: the target's windows are closed (nextOpening is the next opening)"},
				{409, notManaged}, {409, concurrent},
				{422, "from or to is not an environment, the revision does not exist, or the release breaks the target's policy (a scale below its floor, a strategy it does not allow)"},
				{422, clusterRefuses}}},
		{id: "listPromotions", method: http.MethodGet, path: appAcrossEnvs + "/promotions", handler: s.listPromotions, summary: "List the app's promotions, newest first",
			response: []promotions.Promotion{}, status: 200, access: access{identity.ReadApps, scopeProject}, params: promotionStateQuery,
			answers: []answer{{400, "state is not a promotion state"}}},
		{id: "getPromotion", method: http.MethodGet, path: appAcrossEnvs + "/promotions/:promotion", handler: s.getPromotion, summary: "Get a promotion",
			response: promotions.Promotion{}, status: 200, access: access{identity.ReadApps, scopeProject},
			answers: []answer{{404, "the promotion does not exist"}}},
		{id: "approvePromotion", method: http.MethodPost, path: appAcrossEnvs + "/promotions/:promotion/approve", handler: s.approvePromotion, summary: "Approve a pending promotion; the last approval it needs deploys it",
			description: "Needs approvePromotions in the promotion's target environment, membership of one of its policy's groups (if it names any), and, where self-approval is forbidden, someone other than the requester. Concurrent approvals each count once; the promotion deploys exactly once.",
			request:     decisionExample, response: promotions.Promotion{}, status: 200, access: access{identity.ReadApps, scopeProject},
			answers: []answer{
				{403, "the caller may not approvePromotions in the target environment, or rule selfApproval: the requester may not approve, or rule notApprover: the caller is in none of the approving groups"},
				{404, "the promotion does not exist"},
				{409, "rule notPending: the promotion is not pending"},
				{409, "rule alreadyApproved: the caller has approved it already"},
				{409, "rule window: the approval would deploy while the target's windows are closed (nextOpening is the next opening)"},
				{409, concurrent},
				{422, "the release breaks the target's policy now"}, {422, clusterRefuses}}},
		{id: "rejectPromotion", method: http.MethodPost, path: appAcrossEnvs + "/promotions/:promotion/reject", handler: s.rejectPromotion, summary: "Reject a pending promotion",
			request: decisionExample, response: promotions.Promotion{}, status: 200, access: access{identity.ReadApps, scopeProject},
			answers: []answer{
				{403, "the caller may not approvePromotions in the target environment"},
				{404, "the promotion does not exist"},
				{409, "rule notPending: the promotion is not pending"}}},
		{id: "diffEnvironments", method: http.MethodGet, path: appAcrossEnvs + "/diff", handler: s.diff, summary: "How what the app serves in one environment differs from another",
			description: "Compares the serving revisions: image, environment variable names (never values; each environment's overlays aside), scaling, port and log paths.",
			response:    promotions.Diff{}, status: 200, access: access{identity.ReadApps, scopeProject}, params: diffQuery,
			answers: []answer{{404, "the app is deployed in neither environment"}, {422, "from or to is not an environment"}}},
		// Pipelines: a project's templates; an app's pipeline and hook in an environment, and its runs.
		{id: "listTemplates", method: http.MethodGet, path: "/api/v1/projects/:project/pipelines/templates", handler: s.listTemplates, summary: "List the WorkflowTemplates of a project's build namespace",
			response: []runs.Template{}, status: 200, access: access{identity.ReadRuns, scopeProject}},
		{id: "getPipeline", method: http.MethodGet, path: appPath + "/pipeline", handler: s.getPipeline, summary: "Get the app's pipeline (repository, branch, build context, stages)",
			response: pipelines.Pipeline{}, status: 200, access: access{identity.ReadApps, scopeApp}, answers: []answer{{404, noPipeline}}},
		{id: "setPipeline", method: http.MethodPut, path: appPath + "/pipeline", handler: s.putPipeline, summary: "Set the app's pipeline; stages are checked with Argo's validator",
			request: setPipelineExample, response: pipelines.Pipeline{}, status: 200, access: access{identity.SetPipeline, scopeApp},
			description: "A pipeline with promote: {to} ends each run by asking for the promotion of what it deployed into to, which must be the environment after this one on the promotion path; the promotion then follows to's policy like anyone's.",
			answers:     []answer{{409, pipelinesOff}, {422, argoRefuses}, {422, "promote.to is not a configured environment, or not the step after this environment on the promotion path"}}},
		{id: "getHook", method: http.MethodGet, path: appPath + "/pipeline/hook", handler: s.getHook, summary: "The app's Git hook URL (without credentials)",
			response: runs.Hook{}, status: 200, access: access{identity.ReadApps, scopeApp},
			answers: []answer{{404, noPipeline}, {404, "the app has no hook in the environment (rotateHook)"}}},
		{id: "rotateHook", method: http.MethodPost, path: appPath + "/pipeline/hook/rotate", handler: s.rotateHook, summary: "Make the app's Git hook, or give it a new token and secret (shown once)",
			description: "The URL stays; the old token and secret stop working. This answer is the only one that shows the new ones (the token is kept only as its hash).",
			response:    runs.Hook{}, status: 200, access: access{identity.RotateHook, scopeApp}, answers: []answer{{404, noPipeline}, {409, pipelinesOff}}},
		{id: "listRuns", method: http.MethodGet, path: appPath + "/runs", handler: s.listRuns, summary: "List pipeline runs, newest first",
			response: []pipelines.Run{}, status: 200, access: access{identity.ReadRuns, scopeApp},
			answers: []answer{{404, "the app has no run, no pipeline and no Service in the environment"}}},
		{id: "startRun", method: http.MethodPost, path: appPath + "/runs", handler: s.startRun, summary: "Start a pipeline run (a commit, or a branch's head)",
			request: startRunExample, response: pipelines.Run{}, status: 201, access: access{identity.StartRuns, scopeApp},
			answers: []answer{{404, noPipeline}, {409, pipelinesOff}, {422, argoRefuses}}},
		{id: "getRun", method: http.MethodGet, path: appPath + "/runs/:run", handler: s.getRun, summary: "Get a pipeline run with its steps",
			response: pipelines.Run{}, status: 200, access: access{identity.ReadRuns, scopeApp}},
		{id: "followRunLogs", method: http.MethodGet, path: appPath + "/runs/:run/logs", handler: s.runLogs, summary: "Follow a run: each step's start, its output and its end, then the run's end (server-sent events: run, step, log, error, end)",
			description: "Each event's data is JSON (step, phase, line, message). A comment line (: ping) comes when nothing happened for a while. Problems are answered only before the stream opens.",
			status:      200, raw: "text/event-stream", access: access{identity.ReadRuns, scopeApp}},
		{id: "cancelRun", method: http.MethodPost, path: appPath + "/runs/:run/cancel", handler: s.cancelRun, summary: "Stop a pipeline run",
			response: pipelines.Run{}, status: 200, access: access{identity.CancelRuns, scopeApp}, answers: []answer{{409, "the run has already finished"}}},
		{id: "retryRun", method: http.MethodPost, path: appPath + "/runs/:run/retry", handler: s.retryRun, summary: "Start a finished run again as a new run",
			response: pipelines.Run{}, status: 201, access: access{identity.StartRuns, scopeApp},
			answers: []answer{{404, noPipeline}, {409, "the run has not finished (cancel it first)"}, {422, argoRefuses}}},
		{id: "approveRun", method: http.MethodPost, path: appPath + "/runs/:run/approve", handler: s.approveRun, summary: "Pass the approval gate a run waits at",
			response: pipelines.Run{}, status: 200, access: access{identity.ApproveRuns, scopeApp},
			answers: []answer{{409, "the run is not waiting at an approval gate, or it changed while being approved (try again)"}}},
		{id: "getFilebeatInputs", method: http.MethodGet, path: "/api/v1/logging/filebeat", handler: s.filebeatInputs, summary: "Filebeat inputs for every project namespace (mounted log directories and container stdout)",
			status: 200, raw: "application/yaml", access: access{identity.ReadPlatform, scopeCluster}},
		// Git hosts deliver pushes with the hook's own credential instead of a bearer token.
		{id: "deliverHook", method: http.MethodPost, path: HookPath, handler: s.hookDelivery, summary: "Deliver a Git push to an app's hook: a run of its pipeline starts",
			description: "No bearer token: a GitHub hook signs the body with the hook's secret (X-Hub-Signature-256), a GitLab hook sends the secret (X-Gitlab-Token), anything else sends the hook's token (X-Slipway-Token) and names the branch or commit in the query. Only a push to the branch the pipeline builds starts a run; a delivery ID seen before is refused as a replay.",
			response:    HookAccepted{}, status: 202, access: access{scope: scopeHook}, params: hookParams,
			answers: []answer{
				{400, "the body is not a push event's JSON, or a branch, commit or delivery ID is malformed"},
				{401, "no X-Slipway-Token, X-Hub-Signature-256 or X-Gitlab-Token, or the token or signature does not match the hook's"},
				{403, "the push is to another branch than the one the hook's pipeline builds"},
				{404, "the hook's app has no pipeline any more"},
				{409, pipelinesOff}, {409, "the delivery ID was received before: replays are refused"},
				{422, "not a push event (an X-GitHub-Event other than push, an X-Gitlab-Event other than Push Hook), or not a push to a branch (a tag, a deleted branch)"},
				{422, argoRefuses}}},
	}
}

// Examples of the request bodies the document shows, named as in the README's walk-through;
// the server accepts each (TestRequestExamplesAreAccepted).
var (
	createProjectExample = projects.CreateRequest{Name: "payments"}
	addMemberExample     = projects.MemberRequest{Kind: rbacv1.UserKind, Name: "alice", Role: identity.RoleDeveloper}
	deployExample        = revisions.DeployRequest{
		Image: "registry.example/demo/hello:v3", Port: 8080, Message: "v3 for 10% of requests",
		Env:      []revisions.EnvVar{{Name: "LOG_LEVEL", Value: "info"}},
		Strategy: &revisions.Strategy{Type: revisions.StrategyCanary, Percent: ptr.To[int64](10)},
	}
	setTrafficExample = revisions.TrafficRequest{
		Targets: []revisions.Target{{Revision: "hello-00001", Percent: 90}, {Revision: "hello-00002", Percent: 10, Tag: "next"}},
		Rules:   []revisions.Rule{{Match: revisions.Match{Headers: map[string]revisions.StringMatch{"x-user-group": {Exact: "beta"}}}, Revision: "hello-00002"}},
		Message: "10% and the beta group to hello-00002",
	}
	setSchedulesExample = []schedules.Schedule{{Name: "nightly-cleanup", Cron: "0 2 * * *", Timezone: "Europe/Berlin",
		Path: "/cleanup", ContentType: "application/json", Data: `{"olderThan":"7d"}`}}
	scaleExample               = revisions.ScaleRequest{Scaling: revisions.Scaling{MinScale: ptr.To[int32](1), MaxScale: ptr.To[int32](5)}, Message: "a warm pod for the launch"}
	setScalingSchedulesExample = scaling.SchedulesRequest{Windows: []scaling.ScalingWindow{{Name: "office-hours", Start: "0 9 * * 1-5", End: "0 18 * * 1-5", Timezone: "Europe/Berlin", MinScale: 3}}}
	rollbackExample            = revisions.RollbackRequest{Revision: "hello-00001", Message: "hello-00002 is slow"}
	startRunExample            = pipelines.RunRequest{Branch: "main"}
	setPipelineExample         = pipelines.Pipeline{Repo: "https://git.example/demo/hello", Branch: "main",
		Stages: []pipelines.Stage{{Name: "approve", At: pipelines.BeforeDeploy, Approval: true}}}
)

// bearer reports whether the route authenticates its caller by bearer token (all but the
// Git hook endpoint).
func (r route) bearer() bool { return r.access.scope != scopeHook }

// authorized reports whether the route checks an action before its handler runs.
func (r route) authorized() bool { return r.access.scope != scopeUser && r.access.scope != scopeHook }

// class is the route's in-flight class: hook deliveries and streams apart, then reads and
// writes.
func (r route) class() string {
	switch {
	case r.access.scope == scopeHook:
		return ratelimit.ClassHook
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
