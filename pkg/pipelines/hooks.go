package pipelines

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"

	"github.com/go-playground/webhooks/v6/github"
	"github.com/go-playground/webhooks/v6/gitlab"
)

// Hook request headers and query parameters: all ParsePush reads (the API's document
// lists them).
const (
	HeaderToken          = "X-Slipway-Token"
	HeaderDelivery       = "X-Slipway-Delivery"
	HeaderGitHubEvent    = "X-GitHub-Event"
	HeaderGitHubDelivery = "X-GitHub-Delivery"
	HeaderHubSignature   = "X-Hub-Signature-256"
	HeaderGitLabEvent    = "X-Gitlab-Event"
	HeaderGitLabDelivery = "X-Gitlab-Event-UUID"
	HeaderGitLabToken    = "X-Gitlab-Token"
	// QueryBranch and QueryCommit say what a token hook starts.
	QueryBranch = "branch"
	QueryCommit = "commit"
)

const (
	branchRefPrefix = "refs/heads/"
	// MaxDeliveryIDLength bounds a delivery ID header.
	MaxDeliveryIDLength = 200
)

// Providers of hook deliveries.
const (
	ProviderToken  = "token"
	ProviderGitHub = "github"
	ProviderGitLab = "gitlab"
)

// Hook refusals; each is its own 4xx at the API.
var (
	ErrNoCredentials = errors.New("no X-Slipway-Token, X-Hub-Signature-256 or X-Gitlab-Token")
	ErrBadSignature  = errors.New("the signature or token does not match this hook")
	ErrNotPush       = errors.New("not a push event")
	ErrBadPayload    = errors.New("the payload is not a push event's JSON")
	ErrNotBranch     = errors.New("the push is not to a branch")
)

// Push is what a verified hook delivery asks for.
type Push struct {
	Provider string
	// Delivery identifies the delivery (replays carry the same one); empty when the
	// sender gave none (token hooks without X-Slipway-Delivery).
	Delivery string
	// Branch and Commit: what was pushed ("" commit for a token hook: the branch's head).
	Branch, Commit string
	// Pusher is who pushed, as the provider says.
	Pusher string
}

// HookSecret is what a hook is verified with: the SHA-256 of its token (X-Slipway-Token),
// and the shared secret GitHub signs with and GitLab sends.
type HookSecret struct {
	TokenSHA256 []byte
	Secret      string
}

// HashToken is how a hook token is stored.
func HashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// ParsePush verifies a hook delivery and reads it. The body must already be bounded by
// the caller. Verification always comes before the payload is parsed.
func ParsePush(r *http.Request, secret HookSecret) (Push, error) {
	switch {
	case r.Header.Get(HeaderToken) != "":
		got := HashToken(r.Header.Get(HeaderToken))
		if len(secret.TokenSHA256) != len(got) || subtle.ConstantTimeCompare(got, secret.TokenSHA256) != 1 {
			return Push{}, ErrBadSignature
		}
		return tokenPush(r)
	case r.Header.Get(HeaderHubSignature) != "" || r.Header.Get(HeaderGitHubEvent) != "":
		return githubPush(r, secret.Secret)
	case r.Header.Get(HeaderGitLabToken) != "" || r.Header.Get(HeaderGitLabEvent) != "":
		return gitlabPush(r, secret.Secret)
	}
	return Push{}, ErrNoCredentials
}

// tokenPush: a token hook starts the branch given as ?branch= (or the pipeline's) at its
// head, or ?commit=.
func tokenPush(r *http.Request) (Push, error) {
	q := r.URL.Query()
	p := Push{Provider: ProviderToken, Delivery: r.Header.Get(HeaderDelivery), Branch: q.Get(QueryBranch), Commit: q.Get(QueryCommit)}
	return p, checkPush(p)
}

func githubPush(r *http.Request, secret string) (Push, error) {
	if r.Header.Get(HeaderHubSignature) == "" {
		return Push{}, ErrBadSignature
	}
	hook, err := github.New(github.Options.Secret(secret))
	if err != nil {
		return Push{}, err
	}
	payload, err := hook.Parse(r, github.PushEvent)
	switch {
	case errors.Is(err, github.ErrHMACVerificationFailed), errors.Is(err, github.ErrMissingHubSignatureHeader):
		return Push{}, ErrBadSignature
	case errors.Is(err, github.ErrEventNotFound), errors.Is(err, github.ErrMissingGithubEventHeader):
		return Push{}, ErrNotPush
	case err != nil:
		return Push{}, ErrBadPayload
	}
	push, ok := payload.(github.PushPayload)
	if !ok {
		return Push{}, ErrNotPush
	}
	p := Push{Provider: ProviderGitHub, Delivery: r.Header.Get(HeaderGitHubDelivery), Commit: push.After, Pusher: push.Pusher.Name}
	if p.Branch, ok = strings.CutPrefix(push.Ref, branchRefPrefix); !ok || p.Branch == "" || push.Deleted {
		return Push{}, ErrNotBranch
	}
	return p, checkGitPush(p)
}

func gitlabPush(r *http.Request, secret string) (Push, error) {
	if r.Header.Get(HeaderGitLabToken) == "" {
		return Push{}, ErrBadSignature
	}
	hook, err := gitlab.New(gitlab.Options.Secret(secret))
	if err != nil {
		return Push{}, err
	}
	payload, err := hook.Parse(r, gitlab.PushEvents)
	switch {
	case errors.Is(err, gitlab.ErrGitLabTokenVerificationFailed):
		return Push{}, ErrBadSignature
	case errors.Is(err, gitlab.ErrEventNotFound), errors.Is(err, gitlab.ErrMissingGitLabEventHeader):
		return Push{}, ErrNotPush
	case err != nil:
		return Push{}, ErrBadPayload
	}
	push, ok := payload.(gitlab.PushEventPayload)
	if !ok {
		return Push{}, ErrNotPush
	}
	p := Push{Provider: ProviderGitLab, Delivery: r.Header.Get(HeaderGitLabDelivery), Commit: push.After, Pusher: push.UserUsername}
	if p.Branch, ok = strings.CutPrefix(push.Ref, branchRefPrefix); !ok || p.Branch == "" || strings.Trim(push.After, "0") == "" {
		return Push{}, ErrNotBranch
	}
	return p, checkGitPush(p)
}

// checkGitPush: a Git host's push names the commit it made.
func checkGitPush(p Push) error {
	if p.Commit == "" {
		return ErrBadPayload
	}
	return checkPush(p)
}

// checkPush refuses what a run may not be started from, whatever the sender's signature.
func checkPush(p Push) error {
	if p.Branch != "" && checkBranch(p.Branch) != "" {
		return ErrBadPayload
	}
	if p.Commit != "" && !isCommit(p.Commit) {
		return ErrBadPayload
	}
	if len(p.Delivery) > MaxDeliveryIDLength {
		return ErrBadPayload
	}
	return nil
}

// isCommit is a full SHA-1 or SHA-256 object name.
func isCommit(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}
