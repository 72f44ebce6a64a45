package revisions

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"knative.dev/networking/pkg/apis/networking"
	"knative.dev/serving/pkg/apis/autoscaling"
	"knative.dev/serving/pkg/apis/serving"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"

	"github.com/slipway-dev/slipway/pkg/domains"
	"github.com/slipway-dev/slipway/pkg/logging"
	"github.com/slipway-dev/slipway/pkg/names"
)

// BuildService renders app as the Knative Service Slipway applies. It is the only place a
// Service is shaped; every write goes through it.
func BuildService(app App) *servingv1.Service {
	t := app.Template
	labels := map[string]string{
		names.LabelManagedBy: names.ManagedBy,
		names.LabelProject:   app.Project,
		names.LabelApp:       app.Name,
		names.LabelEnv:       app.Env,
	}
	if app.Scheme == domains.SchemeShort {
		labels[names.LabelDomainScheme] = string(domains.SchemeShort)
	}
	annotations := map[string]string{names.AnnoHistory: mustJSON(historyOrEmpty(app.History))}
	if app.ScalingSchedules != "" {
		annotations[names.AnnoScalingSchedules] = app.ScalingSchedules
	}
	if len(app.Rules) > 0 {
		annotations[names.AnnoRoutingRules] = mustJSON(app.Rules)
		// Knative then publishes no external host; Slipway's VirtualService owns it.
		labels[networking.VisibilityLabelKey] = serving.VisibilityClusterLocal
	}
	if app.Schedules != "" {
		annotations[names.AnnoSchedules] = app.Schedules
	}

	tmplAnnotations := map[string]string{
		names.AnnoDeployedBy: t.DeployedBy,
		names.AnnoDeployedAt: t.DeployedAt.UTC().Format(time.RFC3339),
	}
	if t.Message != "" {
		tmplAnnotations[names.AnnoMessage] = t.Message
	}
	if t.Source != nil {
		tmplAnnotations[names.PipelineRun], tmplAnnotations[names.AnnoCommit] = t.Source.PipelineRun, t.Source.Commit
	}
	if t.PromotedFrom != nil {
		tmplAnnotations[names.AnnoPromotedFrom] = mustJSON(t.PromotedFrom)
	}
	if t.BreakGlass != "" {
		tmplAnnotations[names.AnnoBreakGlass] = t.BreakGlass
	}
	setScale := func(key string, v *int32) {
		if v != nil {
			tmplAnnotations[key] = strconv.Itoa(int(*v))
		}
	}
	setScale(autoscaling.MinScaleAnnotationKey, t.MinScale)
	setScale(autoscaling.MaxScaleAnnotationKey, t.MaxScale)
	setScale(autoscaling.TargetAnnotationKey, t.Target)
	setScale(autoscaling.InitialScaleAnnotationKey, t.InitialScale)
	setScale(autoscaling.TargetUtilizationPercentageKey, t.TargetUtilization)
	setString := func(key, v string) {
		if v != "" {
			tmplAnnotations[key] = v
		}
	}
	setString(autoscaling.MetricAnnotationKey, t.Metric)
	setString(autoscaling.ScaleDownDelayAnnotationKey, t.ScaleDownDelay)
	setString(autoscaling.WindowAnnotationKey, t.Window)

	tmplLabels := map[string]string{names.LabelProject: app.Project, names.LabelApp: app.Name, names.LabelEnv: app.Env}
	if t.Release != "" {
		tmplLabels[names.LabelRelease] = t.Release
	}
	if len(t.LogPaths) > 0 {
		// The entries were validated with the webhook's rules, so formatting cannot fail.
		paths, err := logging.FormatLogPaths(t.LogPaths)
		if err != nil {
			panic(fmt.Sprintf("log paths of %s: %v", t.RevisionName, err))
		}
		tmplLabels[names.LabelLogCollect] = "true"
		tmplAnnotations[names.AnnoLogPaths] = paths
	}

	container := corev1.Container{
		Name:      UserContainer,
		Image:     t.Image,
		Env:       t.Env,
		Resources: t.Resources,
	}
	if t.Port != 0 {
		container.Ports = []corev1.ContainerPort{{ContainerPort: t.Port}}
	}

	template := servingv1.RevisionTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{
			Name:        t.RevisionName,
			Labels:      tmplLabels,
			Annotations: tmplAnnotations,
		},
		Spec: servingv1.RevisionSpec{
			PodSpec:              corev1.PodSpec{Containers: []corev1.Container{container}},
			ContainerConcurrency: t.ContainerConcurrency,
		},
	}
	if app.StoredTemplate != nil {
		template = *app.StoredTemplate.DeepCopy()
	}
	return &servingv1.Service{
		TypeMeta: metav1.TypeMeta{APIVersion: servingv1.SchemeGroupVersion.String(), Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{
			Name:        app.Name,
			Namespace:   app.Namespace,
			Labels:      labels,
			Annotations: annotations,
		},
		Spec: servingv1.ServiceSpec{
			ConfigurationSpec: servingv1.ConfigurationSpec{
				Template: template,
			},
			RouteSpec: servingv1.RouteSpec{Traffic: knativeTraffic(app.Traffic)},
		},
	}
}

