package apps

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"slices"

	"k8s.io/apimachinery/pkg/util/validation/field"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"

	"github.com/slipway-dev/slipway/pkg/apierror"
	"github.com/slipway-dev/slipway/pkg/revisions"
)

// TrafficResult answers a traffic change or rollback.
type TrafficResult struct {
	Traffic []revisions.Target `json:"traffic"`
	Rules   []revisions.Rule   `json:"rules,omitempty"`
	// Summary is the audit trail's "after": the Service as written.
	Summary string `json:"-"`
	// Version identifies the split and rules (the HTTP layer's ETag); a change that names
	// the version it read is refused once they have changed.
	Version string `json:"-"`
}

// trafficResult is the app's split and rules with their version.
func trafficResult(app revisions.App) TrafficResult {
	r := TrafficResult{Traffic: app.Traffic, Rules: app.Rules}
	body, _ := json.Marshal(r) // slices of plain structs: cannot fail
	sum := sha256.Sum256(body)
	r.Version = `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
	return r
}

// Traffic is the app's split and header rules as recorded, with their version.
func (p *Platform) Traffic(t Target) (TrafficResult, error) {
	if _, err := p.records.Resolve(t); err != nil {
		return TrafficResult{}, err
	}
	svc, err := p.records.Service(t)
	if err != nil {
		return TrafficResult{}, err
	}
	app, err := revisions.AppWithoutHistory(svc)
	if err != nil {
		return TrafficResult{}, err
	}
	return trafficResult(app), nil
}

// SetTraffic replaces the app's percentage split and header rules. When readVersions is not
// empty, the split and rules must still be one of those versions (the caller's If-Match):
// otherwise someone changed them since the caller read them, and the change is refused.
func (p *Platform) SetTraffic(ctx context.Context, user string, t Target, req revisions.TrafficRequest, readVersions []string) (TrafficResult, error) {
	return p.changeTraffic(ctx, t, func(app *revisions.App, known map[string]bool, _ *servingv1.Service) error {
		if current := trafficResult(*app).Version; len(readVersions) > 0 && !slices.Contains(readVersions, current) {
			return apierror.PreconditionFailed("the traffic of app %q in %q changed since it was read (it is now %s); read it again and reapply the change", t.App, t.Env, current)
		}
		if errs := req.Validate(known); len(errs) > 0 {
			return apierror.Invalid(errs)
		}
		app.Traffic, app.Rules = revisions.PlanTraffic(req)
		app.AppendHistory(revisions.HistoryEntry{Time: p.now().UTC(), User: user, Action: revisions.ActionTraffic,
			Message: req.Message, Traffic: app.Traffic}, p.historyLimit)
		return nil
	})
}

// Rollback sends all traffic to an earlier revision, which must be Ready.
func (p *Platform) Rollback(ctx context.Context, user string, t Target, req revisions.RollbackRequest) (TrafficResult, error) {
	return p.changeTraffic(ctx, t, func(app *revisions.App, known map[string]bool, current *servingv1.Service) error {
		if errs := req.Validate(known); len(errs) > 0 {
			return apierror.Invalid(errs)
		}
		rev, err := p.records.Revision(t, req.Revision)
		if err != nil || !isReady(rev.Status.GetCondition(servingv1.RevisionConditionReady)) {
			return apierror.Invalid(field.ErrorList{field.Invalid(field.NewPath("revision"), req.Revision, "revision is not Ready; only a Ready revision can take traffic")})
		}
		app.Traffic = revisions.PlanRollback(revisions.Resolve(app.Traffic, latestReady(current)), req.Revision)
		app.AppendHistory(revisions.HistoryEntry{Time: p.now().UTC(), User: user, Action: revisions.ActionRollback,
			Revision: req.Revision, Message: req.Message, Traffic: app.Traffic}, p.historyLimit)
		return nil
	})
}

func (p *Platform) changeTraffic(ctx context.Context, t Target, change func(app *revisions.App, known map[string]bool, current *servingv1.Service) error) (TrafficResult, error) {
	if _, err := p.records.Resolve(t); err != nil {
		return TrafficResult{}, err
	}
	if _, err := p.records.Service(t); err != nil {
		return TrafficResult{}, err
	}
	var result TrafficResult
	written, err := p.records.Update(ctx, t, func(current *servingv1.Service) (*servingv1.Service, error) {
		if current == nil {
			return nil, apierror.NotFound("app %q has been deleted from %q", t.App, t.Env)
		}
		app, err := revisions.AppFromService(current)
		if err != nil {
			return nil, err
		}
		known, err := p.records.KnownRevisions(t, current)
		if err != nil {
			return nil, err
		}
		if err := change(&app, known, current); err != nil {
			return nil, err
		}
		result = trafficResult(app)
		return revisions.BuildService(app), nil
	})
	if err == nil {
		result.Summary = SummaryOf(written)
	}
	return result, err
}
