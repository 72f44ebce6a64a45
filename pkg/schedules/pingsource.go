package schedules

import (
	"net/url"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	sourcesv1 "knative.dev/eventing/pkg/apis/sources/v1"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"

	"github.com/slipway-dev/slipway/pkg/names"
)

// Owner is what a PingSource needs of the app's Knative Service.
type Owner struct {
	Project, App, Env, Namespace string
	UID                          string
}

// OwnerOf reads the owner from a Service Slipway wrote.
func OwnerOf(svc *servingv1.Service) Owner {
	return Owner{Project: svc.Labels[names.LabelProject], App: svc.Name, Env: svc.Labels[names.LabelEnv],
		Namespace: svc.Namespace, UID: string(svc.UID)}
}

// BuildPingSource renders a (validated, normalized) schedule as the PingSource Slipway
// applies: named names.PingSource(app, schedule), labelled as Slipway's and the app's,
// owned by the Service (so it goes with the app), its sink the Service itself — Eventing
// resolves the ref to the Service's address and a relative uri (the path) against it.
func BuildPingSource(o Owner, s Schedule) *sourcesv1.PingSource {
	s = s.Normalize()
	// The namespace is written, not left to defaulting, so what is applied is what is read.
	sink := duckv1.Destination{Ref: &duckv1.KReference{
		APIVersion: servingv1.SchemeGroupVersion.String(), Kind: "Service", Name: o.App, Namespace: o.Namespace,
	}}
	if s.Path != "" {
		// Validated as a path (and query); url.Parse cannot fail on it.
		u, _ := url.Parse(s.Path)
		sink.URI = (*apis.URL)(u)
	}
	return &sourcesv1.PingSource{
		TypeMeta: metav1.TypeMeta{APIVersion: sourcesv1.SchemeGroupVersion.String(), Kind: "PingSource"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      names.PingSource(o.App, s.Name),
			Namespace: o.Namespace,
			Labels: map[string]string{
				names.LabelManagedBy: names.ManagedBy,
				names.LabelProject:   o.Project,
				names.LabelApp:       o.App,
				names.LabelEnv:       o.Env,
				names.LabelSchedule:  s.Name,
			},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: servingv1.SchemeGroupVersion.String(), Kind: "Service",
				Name: o.App, UID: types.UID(o.UID),
				Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
			}},
		},
		Spec: sourcesv1.PingSourceSpec{
			SourceSpec:  duckv1.SourceSpec{Sink: sink},
			Schedule:    s.Cron,
			Timezone:    s.Timezone,
			ContentType: s.ContentType,
			Data:        s.Data,
		},
	}
}

// Desired are the PingSources a Service's schedules call for, by name: one per enabled
// schedule, none where the environment denies schedules. An unreadable or invalid
// annotation (edited by hand) asks for none; err says why. (The reconciler creates a missing
// one only once the Service is Ready: a PingSource made before its sink resolves stays
// stuck, knative/eventing#2994.)
func Desired(svc *servingv1.Service, allowed bool) (map[string]*sourcesv1.PingSource, error) {
	out := map[string]*sourcesv1.PingSource{}
	set, err := Parse(svc.Annotations[names.AnnoSchedules])
	if err != nil || !allowed {
		return out, err
	}
	if errs := Validate(set); len(errs) > 0 {
		return out, errs.ToAggregate()
	}
	o := OwnerOf(svc)
	for _, s := range set {
		if s.IsEnabled() {
			ps := BuildPingSource(o, s)
			out[ps.Name] = ps
		}
	}
	return out, nil
}

// ServiceReady reports whether Knative reports the Service Ready (its address resolves).
func ServiceReady(svc *servingv1.Service) bool {
	c := svc.Status.GetCondition(apis.ConditionReady)
	return c != nil && c.IsTrue()
}
