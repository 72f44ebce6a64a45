package ratelimit

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/semaphore"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/slipway-dev/slipway/pkg/apierror"
)

// Request classes, each with its own bound on requests in flight, so a flood of one kind
// (reads from a dashboard, a burst of hook deliveries) cannot starve another.
const (
	ClassRead   = "read"
	ClassWrite  = "write"
	ClassHook   = "hook"
	ClassStream = "stream"
)

// InFlight bounds the requests platform-api works on at once, by class. A request over the
// bound is refused at once with 503 and Retry-After instead of queueing: queued requests
// only grow the latency of all the others until their clients give up.
type InFlight struct {
	Reads  int64 `json:"reads"`
	Writes int64 `json:"writes"`
	Hooks  int64 `json:"hooks"`
	// Streams are long-lived (a run's log stream), so they are counted apart.
	Streams int64 `json:"streams"`
	// RequestTimeout bounds every request but streams; the apiserver calls it makes inherit it.
	RequestTimeout metav1.Duration `json:"requestTimeout"`
}

// SetDefaults fills in what the operator left out.
func (l *InFlight) SetDefaults() {
	for _, d := range []struct {
		v   *int64
		def int64
	}{{&l.Reads, 256}, {&l.Writes, 64}, {&l.Hooks, 16}, {&l.Streams, 256}} {
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if l.RequestTimeout.Duration == 0 {
		l.RequestTimeout.Duration = 30 * time.Second
	}
}

// Validate checks the section; path is its place in the configuration file.
func (l InFlight) Validate(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for name, v := range map[string]int64{"reads": l.Reads, "writes": l.Writes, "hooks": l.Hooks, "streams": l.Streams} {
		if v < 1 {
			errs = append(errs, field.Invalid(path.Child(name), v, "must be >= 1"))
		}
	}
	if l.RequestTimeout.Duration < time.Second {
		errs = append(errs, field.Invalid(path.Child("requestTimeout"), l.RequestTimeout.Duration.String(), "must be at least 1s"))
	}
	return errs
}

// Shedder hands out the per-class bounds and reports them as metrics.
type Shedder struct {
	limits   map[string]*semaphore.Weighted
	timeout  time.Duration
	inFlight *prometheus.GaugeVec
	shed     *prometheus.CounterVec
}

// NewShedder registers its metrics on reg.
func NewShedder(l InFlight, reg prometheus.Registerer) *Shedder {
	s := &Shedder{
		limits: map[string]*semaphore.Weighted{
			ClassRead: semaphore.NewWeighted(l.Reads), ClassWrite: semaphore.NewWeighted(l.Writes),
			ClassHook: semaphore.NewWeighted(l.Hooks), ClassStream: semaphore.NewWeighted(l.Streams),
		},
		timeout: l.RequestTimeout.Duration,
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "slipway_http_requests_in_flight", Help: "Requests being worked on, by class.",
		}, []string{"class"}),
		shed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "slipway_http_requests_shed_total", Help: "Requests refused with 503 because their class was at its in-flight bound.",
		}, []string{"class"}),
	}
	reg.MustRegister(s.inFlight, s.shed)
	return s
}

// Middleware bounds class. It runs before authentication, so a refused request costs no
// TokenReview. Requests but streams get the request timeout as their context's deadline, and
// a client that goes away cancels its request's context (net/http), releasing its work.
func (s *Shedder) Middleware(class string) echo.MiddlewareFunc {
	sem := s.limits[class]
	inFlight, shed := s.inFlight.WithLabelValues(class), s.shed.WithLabelValues(class)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			// TryAcquire, not Acquire: waiting is queueing.
			if !sem.TryAcquire(1) {
				shed.Inc()
				return &apierror.Error{Status: http.StatusServiceUnavailable, Title: "Overloaded",
					Detail: "platform-api is at its bound of " + class + " requests in flight; try again shortly", RetryAfterSeconds: 1}
			}
			inFlight.Inc()
			defer func() {
				inFlight.Dec()
				sem.Release(1)
			}()
			if class != ClassStream {
				ctx, cancel := context.WithTimeout(c.Request().Context(), s.timeout)
				defer cancel()
				c.SetRequest(c.Request().WithContext(ctx))
			}
			return next(c)
		}
	}
}
