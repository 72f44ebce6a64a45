package kube

import (
	"math"
	"net/http"
	"time"

	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
)

// Retries of a watch that found no apiserver listening: quick at first, never more than
// maxWatchRetryDelay apart.
const (
	firstWatchRetryDelay = 250 * time.Millisecond
	maxWatchRetryDelay   = 2 * time.Second
)

// withPatientWatches returns a copy of cfg whose watch requests, while the apiserver refuses
// connections, are retried in the transport until it answers or the watch's context ends.
// client-go's reflector backs off a refused watch itself, doubling to 30 s with as much again
// of jitter, so after an outage of 20 s the caches (and the reconcilers they feed) could stay
// blind for up to a minute after the apiserver was back. Here the informer never sees the
// refusals, and its watch resumes within maxWatchRetryDelay of the apiserver's return, from
// the resource version it had. Anything the apiserver answers (a 403 while its RBAC loads, a
// 410 for a too-old version) goes back to the reflector as before.
func withPatientWatches(cfg *rest.Config) *rest.Config {
	out := rest.CopyConfig(cfg)
	// After any wrapper already set (client-go's Wrap chains them), so every try takes its
	// read budget.
	out.Wrap(func(rt http.RoundTripper) http.RoundTripper { return &patientWatchTransport{next: rt} })
	return out
}

type patientWatchTransport struct{ next http.RoundTripper }

func (t *patientWatchTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet || req.URL.Query().Get("watch") != "true" {
		return t.next.RoundTrip(req)
	}
	backoff := wait.Backoff{Duration: firstWatchRetryDelay, Factor: 2, Cap: maxWatchRetryDelay, Steps: math.MaxInt32}
	for {
		// A watch is a GET without a body: sending it again is safe.
		resp, err := t.next.RoundTrip(req)
		if err == nil || !utilnet.IsConnectionRefused(err) {
			return resp, err
		}
		timer := time.NewTimer(backoff.Step())
		select {
		case <-req.Context().Done():
			timer.Stop()
			return nil, err
		case <-timer.C:
		}
	}
}
