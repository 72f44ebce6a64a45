package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/slipway-dev/slipway/pkg/api"
	"github.com/slipway-dev/slipway/pkg/api/ratelimit"
	"github.com/slipway-dev/slipway/pkg/apierror"
	"github.com/slipway-dev/slipway/pkg/pipelines"
	"github.com/slipway-dev/slipway/pkg/pipelines/runs"
	"github.com/slipway-dev/slipway/pkg/records"
)

// h1 is the stub's one hook ID, shaped as RotateHook makes them.
const h1 = "0123456789abcdef0123456789abcdef"

// stubHooks is the hooks capability without a cluster: one hook, h1, with token "t1",
// that builds branch main.
type stubHooks struct {
	api.Hooks
	delivered []pipelines.Push
}

func (s *stubHooks) HookKnown(id string) bool { return id == h1 }

func (s *stubHooks) LookupHook(id string) (runs.DeliveryHook, error) {
	if id != h1 {
		return runs.DeliveryHook{}, apierror.NotFound("no such hook")
	}
	return runs.DeliveryHook{Target: records.Target{Project: "demo", App: "hello", Env: "test"},
		Secret: pipelines.HookSecret{TokenSHA256: pipelines.HashToken("t1")}}, nil
}

func (s *stubHooks) Deliver(_ context.Context, _ runs.DeliveryHook, push pipelines.Push) (pipelines.Run, error) {
	if push.Branch != "" && push.Branch != "main" {
		return pipelines.Run{}, apierror.Forbidden("the branch is not the one this hook builds: %q, not %q", push.Branch, "main")
	}
	s.delivered = append(s.delivered, push)
	return pipelines.Run{Name: "hello-run-1"}, nil
}

// The hook handler maps each step's refusal to its status on its own: the handler needs
// only the Hooks interface, no cluster.
func TestHookDeliveryHandler(t *testing.T) {
	hooks := &stubHooks{}
	e := api.New(api.Options{Hooks: hooks, Logger: slog.New(slog.DiscardHandler),
		RateLimit: ratelimit.Bucket{Rate: 1000, Burst: 1000}, HookRateLimit: ratelimit.Bucket{Rate: 1000, Burst: 1000}})
	for name, tc := range map[string]struct {
		path, token string
		want        int
	}{
		"unknown hook":   {"/hooks/v1/fedcba9876543210fedcba9876543210", "t1", http.StatusNotFound},
		"malformed hook": {"/hooks/v1/nope", "t1", http.StatusNotFound},
		"upper-case hex": {"/hooks/v1/0123456789ABCDEF0123456789ABCDEF", "t1", http.StatusNotFound},
		"no credentials": {"/hooks/v1/" + h1, "", http.StatusUnauthorized},
		"wrong token":    {"/hooks/v1/" + h1, "t2", http.StatusUnauthorized},
		"other branch":   {"/hooks/v1/" + h1 + "?branch=dev", "t1", http.StatusForbidden},
		"accepted":       {"/hooks/v1/" + h1 + "?branch=main", "t1", http.StatusAccepted},
	} {
		t.Run(name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, tc.path, strings.NewReader("{}"))
			if tc.token != "" {
				req.Header.Set(pipelines.HeaderToken, tc.token)
			}
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			body, _ := io.ReadAll(rec.Body)
			if rec.Code != tc.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.want, body)
			}
			if tc.want >= 400 && rec.Header().Get("Content-Type") != "application/problem+json" {
				t.Errorf("content type %q, want problem+json", rec.Header().Get("Content-Type"))
			}
		})
	}
	if len(hooks.delivered) != 1 || hooks.delivered[0].Branch != "main" {
		t.Errorf("delivered %+v, want the one push to main", hooks.delivered)
	}
}
