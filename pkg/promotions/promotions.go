package promotions

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/util/retry"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"

	"github.com/slipway-dev/slipway/pkg/apierror"
	"github.com/slipway-dev/slipway/pkg/apps"
	"github.com/slipway-dev/slipway/pkg/environments"
	"github.com/slipway-dev/slipway/pkg/identity"
	"github.com/slipway-dev/slipway/pkg/kube"
	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/records"
	"github.com/slipway-dev/slipway/pkg/releases"
	"github.com/slipway-dev/slipway/pkg/revisions"
)

// Promotions is the promotion service.
type Promotions struct {
	apps    *apps.Platform
	records *records.Store
	clients *kube.Clients
	cache   *kube.Cache
	// store is the platform's namespace, where promotions are kept.
	store string
	path  environments.Promotion
	log   *slog.Logger
	now   func() time.Time
}

// Options wire the service.
type Options struct {
	Apps    *apps.Platform
	Records *records.Store
	Clients *kube.Clients
	Cache   *kube.Cache
	Store   string
	Path    environments.Promotion
	Log     *slog.Logger
}

// New wires the service.
func New(o Options) *Promotions {
	return &Promotions{apps: o.Apps, records: o.Records, clients: o.Clients, cache: o.Cache, store: o.Store, path: o.Path, log: o.Log, now: time.Now}
}

// Path is the promotion path.
func (s *Promotions) Path() environments.Promotion { return s.path }

func (s *Promotions) env(name string) (environments.Environment, bool) {
	return s.records.Environments().Find(name)
}

// Create asks for the release of a revision in req.From to run in req.To. With approvals
// required (and no break-glass) it waits, pending; otherwise it deploys now.
func (s *Promotions) Create(ctx context.Context, user identity.User, project, app string, req Request) (Promotion, error) {
	if err := s.records.AppExists(project, app); err != nil {
		return Promotion{}, err
	}
	if errs := req.Validate(); len(errs) > 0 {
		return Promotion{}, apierror.Invalid(errs)
	}
	var errs field.ErrorList
	if _, ok := s.env(req.From); !ok {
		errs = append(errs, field.NotFound(field.NewPath("from"), req.From))
	}
	to, ok := s.env(req.To)
	if !ok {
		errs = append(errs, field.NotFound(field.NewPath("to"), req.To))
	}
	if len(errs) > 0 {
		return Promotion{}, apierror.Invalid(errs)
	}
	if next, ok := s.path.Next(req.From); !ok || next != req.To {
		return Promotion{}, apierror.Refused(http.StatusConflict, environments.RuleNotNextStep,
			"%s is not the step after %s on the promotion path (%s)", req.To, req.From, s.pathText())
	}
	fromT := records.Target{Project: project, App: app, Env: req.From}
	if _, err := s.records.Resolve(fromT); err != nil {
		return Promotion{}, err
	}
	svc, err := s.records.Service(fromT)
	if err != nil {
		return Promotion{}, err
	}
	rev, err := s.revision(fromT, svc, req.Revision)
	if err != nil {
		return Promotion{}, err
	}
	now := s.now().UTC().Truncate(time.Second)
	ready := rev.Status.GetCondition(servingv1.RevisionConditionReady)
	if ready == nil || ready.Status != corev1.ConditionTrue {
		return Promotion{}, apierror.Refused(http.StatusConflict, environments.RuleNotReady, "revision %q in %s is not Ready", rev.Name, req.From)
	}
	if soak := to.SoakFor(); soak > 0 {
		if until := ready.LastTransitionTime.Inner.Add(soak); now.Before(until) {
			return Promotion{}, apierror.Until(environments.RuleSoak, until,
				"revision %q has been Ready in %s since %s; %s needs it to soak for %s", rev.Name, req.From,
				ready.LastTransitionTime.Inner.UTC().Format(time.RFC3339), req.To, soak)
		}
	}
	if req.BreakGlass == nil {
		if err := windowsOpen(to, now); err != nil {
			return Promotion{}, err
		}
	}
	fromEnv, _ := s.env(req.From)
	release, err := s.release(ctx, project, app, fromEnv, rev)
	if err != nil {
		return Promotion{}, err
	}
	// A release the target refuses (a scale below its floor, a strategy it does not
	// allow) is refused now, not after the approvals.
	if errs := release.DeployRequest(to, req.Strategy, req.Message).Validate(to); len(errs) > 0 {
		return Promotion{}, apierror.Invalid(errs)
	}
	p := Promotion{
		ID: NewID(app, s.now(), randomSuffix()), Project: project, App: app, State: StatePending,
		From: req.From, To: req.To, Revision: rev.Name, Release: release.Name, Strategy: req.Strategy, Message: req.Message,
		RequestedBy: user.Name, Approvals: []Decision{}, CreatedAt: now, UpdatedAt: now,
	}
	if to.RequireApprovals != nil {
		p.RequiredApprovals = to.RequireApprovals.Count
	}
	if req.BreakGlass != nil {
		p.BreakGlass = &Decision{User: user.Name, Time: now, Message: req.BreakGlass.Reason}
	}
	if p.RequiredApprovals == 0 || p.BreakGlass != nil {
		p.State = StateDeploying
	}
	if _, err := s.clients.Kube.CoreV1().ConfigMaps(s.store).Create(ctx, ConfigMap(s.store, p, ""), metav1.CreateOptions{FieldManager: names.FieldManager}); err != nil {
		return Promotion{}, kube.WriteError(err)
	}
	if p.State == StateDeploying {
		return s.deploy(ctx, p, user.Name, release)
	}
	return p, nil
}

