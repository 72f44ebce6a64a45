package identity

import (
	"context"
	"fmt"
	"strings"
	"time"

	authzv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Action is what a request does, named by the Kubernetes verb and resource a
// kubectl user would need to do the same.
type Action struct {
	Verb     string `json:"verb"`
	Group    string `json:"group"`
	Resource string `json:"resource"`
}

func (a Action) String() string {
	if a.Group == "" {
		return a.Verb + " " + a.Resource
	}
	return a.Verb + " " + a.Resource + "." + a.Group
}

const (
	servingGroup = "serving.knative.dev"
	argoGroup    = "argoproj.io"
)

// The actions of Slipway's API.
var (
	// ReadApps covers every read of an app: status, revisions, history, manifests.
	ReadApps = Action{Verb: "get", Group: servingGroup, Resource: "services"}
	// ListApps is seeing a project (or environment) at all.
	ListApps = Action{Verb: "list", Group: servingGroup, Resource: "services"}
	// ChangeApps covers deploy, traffic and rollback: each updates the Service.
	ChangeApps = Action{Verb: "update", Group: servingGroup, Resource: "services"}
	// DeleteApps removes an app from an environment.
	DeleteApps = Action{Verb: "delete", Group: servingGroup, Resource: "services"}
	// ManageMembers grants roles in a project (RoleBindings).
	ManageMembers = Action{Verb: "create", Group: "rbac.authorization.k8s.io", Resource: "rolebindings"}
	// ReadPlatform is seeing every project at once (operators: filebeat
	// inputs, the whole audit trail).
	ReadPlatform = Action{Verb: "list", Group: "", Resource: "namespaces"}
	// CreateProjects makes namespaces (cluster-wide).
	CreateProjects = Action{Verb: "create", Group: "", Resource: "namespaces"}
	// ReadRuns lists and reads pipeline runs (Argo Workflows).
	ReadRuns = Action{Verb: "list", Group: argoGroup, Resource: "workflows"}
	// StartRuns starts (and retries) pipeline runs.
	StartRuns = Action{Verb: "create", Group: argoGroup, Resource: "workflows"}
	// ChangeRuns cancels pipeline runs.
	ChangeRuns = Action{Verb: "update", Group: argoGroup, Resource: "workflows"}
)

// SARAuthorizer asks the apiserver with SubjectAccessReviews.
type SARAuthorizer struct {
	client  kubernetes.Interface
	reviews *reviews[bool]
}

// NewSARAuthorizer caches each answer (allowed or not) for ttl from when its
// SubjectAccessReview was sent, so a revoked (or granted) role takes effect
// at most ttl after the apiserver's RBAC has it. Concurrent requests asking
// the same question share one review, and a question in steady use is
// reviewed again in the background in the second half of its answer's life,
// so it never waits for one.
func NewSARAuthorizer(client kubernetes.Interface, ttl time.Duration) *SARAuthorizer {
	return &SARAuthorizer{client: client, reviews: newReviews[bool](16384, ttl)}
}

// Allowed reports whether u may do a in namespace ("" for cluster scope).
func (z *SARAuthorizer) Allowed(ctx context.Context, u User, a Action, namespace string) (bool, error) {
	key := u.Name + "\x00" + strings.Join(u.Groups, "\x01") + "\x00" + a.String() + "\x00" + namespace
	allowed, err := z.reviews.get(ctx, key, func(ctx context.Context) (bool, bool, error) {
		review, err := z.client.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authzv1.SubjectAccessReview{
			Spec: authzv1.SubjectAccessReviewSpec{
				User:   u.Name,
				Groups: u.Groups,
				ResourceAttributes: &authzv1.ResourceAttributes{
					Namespace: namespace, Verb: a.Verb, Group: a.Group, Resource: a.Resource,
				},
			},
		}, metav1.CreateOptions{})
		if err != nil {
			return false, false, err
		}
		return review.Status.Allowed && !review.Status.Denied, true, nil
	})
	if err != nil {
		return false, fmt.Errorf("reviewing access: %w", err)
	}
	return allowed, nil
}
