package api

import (
	"context"

	"github.com/slipway-dev/slipway/pkg/apps"
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

// The domain services the handlers call, one interface per capability: *projects.Projects,
// *apps.Platform and *runs.Runs in production (wired by package server).

// Projects are teams' groups of apps, their members and the log collector's inputs.
type Projects interface {
	Environments() environments.List
	List() ([]projects.Project, error)
	// Get is a 404 for a project that does not exist.
	Get(project string) (projects.Project, error)
	Create(ctx context.Context, req projects.CreateRequest, creator identity.User) (projects.Project, error)
	AddMember(ctx context.Context, project string, req projects.MemberRequest) (identity.Member, error)
	ListMembers(ctx context.Context, project string) ([]identity.Member, error)
	FilebeatInputs() ([]byte, error)
}

// Apps is an app's lifecycle in an environment.
type Apps interface {
	Deploy(ctx context.Context, user string, t records.Target, req revisions.DeployRequest) (apps.DeployResult, error)
	GetApp(t records.Target) (apps.AppStatus, error)
	ListApps(project string) ([]apps.AppSummary, error)
	DeleteApp(ctx context.Context, t records.Target) error
	ListRevisions(t records.Target) ([]apps.Revision, error)
	GetRevision(t records.Target, name string) (apps.Revision, error)
	Traffic(t records.Target) (apps.TrafficResult, error)
	SetTraffic(ctx context.Context, user string, t records.Target, req revisions.TrafficRequest, readVersions []string) (apps.TrafficResult, error)
	Rollback(ctx context.Context, user string, t records.Target, req revisions.RollbackRequest) (apps.TrafficResult, error)
	History(t records.Target) ([]revisions.HistoryEntry, error)
	Manifests(t records.Target) ([]byte, error)
	// Summary describes the app's state in one line for the audit trail.
	Summary(t records.Target) string
	ListReleases(project, app string) ([]apps.ReleaseView, error)
}

// Promotions move releases along the promotion path.
type Promotions interface {
	Create(ctx context.Context, u identity.User, project, app string, req promotions.Request) (promotions.Promotion, error)
	List(project, app string, state promotions.State) ([]promotions.Promotion, error)
	Get(ctx context.Context, project, app, id string) (promotions.Promotion, error)
	Approve(ctx context.Context, u identity.User, project, app, id string, req promotions.DecisionRequest) (promotions.Promotion, error)
	Reject(ctx context.Context, u identity.User, project, app, id string, req promotions.DecisionRequest) (promotions.Promotion, error)
	Diff(project, app, from, to string) (promotions.Diff, error)
	Path() environments.Promotion
}

// Scaling is apps' scaling windows (scaling by the clock).
type Scaling interface {
	Get(t records.Target) (windows.ScalingView, error)
	Put(ctx context.Context, t records.Target, req scaling.SchedulesRequest, readVersions []string) (windows.ScalingView, error)
	Rescale(ctx context.Context, user string, t records.Target, req revisions.ScaleRequest) (apps.DeployResult, error)
}

// Runs are apps' pipelines and their runs.
type Runs interface {
	ListTemplates(ctx context.Context, project string, envs []string) ([]runs.Template, error)
	GetPipeline(ctx context.Context, t records.Target) (pipelines.Pipeline, error)
	PutPipeline(ctx context.Context, t records.Target, pl pipelines.Pipeline) (pipelines.Pipeline, error)
	List(ctx context.Context, t records.Target) ([]pipelines.Run, error)
	Start(ctx context.Context, user string, t records.Target, req pipelines.RunRequest) (pipelines.Run, error)
	Get(ctx context.Context, t records.Target, name string) (pipelines.Run, error)
	Stream(ctx context.Context, t records.Target, name string, emit func(runs.Event) error) error
	Cancel(ctx context.Context, t records.Target, name string) (pipelines.Run, error)
	Retry(ctx context.Context, user string, t records.Target, name string) (pipelines.Run, error)
	Approve(ctx context.Context, user string, t records.Target, name string) (pipelines.Run, error)
	// AdmitPromotion is the runs' identity's admission to a promotion request: a 403
	// unless the app's pipeline in from promotes to to and a run of it there is running.
	AdmitPromotion(ctx context.Context, project, app, from, to string) error
}

// Schedules are apps' scheduled triggers (PingSources).
type Schedules interface {
	List(ctx context.Context, t records.Target) (schedules.Result, error)
	Put(ctx context.Context, t records.Target, set []schedules.Schedule, readVersions []string) (schedules.Result, error)
}

// Hooks are apps' Git hooks: their credentials and the deliveries they start runs for.
type Hooks interface {
	GetHook(ctx context.Context, t records.Target) (runs.Hook, error)
	RotateHook(ctx context.Context, t records.Target) (runs.Hook, error)
	HookKnown(id string) bool
	LookupHook(id string) (runs.DeliveryHook, error)
	Deliver(ctx context.Context, h runs.DeliveryHook, push pipelines.Push) (pipelines.Run, error)
}

var (
	_ Projects   = (*projects.Projects)(nil)
	_ Apps       = (*apps.Platform)(nil)
	_ Runs       = (*runs.Runs)(nil)
	_ Hooks      = (*runs.Runs)(nil)
	_ Promotions = (*promotions.Promotions)(nil)
	_ Schedules  = (*schedules.Service)(nil)
)
