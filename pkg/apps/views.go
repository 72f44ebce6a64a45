package apps

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"knative.dev/pkg/apis"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	"sigs.k8s.io/yaml"

	"github.com/slipway-dev/slipway/pkg/apierror"
	"github.com/slipway-dev/slipway/pkg/domains"
	"github.com/slipway-dev/slipway/pkg/logging"
	"github.com/slipway-dev/slipway/pkg/records"
	"github.com/slipway-dev/slipway/pkg/revisions"
)

// AppStatus is an app in one environment as the cluster reports it.
type AppStatus struct {
	Project   string `json:"project"`
	App       string `json:"app"`
	Env       string `json:"env"`
	Namespace string `json:"namespace"`
	URL       string `json:"url,omitempty"`
	Ready     bool   `json:"ready"`
	// Reason explains a Service that is not Ready.
	Reason                string             `json:"reason,omitempty"`
	LatestCreatedRevision string             `json:"latestCreatedRevision,omitempty"`
	LatestReadyRevision   string             `json:"latestReadyRevision,omitempty"`
	Image                 string             `json:"image"`
	LogPaths              []logging.LogPath  `json:"logPaths,omitempty"` // the template's, as on Revision
	Traffic               []revisions.Target `json:"traffic"`
	// ServedTraffic is the split Knative's Route reports it has programmed.
	ServedTraffic []ServedTarget   `json:"servedTraffic"`
	Rules         []revisions.Rule `json:"rules,omitempty"`
	// Revisions names the app's revisions, oldest first (in project listings).
	Revisions []string `json:"revisions,omitempty"`
	// Hosts are the app's external hosts by its domain scheme: the app's, then each tag's.
	Hosts []Host `json:"hosts"`
	// Routing is how a request is routed: the first matching rule, else the percentages.
	Routing EffectiveRouting `json:"routing"`
	// Scaling is the current template's autoscaler knobs (environment and Knative defaults
	// included); GET …/scaling adds what scaling windows make of minScale.
	Scaling revisions.Scaling `json:"scaling,omitempty,omitzero"`
}

// Host is one external host of the app.
type Host struct {
	Host string `json:"host"`
	Tag  string `json:"tag,omitempty"`
}

// EffectiveRouting lists rules in the order they are tried, then the split.
type EffectiveRouting struct {
	Rules       []RoutedRule       `json:"rules"`
	Percentages []revisions.Target `json:"percentages"`
}

// RoutedRule is a rule with the tag and in-cluster host it routes to.
type RoutedRule struct {
	Match    revisions.Match `json:"match"`
	Revision string          `json:"revision"`
	Tag      string          `json:"tag"`
	Host     string          `json:"host"`
}

// ServedTarget is one entry of Knative's Route status traffic.
type ServedTarget struct {
	Revision string `json:"revision"`
	Percent  int64  `json:"percent"`
	Tag      string `json:"tag,omitempty"`
	URL      string `json:"url,omitempty"`
}

// Revision is one revision of an app.
type Revision struct {
	Name       string    `json:"name"`
	Image      string    `json:"image"`
	Created    time.Time `json:"created"`
	DeployedBy string    `json:"deployedBy"`
	Message    string    `json:"message,omitempty"`
	Ready      bool      `json:"ready"`
	Reason     string    `json:"reason,omitempty"`
	// Percent is the share of traffic Knative reports for this revision.
	Percent int64    `json:"percent"`
	Tags    []string `json:"tags,omitempty"`
	// LogPaths are the directories whose files the log pipeline collects.
	LogPaths []logging.LogPath `json:"logPaths,omitempty"`
	// Source is the pipeline run that deployed it, and the commit it was built from.
	Source *revisions.Source `json:"source,omitempty"`
	// Release names the release it runs.
	Release string `json:"release,omitempty"`
	// PromotedFrom says where a promoted revision came from.
	PromotedFrom *revisions.PromotedFrom `json:"promotedFrom,omitempty"`
	// BreakGlass is why a policy was skipped to deploy it.
	BreakGlass string `json:"breakGlass,omitempty"`
}

// AppSummary is one app of a project across environments.
type AppSummary struct {
	Name string               `json:"name"`
	Envs map[string]AppStatus `json:"envs"`
}

// GetApp reports an app's status.
func (p *Platform) GetApp(t Target) (AppStatus, error) {
	if _, err := p.records.Resolve(t); err != nil {
		return AppStatus{}, err
	}
	svc, err := p.records.Service(t)
	if err != nil {
		return AppStatus{}, err
	}
	return statusOf(svc, p.domains)
}

