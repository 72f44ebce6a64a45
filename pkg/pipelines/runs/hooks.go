package runs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/slipway-dev/slipway/pkg/apierror"
	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/pipelines"
	"github.com/slipway-dev/slipway/pkg/records"
)

// HookPathPrefix is where Git hosts deliver pushes: POST {HookPathPrefix}{hookID}.
const HookPathPrefix = "/hooks/v1/"

// Hook is an app's hook: where Git hosts deliver pushes, and — only when it is made or
// rotated — its token and shared secret.
type Hook struct {
	URL    string `json:"url"`
	Branch string `json:"branch"`
	// Token (X-Slipway-Token) and Secret (GitHub's signing secret, GitLab's token) are
	// shown once; only the token's hash is kept.
	Token  string `json:"token,omitempty"`
	Secret string `json:"secret,omitempty"`
}

// HookIDLength is the length of a hook's ID: 16 random bytes in lowercase hex.
const HookIDLength = 32

// ValidHookID reports whether id is one RotateHook could have made.
func ValidHookID(id string) bool {
	if len(id) != HookIDLength {
		return false
	}
	for _, c := range id {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// RotateHook makes the app's hook, or gives it a new token and secret; the URL stays.
func (r *Runs) RotateHook(ctx context.Context, t records.Target) (Hook, error) {
	if _, err := r.records.Resolve(t); err != nil {
		return Hook{}, err
	}
	if err := r.enabled(); err != nil {
		return Hook{}, err
	}
	pl, err := r.pipeline(ctx, t)
	if err != nil {
		return Hook{}, err
	}
	id := randomHex(HookIDLength / 2)
	if existing, err := r.hookOf(t); err == nil {
		id = existing.Labels[names.LabelHookID]
	}
	token, secret := "slw_"+randomHex(24), randomHex(24)
	if err := r.clients.Apply(ctx, pipelines.HookRecord(r.cfg.Namespace, runTarget(t), id, token, secret)); err != nil {
		return Hook{}, err
	}
	return Hook{URL: HookPathPrefix + id, Branch: pl.WithDefaults().Branch, Token: token, Secret: secret}, nil
}

// GetHook shows the app's hook without its credentials.
func (r *Runs) GetHook(ctx context.Context, t records.Target) (Hook, error) {
	if _, err := r.records.Resolve(t); err != nil {
		return Hook{}, err
	}
	pl, err := r.pipeline(ctx, t)
	if err != nil {
		return Hook{}, err
	}
	s, err := r.hookOf(t)
	if err != nil {
		return Hook{}, err
	}
	return Hook{URL: HookPathPrefix + s.Labels[names.LabelHookID], Branch: pl.WithDefaults().Branch}, nil
}

// hookOf finds the app's hook Secret.
func (r *Runs) hookOf(t records.Target) (*corev1.Secret, error) {
	found, err := r.cache.Secrets.Secrets(r.cfg.Namespace).List(labels.SelectorFromSet(pipelines.RecordLabels(runTarget(t), names.KindHook)))
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, apierror.NotFound("app %q has no hook in %q (POST …/pipeline/hook/rotate)", t.App, t.Env)
	}
	return found[0], nil
}

// HookKnown reports whether id names a hook (from the cache).
func (r *Runs) HookKnown(id string) bool {
	s, err := r.cache.Secrets.Secrets(r.cfg.Namespace).Get(names.HookSecret(id))
	return err == nil && s.Labels[names.LabelHookID] == id
}

// DeliveryHook is what a delivery to a hook is checked against and started for.
type DeliveryHook struct {
	Target records.Target
	Secret pipelines.HookSecret
}

// LookupHook finds hook id for a delivery: the app it builds and the credentials a push
// must carry.
func (r *Runs) LookupHook(id string) (DeliveryHook, error) {
	s, err := r.cache.Secrets.Secrets(r.cfg.Namespace).Get(names.HookSecret(id))
	if apierrors.IsNotFound(err) || (err == nil && (s.Labels[names.LabelKind] != names.KindHook || s.Labels[names.LabelHookID] != id)) {
		return DeliveryHook{}, apierror.NotFound("no such hook")
	}
	if err != nil {
		return DeliveryHook{}, err
	}
	if err := r.enabled(); err != nil {
		return DeliveryHook{}, err
	}
	tokenHash, err := hex.DecodeString(string(s.Data[pipelines.HookTokenKey]))
	if err != nil {
		return DeliveryHook{}, fmt.Errorf("hook %s: stored token hash: %w", id, err)
	}
	return DeliveryHook{
		Target: records.Target{Project: s.Labels[names.LabelProject], App: s.Labels[names.LabelApp], Env: s.Labels[names.LabelEnv]},
		Secret: pipelines.HookSecret{TokenSHA256: tokenHash, Secret: string(s.Data[pipelines.HookSecretKey])},
	}, nil
}

// Deliver starts the run a verified push to h asks for, if it is for the branch the hook
// builds.
func (r *Runs) Deliver(ctx context.Context, h DeliveryHook, push pipelines.Push) (pipelines.Run, error) {
	pl, err := r.pipeline(ctx, h.Target)
	if err != nil {
		return pipelines.Run{}, err
	}
	pl = pl.WithDefaults()
	if push.Branch == "" {
		push.Branch = pl.Branch
	}
	if push.Branch != pl.Branch {
		return pipelines.Run{}, apierror.Forbidden("the branch is not the one this hook builds: %q, not %q", push.Branch, pl.Branch)
	}
	startedBy := push.Provider + ":" + push.Pusher
	if push.Pusher == "" {
		startedBy = push.Provider + " hook"
	}
	return r.start(ctx, h.Target, pipelines.Start{
		Pipeline: pl, Request: pipelines.RunRequest{Commit: push.Commit, Branch: push.Branch},
		Trigger: pipelines.TriggerHook, StartedBy: startedBy, Delivery: deliveryKey(push),
	})
}

// deliveryKey scopes a delivery ID to its provider.
func deliveryKey(p pipelines.Push) string {
	if p.Delivery == "" {
		return ""
	}
	return p.Provider + ":" + p.Delivery
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return hex.EncodeToString(b)
}
