package apps

import (
	"context"
	"net/http"

	"k8s.io/apimachinery/pkg/util/validation/field"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"

	"github.com/slipway-dev/slipway/pkg/apierror"
	"github.com/slipway-dev/slipway/pkg/domains"
	"github.com/slipway-dev/slipway/pkg/environments"
	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/releases"
	"github.com/slipway-dev/slipway/pkg/revisions"
)

// DeployResult answers a deploy.
type DeployResult struct {
	Revision string `json:"revision"`
	Image    string `json:"image"`
	// Release names the release the revision runs (GET …/apps/{app}/releases).
	Release string             `json:"release"`
	Traffic []revisions.Target `json:"traffic"`
	Rules   []revisions.Rule   `json:"rules,omitempty"`
	// Summary is the audit trail's "after": the Service as written.
	Summary string `json:"-"`
}

// Promoted is what a promotion's deploy records: the release it runs and where it came from.
type Promoted struct {
	From    revisions.PromotedFrom
	Release releases.Release
	// BreakGlass is the reason policy was skipped, if it was.
	BreakGlass string
}

// Deploy creates the app's next revision and moves traffic by the request's strategy. Into
// an environment reached only by promotion it needs the request's breakGlass (the caller's
// right to it is the HTTP layer's check).
func (p *Platform) Deploy(ctx context.Context, user string, t Target, req revisions.DeployRequest) (DeployResult, error) {
	return p.deploy(ctx, user, t, req, nil)
}

// Promote deploys a promotion's release into t: req is the release's deploy there.
func (p *Platform) Promote(ctx context.Context, user string, t Target, req revisions.DeployRequest, promoted Promoted) (DeployResult, error) {
	return p.deploy(ctx, user, t, req, &promoted)
}

func (p *Platform) deploy(ctx context.Context, user string, t Target, req revisions.DeployRequest, promoted *Promoted) (DeployResult, error) {
	env, err := p.records.Resolve(t)
	if err != nil {
		return DeployResult{}, err
	}
	if errs := req.Validate(env); len(errs) > 0 {
		return DeployResult{}, apierror.Invalid(errs)
	}
	if env.PromotionOnly() && promoted == nil && req.BreakGlass == nil {
		return DeployResult{}, apierror.Refused(http.StatusConflict, environments.RulePromotionRequired,
			"environment %q is reached only by promotion: promote a release into it (POST …/apps/%s/promotions), or deploy with breakGlass", t.Env, t.App)
	}
	current := p.records.CachedService(t)
	var currentScheme domains.Scheme
	if current != nil {
		currentScheme = domains.Scheme(current.Labels[names.LabelDomainScheme])
	}
	var source *revisions.Source
	if req.PipelineRun != "" {
		if p.source == nil {
			return DeployResult{}, apierror.Conflict("pipelines are not configured on this platform (pipelines.platformURL)")
		}
		if source, err = p.source(ctx, t, req.PipelineRun); err != nil {
			return DeployResult{}, err
		}
	}
	scheme := req.SchemeFor(currentScheme)
	if scheme == domains.SchemeShort {
		if err := p.claims.Claim(ctx, t.App, t.Namespace()); err != nil {
			return DeployResult{}, err
		}
	}
	// The release is kept before the Service names it, once per deploy (not per retry of
	// the write below). It is what the request asked for: without the environment's
	// overlays and scale floor, so the same request is the same release everywhere.
	var release releases.Release
	if promoted != nil {
		release = promoted.Release
	} else {
		asked := req.TemplateFor(environments.Environment{Name: env.Name}, "", user, p.now)
		asked.Source = source
		release = releases.FromTemplate(t.Project, t.App, env, asked, "", p.now())
		if err := p.RecordRelease(ctx, release); err != nil {
			return DeployResult{}, err
		}
	}
	var result DeployResult
	written, err := p.records.Update(ctx, t, func(current *servingv1.Service) (*servingv1.Service, error) {
		app := revisions.App{Project: t.Project, Name: t.App, Env: t.Env, Namespace: t.Namespace()}
		var serving []revisions.Target
		if current != nil {
			if app, err = revisions.AppFromService(current); err != nil {
				return nil, err
			}
			serving = revisions.Resolve(app.Traffic, latestReady(current))
		}
		known, err := p.records.KnownRevisions(t, current)
		if err != nil {
			return nil, err
		}
		names := make([]string, 0, len(known))
		for n := range known {
			names = append(names, n)
		}
		rev := revisions.NextRevisionName(t.App, names)
		if err := p.servingExists(t, serving, req.Strategy); err != nil {
			return nil, err
		}
		if req.Strategy != nil && req.Strategy.Type == revisions.StrategyHeader && req.Strategy.Tag != "" {
			for _, tt := range app.Traffic {
				if tt.Tag == req.Strategy.Tag {
					return nil, apierror.Invalid(field.ErrorList{field.Duplicate(field.NewPath("strategy", "tag"), req.Strategy.Tag)})
				}
			}
		}
		app.Template, app.StoredTemplate = req.TemplateFor(env, rev, user, p.now), nil
		app.Template.Source = source
		entry := revisions.HistoryEntry{Time: app.Template.DeployedAt, User: user, Action: revisions.ActionDeploy,
			Revision: rev, Image: app.Template.Image, Message: req.Message, Source: source}
		if promoted != nil {
			app.Template.PromotedFrom, app.Template.BreakGlass = &promoted.From, promoted.BreakGlass
			entry.Action, entry.PromotedFrom, entry.BreakGlass = revisions.ActionPromoted, &promoted.From, promoted.BreakGlass
		} else if req.BreakGlass != nil {
			app.Template.BreakGlass, entry.BreakGlass = req.BreakGlass.Reason, req.BreakGlass.Reason
		}
		app.Template.Release, entry.Release = release.Name, release.Name
		app.Scheme = req.SchemeFor(app.Scheme)
		app.Traffic, app.Rules = revisions.PlanDeploy(serving, app.Rules, rev, req.Strategy)
		entry.Traffic = app.Traffic
		app.AppendHistory(entry, p.historyLimit)
		result = DeployResult{Revision: rev, Image: app.Template.Image, Release: release.Name, Traffic: app.Traffic, Rules: app.Rules}
		return revisions.BuildService(app), nil
	})
	if err == nil {
		result.Summary = SummaryOf(written)
	}
	if err == nil && currentScheme == domains.SchemeShort && scheme != domains.SchemeShort {
		err = p.claims.Release(ctx, t.App, t.Namespace())
	}
	return result, err
}

// servingExists refuses a canary or header deploy while a revision that would keep traffic
// does not exist: Knative creates only the latest template's revision, so one superseded by a
// quick second deploy never appears, and traffic pinned to it would leave the Route broken.
func (p *Platform) servingExists(t Target, serving []revisions.Target, s *revisions.Strategy) error {
	if s == nil || s.Type == "" || s.Type == revisions.StrategyReplace {
		return nil
	}
	for _, tt := range serving {
		if tt.Percent == 0 || tt.Revision == "" {
			continue
		}
		if _, err := p.records.Revision(t, tt.Revision); err != nil {
			return apierror.Conflict("revision %q, which would keep %d%% of the traffic, does not exist yet; wait until it is Ready (GET …/revisions) or deploy with strategy replace", tt.Revision, tt.Percent)
		}
	}
	return nil
}
