package reconciler

import (
	"strconv"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/serving/pkg/apis/autoscaling"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"

	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/scaling"
)

// Routed names the revisions that serve or carry a tag: the Service's pinned targets, and
// what its latest targets resolve to (Route status, else the latest Ready revision).
func Routed(svc *servingv1.Service) map[string]bool {
	out := map[string]bool{}
	latest := false
	for _, t := range svc.Spec.Traffic {
		if t.RevisionName != "" {
			out[t.RevisionName] = true
		}
		if t.LatestRevision != nil && *t.LatestRevision {
			latest = true
		}
	}
	for _, t := range svc.Status.Traffic {
		if t.RevisionName != "" {
			out[t.RevisionName] = true
		}
	}
	if latest && svc.Status.LatestReadyRevisionName != "" {
		out[svc.Status.LatestReadyRevisionName] = true
	}
	return out
}

// Own is the min-scale a Revision was created with ("" for none): recorded by Slipway once
// it first raised it, else the Revision's annotation as Knative copied it from the template.
func Own(rev *servingv1.Revision) (own string, recorded bool) {
	if v, ok := rev.Annotations[names.AnnoOwnMinScale]; ok {
		return v, true
	}
	return rev.Annotations[autoscaling.MinScaleAnnotationKey], false
}

func atoi(s string) int32 {
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil || n < 0 {
		return 0
	}
	return int32(n)
}

// WantMinScale is the min-scale annotation rev should carry at now ("" for none): the
// effective minimum of the windows while it is routed, its own otherwise. It stays within
// the Revision's max-scale, which Knative's webhook would otherwise refuse.
func WantMinScale(rev *servingv1.Revision, routed bool, windows []scaling.ScalingWindow, now time.Time) string {
	own, _ := Own(rev)
	if !routed || len(windows) == 0 {
		return own
	}
	eff := scaling.Effective(windows, atoi(own), now)
	if max := atoi(rev.Annotations[autoscaling.MaxScaleAnnotationKey]); max > 0 && eff > max {
		eff = max
	}
	if eff <= atoi(own) {
		return own
	}
	return strconv.Itoa(int(eff))
}

// Patch is the server-side apply body that gives rev the min-scale want: metadata only
// (a Revision's spec is immutable), with its own value recorded so it can be restored. It is
// nil when rev already carries exactly that, or was never raised and need not be.
func Patch(rev *servingv1.Revision, want string) *metav1.PartialObjectMetadata {
	own, recorded := Own(rev)
	have, has := rev.Annotations[autoscaling.MinScaleAnnotationKey]
	if !recorded && want == own {
		return nil
	}
	if recorded && ((want == "" && !has) || (want != "" && has && have == want)) {
		return nil
	}
	annotations := map[string]string{names.AnnoOwnMinScale: own}
	if want != "" {
		// Omitted when there is none: Slipway's field manager owns the key, so the apply
		// removes it and the revision is back to the cluster's default.
		annotations[autoscaling.MinScaleAnnotationKey] = want
	}
	return &metav1.PartialObjectMetadata{
		TypeMeta:   metav1.TypeMeta{APIVersion: servingv1.SchemeGroupVersion.String(), Kind: "Revision"},
		ObjectMeta: metav1.ObjectMeta{Name: rev.Name, Namespace: rev.Namespace, Annotations: annotations},
	}
}
