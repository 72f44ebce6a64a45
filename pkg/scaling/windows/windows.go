// Package windows is the domain of an app's scaling in one environment: its scaling windows
// (read with their state now; replaced on the app's record, its Knative Service, through
// records.Update; the scaling reconciler applies what they mean to the revisions), and
// Rescale, a deploy of the current spec with new knobs.
package windows

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	servingv1 "knative.dev/serving/pkg/apis/serving/v1"

	"github.com/slipway-dev/slipway/pkg/apierror"
	"github.com/slipway-dev/slipway/pkg/apps"
	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/records"
	"github.com/slipway-dev/slipway/pkg/revisions"
	"github.com/slipway-dev/slipway/pkg/scaling"
)

// Windows reads and writes apps' scaling windows.
type Windows struct {
	records  *records.Store
	deployer Deployer
	now      func() time.Time
}

// New wires the service; deployer makes Rescale's deploys.
func New(store *records.Store, deployer Deployer) *Windows {
	return &Windows{records: store, deployer: deployer, now: time.Now}
}

// ScalingView is an app's scaling by the clock now, and the Service as written (for the audit).
type ScalingView struct {
	scaling.ScalingState
	// Version is the windows' version (records.Version): the ETag, what If-Match takes.
	Version string `json:"-"`
	// Before and After are the audit trail's summaries of the app with its windows.
	Before, After string `json:"-"`
}

// Summary is the app's audit summary with its scaling windows.
func Summary(svc *servingv1.Service) string {
	ws, err := scaling.Parse(svc.Annotations[names.AnnoScalingSchedules])
	if err != nil {
		return apps.SummaryOf(svc) + "; unreadable scaling windows"
	}
	if len(ws) == 0 {
		return apps.SummaryOf(svc) + "; no scaling windows"
	}
	parts := make([]string, 0, len(ws))
	for _, w := range ws {
		until := "until " + w.End
		if w.Duration != "" {
			until = "for " + w.Duration
		}
		zone := w.Timezone
		if zone == "" {
			zone = "UTC"
		}
		parts = append(parts, fmt.Sprintf("%s (%s %s %s, min %d)", w.Name, w.Start, until, zone, w.MinScale))
	}
	return apps.SummaryOf(svc) + "; scaling windows: " + strings.Join(parts, ", ")
}

// Get is the app's windows with their state now, for its serving template's own min-scale.
func (w *Windows) Get(t records.Target) (ScalingView, error) {
	if _, err := w.records.Resolve(t); err != nil {
		return ScalingView{}, err
	}
	svc, err := w.records.Service(t)
	if err != nil {
		return ScalingView{}, err
	}
	return w.result(svc)
}

func (w *Windows) result(svc *servingv1.Service) (ScalingView, error) {
	app, err := revisions.AppWithoutHistory(svc)
	if err != nil {
		return ScalingView{}, err
	}
	ws, err := scaling.Parse(app.ScalingSchedules)
	if err != nil {
		return ScalingView{}, apierror.Conflict("the app's scaling windows annotation was edited by hand and cannot be read (%v); replace it with PUT …/scaling/schedules", err)
	}
	return ScalingView{ScalingState: scaling.At(ws, OwnMinScale(app.Template), w.now().UTC()),
		Version: records.Version(svc.Annotations[names.AnnoScalingSchedules])}, nil
}

// OwnMinScale is a template's own min-scale (0 for none).
func OwnMinScale(t revisions.Template) int32 {
	if t.MinScale == nil {
		return 0
	}
	return *t.MinScale
}

// Put replaces the app's windows (an empty list removes them all). When readVersions is not
// empty, the windows must still be one of those versions (If-Match), else 412.
func (w *Windows) Put(ctx context.Context, t records.Target, req scaling.SchedulesRequest, readVersions []string) (ScalingView, error) {
	env, err := w.records.Resolve(t)
	if err != nil {
		return ScalingView{}, err
	}
	svc, err := w.records.Service(t)
	if err != nil {
		return ScalingView{}, err
	}
	// Refused up front on the cached record: bad input costs no write.
	cached, err := revisions.AppWithoutHistory(svc)
	if err != nil {
		return ScalingView{}, err
	}
	if errs := req.Validate(scaling.Bounds{Env: env, AppMaxScale: cached.Template.MaxScale}); len(errs) > 0 {
		return ScalingView{}, apierror.Invalid(errs)
	}
	var before string
	written, err := w.records.Update(ctx, t, func(current *servingv1.Service) (*servingv1.Service, error) {
		if current == nil {
			return nil, apierror.NotFound("app %q has been deleted from %q", t.App, t.Env)
		}
		before = Summary(current)
		app, err := revisions.AppFromService(current)
		if err != nil {
			return nil, err
		}
		if v := records.Version(current.Annotations[names.AnnoScalingSchedules]); len(readVersions) > 0 && !slices.Contains(readVersions, v) {
			return nil, apierror.PreconditionFailed("the scaling windows of app %q in %q changed since they were read (they are now %s); read them again and reapply the change", t.App, t.Env, v)
		}
		// The app's maxScale as it is now, inside the write loop: a deploy in between is seen.
		if errs := req.Validate(scaling.Bounds{Env: env, AppMaxScale: app.Template.MaxScale}); len(errs) > 0 {
			return nil, apierror.Invalid(errs)
		}
		app.ScalingSchedules = scaling.Format(req.Windows)
		return revisions.BuildService(app), nil
	})
	if err != nil {
		return ScalingView{}, err
	}
	r, err := w.result(written)
	r.Before, r.After = before, Summary(written)
	return r, err
}
