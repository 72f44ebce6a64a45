package reconciler

import (
	"testing"

	sourcesv1 "knative.dev/eventing/pkg/apis/sources/v1"

	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/schedules"
)

var owner = schedules.Owner{Project: "demo", App: "hello", Env: "test", Namespace: "demo-test", UID: "uid-hello"}

func built(name, cron string) *sourcesv1.PingSource {
	return schedules.BuildPingSource(owner, schedules.Schedule{Name: name, Cron: cron})
}

func want(pss ...*sourcesv1.PingSource) map[string]*sourcesv1.PingSource {
	out := map[string]*sourcesv1.PingSource{}
	for _, ps := range pss {
		out[ps.Name] = ps
	}
	return out
}

func namesOf(pss []*sourcesv1.PingSource) []string {
	var out []string
	for _, ps := range pss {
		out = append(out, ps.Name)
	}
	return out
}

func TestPlan(t *testing.T) {
	a, b := built("a", "0 * * * *"), built("b", "0 2 * * *")
	edited := func(edit func(ps *sourcesv1.PingSource)) *sourcesv1.PingSource {
		ps := built("a", "0 * * * *")
		edit(ps)
		return ps
	}
	cases := []struct {
		name                   string
		have                   []*sourcesv1.PingSource
		want                   map[string]*sourcesv1.PingSource
		ready                  bool
		create, update, delete []string
	}{
		{"in shape", []*sourcesv1.PingSource{a, b}, want(a, b), true, nil, nil, nil},
		{"missing, Service Ready: created", []*sourcesv1.PingSource{a}, want(a, b), true, []string{"hello.b"}, nil, nil},
		{"missing, Service not Ready: waits", nil, want(a, b), false, nil, nil, nil},
		{"existing kept while the Service is not Ready", []*sourcesv1.PingSource{a}, want(a), false, nil, nil, nil},
		{"paused or removed: deleted", []*sourcesv1.PingSource{a, b}, want(a), true, nil, nil, []string{"hello.b"}},
		{"none wanted (denied): all deleted", []*sourcesv1.PingSource{a, b}, want(), false, nil, nil, []string{"hello.a", "hello.b"}},
		{"cron edited by hand", []*sourcesv1.PingSource{edited(func(ps *sourcesv1.PingSource) { ps.Spec.Schedule = "* * * * *" })}, want(a), true, nil, []string{"hello.a"}, nil},
		{"sink edited", []*sourcesv1.PingSource{edited(func(ps *sourcesv1.PingSource) { ps.Spec.Sink.Ref.Name = "other" })}, want(a), true, nil, []string{"hello.a"}, nil},
		{"our label edited", []*sourcesv1.PingSource{edited(func(ps *sourcesv1.PingSource) { ps.Labels[names.LabelSchedule] = "x" })}, want(a), true, nil, []string{"hello.a"}, nil},
		{"owner dropped", []*sourcesv1.PingSource{edited(func(ps *sourcesv1.PingSource) { ps.OwnerReferences = nil })}, want(a), true, nil, []string{"hello.a"}, nil},
		{"others' labels, annotations and status are theirs", []*sourcesv1.PingSource{edited(func(ps *sourcesv1.PingSource) {
			ps.Labels["team"] = "web"
			ps.Annotations = map[string]string{"note": "x"}
			ps.Status.ObservedGeneration = 3
		})}, want(a), true, nil, nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := plan(tc.have, tc.want, tc.ready)
			for _, c := range []struct {
				what      string
				got, want []string
			}{{"create", namesOf(p.Create), tc.create}, {"update", namesOf(p.Update), tc.update}, {"delete", namesOf(p.Delete), tc.delete}} {
				if len(c.got) != len(c.want) || (len(c.got) > 0 && !equal(c.got, c.want)) {
					t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
				}
			}
		})
	}
}

func equal(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
