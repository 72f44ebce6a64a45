package kube

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/sony/gobreaker/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/rest"
)

// BreakerSettings shape the circuit breaker around writes to the apiserver: the breaker
// section of platform-api's configuration.
type BreakerSettings struct {
	// Failures in a row that open the circuit.
	Failures uint32 `json:"failures"`
	// OpenFor is how long writes fail fast with 503 before one is let through (half-open).
	OpenFor metav1.Duration `json:"openFor"`
	// WriteTimeout bounds each write; a timeout counts as a failure.
	WriteTimeout metav1.Duration `json:"writeTimeout"`
}

// SetDefaults fills in what the operator left out.
func (s *BreakerSettings) SetDefaults() {
	if s.Failures == 0 {
		s.Failures = 5
	}
	if s.OpenFor.Duration == 0 {
		s.OpenFor.Duration = 15 * time.Second
	}
	if s.WriteTimeout.Duration == 0 {
		s.WriteTimeout.Duration = 10 * time.Second
	}
}

// Validate checks the section; path is its place in the configuration file.
func (s BreakerSettings) Validate(path *field.Path) field.ErrorList {
	if s.OpenFor.Duration < time.Second || s.WriteTimeout.Duration < 100*time.Millisecond {
		return field.ErrorList{field.Invalid(path, fmt.Sprintf("%+v", s), "openFor must be >= 1s and writeTimeout >= 100ms")}
	}
	return nil
}

// ErrCircuitOpen is returned, without calling the apiserver, while the breaker is open.
type ErrCircuitOpen struct{ RetryAfter time.Duration }

func (e *ErrCircuitOpen) Error() string {
	return fmt.Sprintf("the Kubernetes API has been failing; writes are paused for up to %s", e.RetryAfter)
}

// errServerStatus marks a 5xx answer as a failure for the breaker; the
// answer itself still goes back to client-go, which turns it into its error.
var errServerStatus = errors.New("apiserver answered 5xx")

// withBreaker returns a copy of cfg whose writes (every method but GET, HEAD
// and OPTIONS, except token and access reviews) pass through one circuit breaker: after s.Failures failed
// writes in a row (5xx, timeout, connection error) it opens and writes fail at
// once with *ErrCircuitOpen; after s.OpenFor one write is tried, and its
// success closes the circuit. Reads and watches are never held back: they
// feed the caches, whose own retries are the right back-off for them.
func withBreaker(cfg *rest.Config, s BreakerSettings) *rest.Config {
	out := rest.CopyConfig(cfg)
	cb := gobreaker.NewCircuitBreaker[*http.Response](gobreaker.Settings{
		Name:        "kube-writes",
		MaxRequests: 1,
		Timeout:     s.OpenFor.Duration,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= s.Failures },
	})
	// After any wrapper already set (client-go's Wrap chains them).
	out.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return &breakerTransport{next: rt, cb: cb, settings: s}
	})
	return out
}

type breakerTransport struct {
	next     http.RoundTripper
	cb       *gobreaker.CircuitBreaker[*http.Response]
	settings BreakerSettings
}

func (t *breakerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	switch {
	case req.Method == http.MethodGet, req.Method == http.MethodHead, req.Method == http.MethodOptions,
		// Token and access reviews are questions, not writes; authentication has its own error.
		strings.HasPrefix(req.URL.Path, "/apis/authentication.k8s.io/"), strings.HasPrefix(req.URL.Path, "/apis/authorization.k8s.io/"):
		return t.next.RoundTrip(req)
	}
	ctx, cancel := context.WithTimeout(req.Context(), t.settings.WriteTimeout.Duration)
	resp, err := t.cb.Execute(func() (*http.Response, error) {
		resp, err := t.next.RoundTrip(req.WithContext(ctx))
		if err != nil {
			return nil, err
		}
		if resp.StatusCode >= 500 {
			return resp, errServerStatus
		}
		return resp, nil
	})
	switch {
	case errors.Is(err, gobreaker.ErrOpenState), errors.Is(err, gobreaker.ErrTooManyRequests):
		cancel()
		return nil, &ErrCircuitOpen{RetryAfter: t.settings.OpenFor.Duration}
	case errors.Is(err, errServerStatus):
		err = nil
	case err != nil:
		cancel()
		return nil, err
	}
	// The timeout covers reading the answer too; it ends when the body is closed.
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}
