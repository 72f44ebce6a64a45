package identity

import (
	"context"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
	"k8s.io/apimachinery/pkg/util/cache"
)

// reviewTimeout bounds one TokenReview or SubjectAccessReview. The review is
// shared by every caller asking the same question, so it runs on a context
// detached from theirs (one caller giving up must not fail the others), and
// this is what stops it instead.
const reviewTimeout = 5 * time.Second

// reviews caches the answers to one kind of review and sends each question
// to the apiserver at most once at a time.
//
// An answer is reused until ttl after its review was sent (not after it was
// answered, nor after it was last used), so whatever the apiserver decides
// after a revocation is what every request sees at most ttl later. Answers
// that are refreshed ahead (see get) are replaced by a new review's answer,
// with its own ttl from its own sending; a refresh never extends the life of
// the answer it replaces.
type reviews[V any] struct {
	cache   *cache.LRUExpireCache
	flights singleflight.Group
	ttl     time.Duration
	timeout time.Duration
	// now is the clock (replaced in tests); the cache reads it too.
	now func() time.Time
	// waiting counts callers waiting for a review, so tests can tell when
	// every caller of a burst has joined one.
	waiting atomic.Int32
}

// asker sends one review. reusable reports how the answer is kept: true for
// the full ttl with refresh ahead, false for a tenth of it without refresh
// (a rejected token: its owner may be about to get it accepted). An error is
// the apiserver's trouble, not an answer, and is never cached.
type asker[V any] func(ctx context.Context) (answer V, reusable bool, err error)

// cached is one answer in the cache.
type cached[V any] struct {
	value   V
	expires time.Time
	// refreshAt is when use starts a refresh; zero for never.
	refreshAt time.Time
	// refreshing is set by the use that starts the refresh: one per answer.
	refreshing atomic.Bool
}

func newReviews[V any](size int, ttl time.Duration) *reviews[V] {
	r := &reviews[V]{ttl: ttl, timeout: reviewTimeout, now: time.Now}
	r.cache = cache.NewLRUExpireCacheWithClock(size, clockFunc(func() time.Time { return r.now() }))
	return r
}

type clockFunc func() time.Time

func (f clockFunc) Now() time.Time { return f() }

// get answers the question under key: from the cache while the answer is
// valid, else from a review shared with every concurrent caller of the same
// key. The caller waits on its own ctx; the review does not.
//
// Refresh ahead: an answer used in the second half of its life starts one
// background review of the same question (through the same flight, so a
// caller that misses meanwhile joins it) and is still served. An identity in
// steady use therefore always finds a valid answer. Half the life is the
// point chosen because it leaves ttl/2 (5 s by default) for the refresh to
// land before the old answer expires — room for a slow or rate-limited
// apiserver, which is when a stampede hurts — at the cost of at most two
// reviews per ttl for a hot identity instead of one. If the refresh fails
// the answer is served until it expires and the next use after that reviews
// in the foreground (failing refreshes are not retried, so an apiserver in
// trouble gets one review per answer, not one per request).
func (r *reviews[V]) get(ctx context.Context, key string, ask asker[V]) (V, error) {
	if c, now, ok := r.lookup(key); ok {
		if !c.refreshAt.IsZero() && !now.Before(c.refreshAt) && c.refreshing.CompareAndSwap(false, true) {
			// The result channel is buffered: dropping it leaks nothing.
			r.flight(ctx, key, ask, true)
		}
		return c.value, nil
	}
	ch := r.flight(ctx, key, ask, false)
	r.waiting.Add(1)
	defer r.waiting.Add(-1)
	select {
	case res := <-ch:
		if res.Err != nil {
			var zero V
			return zero, res.Err
		}
		return res.Val.(V), nil
	case <-ctx.Done():
		var zero V
		return zero, ctx.Err()
	}
}

// lookup returns the valid answer under key, and the time it was valid at.
func (r *reviews[V]) lookup(key string) (*cached[V], time.Time, bool) {
	v, ok := r.cache.Get(key)
	if !ok {
		return nil, time.Time{}, false
	}
	c := v.(*cached[V])
	now := r.now()
	return c, now, now.Before(c.expires)
}

// flight starts the review of key, or joins the one under way. Flights of
// one key run one after another, and each stores its answer before it ends,
// so a newer review's answer always replaces an older one, never the reverse.
// A flight started by a miss first looks again: a caller that missed just
// before the previous flight stored its answer takes that answer instead of
// sending another review. A refresh always reviews.
func (r *reviews[V]) flight(ctx context.Context, key string, ask asker[V], refresh bool) <-chan singleflight.Result {
	return r.flights.DoChan(key, func() (any, error) {
		if !refresh {
			if c, _, ok := r.lookup(key); ok {
				return c.value, nil
			}
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.timeout)
		defer cancel()
		sent := r.now()
		v, reusable, err := ask(ctx)
		if err != nil {
			return v, err
		}
		r.store(key, v, sent, reusable)
		return v, nil
	})
}

func (r *reviews[V]) store(key string, v V, sent time.Time, reusable bool) {
	life := r.ttl
	if !reusable {
		life = r.ttl / 10
	}
	c := &cached[V]{value: v, expires: sent.Add(life)}
	if reusable {
		c.refreshAt = sent.Add(life / 2)
	}
	left := c.expires.Sub(r.now())
	if left <= 0 {
		// The review took its whole life (or caching is off): the callers
		// waiting for it get it, nobody after them.
		return
	}
	r.cache.Add(key, c, left)
}
