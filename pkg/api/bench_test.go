package api_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/slipway-dev/slipway/pkg/api/ratelimit"
)

// BenchmarkAuthorizedRead is one app read through authentication, the rate
// limiter and authorization, with the review caches warm (the steady state:
// a user's requests within auth.cacheTTL). Its cost over the handler is what
// every API call pays for identity.
func BenchmarkAuthorizedRead(b *testing.B) {
	s := newStack(b, stackOptions{limit: &ratelimit.Bucket{Rate: 1e9, Burst: 1 << 30}})
	path := "/api/v1/projects/" + project + "/apps/" + app + "/envs/test"
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Bearer "+testerToken)
	if r := s.serve(req); r.status != http.StatusOK {
		b.Fatalf("warm-up: %d %s", r.status, r.body)
	}
	for b.Loop() {
		if r := s.serve(req); r.status != http.StatusOK {
			b.Fatalf("%d", r.status)
		}
	}
}
