// Package revisions turns Slipway's record of an app in an environment into the Knative
// Service that carries it, and back. It holds the pure parts of deploy, traffic and rollback:
// validation, traffic plans and the Service builder. Nothing here talks to a cluster.
package revisions

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"

	"github.com/slipway-dev/slipway/pkg/domains"
	"github.com/slipway-dev/slipway/pkg/logging"
)

// UserContainer is the name Knative gives the app's container in every pod.
const UserContainer = "user-container"

// App is Slipway's whole record of one app in one environment. BuildService writes it as a
// Knative Service; AppFromService reads it back, so the Service is the only store.
type App struct {
	Project string
	Name    string
	Env     string
	// Namespace is the project's namespace for Env.
	Namespace string
	// Scheme is the app's host scheme (domains.SchemeShort for {app}.sls-{cluster}.{base}).
	Scheme domains.Scheme
	// Template is what the next (or current) revision runs.
	Template Template
	// StoredTemplate is the current revision template exactly as the apiserver holds it,
	// Knative's defaults included. Changes that keep the revision (traffic, rollback) write
	// it back unchanged, because Knative refuses a template change without a new name.
	// A deploy clears it so BuildService renders Template instead.
	StoredTemplate *servingv1.RevisionTemplateSpec
	// Traffic is the percentage split, in Knative's terms.
	Traffic []Target
	// Rules route matching requests to tagged revisions; enacted by the routing reconciler.
	Rules []Rule
	// History lists deploys, traffic changes and rollbacks, oldest first.
	History []HistoryEntry
	// Schedules is the app's schedules annotation as package schedules wrote it, carried
	// through every other write unchanged (an apply without it would remove it).
	Schedules string
	// ScalingSchedules is the app's scaling windows as package scaling stores them (JSON),
	// carried through every write; "" for none.
	ScalingSchedules string
}

// Template is one revision's configuration and provenance.
type Template struct {
	// RevisionName is chosen by the platform: {app}-{n:05}.
	RevisionName string
	Image        string
	Port         int32
	Env          []corev1.EnvVar
	Resources    corev1.ResourceRequirements
	MinScale     *int32
	MaxScale     *int32
	Target       *int32
	// The other autoscaler knobs (see Scaling), as written on the template.
	InitialScale         *int32
	Metric               string
	TargetUtilization    *int32
	ScaleDownDelay       string
	Window               string
	ContainerConcurrency *int64
	DeployedBy           string
	DeployedAt           time.Time
	Message              string
	// LogPaths, with defaults applied, become the pod-mutator's opt-in label
	// and annotation on the revision template.
	LogPaths []logging.LogPath
	// Source is the pipeline run that deployed the revision, if one did.
	Source *Source
	// Release names the release the revision runs (package releases).
	Release string
	// PromotedFrom says where a promoted revision came from.
	PromotedFrom *PromotedFrom
	// BreakGlass is why a policy was skipped to deploy the revision.
	BreakGlass string
}

// PromotedFrom is where a promoted revision's release came from.
type PromotedFrom struct {
	Env      string `json:"env"`
	Revision string `json:"revision"`
	Release  string `json:"release"`
	// Promotion is the promotion's ID.
	Promotion string `json:"promotion"`
}

// Source is a revision's provenance from a pipeline: the run, and the commit its clone
// step checked out (read from the run, never from the deploy request).
type Source struct {
	PipelineRun string `json:"pipelineRun"`
	Commit      string `json:"commit"`
}

// Target is one entry of the percentage split.
type Target struct {
	// Revision names a revision; empty when Latest is set.
	Revision string `json:"revision,omitempty"`
	// Latest follows the newest Ready revision.
	Latest  bool   `json:"latest,omitempty"`
	Percent int64  `json:"percent"`
	Tag     string `json:"tag,omitempty"`
}

