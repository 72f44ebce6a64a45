package identity

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// User is an authenticated caller.
type User struct {
	Name   string   `json:"name"`
	Groups []string `json:"groups,omitempty"`
}

// ErrUnauthenticated is returned for a missing, malformed or rejected token;
// its message never contains the token.
var ErrUnauthenticated = errors.New("unauthenticated")

// TokenAuthenticator checks bearer tokens with TokenReview.
type TokenAuthenticator struct {
	client kubernetes.Interface
	// Audiences, when set, are the audiences the token must be valid for.
	audiences []string
	reviews   *reviews[tokenResult]
}

// NewTokenAuthenticator caches accepted tokens for ttl and rejected ones for
// a tenth of it (a user who just got a token should not wait long). Both
// lives count from when the TokenReview was sent, so a revoked token is
// refused at most ttl after the apiserver stops accepting it. Concurrent
// requests with the same token share one TokenReview, and an accepted token
// in steady use is reviewed again in the background in the second half of
// its answer's life, so it never waits for one; rejected tokens are not
// refreshed.
func NewTokenAuthenticator(client kubernetes.Interface, ttl time.Duration, audiences ...string) *TokenAuthenticator {
	return &TokenAuthenticator{client: client, audiences: audiences, reviews: newReviews[tokenResult](4096, ttl)}
}

type tokenResult struct {
	user User
	err  error
}

// Authenticate reads "Authorization: Bearer <token>".
func (a *TokenAuthenticator) Authenticate(r *http.Request) (User, error) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return User{}, fmt.Errorf("%w: send Authorization: Bearer <token>", ErrUnauthenticated)
	}
	return a.AuthenticateToken(r.Context(), strings.TrimSpace(token))
}

// AuthenticateToken reviews one token.
func (a *TokenAuthenticator) AuthenticateToken(ctx context.Context, token string) (User, error) {
	r, err := a.reviews.get(ctx, tokenKey(token), func(ctx context.Context) (tokenResult, bool, error) {
		review, err := a.client.AuthenticationV1().TokenReviews().Create(ctx, &authnv1.TokenReview{
			Spec: authnv1.TokenReviewSpec{Token: token, Audiences: a.audiences},
		}, metav1.CreateOptions{})
		if err != nil {
			// Not cached: the apiserver's trouble is not the token's.
			return tokenResult{}, false, err
		}
		if !review.Status.Authenticated {
			return tokenResult{err: fmt.Errorf("%w: the cluster does not accept this token", ErrUnauthenticated)}, false, nil
		}
		return tokenResult{user: User{Name: review.Status.User.Username, Groups: review.Status.User.Groups}}, true, nil
	})
	if err != nil {
		return User{}, fmt.Errorf("reviewing the token: %w", err)
	}
	return r.user, r.err
}

// tokenKey is the cache key of a token: its hash, so the cache holds no token.
func tokenKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return string(sum[:])
}