func (s *Promotions) pathText() string {
	if len(s.path.Path) == 0 {
		return "none is configured"
	}
	return strings.Join(s.path.Path, " → ")
}

// windowsOpen refuses while env's windows are closed, naming the next opening.
func windowsOpen(env environments.Environment, now time.Time) error {
	open, next := environments.Open(env.Windows, now)
	if open {
		return nil
	}
	if next.IsZero() {
		return apierror.Refused(http.StatusConflict, environments.RuleWindow, "%s's windows do not open within a year", env.Name)
	}
	return apierror.Until(environments.RuleWindow, next, "%s's windows are closed until %s", env.Name, next.UTC().Format(time.RFC3339))
}

// revision is the revision to promote: the one named, else what serves 100 %, else the
// newest Ready one.
func (s *Promotions) revision(t records.Target, svc *servingv1.Service, name string) (*servingv1.Revision, error) {
	if name == "" {
		for _, tt := range svc.Status.Traffic {
			if tt.Percent != nil && *tt.Percent == 100 && tt.RevisionName != "" {
				name = tt.RevisionName
			}
		}
	}
	if name == "" {
		name = svc.Status.LatestReadyRevisionName
	}
	if name == "" {
		return nil, apierror.Refused(http.StatusConflict, environments.RuleNotReady, "app %q has no Ready revision in %s", t.App, t.Env)
	}
	rev, err := s.records.Revision(t, name)
	if apierrors.IsNotFound(err) || (err == nil && rev.Labels["serving.knative.dev/service"] != t.App) {
		return nil, apierror.Invalid(field.ErrorList{field.NotFound(field.NewPath("revision"), name)})
	}
	return rev, err
}

// release is what rev runs: its recorded release, pinned to the digest Knative resolved when
// the recorded one knew only a tag (that pinned release is recorded too).
func (s *Promotions) release(ctx context.Context, project, app string, from environments.Environment, rev *servingv1.Revision) (releases.Release, error) {
	digest := ""
	for _, cs := range rev.Status.ContainerStatuses {
		if cs.Name == revisions.UserContainer || digest == "" {
			digest = cs.ImageDigest
		}
	}
	if name := rev.Labels[names.LabelRelease]; name != "" {
		r, err := s.apps.Release(ctx, project, app, name)
		if err != nil && !apierror.IsNotFound(err) {
			return releases.Release{}, err
		}
		if err == nil && (!r.Unpinned || digest == "") {
			return r, nil
		}
	}
	// Deployed before releases were recorded, or resolved since: record what it runs.
	tmpl := revisions.TemplateFromRevision(rev)
	r := releases.FromTemplate(project, app, from, tmpl, digest, s.now())
	return r, s.apps.RecordRelease(ctx, r)
}

