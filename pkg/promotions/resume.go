package promotions

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/wait"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"

	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/records"
	"github.com/slipway-dev/slipway/pkg/revisions"
)

// Resume finishes, every interval until ctx ends, the promotions a stopped platform-api left
// deploying: the approval that moved one to deploying was written, its deploy may not have
// been. A promotion is left alone for grace after its last change (a live request may still
// be deploying it). One whose revision was written is marked deployed; one without deploys
// now. Only the leader runs it, so two replicas never resume the same promotion.
func (s *Promotions) Resume(ctx context.Context, interval, grace time.Duration) {
	wait.UntilWithContext(ctx, func(ctx context.Context) { s.resumeStuck(ctx, grace) }, interval)
}

func (s *Promotions) resumeStuck(ctx context.Context, grace time.Duration) {
	selector := labels.SelectorFromSet(labels.Set{names.LabelKind: names.KindPromotion, names.LabelPromotionState: string(StateDeploying)})
	cms, err := s.cache.ConfigMaps.ConfigMaps(s.store).List(selector)
	if err != nil {
		return
	}
	for _, cm := range cms {
		p, err := FromConfigMap(cm)
		if err != nil || s.now().Sub(p.UpdatedAt) < grace {
			continue
		}
		if err := s.finish(ctx, p); err != nil {
			s.log.Warn("resuming a promotion left deploying", "project", p.Project, "app", p.App, "promotion", p.ID, "err", err)
		} else {
			s.log.Info("resumed a promotion left deploying", "project", p.Project, "app", p.App, "promotion", p.ID)
		}
	}
}

// finish completes one promotion left deploying.
func (s *Promotions) finish(ctx context.Context, p Promotion) error {
	t := records.Target{Project: p.Project, App: p.App, Env: p.To}
	if name := s.deployedAs(t, p.ID); name != "" {
		_, err := s.update(ctx, p.Project, p.ID, func(current *Promotion) error {
			if current.State == StateDeploying {
				current.State, current.DeployedRevision, current.UpdatedAt = StateDeployed, name, s.now().UTC().Truncate(time.Second)
			}
			return nil
		})
		return err
	}
	release, err := s.apps.Release(ctx, p.Project, p.App, p.Release)
	if err != nil {
		_, err = s.fail(ctx, p, err)
		return err
	}
	_, err = s.deploy(ctx, p, p.decidedBy(), release)
	return err
}

// deployedAs is the revision the promotion wrote into t, if any: the Service's template
// (Knative may not have made its Revision yet) or one of t's Revisions.
func (s *Promotions) deployedAs(t records.Target, id string) string {
	candidates, _ := s.records.Revisions(t)
	if svc := s.records.CachedService(t); svc != nil {
		candidates = append(candidates, &servingv1.Revision{ObjectMeta: svc.Spec.Template.ObjectMeta, Spec: svc.Spec.Template.Spec})
	}
	for _, rev := range candidates {
		if from := revisions.TemplateFromRevision(rev).PromotedFrom; from != nil && from.Promotion == id && rev.Name != "" {
			return rev.Name
		}
	}
	return ""
}

// decidedBy is who made the promotion deploy: the break-glass, the last approval, or the
// requester when none was needed.
func (p Promotion) decidedBy() string {
	switch {
	case p.BreakGlass != nil:
		return p.BreakGlass.User
	case len(p.Approvals) > 0:
		return p.Approvals[len(p.Approvals)-1].User
	}
	return p.RequestedBy
}
