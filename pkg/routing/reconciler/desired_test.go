package reconciler

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/slipway-dev/slipway/pkg/domains"
	"github.com/slipway-dev/slipway/pkg/revisions"
	"github.com/slipway-dev/slipway/pkg/routing"
)

var testDomains = domains.Domains{Cluster: "dev", Base: "corp.test", Default: "apps.test"}

func beta(header string) revisions.Match {
	return revisions.Match{Headers: map[string]revisions.StringMatch{header: {Exact: "beta"}}}
}

func TestInput(t *testing.T) {
	base := revisions.App{Project: "shop", Name: "web", Env: "test", Namespace: "shop-test",
		Template: revisions.Template{RevisionName: "web-00003", Image: "dev.local/shop/web:v3"}}
	owner := func(scheme domains.Scheme) routing.Input {
		return routing.Input{App: "web", Namespace: "shop-test", Owner: metav1.OwnerReference{
			APIVersion: "serving.knative.dev/v1", Kind: "Service", Name: "web", UID: types.UID("uid-1"),
			Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true)}}
	}
	cases := []struct {
		name   string
		scheme domains.Scheme
		app    func(a *revisions.App)
		want   func(in *routing.Input)
	}{{
		name: "rule to a tagged revision, default scheme",
		app: func(a *revisions.App) {
			a.Traffic = []revisions.Target{{Revision: "web-00001", Percent: 100}, {Revision: "web-00002", Tag: "r00002"}}
			a.Rules = []revisions.Rule{{Match: beta("x-user-group"), Revision: "web-00002"}}
		},
		want: func(in *routing.Input) {
			in.AppHosts = []string{"web.shop-test.apps.test"}
			in.DefaultInternalHost = "web.shop-test.svc.cluster.local"
			in.Tags = []routing.TagRoute{{Tag: "r00002", ExternalHost: "r00002-web.shop-test.apps.test", InternalHost: "r00002-web.shop-test.svc.cluster.local"}}
			in.Rules = []routing.RuleRoute{{Match: beta("x-user-group"), InternalHost: "r00002-web.shop-test.svc.cluster.local"}}
		},
	}, {
		name:   "short scheme drops the namespace from external hosts only",
		scheme: domains.SchemeShort,
		app: func(a *revisions.App) {
			a.Traffic = []revisions.Target{{Revision: "web-00001", Percent: 100}, {Revision: "web-00002", Tag: "lane"}}
			a.Rules = []revisions.Rule{{Match: beta("x-lane"), Revision: "web-00002"}}
		},
		want: func(in *routing.Input) {
			in.AppHosts = []string{"web.sls-dev.corp.test"}
			in.DefaultInternalHost = "web.shop-test.svc.cluster.local"
			in.Tags = []routing.TagRoute{{Tag: "lane", ExternalHost: "lane-web.sls-dev.corp.test", InternalHost: "lane-web.shop-test.svc.cluster.local"}}
			in.Rules = []routing.RuleRoute{{Match: beta("x-lane"), InternalHost: "lane-web.shop-test.svc.cluster.local"}}
		},
	}, {
		name: "a rule whose revision lost its tag is skipped, the first tag of a revision wins",
		app: func(a *revisions.App) {
			a.Traffic = []revisions.Target{{Revision: "web-00001", Percent: 100, Tag: "stable"}, {Revision: "web-00001", Tag: "also"}}
			a.Rules = []revisions.Rule{{Match: beta("x-a"), Revision: "web-00009"}, {Match: beta("x-b"), Revision: "web-00001"}}
		},
		want: func(in *routing.Input) {
			in.AppHosts = []string{"web.shop-test.apps.test"}
			in.DefaultInternalHost = "web.shop-test.svc.cluster.local"
			in.Tags = []routing.TagRoute{
				{Tag: "stable", ExternalHost: "stable-web.shop-test.apps.test", InternalHost: "stable-web.shop-test.svc.cluster.local"},
				{Tag: "also", ExternalHost: "also-web.shop-test.apps.test", InternalHost: "also-web.shop-test.svc.cluster.local"},
			}
			in.Rules = []routing.RuleRoute{{Match: beta("x-b"), InternalHost: "stable-web.shop-test.svc.cluster.local"}}
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := base
			a.Scheme = tc.scheme
			tc.app(&a)
			svc := revisions.BuildService(a)
			svc.UID = "uid-1"
			want := owner(tc.scheme)
			tc.want(&want)
			if d := cmp.Diff(want, Input(a, svc, testDomains)); d != "" {
				t.Errorf("Input (-want,+got):\n%s", d)
			}
		})
	}
}