// deploy runs p's release in p.To, once: only the write that moved p to deploying gets here.
// A caller that goes away does not stop it half-way.
func (s *Promotions) deploy(ctx context.Context, p Promotion, user string, release releases.Release) (Promotion, error) {
	ctx = context.WithoutCancel(ctx)
	to, _ := s.env(p.To)
	t := records.Target{Project: p.Project, App: p.App, Env: p.To}
	promoted := apps.Promoted{Release: release,
		From: revisions.PromotedFrom{Env: p.From, Revision: p.Revision, Release: p.Release, Promotion: p.ID}}
	if p.BreakGlass != nil {
		promoted.BreakGlass = p.BreakGlass.Message
	}
	message := p.Message
	if message == "" {
		message = fmt.Sprintf("promoted from %s (%s)", p.From, p.Revision)
	}
	result, deployErr := s.apps.Promote(ctx, user, t, release.DeployRequest(to, p.Strategy, message), promoted)
	p.UpdatedAt = s.now().UTC().Truncate(time.Second)
	if deployErr != nil {
		p.State, p.Error = StateFailed, deployErr.Error()
	} else {
		p.State, p.DeployedRevision = StateDeployed, result.Revision
	}
	written, err := s.update(ctx, p.Project, p.ID, func(current *Promotion) error {
		current.State, current.Error, current.DeployedRevision, current.UpdatedAt = p.State, p.Error, p.DeployedRevision, p.UpdatedAt
		return nil
	})
	if err != nil {
		return p, err
	}
	if deployErr != nil {
		s.log.Warn("promotion failed", "project", p.Project, "app", p.App, "promotion", p.ID, "err", deployErr)
		// The record says failed; the caller learns why from the deploy's own problem.
		return written, deployErr
	}
	return written, nil
}

// Get reads one promotion of the app.
func (s *Promotions) Get(ctx context.Context, project, app, id string) (Promotion, error) {
	if err := s.records.AppExists(project, app); err != nil {
		return Promotion{}, err
	}
	p, _, err := s.read(ctx, project, id)
	if err == nil && p.App != app {
		return Promotion{}, apierror.NotFound("promotion %q of app %q does not exist", id, app)
	}
	return p, err
}

func (s *Promotions) read(ctx context.Context, project, id string) (Promotion, string, error) {
	name := names.PromotionConfigMap(project, id)
	cm, err := s.cache.ConfigMaps.ConfigMaps(s.store).Get(name)
	if apierrors.IsNotFound(err) {
		cm, err = s.clients.Kube.CoreV1().ConfigMaps(s.store).Get(ctx, name, metav1.GetOptions{})
	}
	if apierrors.IsNotFound(err) {
		return Promotion{}, "", apierror.NotFound("promotion %q does not exist", id)
	}
	if err != nil {
		return Promotion{}, "", kube.WriteError(err)
	}
	p, err := FromConfigMap(cm)
	return p, cm.ResourceVersion, err
}

