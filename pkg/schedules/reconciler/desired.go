package reconciler

import (
	"sort"

	"k8s.io/apimachinery/pkg/api/equality"
	sourcesv1 "knative.dev/eventing/pkg/apis/sources/v1"
)

// Plan is what one reconcile writes: PingSources to create, to rewrite and to delete.
type Plan struct {
	Create, Update, Delete []*sourcesv1.PingSource
}

// plan compares the app's PingSources (have: those labelled as Slipway's and the app's)
// with those its schedules want. A missing one is created only once the Service is Ready
// (a PingSource made before its sink resolves stays stuck, knative/eventing#2994); one that
// exists is kept in shape whatever the Service's state, so a deploy in progress removes
// nothing. Each list is sorted by name.
func plan(have []*sourcesv1.PingSource, want map[string]*sourcesv1.PingSource, serviceReady bool) Plan {
	var p Plan
	existing := map[string]*sourcesv1.PingSource{}
	for _, ps := range have {
		existing[ps.Name] = ps
		if _, ok := want[ps.Name]; !ok {
			p.Delete = append(p.Delete, ps)
		}
	}
	for name, w := range want {
		h, ok := existing[name]
		switch {
		case !ok && serviceReady:
			p.Create = append(p.Create, w)
		case ok && !inShape(h, w):
			p.Update = append(p.Update, w)
		}
	}
	for _, l := range [][]*sourcesv1.PingSource{p.Create, p.Update, p.Delete} {
		sort.Slice(l, func(i, j int) bool { return l[i].Name < l[j].Name })
	}
	return p
}

// inShape compares what Slipway owns: the spec, its labels and the owner reference. Labels
// and annotations others add are theirs to keep.
func inShape(have, want *sourcesv1.PingSource) bool {
	if !equality.Semantic.DeepEqual(have.Spec, want.Spec) || !equality.Semantic.DeepEqual(have.OwnerReferences, want.OwnerReferences) {
		return false
	}
	for k, v := range want.Labels {
		if have.Labels[k] != v {
			return false
		}
	}
	return true
}