func knativeTraffic(targets []Target) []servingv1.TrafficTarget {
	out := make([]servingv1.TrafficTarget, 0, len(targets))
	for _, t := range targets {
		kt := servingv1.TrafficTarget{Tag: t.Tag, Percent: ptr.To(t.Percent)}
		if t.Latest {
			kt.LatestRevision = ptr.To(true)
		} else {
			kt.RevisionName = t.Revision
			kt.LatestRevision = ptr.To(false)
		}
		out = append(out, kt)
	}
	return out
}

// AppFromService reads Slipway's record back from a Service it wrote.
func AppFromService(svc *servingv1.Service) (App, error) { return readApp(svc, true) }

// AppWithoutHistory reads the record minus History and StoredTemplate: enough to render, too
// little to write back. Listings of thousands of apps skip the JSON decode and deep copy.
func AppWithoutHistory(svc *servingv1.Service) (App, error) { return readApp(svc, false) }

func readApp(svc *servingv1.Service, full bool) (App, error) {
	app := App{
		Project:   svc.Labels[names.LabelProject],
		Name:      svc.Name,
		Env:       svc.Labels[names.LabelEnv],
		Namespace: svc.Namespace,
		Scheme:    domains.Scheme(svc.Labels[names.LabelDomainScheme]),

		ScalingSchedules: svc.Annotations[names.AnnoScalingSchedules],
	}
	if app.Project == "" || app.Env == "" {
		return App{}, fmt.Errorf("service %s/%s is not managed by slipway", svc.Namespace, svc.Name)
	}
	if raw := svc.Annotations[names.AnnoHistory]; raw != "" && full {
		if err := json.Unmarshal([]byte(raw), &app.History); err != nil {
			return App{}, fmt.Errorf("service %s/%s: reading %s: %w", svc.Namespace, svc.Name, names.AnnoHistory, err)
		}
	}
	if raw := svc.Annotations[names.AnnoRoutingRules]; raw != "" {
		if err := json.Unmarshal([]byte(raw), &app.Rules); err != nil {
			return App{}, fmt.Errorf("service %s/%s: reading %s: %w", svc.Namespace, svc.Name, names.AnnoRoutingRules, err)
		}
	}
	app.Schedules = svc.Annotations[names.AnnoSchedules]
	app.Template = templateFromRevisionSpec(svc.Spec.Template.ObjectMeta, svc.Spec.Template.Spec)
	if full {
		app.StoredTemplate = svc.Spec.Template.DeepCopy()
	}
	for _, kt := range svc.Spec.Traffic {
		t := Target{Revision: kt.RevisionName, Tag: kt.Tag, Latest: kt.LatestRevision != nil && *kt.LatestRevision}
		if kt.Percent != nil {
			t.Percent = *kt.Percent
		}
		app.Traffic = append(app.Traffic, t)
	}
	return app, nil
}

