package reconciler

import (
	"testing"

	istionetworkingv1 "istio.io/client-go/pkg/apis/networking/v1"

	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/revisions"
	"github.com/slipway-dev/slipway/pkg/routing"
)

func TestInShape(t *testing.T) {
	app := revisions.App{Project: "shop", Name: "web", Env: "test", Namespace: "shop-test",
		Template: revisions.Template{RevisionName: "web-00002", Image: "dev.local/shop/web:v2"},
		Traffic:  []revisions.Target{{Revision: "web-00001", Percent: 100}, {Revision: "web-00002", Tag: "r00002"}},
		Rules:    []revisions.Rule{{Match: beta("x-user-group"), Revision: "web-00002"}}}
	svc := revisions.BuildService(app)
	svc.UID = "uid-1"
	cfg := routing.Config{IngressGateway: "knative-serving/knative-ingress-gateway", LocalGatewayHost: "knative-local-gateway.istio-system.svc.cluster.local"}
	want := routing.Build(Input(app, svc, testDomains), cfg)

	cases := []struct {
		name string
		edit func(vs *istionetworkingv1.VirtualService)
		ok   bool
	}{
		{"identical", func(*istionetworkingv1.VirtualService) {}, true},
		{"labels and annotations added by others are theirs", func(vs *istionetworkingv1.VirtualService) {
			vs.Labels["team"] = "web"
			vs.Annotations = map[string]string{"note": "x"}
		}, true},
		{"rewrite edited", func(vs *istionetworkingv1.VirtualService) { vs.Spec.Http[1].Rewrite.Authority = "evil.internal" }, false},
		{"route removed", func(vs *istionetworkingv1.VirtualService) { vs.Spec.Http = vs.Spec.Http[1:] }, false},
		{"gateway changed", func(vs *istionetworkingv1.VirtualService) { vs.Spec.Gateways = []string{"istio-system/other"} }, false},
		{"our label changed", func(vs *istionetworkingv1.VirtualService) { vs.Labels[names.LabelApp] = "other" }, false},
		{"owner dropped", func(vs *istionetworkingv1.VirtualService) { vs.OwnerReferences = nil }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			have := routing.Build(Input(app, svc, testDomains), cfg)
			tc.edit(have)
			if got := inShape(have, want); got != tc.ok {
				t.Errorf("inShape = %v, want %v", got, tc.ok)
			}
		})
	}
}
