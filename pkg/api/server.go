// Package api is platform-api's HTTP layer: one route table, handlers that parse, authorize,
// call the domain package and render, and one error handler that writes problem+json.
package api

import (
	"fmt"

	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/slipway-dev/slipway/pkg/identity"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/slipway-dev/slipway/pkg/api/ratelimit"
	"github.com/slipway-dev/slipway/pkg/pipelines/runs"
)

// Server holds what handlers need: one small interface per capability (domain.go), so a
// handler test needs no cluster.
type Server struct {
	projects   Projects
	apps       Apps
	runs       Runs
	hooks      Hooks
	promotions Promotions
	schedules  Schedules
	scaling    Scaling
	authz      Authorizer
	audit      AuditStore
	ready      func() bool
	log        *slog.Logger
}

// Options configure the HTTP layer.
type Options struct {
	Projects   Projects
	Apps       Apps
	Runs       Runs
	Hooks      Hooks
	Promotions Promotions
	Schedules  Schedules
	Scaling    Scaling
	// Ready reports whether the caches have synced.
	Ready         func() bool
	Authenticator Authenticator
	Authorizer    Authorizer
	// Audit receives a record of every mutating call.
	Audit AuditStore
	// RateLimit is each caller's token bucket; HookRateLimit each Git hook's.
	RateLimit, HookRateLimit ratelimit.Bucket
	// InFlight bounds concurrent requests by class (defaults when zero).
	InFlight ratelimit.InFlight
	Logger   *slog.Logger
	// Registry receives the HTTP metrics; a new one is made when nil.
	Registry *prometheus.Registry
}

// New builds the echo instance with every route of the table.
func New(opts Options) *echo.Echo {
	s := &Server{projects: opts.Projects, apps: opts.Apps, runs: opts.Runs, hooks: opts.Hooks, promotions: opts.Promotions,
		schedules: opts.Schedules, scaling: opts.Scaling, authz: opts.Authorizer, audit: opts.Audit, ready: opts.Ready, log: opts.Logger}
	reg := opts.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "slipway_http_request_duration_seconds",
		Help:    "Latency of platform-api requests by route, method and status.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
	}, []string{"route", "method", "status"})
	reg.MustRegister(latency)

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = errorHandler(opts.Logger)
	e.Use(middleware.RequestID())
	e.Use(observe(opts.Logger, latency))
	e.Use(middleware.Recover())

	e.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{})))

	// Route-level middleware, not a Group: echo's groups answer unmatched methods with 404.
	inFlight := opts.InFlight
	inFlight.SetDefaults()
	shed := ratelimit.NewShedder(inFlight, reg)
	auth := authenticate(opts.Authenticator)
	limit := ratelimit.Middleware(opts.RateLimit, func(c echo.Context) string { return caller(c).Name })
	// Each Git hook has its bucket; unknown IDs share one, so made-up IDs cannot grow the store.
	hookLimit := ratelimit.Middleware(opts.HookRateLimit, func(c echo.Context) string {
		if id := c.Param("hook"); runs.ValidHookID(id) && s.hooks.HookKnown(id) {
			return "hook:" + id
		}
		return "hook:unknown"
	})
	for _, r := range s.routes() {
		checkPathParams(r.path)
		if r.authorized() && !identity.Known(r.access.action) {
			panic(fmt.Sprintf("route %s %s checks %s, which is not in identity.Actions", r.method, r.path, r.access.action))
		}
		// Shedding first: a refused request costs no TokenReview.
		chain := []echo.MiddlewareFunc{shed.Middleware(r.class())}
		if !r.bearer() {
			// A Git hook's credential is the handler's to check. A malformed ID is refused
			// (404, as an unknown one) after the limit, so it spends the shared bucket.
			e.Add(r.method, r.path, r.handler, append(chain, hookLimit, s.checkPath)...)
			continue
		}
		chain = append(chain, auth, limit)
		if r.method != http.MethodGet {
			// Before authorization, so refusals are on the record too.
			chain = append(chain, s.auditCall(actionName(r.method, r.path)))
		}
		// Path parameters are checked (params.go) before authorization looks anything up.
		chain = append(chain, s.checkPath, s.authorize(r.access))
		if r.method != http.MethodGet {
			chain = append(chain, s.auditBefore)
		}
		e.Add(r.method, r.path, r.handler, chain...)
	}
	doc := s.openAPIDocument(s.routes())
	e.GET("/api/v1/openapi.json", func(c echo.Context) error { return c.JSON(http.StatusOK, doc) })
	registerWeb(e) // the web console on every other path, and ETags on API reads (console.go, etag.go)
	return e
}

func (s *Server) readyz(c echo.Context) error {
	if !s.ready() {
		return c.String(http.StatusServiceUnavailable, "not ready: caches not synced, or the reconcilers' leader loop unhealthy (see the log)")
	}
	return c.String(http.StatusOK, "ok")
}

// observe records latency by route template (not raw path, to bound cardinality) and logs
// each request as one JSON line without bodies.
func observe(log *slog.Logger, latency *prometheus.HistogramVec) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err) // render now so the status below is the one sent
			}
			status := c.Response().Status
			elapsed := time.Since(start)
			route := c.Path()
			if route == "" {
				route = "unmatched"
			}
			latency.WithLabelValues(route, c.Request().Method, strconv.Itoa(status)).Observe(elapsed.Seconds())
			if route != "/healthz" && route != "/readyz" && route != "/metrics" {
				log.Info("request", "method", c.Request().Method, "route", route, "path", c.Request().URL.Path,
					"status", status, "duration_ms", float64(elapsed.Microseconds())/1000, "request_id", requestID(c),
					"user", caller(c).Name)
			}
			return nil
		}
	}
}
