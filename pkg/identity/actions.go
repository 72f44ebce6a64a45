package identity

// Group is Slipway's own API group in RBAC's vocabulary. No CRD serves it: RBAC and
// SubjectAccessReviews accept any group and resource name, so a Slipway action is a rule
// an operator can grant, audit and review with the tools they already use (kubectl auth
// can-i, RoleBindings), without the grant also being Kubernetes write access that would
// let its holder go around the platform.
const Group = "apps.slipway.dev"

// Action is what a request does, as the verb and resource of Slipway's API group that a
// SubjectAccessReview asks about.
type Action struct {
	Verb     string `json:"verb"`
	Group    string `json:"group"`
	Resource string `json:"resource"`
}

func (a Action) String() string {
	if a.Group == "" {
		return a.Verb + " " + a.Resource
	}
	return a.Verb + " " + a.Resource + "." + a.Group
}

// Scope is where an action is checked.
type Scope string

const (
	// ScopeEnv: in the namespace of one environment of a project.
	ScopeEnv Scope = "environment"
	// ScopeProject: in every namespace of a project.
	ScopeProject Scope = "project"
	// ScopeCluster: cluster-wide (namespace "").
	ScopeCluster Scope = "cluster"
)

// The actions of Slipway's API; Actions says who has each.
var (
	ListApps    = Action{Verb: "list", Group: Group, Resource: "apps"}
	ReadApps    = Action{Verb: "get", Group: Group, Resource: "apps"}
	Deploy      = Action{Verb: "create", Group: Group, Resource: "deployments"}
	SetTraffic  = Action{Verb: "update", Group: Group, Resource: "traffic"}
	Rollback    = Action{Verb: "create", Group: Group, Resource: "rollbacks"}
	DeleteApps  = Action{Verb: "delete", Group: Group, Resource: "apps"}
	SetPipeline = Action{Verb: "update", Group: Group, Resource: "pipelines"}
	RotateHook  = Action{Verb: "create", Group: Group, Resource: "hooks"}
	// ManageSchedules replaces an app's schedules (PingSources), pausing and resuming them.
	ManageSchedules = Action{Verb: "update", Group: Group, Resource: "schedules"}
	ReadRuns        = Action{Verb: "list", Group: Group, Resource: "runs"}
	StartRuns       = Action{Verb: "create", Group: Group, Resource: "runs"}
	CancelRuns      = Action{Verb: "cancel", Group: Group, Resource: "runs"}
	ApproveRuns     = Action{Verb: "approve", Group: Group, Resource: "runs"}
	// Promotions: asking for one into an environment, approving or rejecting one, and
	// breaking glass (skipping approvals and windows, or deploying straight into an
	// environment reached only by promotion), each checked in the target environment.
	RequestPromotions = Action{Verb: "create", Group: Group, Resource: "promotions"}
	ApprovePromotions = Action{Verb: "approve", Group: Group, Resource: "promotions"}
	BreakGlass        = Action{Verb: "override", Group: Group, Resource: "promotions"}
	ReadMembers       = Action{Verb: "list", Group: Group, Resource: "members"}
	ManageMembers     = Action{Verb: "create", Group: Group, Resource: "members"}
	CreateProjects    = Action{Verb: "create", Group: Group, Resource: "projects"}
	// ManageScaling is replacing an app's scaling windows (scaling by the clock).
	ManageScaling = Action{Verb: "update", Group: Group, Resource: "scaling"}
	// ReadPlatform is seeing every project at once (operators: filebeat inputs, the whole
	// audit trail).
	ReadPlatform = Action{Verb: "get", Group: Group, Resource: "platform"}
)

// Grant is one row of the action table.
type Grant struct {
	// Name is the action's name in GET …/access and the docs.
	Name   string `json:"name"`
	Action Action `json:"action"`
	Scope  Scope  `json:"scope"`
	// Roles are the project roles (and the pipeline runs' deployer role) that have it.
	// Cluster-scope actions belong to no project role: operators grant them with a
	// ClusterRoleBinding (cluster-admin has them already).
	Roles []string `json:"roles"`
	What  string   `json:"what"`
}

var (
	viewerUp    = []string{RoleViewer, RoleDeveloper, RoleAdmin}
	developerUp = []string{RoleDeveloper, RoleAdmin}
)

// Actions is the action table: every permission platform-api checks, in one place. Each
// capability adds its rows here; the project ClusterRoles, docs/security.md's table and
// GET …/access are derived from it, and the API's route table may only name actions in it.
var Actions = []Grant{
	{"listApps", ListApps, ScopeEnv, viewerUp, "see a project, its environments and apps"},
	{"readApps", ReadApps, ScopeEnv, viewerUp, "an app's status, revisions, history, manifests, pipeline and hook URL"},
	{"readMembers", ReadMembers, ScopeProject, viewerUp, "list a project's members"},
	{"readRuns", ReadRuns, ScopeEnv, viewerUp, "list and follow pipeline runs and templates"},
	{"deploy", Deploy, ScopeEnv, []string{RoleDeveloper, RoleAdmin, RoleDeployer}, "deploy a new revision"},
	{"setTraffic", SetTraffic, ScopeEnv, developerUp, "set the traffic split and header rules"},
	{"rollback", Rollback, ScopeEnv, developerUp, "send all traffic to an earlier revision"},
	{"deleteApps", DeleteApps, ScopeEnv, developerUp, "delete an app from an environment"},
	{"setPipeline", SetPipeline, ScopeEnv, developerUp, "set an app's pipeline"},
	{"rotateHook", RotateHook, ScopeEnv, developerUp, "make an app's Git hook or give it new credentials"},
	{"startRuns", StartRuns, ScopeEnv, developerUp, "start and retry pipeline runs"},
	{"cancelRuns", CancelRuns, ScopeEnv, developerUp, "stop pipeline runs"},
	{"approveRuns", ApproveRuns, ScopeEnv, developerUp, "pass a run's approval gate"},
	{"requestPromotions", RequestPromotions, ScopeEnv, []string{RoleDeveloper, RoleAdmin, RoleDeployer}, "ask for a release to be promoted into the environment"},
	{"approvePromotions", ApprovePromotions, ScopeEnv, developerUp, "approve or reject a promotion into the environment"},
	{"manageSchedules", ManageSchedules, ScopeEnv, developerUp, "set, pause, resume and remove an app's schedules"},
	{"breakGlass", BreakGlass, ScopeEnv, []string{RoleAdmin}, "skip a promotion's approvals and windows, or deploy straight into an environment reached only by promotion, giving a reason"},
	{"manageScaling", ManageScaling, ScopeEnv, developerUp, "set an app's scaling windows (its minimum pods by the clock)"},
	{"manageMembers", ManageMembers, ScopeProject, []string{RoleAdmin}, "grant roles in a project"},
	{"createProjects", CreateProjects, ScopeCluster, nil, "create a project"},
	{"readPlatform", ReadPlatform, ScopeCluster, nil, "every project's filebeat inputs and the whole audit trail"},
}

// Known reports whether a is in the action table.
func Known(a Action) bool {
	for _, g := range Actions {
		if g.Action == a {
			return true
		}
	}
	return false
}
