package api

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

func etagEcho() *echo.Echo {
	e := echo.New()
	e.Use(etag())
	e.GET("/api/v1/json", func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]int{"a": 1}) })
	e.GET("/api/v1/accepted", func(c echo.Context) error { return c.JSON(http.StatusAccepted, map[string]int{"a": 1}) })
	e.GET("/api/v1/events", func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderContentType, "text/event-stream")
		c.Response().WriteHeader(http.StatusOK)
		_, _ = c.Response().Write([]byte("data: one\n\n"))
		c.Response().Flush()
		_, _ = c.Response().Write([]byte("data: two\n\n"))
		return nil
	})
	e.GET("/api/v1/flushes", func(c echo.Context) error {
		_, _ = c.Response().Write([]byte("part one;"))
		c.Response().Flush()
		_, _ = c.Response().Write([]byte("part two"))
		return nil
	})
	e.GET("/api/v1/tagged", func(c echo.Context) error {
		c.Response().Header().Set("ETag", `"own"`)
		return c.String(http.StatusOK, "x")
	})
	e.GET("/api/v1/versioned", func(c echo.Context) error {
		c.Response().Header().Set("ETag", `"v1"`)
		c.Response().Header().Set("Cache-Control", "no-store")
		return c.String(http.StatusOK, "next run at "+time.Now().String())
	})
	e.GET("/other", func(c echo.Context) error { return c.String(http.StatusOK, "x") })
	return e
}

func TestETagMiddleware(t *testing.T) {
	e := etagEcho()
	serve := func(method, path, inm string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, nil)
		if inm != "" {
			req.Header.Set("If-None-Match", inm)
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec
	}

	first := serve(http.MethodGet, "/api/v1/json", "")
	tag := first.Header().Get("ETag")
	if first.Code != 200 || tag == "" || first.Body.String() != "{\"a\":1}\n" {
		t.Fatalf("GET = %d %q ETag %q", first.Code, first.Body.String(), tag)
	}
	if r := serve(http.MethodGet, "/api/v1/json", tag); r.Code != http.StatusNotModified || r.Body.Len() != 0 || r.Header().Get("Content-Type") != "" {
		t.Errorf("conditional GET = %d %q (Content-Type %q), want a bare 304", r.Code, r.Body.String(), r.Header().Get("Content-Type"))
	}
	if r := serve(http.MethodGet, "/api/v1/accepted", "*"); r.Code != http.StatusAccepted || r.Header().Get("ETag") != "" {
		t.Errorf("non-200 = %d ETag %q, want 202 without ETag", r.Code, r.Header().Get("ETag"))
	}
	if r := serve(http.MethodGet, "/api/v1/tagged", `"other"`); r.Code != 200 || r.Header().Get("ETag") != `"own"` {
		t.Errorf("a handler's own ETag = %d %q, want it kept as is", r.Code, r.Header().Get("ETag"))
	}
	if r := serve(http.MethodGet, "/api/v1/tagged", `"own"`); r.Code != http.StatusNotModified || r.Body.Len() != 0 {
		t.Errorf("conditional GET on a handler's own ETag = %d %q, want a bare 304", r.Code, r.Body.String())
	}
	if r := serve(http.MethodGet, "/api/v1/versioned", `"v1"`); r.Code != http.StatusOK || r.Body.Len() == 0 || r.Header().Get("ETag") != `"v1"` {
		t.Errorf("conditional GET on a no-store version = %d %q ETag %q, want the body with its version", r.Code, r.Body.String(), r.Header().Get("ETag"))
	}
	if r := serve(http.MethodGet, "/other", "*"); r.Code != 200 || r.Header().Get("ETag") != "" {
		t.Errorf("outside /api/ = %d ETag %q", r.Code, r.Header().Get("ETag"))
	}
	for _, p := range []string{"/api/v1/events", "/api/v1/flushes"} {
		r := serve(http.MethodGet, p, "*")
		if r.Code != 200 || r.Header().Get("ETag") != "" || !r.Flushed {
			t.Errorf("streaming %s = %d, ETag %q, flushed %v: want it passed through", p, r.Code, r.Header().Get("ETag"), r.Flushed)
		}
	}
	if r := serve(http.MethodGet, "/api/v1/events", ""); r.Body.String() != "data: one\n\ndata: two\n\n" {
		t.Errorf("event stream body = %q", r.Body.String())
	}
	if r := serve(http.MethodGet, "/api/v1/flushes", ""); r.Body.String() != "part one;part two" {
		t.Errorf("flushed body = %q", r.Body.String())
	}
}
