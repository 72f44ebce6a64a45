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
