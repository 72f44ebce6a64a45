package kube

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/flowcontrol"
)

// countingLimiter never waits; it counts who asked.
type countingLimiter struct {
	flowcontrol.RateLimiter
	waits atomic.Int32
}

func (l *countingLimiter) Wait(context.Context) error { l.waits.Add(1); return nil }

// Reads and writes draw on their own buckets, whatever client sends them.
func TestReadWriteBudgets(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	reads, writes := &countingLimiter{}, &countingLimiter{}
	cfg := withReadWriteBudgets(&rest.Config{Host: srv.URL}, reads, writes)
	rt, err := rest.TransportFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: rt}
	for _, method := range []string{http.MethodGet, http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete} {
		req, _ := http.NewRequest(method, srv.URL+"/api/v1/namespaces", nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if reads.waits.Load() != 2 || writes.waits.Load() != 4 {
		t.Errorf("reads waited %d times, writes %d; want 2 and 4", reads.waits.Load(), writes.waits.Load())
	}
	if cfg.RateLimiter.TryAccept() != true {
		t.Error("client-go's own limiter must never hold a request back")
	}
}

// A request whose context ends while its bucket is empty fails with that context's error.
func TestBudgetHonoursContext(t *testing.T) {
	empty := flowcontrol.NewTokenBucketRateLimiter(0.001, 1)
	empty.Accept() // the one token is gone
	cfg := withReadWriteBudgets(&rest.Config{Host: "http://127.0.0.1:1"}, empty, empty)
	rt, err := rest.TransportFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:1/", nil)
	if _, err := rt.RoundTrip(req); err == nil {
		t.Fatal("a request with an ended context went through an empty bucket")
	}
}
