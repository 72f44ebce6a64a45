// Package names holds every label and annotation key Slipway writes under slipway.dev/ (and
// the managed-by label), and the names of the objects it derives. It imports nothing of the
// project, so any package — pure builders, the pod-mutator, the reconcilers — takes its keys
// from here instead of from another capability's package. A key is spelled only here.
package names

// Ownership: every object Slipway writes carries LabelManagedBy=ManagedBy, and every field
// it applies is owned by FieldManager.
const (
	LabelManagedBy = "app.kubernetes.io/managed-by"
	ManagedBy      = "slipway"
	FieldManager   = "slipway"
)

// Which app an object belongs to: on namespaces (project, env), Knative Services, runs and
// the records Slipway keeps in its own namespace.
const (
	LabelProject = "slipway.dev/project"
	LabelApp     = "slipway.dev/app"
	LabelEnv     = "slipway.dev/env"
	// LabelKind tells the records in the platform's namespace apart.
	LabelKind    = "slipway.dev/kind"
	KindPipeline = "pipeline"
	KindHook     = "hook"
	// KindRelease and KindPromotion: an app's releases (immutable) and promotions.
	KindRelease   = "release"
	KindPromotion = "promotion"
	// LabelRelease names the release a revision runs (on its template) or a record holds.
	LabelRelease = "slipway.dev/release"
	// LabelPromotionState is a promotion record's state, so a state can be listed.
	LabelPromotionState = "slipway.dev/promotion-state"
	// AnnoPromotedFrom, on a revision template, says where a promoted revision came from.
	AnnoPromotedFrom = "slipway.dev/promoted-from"
	// AnnoBreakGlass, on a revision template, is why a policy was skipped to deploy it.
	AnnoBreakGlass = "slipway.dev/break-glass"
)

// An app's record on its Knative Service and revision templates.
const (
	AnnoDeployedBy   = "slipway.dev/deployed-by"
	AnnoDeployedAt   = "slipway.dev/deployed-at"
	AnnoMessage      = "slipway.dev/message"
	AnnoHistory      = "slipway.dev/history"
	AnnoRoutingRules = "slipway.dev/routing-rules"
	// AnnoCommit is the commit a revision was built from.
	AnnoCommit = "slipway.dev/commit"
	// LabelDomainScheme, with value "short", opts a Service in to {app}.sls-{cluster}.{base}.
	LabelDomainScheme = "slipway.dev/domain-scheme"
	// AnnoSchedules holds the app's schedules (pkg/schedules), paused ones included.
	AnnoSchedules = "slipway.dev/schedules"
	// LabelSchedule names the schedule a PingSource was built from.
	LabelSchedule = "slipway.dev/schedule"
)

// Scaling by the clock (pkg/scaling).
const (
	// AnnoScalingSchedules, on an app's Service, holds its scaling windows (JSON).
	AnnoScalingSchedules = "slipway.dev/scaling-schedules"
	// AnnoOwnMinScale, on a Revision the scaling reconciler raised, keeps the min-scale the
	// revision was created with ("" for none), so it can be restored and is never read as
	// the revision's own configuration.
	AnnoOwnMinScale = "slipway.dev/own-min-scale"
	// ScalingActor is the user the scaling reconciler's audit records name.
	ScalingActor = "system:slipway:scaling"
)

// Pipeline runs (Argo Workflows) and hooks.
const (
	// PipelineRun names the run that built and deployed a revision (an annotation on the
	// revision) and labels the run's Workflow.
	PipelineRun   = "slipway.dev/pipeline-run"
	LabelTrigger  = "slipway.dev/trigger"
	LabelDelivery = "slipway.dev/delivery"
	LabelHookID   = "slipway.dev/hook-id"
	AnnoStartedBy = "slipway.dev/started-by"
	AnnoBranch    = "slipway.dev/branch"
	AnnoRetryOf   = "slipway.dev/retry-of"
	AnnoApprovals = "slipway.dev/approvals"
)