// List lists the app's promotions, newest first, optionally in one state.
func (s *Promotions) List(project, app string, state State) ([]Promotion, error) {
	if err := s.records.AppExists(project, app); err != nil {
		return nil, err
	}
	if state != "" && !slices.Contains(States, state) {
		return nil, apierror.BadRequest(fmt.Sprintf("state %q is none of %v", state, States))
	}
	set := labels.Set{names.LabelKind: names.KindPromotion, names.LabelProject: project, names.LabelApp: app}
	if state != "" {
		set[names.LabelPromotionState] = string(state)
	}
	cms, err := s.cache.ConfigMaps.ConfigMaps(s.store).List(labels.SelectorFromSet(set))
	if err != nil {
		return nil, err
	}
	out := make([]Promotion, 0, len(cms))
	for _, cm := range cms {
		if p, err := FromConfigMap(cm); err == nil {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	return out, nil
}

// HistoryFor is what the app's promotions into t's environment add to its history.
func (s *Promotions) HistoryFor(t records.Target) []revisions.HistoryEntry {
	ps, err := s.List(t.Project, t.App, "")
	if err != nil {
		return nil
	}
	var out []revisions.HistoryEntry
	for _, p := range ps {
		if p.To == t.Env {
			out = append(out, p.History()...)
		}
	}
	return out
}

// Approve adds user's approval to a pending promotion; the approval that makes enough
// deploys it. The caller's right to approve in p.To is the HTTP layer's check.
func (s *Promotions) Approve(ctx context.Context, user identity.User, project, app, id string, req DecisionRequest) (Promotion, error) {
	if _, err := s.Get(ctx, project, app, id); err != nil {
		return Promotion{}, err
	}
	if errs := req.Validate(); len(errs) > 0 {
		return Promotion{}, apierror.Invalid(errs)
	}
	var complete bool
	written, err := s.update(ctx, project, id, func(p *Promotion) error {
		if p.State != StatePending {
			return apierror.Refused(http.StatusConflict, environments.RuleNotPending, "promotion %s is %s, not pending", p.ID, p.State)
		}
		to, _ := s.env(p.To)
		policy := environments.Approvals{Count: p.RequiredApprovals}
		if to.RequireApprovals != nil {
			policy = *to.RequireApprovals
		}
		if policy.ForbidSelfApproval && user.Name == p.RequestedBy {
			return apierror.Refused(http.StatusForbidden, environments.RuleSelfApproval, "%s asked for promotion %s and may not approve it: %s forbids self-approval", user.Name, p.ID, p.To)
		}
		if !policy.InGroups(user.Groups) {
			return apierror.Refused(http.StatusForbidden, environments.RuleNotApprover, "%s is in none of the groups that approve promotions into %s (%s)", user.Name, p.To, strings.Join(policy.Groups, ", "))
		}
		for _, a := range p.Approvals {
			if a.User == user.Name {
				return apierror.Refused(http.StatusConflict, environments.RuleAlreadyApproved, "%s has approved promotion %s already", user.Name, p.ID)
			}
		}
		now := s.now().UTC().Truncate(time.Second)
		complete = len(p.Approvals)+1 >= p.RequiredApprovals
		if complete {
			if err := windowsOpen(to, now); err != nil {
				return err
			}
			p.State = StateDeploying
		}
		p.Approvals = append(p.Approvals, Decision{User: user.Name, Time: now, Message: req.Message})
		p.UpdatedAt = now
		return nil
	})
	if err != nil || !complete {
		return written, err
	}
	release, err := s.apps.Release(ctx, project, app, written.Release)
	if err != nil {
		return s.fail(ctx, written, err)
	}
	return s.deploy(ctx, written, user.Name, release)
}

// fail records that a promotion could not deploy.
func (s *Promotions) fail(ctx context.Context, p Promotion, cause error) (Promotion, error) {
	written, err := s.update(ctx, p.Project, p.ID, func(current *Promotion) error {
		current.State, current.Error, current.UpdatedAt = StateFailed, cause.Error(), s.now().UTC().Truncate(time.Second)
		return nil
	})
	if err != nil {
		return p, err
	}
	return written, cause
}

// Reject ends a pending promotion.
func (s *Promotions) Reject(ctx context.Context, user identity.User, project, app, id string, req DecisionRequest) (Promotion, error) {
	if _, err := s.Get(ctx, project, app, id); err != nil {
		return Promotion{}, err
	}
	if errs := req.Validate(); len(errs) > 0 {
		return Promotion{}, apierror.Invalid(errs)
	}
	written, err := s.update(ctx, project, id, func(p *Promotion) error {
		if p.State != StatePending {
			return apierror.Refused(http.StatusConflict, environments.RuleNotPending, "promotion %s is %s, not pending", p.ID, p.State)
		}
		now := s.now().UTC().Truncate(time.Second)
		p.State, p.Rejection, p.UpdatedAt = StateRejected, &Decision{User: user.Name, Time: now, Message: req.Message}, now
		return nil
	})
	return written, err
}

// update changes a promotion with optimistic concurrency: read the newest, change, write with the read's resourceVersion; on a conflict
// read again and re-apply, so concurrent approvals each count once and only one of them
// moves the promotion on.
func (s *Promotions) update(ctx context.Context, project, id string, change func(*Promotion) error) (Promotion, error) {
	var out Promotion
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		name := names.PromotionConfigMap(project, id)
		cm, err := s.clients.Kube.CoreV1().ConfigMaps(s.store).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return apierror.NotFound("promotion %q does not exist", id)
		}
		if err != nil {
			return err
		}
		p, err := FromConfigMap(cm)
		if err != nil {
			return err
		}
		if err := change(&p); err != nil {
			return err
		}
		if _, err := s.clients.Kube.CoreV1().ConfigMaps(s.store).Update(ctx, ConfigMap(s.store, p, cm.ResourceVersion), metav1.UpdateOptions{FieldManager: names.FieldManager}); err != nil {
			return err
		}
		out = p
		return nil
	})
	if apierrors.IsConflict(err) {
		return out, apierror.Conflict("promotion %s changed too often while being updated (try again)", id)
	}
	var ae *apierror.Error
	if err != nil && !errors.As(err, &ae) {
		return out, kube.WriteError(err)
	}
	return out, err
}

func randomSuffix() string {
	b := make([]byte, 2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
