// Package reconciler applies apps' scaling windows to their revisions: the effective minimum
// (pkg/scaling) becomes the autoscaling.knative.dev/min-scale annotation of every routed or
// tagged Revision, and the Revision's own value comes back when no window is open. Knative
// v0.50's revision reconciler copies a Revision's autoscaling annotations onto its
// PodAutoscaler (and reverts a PodAutoscaler edited directly), so the Revision's metadata is
// the one place to change a running revision's minimum without minting a new revision.
package reconciler

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"knative.dev/serving/pkg/apis/autoscaling"
	"knative.dev/serving/pkg/apis/serving"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	servinglisters "knative.dev/serving/pkg/client/listers/serving/v1"

	"github.com/slipway-dev/slipway/pkg/audit"
	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/scaling"
)

// ActionScaleRevision names the reconciler's changes in the audit trail.
const ActionScaleRevision = "scale-revision"

// Auditor records a change (audit.Store).
type Auditor interface {
	Write(ctx context.Context, r audit.Record)
}

// Reconciler diffs and writes; what to write comes from WantMinScale and Patch.
type Reconciler struct {
	Services  servinglisters.ServiceLister
	Revisions servinglisters.RevisionLister
	Apply     func(ctx context.Context, o *RevisionPatch) error
	Audit     Auditor
	Log       *slog.Logger
	Now       func() time.Time
}

// RevisionPatch is one Revision's patch, as Patch builds it.
type RevisionPatch = metav1.PartialObjectMetadata

// resync bounds the wait before an app is looked at again without any event: a Revision
// annotation edited by hand is put back within it.
const resync = 5 * time.Minute

// Reconcile brings one app's revisions' min-scale in line with its windows now, and says
// when to look again (the next boundary of a window, at most resync away).
func (r *Reconciler) Reconcile(ctx context.Context, namespace, name string) (time.Duration, error) {
	svc, err := r.Services.Services(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return 0, nil // its Revisions go with it
	}
	if err != nil {
		return 0, err
	}
	if svc.Labels[names.LabelManagedBy] != names.ManagedBy {
		return 0, nil
	}
	windows, err := scaling.Parse(svc.Annotations[names.AnnoScalingSchedules])
	if err != nil {
		// Written only by the API after validation: a hand edit. Revisions get their own.
		r.Log.Warn("unreadable scaling windows; restoring revisions' own min-scale", "namespace", namespace, "app", name, "err", err)
		windows = nil
	}
	now := r.Now().UTC()
	revs, err := r.Revisions.Revisions(namespace).List(labels.SelectorFromSet(labels.Set{serving.ServiceLabelKey: name}))
	if err != nil {
		return 0, err
	}
	routed := Routed(svc)
	var errs []string
	for _, rev := range revs {
		want := WantMinScale(rev, routed[rev.Name], windows, now)
		p := Patch(rev, want)
		if p == nil {
			continue
		}
		have := rev.Annotations[autoscaling.MinScaleAnnotationKey]
		if err := r.Apply(ctx, p); err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", rev.Name, err))
			continue
		}
		r.Log.Info("revision min-scale set", "namespace", namespace, "revision", rev.Name, "from", have, "to", want)
		r.audit(ctx, svc, rev, have, want, windows, now)
	}
	if len(errs) > 0 {
		return 0, fmt.Errorf("applying min-scale: %s", strings.Join(errs, "; "))
	}
	after := resync
	if st := scaling.At(windows, 0, now); st.Next != nil {
		// A moment past the boundary, so the window has opened or closed when it runs.
		if d := st.Next.At.Sub(now) + time.Second; d < after {
			after = d
		}
	}
	return after, nil
}

func (r *Reconciler) audit(ctx context.Context, svc *servingv1.Service, rev *servingv1.Revision, have, want string, windows []scaling.ScalingWindow, now time.Time) {
	if r.Audit == nil {
		return
	}
	describe := func(v string) string {
		if v == "" {
			return "min-scale none"
		}
		return "min-scale " + v
	}
	after := describe(want)
	if own, _ := Own(rev); want == own {
		after += " (its own: no window open)"
	} else {
		var open []string
		for _, w := range scaling.At(windows, 0, now).Windows {
			if w.Active {
				open = append(open, w.Name)
			}
		}
		after += " (windows " + strings.Join(open, ", ") + ")"
	}
	r.Audit.Write(ctx, audit.Record{
		ID: fmt.Sprintf("scaling-%s-%d", rev.Name, now.UnixNano()), Time: now, User: names.ScalingActor, Action: ActionScaleRevision,
		Method: "APPLY", Path: fmt.Sprintf("/apis/serving.knative.dev/v1/namespaces/%s/revisions/%s", rev.Namespace, rev.Name),
		Project: svc.Labels[names.LabelProject], App: svc.Name, Env: svc.Labels[names.LabelEnv],
		Before: rev.Name + ": " + describe(have), After: rev.Name + ": " + after, Status: 200, Result: audit.ResultOK,
	})
}
