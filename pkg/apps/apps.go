// Package apps is an app's lifecycle in one environment: deploy, traffic, rollback, delete,
// and the views of its status, revisions, history and manifests. It works on the app's
// record through package records (cache reads, the one write loop) and knows nothing of
// HTTP beyond returning apierror values.
package apps

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	"knative.dev/pkg/apis"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"

	"github.com/slipway-dev/slipway/pkg/domains"
	"github.com/slipway-dev/slipway/pkg/domains/claims"
	"github.com/slipway-dev/slipway/pkg/kube"
	"github.com/slipway-dev/slipway/pkg/records"
	"github.com/slipway-dev/slipway/pkg/revisions"
)

// Target identifies an app in an environment.
type Target = records.Target

// SourceFunc returns the provenance of a deploy made by a pipeline run (runs.Runs.Source):
// the run must be the app's and still running, and the commit is the one it built.
type SourceFunc func(ctx context.Context, t Target, run string) (*revisions.Source, error)

// Platform is the app lifecycle service.
type Platform struct {
	records *records.Store
	clients *kube.Clients
	cache   *kube.Cache
	// store is the platform's namespace, where releases are kept.
	store        string
	claims       *claims.Claims
	domains      domains.Domains
	historyLimit int
	source       SourceFunc
	promotions   func(t Target) []revisions.HistoryEntry
	now          func() time.Time
}

// Options wire the service.
type Options struct {
	Records *records.Store
	Clients *kube.Clients
	Cache   *kube.Cache
	// Store is the platform's namespace, where releases are kept.
	Store   string
	Claims  *claims.Claims
	Domains domains.Domains
	// HistoryLimit caps the history entries kept on each app.
	HistoryLimit int
	// Source resolves a deploy's pipelineRun; nil refuses deploys that name one.
	Source SourceFunc
	// Promotions are the history entries of promotions into an environment (requests,
	// approvals, rejections), merged into its history; nil for none.
	Promotions func(t Target) []revisions.HistoryEntry
}

// New wires the service.
func New(o Options) *Platform {
	return &Platform{records: o.Records, clients: o.Clients, cache: o.Cache, store: o.Store, claims: o.Claims, domains: o.Domains,
		historyLimit: o.HistoryLimit, source: o.Source, promotions: o.Promotions, now: time.Now}
}

// isReady reads Knative's Ready condition.
func isReady(c *apis.Condition) bool { return c != nil && c.Status == corev1.ConditionTrue }

// latestReady is the revision a "latest" target follows now: Knative's latest Ready one, or
// before any is Ready, the one the template names.
func latestReady(svc *servingv1.Service) string {
	if svc.Status.LatestReadyRevisionName != "" {
		return svc.Status.LatestReadyRevisionName
	}
	return svc.Spec.Template.Name
}