// TemplateFromRevision reads the configuration and provenance of a Revision.
func TemplateFromRevision(rev *servingv1.Revision) Template {
	return templateFromRevisionSpec(rev.ObjectMeta, rev.Spec)
}

func templateFromRevisionSpec(meta metav1.ObjectMeta, spec servingv1.RevisionSpec) Template {
	t := Template{
		RevisionName: meta.Name,
		DeployedBy:   meta.Annotations[names.AnnoDeployedBy],
		Message:      meta.Annotations[names.AnnoMessage],
		MinScale:     scaleAnnotation(meta.Annotations, autoscaling.MinScaleAnnotationKey),
		MaxScale:     scaleAnnotation(meta.Annotations, autoscaling.MaxScaleAnnotationKey),
		Target:       scaleAnnotation(meta.Annotations, autoscaling.TargetAnnotationKey),

		InitialScale:         scaleAnnotation(meta.Annotations, autoscaling.InitialScaleAnnotationKey),
		Metric:               meta.Annotations[autoscaling.MetricAnnotationKey],
		TargetUtilization:    scaleAnnotation(meta.Annotations, autoscaling.TargetUtilizationPercentageKey),
		ScaleDownDelay:       meta.Annotations[autoscaling.ScaleDownDelayAnnotationKey],
		Window:               meta.Annotations[autoscaling.WindowAnnotationKey],
		ContainerConcurrency: spec.ContainerConcurrency,
	}
	if own, raised := meta.Annotations[names.AnnoOwnMinScale]; raised {
		// A scaling window raised this Revision's min-scale; its configuration is the own one.
		t.MinScale = scaleAnnotation(map[string]string{autoscaling.MinScaleAnnotationKey: own}, autoscaling.MinScaleAnnotationKey)
	}
	if at, err := time.Parse(time.RFC3339, meta.Annotations[names.AnnoDeployedAt]); err == nil {
		t.DeployedAt = at
	}
	if run := meta.Annotations[names.PipelineRun]; run != "" {
		t.Source = &Source{PipelineRun: run, Commit: meta.Annotations[names.AnnoCommit]}
	}
	t.Release, t.BreakGlass = meta.Labels[names.LabelRelease], meta.Annotations[names.AnnoBreakGlass]
	if raw := meta.Annotations[names.AnnoPromotedFrom]; raw != "" {
		var from PromotedFrom
		// A hand-edited, unreadable value reads as no provenance.
		if json.Unmarshal([]byte(raw), &from) == nil {
			t.PromotedFrom = &from
		}
	}
	if meta.Labels[names.LabelLogCollect] == "true" {
		// A hand-edited, invalid value reads as none; the webhook refuses its pods.
		t.LogPaths, _ = logging.ParseLogPaths(meta.Annotations[names.AnnoLogPaths])
	}
	if len(spec.Containers) > 0 {
		c := spec.Containers[0]
		t.Image, t.Env, t.Resources = c.Image, c.Env, c.Resources
		if len(c.Ports) > 0 {
			t.Port = c.Ports[0].ContainerPort
		}
	}
	return t
}

func scaleAnnotation(annotations map[string]string, key string) *int32 {
	v, err := strconv.ParseInt(annotations[key], 10, 32)
	if err != nil {
		return nil
	}
	return ptr.To(int32(v))
}

func historyOrEmpty(h []HistoryEntry) []HistoryEntry {
	if h == nil {
		return []HistoryEntry{}
	}
	return h
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("marshalling %T: %v", v, err)) // only plain data types reach here
	}
	return string(b)
}
