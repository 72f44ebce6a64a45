package kube

import (
	"net/http"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/flowcontrol"
)

// withReadWriteBudgets gives reads and writes through cfg token buckets of their own, shared
// by every client made from the result: a burst of writes (a fleet-wide deploy) cannot make
// the live reads behind a conflict retry wait, nor reads the writes. client-go's own limiter
// sees no request, so it is replaced by one that never waits and the buckets are taken in
// the transport, where the verb is known; a request whose context ends while it waits fails
// with that context's error, as client-go's would.
func withReadWriteBudgets(cfg *rest.Config, reads, writes flowcontrol.RateLimiter) *rest.Config {
	out := rest.CopyConfig(cfg)
	out.RateLimiter = flowcontrol.NewFakeAlwaysRateLimiter()
	// After any wrapper already set (client-go's Wrap chains them).
	out.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return &budgetTransport{next: rt, reads: reads, writes: writes}
	})
	return out
}

type budgetTransport struct {
	next          http.RoundTripper
	reads, writes flowcontrol.RateLimiter
}

func (t *budgetTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	bucket := t.writes
	if req.Method == http.MethodGet || req.Method == http.MethodHead {
		bucket = t.reads
	}
	if err := bucket.Wait(req.Context()); err != nil {
		return nil, err
	}
	return t.next.RoundTrip(req)
}