func statusOf(svc *servingv1.Service, d domains.Domains) (AppStatus, error) {
	app, err := revisions.AppWithoutHistory(svc)
	if err != nil {
		return AppStatus{}, err
	}
	hosts := []Host{{Host: d.AppHost(app.Name, app.Namespace, app.Scheme)}}
	for _, t := range app.Traffic {
		if t.Tag != "" {
			hosts = append(hosts, Host{Host: d.TagHost(t.Tag, app.Name, app.Namespace, app.Scheme), Tag: t.Tag})
		}
	}
	tagOf := app.RuleTags()
	routing := EffectiveRouting{Rules: []RoutedRule{}, Percentages: []revisions.Target{}}
	for _, r := range app.Rules {
		rr := RoutedRule{Match: r.Match, Revision: r.Revision, Tag: tagOf[r.Revision]}
		if rr.Tag != "" {
			rr.Host = d.InternalTagHost(rr.Tag, app.Name, app.Namespace)
		}
		routing.Rules = append(routing.Rules, rr)
	}
	for _, t := range app.Traffic {
		if t.Percent > 0 {
			routing.Percentages = append(routing.Percentages, t)
		}
	}
	st := AppStatus{
		Project: app.Project, App: app.Name, Env: app.Env, Namespace: svc.Namespace,
		LatestCreatedRevision: svc.Status.LatestCreatedRevisionName,
		LatestReadyRevision:   svc.Status.LatestReadyRevisionName,
		Image:                 app.Template.Image,
		LogPaths:              app.Template.LogPaths,
		Traffic:               app.Traffic,
		Rules:                 app.Rules,
		ServedTraffic:         []ServedTarget{},
		Hosts:                 hosts,
		Routing:               routing,
		Scaling:               app.Template.Scaling(),
	}
	if svc.Status.URL != nil {
		st.URL = svc.Status.URL.String()
	}
	// A status from before the latest spec change says nothing about it.
	current := svc.Status.ObservedGeneration == svc.Generation
	if c := svc.Status.GetCondition(apis.ConditionReady); current && c != nil {
		st.Ready = isReady(c)
		if !st.Ready {
			st.Reason = c.Reason + ": " + c.Message
		}
	} else {
		st.Reason = "reconciling"
	}
	for _, tt := range svc.Status.Traffic {
		s := ServedTarget{Revision: tt.RevisionName, Tag: tt.Tag}
		if tt.Percent != nil {
			s.Percent = *tt.Percent
		}
		if tt.URL != nil {
			s.URL = tt.URL.String()
		}
		st.ServedTraffic = append(st.ServedTraffic, s)
	}
	return st, nil
}

// ListApps lists a project's apps with their status and revisions in every environment,
// from the cache.
func (p *Platform) ListApps(project string) ([]AppSummary, error) {
	envs, err := p.records.Project(project)
	if err != nil {
		return nil, err
	}
	if len(envs) == 0 {
		return nil, apierror.NotFound("project %q does not exist", project)
	}
	return Summaries(envs, p.domains), nil
}