// Rule sends requests matching every header condition to a revision.
type Rule struct {
	Match Match `json:"match"`
	// Lane is shorthand for Match on header x-slipway-lane; requests set it, stored rules
	// hold the expanded Match.
	Lane     string `json:"lane,omitempty"`
	Revision string `json:"revision"`
}

// LaneHeader carries the lane a request belongs to.
const LaneHeader = "x-slipway-lane"

// expand turns a lane into its header match.
func (r Rule) expand() Rule {
	if r.Lane != "" {
		r.Match = Match{Headers: map[string]StringMatch{LaneHeader: {Exact: r.Lane}}}
		r.Lane = ""
	}
	return r
}

func expandAll(rules []Rule) []Rule {
	var out []Rule
	for _, r := range rules {
		out = append(out, r.expand())
	}
	return out
}

// Match is an AND of header conditions, keyed by lower-case header name, and optionally a
// cookie.
type Match struct {
	Headers map[string]StringMatch `json:"headers,omitempty"`
	Cookie  *CookieMatch           `json:"cookie,omitempty"`
}

// CookieMatch requires a cookie with this name and exact value.
type CookieMatch struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// StringMatch holds exactly one of its fields.
type StringMatch struct {
	Exact  string `json:"exact,omitempty"`
	Prefix string `json:"prefix,omitempty"`
	Regex  string `json:"regex,omitempty"`
}

// Action names a kind of history entry.
type Action string

const (
	ActionDeploy   Action = "deploy"
	ActionTraffic  Action = "traffic"
	ActionRollback Action = "rollback"
	// ActionPromoted: a promotion deployed a release (the revision's entry, like a deploy).
	ActionPromoted Action = "promoted"
	// A promotion's request, approvals and rejection, shown in its target environment's history.
	ActionPromotionRequested Action = "promotion-requested"
	ActionPromotionApproved  Action = "promotion-approved"
	ActionPromotionRejected  Action = "promotion-rejected"
)

// HistoryEntry records who changed what, when and why.
type HistoryEntry struct {
	Time     time.Time `json:"time"`
	User     string    `json:"user"`
	Action   Action    `json:"action"`
	Revision string    `json:"revision,omitempty"`
	Image    string    `json:"image,omitempty"`
	Message  string    `json:"message,omitempty"`
	Traffic  []Target  `json:"traffic"`
	// Source: a deploy made by a pipeline run, from a commit.
	Source *Source `json:"source,omitempty"`
	// Release is the release a deploy or promotion runs.
	Release string `json:"release,omitempty"`
	// PromotedFrom: a promotion's entries, where the release came from.
	PromotedFrom *PromotedFrom `json:"promotedFrom,omitempty"`
	// BreakGlass is why a policy was skipped.
	BreakGlass string `json:"breakGlass,omitempty"`
}

// RuleTags maps each revision to the first tag it carries in the traffic: the tag whose host
// its rules route to.
func (a App) RuleTags() map[string]string {
	tags := map[string]string{}
	for _, t := range a.Traffic {
		if t.Tag == "" || t.Revision == "" {
			continue
		}
		if _, seen := tags[t.Revision]; !seen {
			tags[t.Revision] = t.Tag
		}
	}
	return tags
}

// AppendHistory adds e, keeping at most limit entries (the newest).
func (a *App) AppendHistory(e HistoryEntry, limit int) {
	a.History = append(a.History, e)
	if over := len(a.History) - limit; over > 0 {
		a.History = append([]HistoryEntry(nil), a.History[over:]...)
	}
}

// Scaling is the template's autoscaler knobs as a deploy names them: what the revision
// runs with, environment defaults (minScale) and Knative's defaults (containerConcurrency)
// included.
func (t Template) Scaling() Scaling {
	return Scaling{
		MinScale: t.MinScale, MaxScale: t.MaxScale, InitialScale: t.InitialScale, Target: t.Target,
		Metric: t.Metric, TargetUtilization: t.TargetUtilization, ScaleDownDelay: t.ScaleDownDelay,
		Window: t.Window, ContainerConcurrency: t.ContainerConcurrency,
	}
}