// File-log collection: the opt-in label and the log-path annotation on pods of opted-in
// apps, and the keys the pod-mutator sets for the collector to index by.
const (
	LabelLogCollect = "slipway.dev/log-collect"
	AnnoLogPaths    = "slipway.dev/log-paths"
	KeyLogProject   = "slipway.dev/log-project"
	KeyLogApp       = "slipway.dev/log-app"
	KeyLogEnv       = "slipway.dev/log-env"
)

// Identity and audit.
const (
	// LabelMember marks RoleBindings Slipway made for project members; its value is the role.
	LabelMember = "slipway.dev/member"
	// LabelAuditRecord and LabelAuditAction label the audit trail's ConfigMaps.
	LabelAuditRecord = "slipway.dev/audit"
	LabelAuditAction = "slipway.dev/audit-action"
)

// Namespace is the namespace of a project in an environment.
func Namespace(project, env string) string { return project + "-" + env }

// BuildEnv is the environment name no environment may have (environments.List.Validate
// refuses it), so that Namespace(project, env) never equals BuildNamespace(project).
const BuildEnv = "build"

// BuildNamespace is the project's build namespace: its pipeline runs' Workflows and pods,
// which need more than the restricted Pod Security profile (rootless BuildKit), away from
// its apps.
func BuildNamespace(project string) string { return Namespace(project, BuildEnv) }

// The Pod Security ValidatingAdmissionPolicy for environment namespaces and its binding.
const (
	PodSecurityPolicy        = "slipway-pod-security"
	PodSecurityPolicyBinding = PodSecurityPolicy
)

// VirtualService is the name of the app's Slipway-owned VirtualService. Knative names its own
// VirtualServices {app}-ingress and {app}-mesh; this suffix keeps clear of both.
func VirtualService(app string) string { return app + "-slipway-routes" }

// PingSource is the name of the PingSource of an app's schedule. App and schedule names are
// DNS labels (no dots), so the dot keeps "a-b"+"c" and "a"+"b-c" apart.
func PingSource(app, schedule string) string { return app + "." + schedule }

// PipelineConfigMap keeps an app's pipeline in the platform's namespace.
func PipelineConfigMap(namespace, app string) string { return "pipeline." + namespace + "." + app }

// ReleaseConfigMap keeps one of an app's releases (named release) in the platform's
// namespace; a release name is the app's name and a hash of its content.
func ReleaseConfigMap(project, release string) string { return "release." + project + "." + release }

// PromotionConfigMap keeps one of an app's promotions in the platform's namespace.
func PromotionConfigMap(project, id string) string { return "promotion." + project + "." + id }

// HookSecret keeps a hook's token hash and shared secret in the platform's namespace.
func HookSecret(id string) string { return "hook." + id }

// Project roles, each granted by a RoleBinding to ClusterRole(role).
const (
	RoleViewer    = "viewer"
	RoleDeveloper = "developer"
	RoleAdmin     = "admin"
	// RoleDeployer is not a member role: the pipeline runs' ServiceAccount holds it.
	RoleDeployer = "deployer"
)

// ClusterRole is the ClusterRole behind a project role.
func ClusterRole(role string) string { return "slipway-" + role }

// Pipeline objects: in the build namespace the standard WorkflowTemplate, the runs'
// ServiceAccount and the Role Argo's executor needs (and its binding); in each environment
// namespace with a pipeline, the runs' deployer binding.
const (
	StandardTemplate      = "slipway-standard"
	PipelineAccount       = "slipway-pipeline"
	PipelineExecutorRole  = "slipway-pipeline-executor"
	PipelineDeployBinding = PipelineAccount + "-deployer"
)

// The apiserver's own enforcement that Slipway is the only way in (pkg/boundary): one
// ValidatingAdmissionPolicy, and its binding of the same name, for the objects in project
// namespaces and one for the objects Slipway labels as its own elsewhere.
const (
	BoundaryProjects = "slipway-boundary-projects"
	BoundaryManaged  = "slipway-boundary-managed"
)
