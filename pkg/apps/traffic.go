package apps

import (
	"context"

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
}

// SetTraffic replaces the app's percentage split and header rules.
func (p *Platform) SetTraffic(ctx context.Context, user string, t Target, req revisions.TrafficRequest) (TrafficResult, error) {
	return p.changeTraffic(ctx, t, func(app *revisions.App, known map[string]bool, _ *servingv1.Service) error {
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
		result = TrafficResult{Traffic: app.Traffic, Rules: app.Rules}
		return revisions.BuildService(app), nil
	})
	if err == nil {
		result.Summary = SummaryOf(written)
	}
	return result, err
}
