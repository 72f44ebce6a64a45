package schedules

import (
	"context"
	"net/http"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	sourcesv1 "knative.dev/eventing/pkg/apis/sources/v1"
	eventingclient "knative.dev/eventing/pkg/client/clientset/versioned"
	"knative.dev/pkg/apis"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"

	"github.com/slipway-dev/slipway/pkg/apierror"
	"github.com/slipway-dev/slipway/pkg/apps"
	"github.com/slipway-dev/slipway/pkg/environments"
	"github.com/slipway-dev/slipway/pkg/kube"
	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/records"
	"github.com/slipway-dev/slipway/pkg/revisions"
)

// State is where a schedule's PingSource is.
type State string

const (
	// StateReady: the PingSource is Ready (Eventing resolved the app as its sink).
	StateReady State = "ready"
	// StatePending: the PingSource is not there or not Ready yet (it is created once the
	// app is Ready); the message says which.
	StatePending State = "pending"
	// StateFailed: Eventing reports the PingSource not Ready; the message is Eventing's.
	StateFailed State = "failed"
	// StatePaused: enabled is false, so there is no PingSource.
	StatePaused State = "paused"
	// StateDenied: the environment's policy denies schedules now; none fires.
	StateDenied State = "denied"
	// StateUnknown: the PingSources could not be read.
	StateUnknown State = "unknown"
)

// ScheduleView is a schedule as the API shows it: its spec with the defaults filled in, its next
// fire times and its PingSource's state.
type ScheduleView struct {
	Name        string `json:"name"`
	Cron        string `json:"cron"`
	Timezone    string `json:"timezone"`
	Path        string `json:"path,omitempty"`
	ContentType string `json:"contentType,omitempty"`
	Data        string `json:"data,omitempty"`
	Enabled     bool   `json:"enabled"`
	// NextRuns are the next five fire times (RFC 3339, UTC); none while paused or denied.
	NextRuns []time.Time `json:"nextRuns"`
	State    State       `json:"state"`
	// Message says why a schedule is pending, failed or unknown.
	Message string `json:"message,omitempty"`
	// PingSource is the name of its PingSource in the app's namespace.
	PingSource string `json:"pingSource"`
}

// Result answers a read or a change: the schedules, their version (the HTTP layer's ETag:
// a change that names the version it read is refused once they changed), and for a change
// the audit trail's before and after.
type Result struct {
	Schedules     []ScheduleView
	Version       string
	Before, After string
}

// Service is the schedules of apps, over their records.
type Service struct {
	records  *records.Store
	eventing eventingclient.Interface
	now      func() time.Time
}

// New wires the service.
func New(store *records.Store, clients *kube.Clients) *Service {
	return &Service{records: store, eventing: clients.Eventing, now: time.Now}
}

// List is the app's schedules with their next runs and PingSources' states, and their version.
func (s *Service) List(ctx context.Context, t records.Target) (Result, error) {
	env, err := s.records.Resolve(t)
	if err != nil {
		return Result{}, err
	}
	svc, err := s.records.Service(t)
	if err != nil {
		return Result{}, err
	}
	raw := svc.Annotations[names.AnnoSchedules]
	set, err := Parse(raw)
	if err != nil {
		return Result{}, apierror.Conflict("the app's schedules annotation was edited by hand and cannot be read (%v); replace it with PUT …/schedules", err)
	}
	return Result{Schedules: s.views(ctx, env, svc, set), Version: records.Version(raw)}, nil
}