// Summaries groups Services and their Revisions into per-app summaries, apps by name and
// revisions oldest first. It is the same whether the objects come from a cache or a List.
func Summaries(envs []records.EnvObjects, d domains.Domains) []AppSummary {
	byName := map[string]*AppSummary{}
	for _, e := range envs {
		revsByApp := map[string][]string{}
		for _, r := range e.Revisions {
			app := r.Labels["serving.knative.dev/service"]
			revsByApp[app] = append(revsByApp[app], r.Name)
		}
		for _, svc := range e.Services {
			st, err := statusOf(svc, d)
			if err != nil {
				continue // not Slipway's record
			}
			st.Revisions = revsByApp[svc.Name]
			sort.Strings(st.Revisions)
			sum, ok := byName[svc.Name]
			if !ok {
				sum = &AppSummary{Name: svc.Name, Envs: map[string]AppStatus{}}
				byName[svc.Name] = sum
			}
			sum.Envs[e.Env] = st
		}
	}
	out := make([]AppSummary, 0, len(byName))
	for _, s := range byName {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ListRevisions lists an app's revisions, oldest first.
func (p *Platform) ListRevisions(t Target) ([]Revision, error) {
	if _, err := p.records.Resolve(t); err != nil {
		return nil, err
	}
	svc, err := p.records.Service(t)
	if err != nil {
		return nil, err
	}
	revs, err := p.records.Revisions(t)
	if err != nil {
		return nil, err
	}
	out := make([]Revision, 0, len(revs))
	for _, r := range revs {
		out = append(out, revisionView(r, svc))
	}
	return out, nil
}

// GetRevision reports one revision.
func (p *Platform) GetRevision(t Target, name string) (Revision, error) {
	if _, err := p.records.Resolve(t); err != nil {
		return Revision{}, err
	}
	svc, err := p.records.Service(t)
	if err != nil {
		return Revision{}, err
	}
	r, err := p.records.Revision(t, name)
	if apierrors.IsNotFound(err) || (err == nil && r.Labels["serving.knative.dev/service"] != t.App) {
		return Revision{}, apierror.NotFound("revision %q of app %q does not exist", name, t.App)
	}
	if err != nil {
		return Revision{}, err
	}
	return revisionView(r, svc), nil
}

func revisionView(r *servingv1.Revision, svc *servingv1.Service) Revision {
	tmpl := revisions.TemplateFromRevision(r)
	v := Revision{Name: r.Name, Image: tmpl.Image, Created: r.CreationTimestamp.UTC(), DeployedBy: tmpl.DeployedBy, Message: tmpl.Message,
		LogPaths: tmpl.LogPaths, Source: tmpl.Source, Release: tmpl.Release, PromotedFrom: tmpl.PromotedFrom, BreakGlass: tmpl.BreakGlass}
	if c := r.Status.GetCondition(servingv1.RevisionConditionReady); c != nil {
		v.Ready = isReady(c)
		if !v.Ready {
			v.Reason = c.Reason
		}
	}
	for _, tt := range svc.Status.Traffic {
		if tt.RevisionName != r.Name {
			continue
		}
		if tt.Percent != nil {
			v.Percent += *tt.Percent
		}
		if tt.Tag != "" {
			v.Tags = append(v.Tags, tt.Tag)
		}
	}
	return v
}

// app reads the app's whole record from the cache, after checking the call's path.
func (p *Platform) app(t Target) (revisions.App, error) {
	if _, err := p.records.Resolve(t); err != nil {
		return revisions.App{}, err
	}
	svc, err := p.records.Service(t)
	if err != nil {
		return revisions.App{}, err
	}
	return revisions.AppFromService(svc)
}

// History lists the app's deploys, traffic changes and rollbacks, oldest first.
func (p *Platform) History(t Target) ([]revisions.HistoryEntry, error) {
	app, err := p.app(t)
	if err != nil {
		return nil, err
	}
	out := append([]revisions.HistoryEntry{}, app.History...)
	if p.promotions != nil {
		out = append(out, p.promotions(t)...)
		sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	}
	return out, nil
}

// Manifests exports every object Slipway manages for the app as YAML documents, stripped of
// server-set fields, so they can be applied to rebuild the app elsewhere.
func (p *Platform) Manifests(t Target) ([]byte, error) {
	app, err := p.app(t)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	for _, obj := range []any{revisions.BuildService(app)} {
		u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
		if err != nil {
			return nil, err
		}
		delete(u, "status") // the typed status always renders, if only as {}
		b, err := yaml.Marshal(u)
		if err != nil {
			return nil, err
		}
		buf.WriteString("---\n")
		buf.Write(b)
	}
	return buf.Bytes(), nil
}

// Summary describes an app's state in one line for the audit trail ("before" a change),
// from the cache: platform-api's writes to an app take turns and start from the cached
// Service too, so this is the state the change was decided on.
func (p *Platform) Summary(t Target) string {
	return SummaryOf(p.records.CachedService(t))
}

// SummaryOf describes svc in one line for the audit trail; "absent" for nil. A change's
// "after" is the summary of the Service it wrote.
func SummaryOf(svc *servingv1.Service) string {
	if svc == nil {
		return "absent"
	}
	app, err := revisions.AppWithoutHistory(svc)
	if err != nil {
		return "not managed by Slipway"
	}
	var split []string
	for _, tt := range app.Traffic {
		if tt.Percent > 0 {
			name := tt.Revision
			if tt.Latest {
				name = "latest"
			}
			split = append(split, fmt.Sprintf("%s=%d", name, tt.Percent))
		}
	}
	out := fmt.Sprintf("revision %s, image %s, traffic %s", app.Template.RevisionName, app.Template.Image, strings.Join(split, ","))
	if len(app.Rules) > 0 {
		out += fmt.Sprintf(", %d rules", len(app.Rules))
	}
	return out
}
