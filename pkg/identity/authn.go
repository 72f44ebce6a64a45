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
	"k8s.io/apimachinery/pkg/util/cache"
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
	cache     *cache.LRUExpireCache
	ttl       time.Duration
}

// NewTokenAuthenticator caches accepted tokens for ttl and rejected ones for
// a tenth of it (a user who just got a token should not wait long).
func NewTokenAuthenticator(client kubernetes.Interface, ttl time.Duration, audiences ...string) *TokenAuthenticator {
	return &TokenAuthenticator{client: client, audiences: audiences, cache: cache.NewLRUExpireCache(4096), ttl: ttl}
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
	key := sha256.Sum256([]byte(token))
	if v, ok := a.cache.Get(key); ok {
		r := v.(tokenResult)
		return r.user, r.err
	}
	review, err := a.client.AuthenticationV1().TokenReviews().Create(ctx, &authnv1.TokenReview{
		Spec: authnv1.TokenReviewSpec{Token: token, Audiences: a.audiences},
	}, metav1.CreateOptions{})
	if err != nil {
		// Not cached: the apiserver's trouble is not the token's.
		return User{}, fmt.Errorf("reviewing the token: %w", err)
	}
	var r tokenResult
	if !review.Status.Authenticated {
		r.err = fmt.Errorf("%w: the cluster does not accept this token", ErrUnauthenticated)
		a.cache.Add(key, r, a.ttl/10)
		return r.user, r.err
	}
	r.user = User{Name: review.Status.User.Username, Groups: review.Status.User.Groups}
	a.cache.Add(key, r, a.ttl)
	return r.user, nil
}