// Put replaces the app's schedules. A paused schedule keeps its spec; its PingSource goes.
// Where the environment denies schedules only an empty set is accepted (it clears them).
// When readVersions is not empty, the schedules must still be one of those versions (the
// caller's If-Match), checked on the Service being written.
func (s *Service) Put(ctx context.Context, t records.Target, set []Schedule, readVersions []string) (Result, error) {
	env, err := s.records.Resolve(t)
	if err != nil {
		return Result{}, err
	}
	if errs := Validate(set); len(errs) > 0 {
		return Result{}, apierror.Invalid(errs)
	}
	if !env.AllowsSchedules() && len(set) > 0 {
		return Result{}, apierror.Refused(http.StatusConflict, environments.RuleSchedulesDenied,
			"environment %q does not allow schedules (its policy is schedules: denied); an empty set may still be put to clear them", t.Env)
	}
	if _, err := s.records.Service(t); err != nil {
		return Result{}, err
	}
	var before string
	written, err := s.records.Update(ctx, t, func(current *servingv1.Service) (*servingv1.Service, error) {
		if current == nil {
			return nil, apierror.NotFound("app %q has been deleted from %q", t.App, t.Env)
		}
		app, err := revisions.AppFromService(current)
		if err != nil {
			return nil, err
		}
		if v := records.Version(current.Annotations[names.AnnoSchedules]); len(readVersions) > 0 && !slices.Contains(readVersions, v) {
			return nil, apierror.PreconditionFailed("the schedules of app %q in %q changed since they were read (they are now %s); read them again and reapply the change", t.App, t.Env, v)
		}
		before = Summary(current)
		app.Schedules = Format(set)
		return revisions.BuildService(app), nil
	})
	if err != nil {
		return Result{}, err
	}
	raw := written.Annotations[names.AnnoSchedules]
	stored, _ := Parse(raw) // just formatted
	return Result{Schedules: s.views(ctx, env, written, stored), Version: records.Version(raw), Before: before, After: Summary(written)}, nil
}

// Summary is the app's audit summary with its schedules.
func Summary(svc *servingv1.Service) string {
	set, err := Parse(svc.Annotations[names.AnnoSchedules])
	if err != nil {
		return apps.SummaryOf(svc) + "; unreadable schedules"
	}
	return apps.SummaryOf(svc) + "; " + Describe(set)
}

func (s *Service) views(ctx context.Context, env environments.Environment, svc *servingv1.Service, set []Schedule) []ScheduleView {
	sources, listErr := s.pingSources(ctx, svc)
	now := s.now()
	out := make([]ScheduleView, 0, len(set))
	for _, sc := range set {
		sc = sc.Normalize()
		v := ScheduleView{Name: sc.Name, Cron: sc.Cron, Timezone: sc.Timezone, Path: sc.Path, ContentType: sc.ContentType, Data: sc.Data,
			Enabled: sc.IsEnabled(), NextRuns: []time.Time{}, PingSource: names.PingSource(svc.Name, sc.Name)}
		switch {
		case !v.Enabled:
			v.State = StatePaused
		case !env.AllowsSchedules():
			v.State, v.Message = StateDenied, "the environment's policy is schedules: denied"
		default:
			v.NextRuns = sc.NextRuns(now, NextRunsCount)
			v.State, v.Message = pingState(sources[v.PingSource], listErr, ServiceReady(svc))
		}
		out = append(out, v)
	}
	return out
}

// pingSources are the app's PingSources by name, read live: the informer on them runs only
// on the leader, with the reconciler.
func (s *Service) pingSources(ctx context.Context, svc *servingv1.Service) (map[string]*sourcesv1.PingSource, error) {
	list, err := s.eventing.SourcesV1().PingSources(svc.Namespace).List(ctx, metav1.ListOptions{
		LabelSelector: names.LabelManagedBy + "=" + names.ManagedBy + "," + names.LabelApp + "=" + svc.Name})
	if err != nil {
		return nil, err
	}
	out := map[string]*sourcesv1.PingSource{}
	for i := range list.Items {
		out[list.Items[i].Name] = &list.Items[i]
	}
	return out, nil
}

func pingState(ps *sourcesv1.PingSource, listErr error, serviceReady bool) (State, string) {
	switch {
	case listErr != nil && apierrors.IsNotFound(listErr):
		return StateUnknown, "the cluster serves no PingSources (Knative Eventing is not installed)"
	case listErr != nil:
		return StateUnknown, "the PingSources could not be read"
	case ps == nil && !serviceReady:
		return StatePending, "waiting for the app to be Ready before its PingSource is created"
	case ps == nil:
		return StatePending, "the PingSource is being created"
	}
	c := ps.Status.GetCondition(apis.ConditionReady)
	switch {
	case c == nil:
		return StatePending, "Eventing has not reported on the PingSource yet"
	case c.IsTrue():
		return StateReady, ""
	case c.IsFalse():
		return StateFailed, c.Reason + ": " + c.Message
	}
	return StatePending, c.Message
}
