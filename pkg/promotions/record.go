// Package promotions moves a release along the operator's promotion path: a request from one
// environment to the next, held for approvals, windows and soak as the target environment's
// policy says, then deployed exactly once as a new revision that records where it came from.
// Promotions are kept as ConfigMaps in the platform's namespace (record.go builds them).
package promotions

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/revisions"
)

// State is where a promotion is.
type State string

const (
	StatePending   State = "pending"
	StateDeploying State = "deploying"
	StateDeployed  State = "deployed"
	StateRejected  State = "rejected"
	StateFailed    State = "failed"
)

// States are every state, for the ?state= filter.
var States = []State{StatePending, StateDeploying, StateDeployed, StateRejected, StateFailed}

// Request is the body of POST …/apps/{app}/promotions.
type Request struct {
	// From is the environment the release serves in now; To, the next on the path.
	From string `json:"from"`
	To   string `json:"to"`
	// Revision in From to promote; by default what serves 100 % there, else its newest
	// Ready revision.
	Revision string `json:"revision,omitempty"`
	Message  string `json:"message,omitempty"`
	// Strategy moves traffic in To as a deploy's does (default replace).
	Strategy *revisions.Strategy `json:"strategy,omitempty"`
	// BreakGlass skips approvals and windows (the breakGlass right in To), with a reason.
	BreakGlass *revisions.BreakGlass `json:"breakGlass,omitempty"`
}

// Validate checks the request's shape; the environments and the path are the domain's.
func (r Request) Validate() field.ErrorList {
	var errs field.ErrorList
	if r.From == "" {
		errs = append(errs, field.Required(field.NewPath("from"), ""))
	}
	if r.To == "" {
		errs = append(errs, field.Required(field.NewPath("to"), ""))
	}
	if len(r.Message) > revisions.MaxMessageLength {
		errs = append(errs, field.TooLong(field.NewPath("message"), "", revisions.MaxMessageLength))
	}
	return append(errs, r.BreakGlass.Validate(field.NewPath("breakGlass"))...)
}

// DecisionRequest is the body of …/approve and …/reject.
type DecisionRequest struct {
	Message string `json:"message,omitempty"`
}

// Validate checks the message's length.
func (r DecisionRequest) Validate() field.ErrorList {
	if len(r.Message) > revisions.MaxMessageLength {
		return field.ErrorList{field.TooLong(field.NewPath("message"), "", revisions.MaxMessageLength)}
	}
	return nil
}

// Promotion is one request to run a release in the next environment, and what became of it.
type Promotion struct {
	ID      string `json:"id"`
	Project string `json:"project"`
	App     string `json:"app"`
	State   State  `json:"state"`
	From    string `json:"from"`
	To      string `json:"to"`
	// Revision is the revision in From whose release is promoted.
	Revision string              `json:"revision"`
	Release  string              `json:"release"`
	Strategy *revisions.Strategy `json:"strategy,omitempty"`
	Message  string              `json:"message,omitempty"`
	// RequestedBy is who asked; RequiredApprovals, how many distinct approvers To's policy
	// wanted when they did.
	RequestedBy       string     `json:"requestedBy"`
	RequiredApprovals int        `json:"requiredApprovals"`
	Approvals         []Decision `json:"approvals"`
	Rejection         *Decision  `json:"rejection,omitempty"`
	BreakGlass        *Decision  `json:"breakGlass,omitempty"`
	// DeployedRevision is the revision the promotion made in To.
	DeployedRevision string `json:"deployedRevision,omitempty"`
	// Error says why the deploy failed.
	Error     string    `json:"error,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Decision is an approval, a rejection or a break-glass: who, when and why.
type Decision struct {
	User    string    `json:"user"`
	Time    time.Time `json:"time"`
	Message string    `json:"message,omitempty"`
}

// DataKey holds the promotion's JSON in its ConfigMap.
const DataKey = "promotion.json"

// NewID names a promotion: the app, the time to the millisecond and a random suffix, so IDs
// sort by time (two asked for within one second too) and fit a DNS label (the app's name is
// at most 40 characters: 40+1+17+1+4 = 63).
func NewID(app string, at time.Time, random string) string {
	at = at.UTC()
	return fmt.Sprintf("%s-%s%03d-%s", app, at.Format("20060102150405"), at.Nanosecond()/int(time.Millisecond), strings.ToLower(random))
}

// ConfigMap keeps p in namespace store. Its resourceVersion (from the read it updates) is
// the update's precondition, so two approvals never both count the last one.
func ConfigMap(store string, p Promotion, resourceVersion string) *corev1.ConfigMap {
	raw, err := json.Marshal(p)
	if err != nil {
		panic(fmt.Sprintf("marshalling promotion %s: %v", p.ID, err)) // plain data only
	}
	return &corev1.ConfigMap{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: names.PromotionConfigMap(p.Project, p.ID), Namespace: store, ResourceVersion: resourceVersion,
			Labels: map[string]string{
				names.LabelManagedBy: names.ManagedBy, names.LabelProject: p.Project, names.LabelApp: p.App,
				names.LabelEnv: p.To, names.LabelKind: names.KindPromotion, names.LabelPromotionState: string(p.State),
			}},
		Data: map[string]string{DataKey: string(raw)},
	}
}

// FromConfigMap reads a promotion back.
func FromConfigMap(cm *corev1.ConfigMap) (Promotion, error) {
	var p Promotion
	if err := json.Unmarshal([]byte(cm.Data[DataKey]), &p); err != nil {
		return Promotion{}, fmt.Errorf("reading promotion %s/%s: %w", cm.Namespace, cm.Name, err)
	}
	return p, nil
}

// History is what the promotion adds to its target environment's history: the request, each
// approval and the rejection (the deploy's own entry, action promoted, is on the app).
func (p Promotion) History() []revisions.HistoryEntry {
	from := &revisions.PromotedFrom{Env: p.From, Revision: p.Revision, Release: p.Release, Promotion: p.ID}
	entry := func(action revisions.Action, d Decision) revisions.HistoryEntry {
		return revisions.HistoryEntry{Time: d.Time, User: d.User, Action: action, Revision: p.Revision, Message: d.Message,
			Release: p.Release, PromotedFrom: from, Traffic: []revisions.Target{}}
	}
	requested := entry(revisions.ActionPromotionRequested, Decision{User: p.RequestedBy, Time: p.CreatedAt, Message: p.Message})
	if p.BreakGlass != nil {
		requested.BreakGlass = p.BreakGlass.Message
	}
	out := []revisions.HistoryEntry{requested}
	for _, a := range p.Approvals {
		out = append(out, entry(revisions.ActionPromotionApproved, a))
	}
	if p.Rejection != nil {
		out = append(out, entry(revisions.ActionPromotionRejected, *p.Rejection))
	}
	return out
}
