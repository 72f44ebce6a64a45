//go:build integration

package integration

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/slipway-dev/slipway/internal/devstack"
	"github.com/slipway-dev/slipway/pkg/kube"
)

// Fault modes of faultProxy.
const (
	passThrough int32 = iota
	failWrites        // writes answered 500 InternalError
	slowWrites        // writes held 2 s before being forwarded
)

// faultProxy stands in front of the dev apiserver and breaks writes on
// demand; reads, watches and access reviews always pass.
type faultProxy struct {
	*httptest.Server
	mode     atomic.Int32
	injected atomic.Int32
}

func newFaultProxy(t *testing.T) *faultProxy {
	t.Helper()
	target, err := url.Parse(env.stack.Config.Host)
	if err != nil {
		t.Fatal(err)
	}
	// The proxy carries platform-api's credentials and TLS; platform-api talks plain HTTP to it.
	transport, err := rest.TransportFor(env.stack.ConfigFor(devstack.IdentityPlatformAPI))
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = transport
	p := &faultProxy{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		write := r.Method != http.MethodGet && !isReview(r.URL.Path)
		switch mode := p.mode.Load(); {
		case write && mode == failWrites:
			p.injected.Add(1)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"injected failure","reason":"InternalError","code":500}`)
			return
		case write && mode == slowWrites:
			p.injected.Add(1)
			select {
			case <-time.After(2 * time.Second):
			case <-r.Context().Done():
				return
			}
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.Close)
	return p
}

func isReview(path string) bool {
	return strings.HasPrefix(path, "/apis/authentication.k8s.io/") || strings.HasPrefix(path, "/apis/authorization.k8s.io/")
}

// TestRateLimitAndBreaker runs a second platform-api, with tight limits, whose
// Kubernetes client goes through a fault-injecting proxy: a burst gets 429s
// with Retry-After; failing and slow writes open the breaker, after which
// writes fail fast with 503 without reaching the apiserver, and recover
// through half-open once it is healthy.
func TestRateLimitAndBreaker(t *testing.T) {
	createProject(t, "guarded")
	mustCall(t, http.StatusCreated, http.MethodPost, appPath("guarded", "web", "test")+"/deployments", map[string]string{"image": "dev.local/g/web:v1"}, nil)

	proxy := newFaultProxy(t)
	cfg := *env.cfg
	cfg.Limits.PerUser.Rate, cfg.Limits.PerUser.Burst = 5, 10
	cfg.Breaker.Failures, cfg.Breaker.OpenFor.Duration, cfg.Breaker.WriteTimeout.Duration = 3, 2*time.Second, 500*time.Millisecond
	clients, err := kube.NewClients(&rest.Config{Host: proxy.URL}, cfg.Breaker)
	if err != nil {
		t.Fatal(err)
	}
	api := startPlatform(t, &cfg, clients)
	send := func(method, path string, body string) (int, http.Header, time.Duration) {
		req, _ := http.NewRequest(method, api.URL+path, nil)
		if body != "" {
			req, _ = http.NewRequest(method, api.URL+path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Authorization", "Bearer "+env.stack.AdminToken)
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Logf("%s %s → %d %s", method, path, resp.StatusCode, b)
		}
		return resp.StatusCode, resp.Header, time.Since(start)
	}
	deployPath := appPath("guarded", "web", "test") + "/deployments"
	deploy := func(i int) (int, http.Header, time.Duration) {
		return send(http.MethodPost, deployPath, fmt.Sprintf(`{"image":"dev.local/g/web:b%d"}`, i))
	}
	eventually(t, 30*time.Second, "second platform-api serving the app", func() error {
		if code, _, _ := send(http.MethodGet, appPath("guarded", "web", "test"), ""); code != http.StatusOK {
			return fmt.Errorf("GET app: %d", code)
		}
		return nil
	})
	time.Sleep(2 * time.Second) // refill the bucket the warm-up used

	// Rate limit: a burst of 25 against a bucket of 10 (+5/s).
	var limited int
	for range 25 {
		code, h, _ := send(http.MethodGet, "/api/v1/environments", "")
		if code == http.StatusTooManyRequests {
			limited++
			if h.Get("Retry-After") == "" {
				t.Errorf("429 without Retry-After")
			}
		}
	}
	if limited < 10 {
		t.Errorf("%d of 25 burst requests limited, want at least 10", limited)
	}
	time.Sleep(3 * time.Second) // refill

	// Failing writes: three 503s from the apiserver's 500s, then the breaker is open.
	proxy.mode.Store(failWrites)
	for i := range 3 {
		if code, _, _ := deploy(i); code != http.StatusServiceUnavailable {
			t.Fatalf("deploy %d against a failing apiserver = %d, want 503", i, code)
		}
	}
	reached := proxy.injected.Load()
	code, h, took := deploy(3)
	if code != http.StatusServiceUnavailable || h.Get("Retry-After") != "2" {
		t.Fatalf("deploy with the breaker open = %d, Retry-After %q; want 503 and 2", code, h.Get("Retry-After"))
	}
	if proxy.injected.Load() != reached {
		t.Errorf("a write reached the apiserver while the breaker was open")
	}
	t.Logf("open breaker answered in %s", took)

	// Healthy again: after openFor one write is tried (half-open), succeeds, and closes it.
	proxy.mode.Store(passThrough)
	time.Sleep(2100 * time.Millisecond)
	for i := range 2 {
		if code, _, _ := deploy(10 + i); code != http.StatusCreated {
			t.Fatalf("deploy %d after recovery = %d, want 201", i, code)
		}
	}

	// Slow writes: each times out after 500 ms, as a 503; three open the breaker again.
	proxy.mode.Store(slowWrites)
	for i := range 3 {
		code, _, took := deploy(20 + i)
		if code != http.StatusServiceUnavailable || took > 1500*time.Millisecond {
			t.Fatalf("slow deploy %d = %d after %s, want 503 within the 500 ms write timeout", i, code, took)
		}
	}
	if code, _, took := deploy(30); code != http.StatusServiceUnavailable || took > 200*time.Millisecond {
		t.Errorf("deploy with the breaker open after timeouts = %d in %s, want a fast 503", code, took)
	}
	proxy.mode.Store(passThrough)
}
