package reconciler

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"knative.dev/serving/pkg/apis/autoscaling"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"

	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/scaling"
)

var now = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)

// open is a window open at now; closed one that is not.
var (
	open   = scaling.ScalingWindow{Name: "open", Start: "0 9 * * *", Duration: "2h", MinScale: 3}
	closed = scaling.ScalingWindow{Name: "closed", Start: "0 20 * * *", Duration: "1h", MinScale: 5}
)

func rev(annotations ...string) *servingv1.Revision {
	r := &servingv1.Revision{ObjectMeta: metav1.ObjectMeta{Name: "web-00001", Namespace: "shop-test", Annotations: map[string]string{}}}
	for i := 0; i+1 < len(annotations); i += 2 {
		r.Annotations[annotations[i]] = annotations[i+1]
	}
	return r
}

const minKey, maxKey, ownKey = autoscaling.MinScaleAnnotationKey, autoscaling.MaxScaleAnnotationKey, names.AnnoOwnMinScale

func patch(annotations ...string) *metav1.PartialObjectMetadata {
	p := &metav1.PartialObjectMetadata{
		TypeMeta:   metav1.TypeMeta{APIVersion: "serving.knative.dev/v1", Kind: "Revision"},
		ObjectMeta: metav1.ObjectMeta{Name: "web-00001", Namespace: "shop-test", Annotations: map[string]string{}},
	}
	for i := 0; i+1 < len(annotations); i += 2 {
		p.Annotations[annotations[i]] = annotations[i+1]
	}
	return p
}

func TestDesired(t *testing.T) {
	cases := []struct {
		name     string
		rev      *servingv1.Revision
		routed   bool
		windows  []scaling.ScalingWindow
		want     string
		wantBody *metav1.PartialObjectMetadata
	}{
		{"no windows, never raised: nothing to do", rev(minKey, "1"), true, nil, "1", nil},
		{"closed window: nothing to do", rev(), true, []scaling.ScalingWindow{closed}, "", nil},
		{"open window raises, recording the own (none)", rev(), true, []scaling.ScalingWindow{open, closed}, "3",
			patch(minKey, "3", ownKey, "")},
		{"open window raises, recording the own 1", rev(minKey, "1"), true, []scaling.ScalingWindow{open}, "3",
			patch(minKey, "3", ownKey, "1")},
		{"already raised: nothing to do", rev(minKey, "3", ownKey, "1"), true, []scaling.ScalingWindow{open}, "3", nil},
		{"own above the window: nothing to do", rev(minKey, "4"), true, []scaling.ScalingWindow{open}, "4", nil},
		{"never above the revision's max-scale", rev(maxKey, "2"), true, []scaling.ScalingWindow{open}, "2",
			patch(minKey, "2", ownKey, "")},
		{"not routed: not raised", rev(), false, []scaling.ScalingWindow{open}, "", nil},
		{"window closed: the own 1 comes back", rev(minKey, "3", ownKey, "1"), true, []scaling.ScalingWindow{closed}, "1",
			patch(minKey, "1", ownKey, "1")},
		{"window closed: no own, the annotation goes", rev(minKey, "3", ownKey, ""), true, nil, "",
			patch(ownKey, "")},
		{"no longer routed: restored", rev(minKey, "3", ownKey, "0"), false, []scaling.ScalingWindow{open}, "0",
			patch(minKey, "0", ownKey, "0")},
		{"restored already: nothing to do", rev(ownKey, ""), true, nil, "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := WantMinScale(tc.rev, tc.routed, tc.windows, now)
			if got != tc.want {
				t.Errorf("WantMinScale = %q, want %q", got, tc.want)
			}
			if diff := cmp.Diff(tc.wantBody, Patch(tc.rev, got)); diff != "" {
				t.Errorf("Patch (-want,+got):\n%s", diff)
			}
		})
	}
}

func TestRouted(t *testing.T) {
	svc := &servingv1.Service{
		Spec: servingv1.ServiceSpec{RouteSpec: servingv1.RouteSpec{Traffic: []servingv1.TrafficTarget{
			{RevisionName: "web-00001", Percent: ptr.To[int64](90)},
			{RevisionName: "web-00002", Tag: "next", Percent: ptr.To[int64](0)},
			{LatestRevision: ptr.To(true), Percent: ptr.To[int64](10)},
		}}},
		Status: servingv1.ServiceStatus{ConfigurationStatusFields: servingv1.ConfigurationStatusFields{LatestReadyRevisionName: "web-00003"}},
	}
	want := map[string]bool{"web-00001": true, "web-00002": true, "web-00003": true}
	if diff := cmp.Diff(want, Routed(svc)); diff != "" {
		t.Errorf("Routed (-want,+got):\n%s", diff)
	}
}
