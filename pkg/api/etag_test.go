package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// TestETagOnAPIReads: reads carry an ETag of their body, a matching If-None-Match is a 304
// without a body (the handler, and so authorization, still ran), a change is a new ETag,
// and writes, errors and unauthenticated calls are untouched.
func TestETagOnAPIReads(t *testing.T) {
	s := newStack(t, stackOptions{})
	first := s.do(t, http.MethodGet, testPath, "", "")
	tag := first.header.Get("ETag")
	if first.status != http.StatusOK || !strings.HasPrefix(tag, `"`) || len(tag) < 10 {
		t.Fatalf("GET = %d, ETag %q", first.status, tag)
	}
	if got := first.header.Get("Cache-Control"); got != "private, no-cache" {
		t.Errorf("Cache-Control = %q", got)
	}
	if again := s.do(t, http.MethodGet, testPath, "", ""); again.header.Get("ETag") != tag || string(again.body) != string(first.body) {
		t.Errorf("same body, ETag %q then %q", tag, again.header.Get("ETag"))
	}

	for _, inm := range []string{tag, "W/" + tag, `"other", ` + tag, "*"} {
		req := httptest.NewRequest(http.MethodGet, testPath, nil)
		req.Header.Set("Authorization", "Bearer "+testerToken)
		req.Header.Set("If-None-Match", inm)
		r := s.serve(req)
		if r.status != http.StatusNotModified || len(r.body) != 0 {
			t.Errorf("If-None-Match %s = %d %q, want 304 without body", inm, r.status, r.body)
		}
		if r.header.Get("ETag") != tag {
			t.Errorf("304 ETag = %q, want %q", r.header.Get("ETag"), tag)
		}
	}

	// Authorization runs before the ETag is compared: no token, no 304.
	req := httptest.NewRequest(http.MethodGet, testPath, nil)
	req.Header.Set("If-None-Match", tag)
	if r := s.serve(req); r.status != http.StatusUnauthorized || r.header.Get("ETag") != "" {
		t.Errorf("no token with If-None-Match = %d (ETag %q), want 401 without ETag", r.status, r.header.Get("ETag"))
	}

	// A stale ETag gets the full body.
	req = httptest.NewRequest(http.MethodGet, testPath, nil)
	req.Header.Set("Authorization", "Bearer "+testerToken)
	req.Header.Set("If-None-Match", `"stale"`)
	if r := s.serve(req); r.status != http.StatusOK || string(r.body) != string(first.body) {
		t.Errorf("stale If-None-Match = %d, want 200 with the body", r.status)
	}

	// Errors and writes carry none.
	if r := s.do(t, http.MethodGet, appsPath+"ghost/envs/test", "", ""); r.status != http.StatusNotFound || r.header.Get("ETag") != "" ||
		r.header.Get(echo.HeaderContentType) != "application/problem+json" {
		t.Errorf("404 = %d, ETag %q, type %q", r.status, r.header.Get("ETag"), r.header.Get(echo.HeaderContentType))
	}
	if r := s.do(t, http.MethodPost, testPath+"/deployments", "", `{}`); r.status != http.StatusUnprocessableEntity || r.header.Get("ETag") != "" {
		t.Errorf("POST = %d, ETag %q", r.status, r.header.Get("ETag"))
	}
	// Outside /api/ nothing changes.
	if r := s.do(t, http.MethodGet, "/healthz", "", ""); r.header.Get("ETag") != "" || string(r.body) != "ok" {
		t.Errorf("/healthz got ETag %q", r.header.Get("ETag"))
	}
}

// TestConsoleThroughTheAPIServer: the console (built or the placeholder) answers the root and
// client-side routes of the real server, with its security headers, while unknown API paths
// stay problem+json 404s and known routes keep their own answers.
func TestConsoleThroughTheAPIServer(t *testing.T) {
	s := newStack(t, stackOptions{})
	root := s.doAs(t, "", http.MethodGet, "/", "", "")
	if root.status != http.StatusOK || !strings.HasPrefix(root.header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET / = %d %q", root.status, root.header.Get("Content-Type"))
	}
	if b := string(root.body); !strings.Contains(b, "make console") && !strings.Contains(b, `id="root"`) {
		t.Fatalf("GET / is neither the console nor the placeholder: %.300s", b)
	}
	if csp := root.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP = %q", csp)
	}
	for _, p := range []string{"/projects", "/projects/demo/apps/hello/envs/test/history", "/login"} {
		if r := s.doAs(t, "", http.MethodGet, p, "", ""); r.status != http.StatusOK || string(r.body) != string(root.body) {
			t.Errorf("GET %s = %d, want the console's index", p, r.status)
		}
	}
	for _, p := range []string{"/api/v1/nope", "/api/v1/projects/demo/apps/hello/nope", "/hooks/x"} {
		r := s.do(t, http.MethodGet, p, "", "")
		if r.status != http.StatusNotFound || r.header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("GET %s = %d %q %s, want a problem+json 404", p, r.status, r.header.Get("Content-Type"), r.body)
		}
	}
	// A known path with an unknown method keeps the route table's answer.
	if r := s.do(t, http.MethodPatch, "/api/v1/projects", "", `{}`); r.status != http.StatusMethodNotAllowed {
		t.Errorf("PATCH /api/v1/projects = %d, want 405", r.status)
	}
	if r := s.doAs(t, "", http.MethodGet, "/api/v1/openapi.json", "", ""); r.status != http.StatusOK {
		t.Errorf("openapi = %d", r.status)
	}
}
