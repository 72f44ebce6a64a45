package kube

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/flowcontrol"
)

// Lease and review requests neither wait for the breaker nor share the writes' budget: an
// open breaker, or a burst of writes, once cost the Lease.
func TestClientsSeparateBudgets(t *testing.T) {
	var mu sync.Mutex
	reached := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		reached[r.URL.Path]++
		mu.Unlock()
		if strings.Contains(r.URL.Path, "/configmaps") {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","message":"boom","reason":"InternalError","code":500}`))
			return
		}
		w.Header().Set("Content-Type", r.Header.Get("Content-Type"))
		w.WriteHeader(http.StatusCreated)
		w.Write(body) // the object back, in the encoding it came in
	}))
	defer srv.Close()
	// A caller's own limiter must not leak into any of the budgets.
	shared := flowcontrol.NewTokenBucketRateLimiter(1, 1)
	c, err := NewClients(&rest.Config{Host: srv.URL, RateLimiter: shared},
		BreakerSettings{Failures: 1, OpenFor: metav1.Duration{Duration: time.Hour}, WriteTimeout: metav1.Duration{Duration: 10 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "x"}}
	c.Kube.CoreV1().ConfigMaps("d").Create(ctx, cm, metav1.CreateOptions{}) // opens the breaker
	var open *ErrCircuitOpen
	if _, err := c.Kube.CoreV1().ConfigMaps("d").Create(ctx, cm, metav1.CreateOptions{}); !errors.As(err, &open) {
		t.Fatalf("second write: %v, want the breaker open", err)
	}
	if _, err := c.Leases.Leases("d").Create(ctx, &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "l"}}, metav1.CreateOptions{}); err != nil {
		t.Errorf("Lease write with the breaker open: %v", err)
	}
	if _, err := c.Reviews.AuthenticationV1().TokenReviews().Create(ctx, &authenticationv1.TokenReview{}, metav1.CreateOptions{}); err != nil {
		t.Errorf("TokenReview with the breaker open: %v", err)
	}
	mu.Lock()
	if reached["/apis/coordination.k8s.io/v1/namespaces/d/leases"] != 1 || reached["/apis/authentication.k8s.io/v1/tokenreviews"] != 1 {
		t.Errorf("requests that reached the apiserver: %v", reached)
	}
	mu.Unlock()

	limiters := map[string]flowcontrol.RateLimiter{
		"requests": c.Kube.CoreV1().RESTClient().GetRateLimiter(),
		"reviews":  c.Reviews.AuthenticationV1().RESTClient().GetRateLimiter(),
		"leases":   c.Leases.RESTClient().GetRateLimiter(),
	}
	// Reads and writes are budgeted in the transport (TestReadWriteBudgets); client-go's
	// limiter of those clients never holds a request back.
	for range 1000 {
		if !limiters["requests"].TryAccept() {
			t.Fatal("the requests' client-go limiter holds requests back")
		}
	}
	want := map[string]float32{"reviews": reviewQPS, "leases": leaseQPS}
	for name, l := range limiters {
		if name == "requests" {
			continue
		}
		if l == nil || l == shared || l.QPS() != want[name] {
			t.Errorf("%s limiter %v (QPS %v), want its own at %v QPS", name, l, l.QPS(), want[name])
		}
		for other, o := range limiters {
			if other != name && o == l {
				t.Errorf("%s and %s share a limiter", name, other)
			}
		}
	}
}
