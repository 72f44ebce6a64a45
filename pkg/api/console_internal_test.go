package api

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/labstack/echo/v4"
)

const builtIndex = `<!doctype html><html><body><div id="root"></div><script type="module" src="/assets/index-abc123.js"></script></body></html>`

func consoleEcho(c *console) *echo.Echo {
	e := echo.New()
	e.HTTPErrorHandler = errorHandler(slog.New(slog.DiscardHandler))
	e.GET("/api/v1/things", func(c echo.Context) error { return c.JSON(http.StatusOK, []string{}) })
	e.Use(c.fallback)
	return e
}

func builtConsole() *console {
	files := fstest.MapFS{
		"index.html":              {Data: []byte(builtIndex)},
		"assets/index-abc123.js":  {Data: []byte("console.log(1)")},
		"assets/index-def456.css": {Data: []byte("body{}")},
		"favicon.svg":             {Data: []byte("<svg/>")},
	}
	return newConsole(files, true, []byte("placeholder"))
}

func get(e *echo.Echo, method, path string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

func TestConsoleServesBuiltFiles(t *testing.T) {
	e := consoleEcho(builtConsole())
	cases := []struct {
		path, wantBody, wantType, wantCache string
	}{
		{"/", builtIndex, "text/html; charset=utf-8", "no-cache"},
		{"/index.html", builtIndex, "text/html; charset=utf-8", "no-cache"},
		// Client-side routes fall back to the app.
		{"/projects/demo/apps/hello/envs/test/traffic", builtIndex, "text/html; charset=utf-8", "no-cache"},
		{"/login?next=/projects", builtIndex, "text/html; charset=utf-8", "no-cache"},
		{"/assets/index-abc123.js", "console.log(1)", "text/javascript; charset=utf-8", "public, max-age=31536000, immutable"},
		{"/assets/index-def456.css", "body{}", "text/css; charset=utf-8", "public, max-age=31536000, immutable"},
		{"/favicon.svg", "<svg/>", "image/svg+xml", "no-cache"},
		{"/assets/../favicon.svg", "<svg/>", "image/svg+xml", "no-cache"},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			rec := get(e, http.MethodGet, c.path)
			if rec.Code != http.StatusOK || rec.Body.String() != c.wantBody {
				t.Fatalf("GET %s = %d %q, want 200 %q", c.path, rec.Code, rec.Body.String(), c.wantBody)
			}
			if got := rec.Header().Get("Content-Type"); got != c.wantType {
				t.Errorf("Content-Type = %q, want %q", got, c.wantType)
			}
			if got := rec.Header().Get("Cache-Control"); got != c.wantCache {
				t.Errorf("Cache-Control = %q, want %q", got, c.wantCache)
			}
			if got := rec.Header().Get("Content-Security-Policy"); !strings.HasPrefix(got, "default-src 'self'") {
				t.Errorf("Content-Security-Policy = %q", got)
			}
			if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("no nosniff")
			}
			// Revalidation costs a 304.
			tag := rec.Header().Get("ETag")
			if tag == "" {
				t.Fatal("no ETag")
			}
			if again := get(e, http.MethodGet, c.path, "If-None-Match", tag); again.Code != http.StatusNotModified || again.Body.Len() != 0 {
				t.Errorf("revalidation = %d %q, want 304 without body", again.Code, again.Body.String())
			}
		})
	}
	t.Run("HEAD", func(t *testing.T) {
		if rec := get(e, http.MethodHead, "/projects"); rec.Code != http.StatusOK || rec.Body.Len() != 0 {
			t.Errorf("HEAD = %d %q", rec.Code, rec.Body.String())
		}
	})
}

func TestConsoleLeavesAPIPathsAlone(t *testing.T) {
	e := consoleEcho(builtConsole())
	for _, c := range []struct{ method, path string }{
		{http.MethodGet, "/api/v1/nope"},
		{http.MethodGet, "/api/v1/projects/demo/unknown"},
		{http.MethodGet, "/api"},
		{http.MethodGet, "/hooks/github/abc"},
		{http.MethodGet, "/assets/index-gone.js"},
		{http.MethodPost, "/projects"},
		{http.MethodDelete, "/"},
	} {
		rec := get(e, c.method, c.path)
		if rec.Code != http.StatusNotFound {
			t.Errorf("%s %s = %d, want 404", c.method, c.path, rec.Code)
			continue
		}
		if got := rec.Header().Get("Content-Type"); got != problemContentType {
			t.Errorf("%s %s: Content-Type %q, want %s", c.method, c.path, got, problemContentType)
		}
		if strings.Contains(rec.Body.String(), "root") {
			t.Errorf("%s %s served the console: %s", c.method, c.path, rec.Body.String())
		}
	}
	// The route table keeps its 405s.
	if rec := get(e, http.MethodPut, "/api/v1/things"); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("PUT /api/v1/things = %d, want 405", rec.Code)
	}
	// Routes still answer themselves.
	if rec := get(e, http.MethodGet, "/api/v1/things"); rec.Code != http.StatusOK || rec.Body.String() != "[]\n" {
		t.Errorf("GET /api/v1/things = %d %q", rec.Code, rec.Body.String())
	}
}

func TestConsolePlaceholderWhenNotBuilt(t *testing.T) {
	for name, c := range map[string]*console{
		"not built":           newConsole(nil, false, []byte("<p>run make console</p>")),
		"built without index": newConsole(fstest.MapFS{"assets/x.js": {Data: []byte("x")}}, true, []byte("<p>run make console</p>")),
	} {
		t.Run(name, func(t *testing.T) {
			e := consoleEcho(c)
			for _, p := range []string{"/", "/projects/demo", "/index.html"} {
				rec := get(e, http.MethodGet, p)
				body, _ := io.ReadAll(rec.Body)
				if rec.Code != http.StatusOK || string(body) != "<p>run make console</p>" {
					t.Errorf("GET %s = %d %q, want the placeholder", p, rec.Code, body)
				}
				if rec.Header().Get("Cache-Control") != "no-cache" {
					t.Errorf("GET %s: Cache-Control %q", p, rec.Header().Get("Cache-Control"))
				}
			}
			if rec := get(e, http.MethodGet, "/api/v1/nope"); rec.Code != http.StatusNotFound {
				t.Errorf("API path = %d", rec.Code)
			}
		})
	}
}
