package api_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/labstack/echo/v4"

	"github.com/slipway-dev/slipway/pkg/api"
	"github.com/slipway-dev/slipway/pkg/apierror"
)

func TestReadyzAndMetrics(t *testing.T) {
	synced := newStack(t, stackOptions{})
	notReady := newStack(t, stackOptions{ready: func() bool { return false }})

	probes := []struct {
		name   string
		s      *stack
		path   string
		status int
		body   string
	}{
		{"healthz", synced, "/healthz", 200, "ok"},
		{"readyz once synced", synced, "/readyz", 200, "ok"},
		{"healthz before sync", notReady, "/healthz", 200, "ok"},
		{"readyz before sync", notReady, "/readyz", 503, "not ready: caches not synced, or the reconcilers' leader loop unhealthy (see the log)"},
	}
	for _, p := range probes {
		t.Run(p.name, func(t *testing.T) {
			r := p.s.do(t, http.MethodGet, p.path, "", "")
			if r.status != p.status || string(r.body) != p.body {
				t.Errorf("GET %s = %d %q, want %d %q", p.path, r.status, r.body, p.status, p.body)
			}
		})
	}

	t.Run("metrics", func(t *testing.T) {
		// Two successes and one 404 on the app route, one 422 on the deploy route.
		for _, req := range []struct {
			method, path, body string
			status             int
		}{
			{http.MethodGet, testPath, "", 200},
			{http.MethodGet, testPath, "", 200},
			{http.MethodGet, appsPath + "ghost/envs/test", "", 404},
			{http.MethodPost, testPath + "/deployments", `{}`, 422},
		} {
			if r := synced.do(t, req.method, req.path, "", req.body); r.status != req.status {
				t.Fatalf("%s %s: status %d, want %d; body %.300s", req.method, req.path, r.status, req.status, r.body)
			}
		}
		r := synced.do(t, http.MethodGet, "/metrics", "", "")
		if r.status != http.StatusOK {
			t.Fatalf("GET /metrics: %d", r.status)
		}
		samples := parseSamples(t, string(r.body))
		const appRoute = "/api/v1/projects/:project/apps/:app/envs/:env"
		counts := map[string]string{}
		buckets := 0
		for _, s := range samples {
			switch s.name {
			case "slipway_http_request_duration_seconds_count":
				counts[s.labels["method"]+" "+s.labels["route"]+" "+s.labels["status"]] = s.value
			case "slipway_http_request_duration_seconds_bucket":
				if s.labels["route"] == appRoute && s.labels["method"] == "GET" && s.labels["status"] == "200" {
					buckets++
				}
			}
		}
		if buckets == 0 {
			t.Errorf("no slipway_http_request_duration_seconds_bucket with route=%q status=\"200\" in:\n%s", appRoute, r.body)
		}
		want := map[string]string{
			"GET " + appRoute + " 200":              "2",
			"GET " + appRoute + " 404":              "1",
			"POST " + appRoute + "/deployments 422": "1",
			"GET /healthz 200":                      "1", // the probes above
			"GET /readyz 200":                       "1",
			"GET " + appRoute + "/history 200":      "", // never requested
		}
		for k, v := range want {
			if counts[k] != v {
				t.Errorf("count of %q = %q, want %q", k, counts[k], v)
			}
		}
		// The route label is the template, never the raw path.
		for k := range counts {
			if strings.Contains(k, "/hello") || strings.Contains(k, "/ghost") {
				t.Errorf("raw path in a route label: %q", k)
			}
		}
	})
}

// sample is one line of the Prometheus text format.
type sample struct {
	name   string
	labels map[string]string
	value  string
}

// parseSamples reads name{k="v",...} value lines (label values here hold no quotes or commas).
func parseSamples(t *testing.T, text string) []sample {
	t.Helper()
	var out []sample
	for _, line := range strings.Split(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s := sample{labels: map[string]string{}}
		head, value, ok := strings.Cut(line, " ")
		if i := strings.LastIndex(line, "} "); i >= 0 {
			head, value, ok = line[:i+1], line[i+2:], true
		}
		if !ok {
			t.Fatalf("metrics line %q", line)
		}
		s.value = value
		name, labels, hasLabels := strings.Cut(head, "{")
		s.name = name
		if hasLabels {
			for _, kv := range strings.Split(strings.TrimSuffix(labels, "}"), ",") {
				k, v, _ := strings.Cut(kv, "=")
				s.labels[k] = strings.Trim(v, `"`)
			}
		}
		out = append(out, s)
	}
	return out
}

func TestProblemForInternalErrors(t *testing.T) {
	s := newStack(t, stackOptions{})
	const secret = "secret internal detail"
	s.e.GET("/test/error", func(echo.Context) error { return errors.New(secret) })
	s.e.GET("/test/wrapped", func(echo.Context) error { return errors.Join(errors.New("db"), errors.New(secret)) })
	s.e.GET("/test/panic", func(echo.Context) error { panic(secret) })
	s.e.GET("/test/http-error", func(echo.Context) error { return echo.NewHTTPError(http.StatusTeapot, "short and stout") })
	s.e.GET("/test/unavailable", func(echo.Context) error { return apierror.Unavailable(7, "cluster busy") })

	cases := []struct {
		path       string
		status     int
		title      string
		detail     string // exact, or "" for the request-id detail of a 500
		retryAfter string
	}{
		{"/test/error", 500, "Internal error", "", ""},
		{"/test/wrapped", 500, "Internal error", "", ""},
		{"/test/panic", 500, "Internal error", "", ""},
		{"/test/http-error", 418, "I'm a teapot", "short and stout", ""},
		{"/test/unavailable", 503, "Unavailable", "cluster busy", "7"},
	}
	for _, tc := range cases {
		t.Run(strings.TrimPrefix(tc.path, "/test/"), func(t *testing.T) {
			r := s.do(t, http.MethodGet, tc.path, "", "")
			if r.status != tc.status {
				t.Fatalf("status %d, want %d; body %s", r.status, tc.status, r.body)
			}
			if strings.Contains(string(r.body), "secret") {
				t.Errorf("the body leaks the error: %s", r.body)
			}
			p := problem(t, r)
			want := api.Problem{Type: "about:blank", Title: tc.title, Status: tc.status, Detail: tc.detail, Instance: tc.path}
			if tc.status == 500 {
				id := r.header.Get(echo.HeaderXRequestID)
				if id == "" {
					t.Fatalf("no %s header", echo.HeaderXRequestID)
				}
				want.Detail = "see the server log for request " + id
				// The detail stays in the log, under the same request id.
				if logs := s.logs.String(); !strings.Contains(logs, secret) || !strings.Contains(logs, id) {
					t.Errorf("the log lacks the error or the request id %s:\n%s", id, logs)
				}
			}
			if diff := cmp.Diff(want, p); diff != "" {
				t.Errorf("problem (-want,+got):\n%s", diff)
			}
			if got := r.header.Get("Retry-After"); got != tc.retryAfter {
				t.Errorf("Retry-After = %q, want %q", got, tc.retryAfter)
			}
		})
	}

	t.Run("the server keeps serving", func(t *testing.T) {
		if r := s.do(t, http.MethodGet, "/healthz", "", ""); r.status != 200 {
			t.Errorf("GET /healthz after a panic: %d", r.status)
		}
	})
}
