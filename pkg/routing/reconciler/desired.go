package reconciler

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"

	"github.com/slipway-dev/slipway/pkg/domains"
	"github.com/slipway-dev/slipway/pkg/revisions"
	"github.com/slipway-dev/slipway/pkg/routing"
)

// Input derives the routing builder's input from the app's record: the app's and tags'
// external hosts by its domain scheme, and for each rule the internal host of the tag its
// revision carries. Rules whose revision has no tag are skipped (the traffic plan always
// tags them; a hand-edited Service may not).
func Input(app revisions.App, owner *servingv1.Service, d domains.Domains) routing.Input {
	scheme := app.Scheme
	in := routing.Input{
		App:       app.Name,
		Namespace: app.Namespace,
		Owner: metav1.OwnerReference{
			APIVersion: servingv1.SchemeGroupVersion.String(), Kind: "Service",
			Name: owner.Name, UID: owner.UID,
			Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
		},
		AppHosts:            []string{d.AppHost(app.Name, app.Namespace, scheme)},
		DefaultInternalHost: d.InternalHost(app.Name, app.Namespace),
	}
	for _, t := range app.Traffic {
		if t.Tag != "" {
			in.Tags = append(in.Tags, routing.TagRoute{
				Tag:          t.Tag,
				ExternalHost: d.TagHost(t.Tag, app.Name, app.Namespace, scheme),
				InternalHost: d.InternalTagHost(t.Tag, app.Name, app.Namespace),
			})
		}
	}
	tagOf := app.RuleTags()
	for _, r := range app.Rules {
		tag, ok := tagOf[r.Revision]
		if !ok {
			continue
		}
		in.Rules = append(in.Rules, routing.RuleRoute{Match: r.Match, InternalHost: d.InternalTagHost(tag, app.Name, app.Namespace)})
	}
	return in
}
