package ratelimit

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipway-dev/slipway/pkg/apierror"
)

// At its bound a class refuses at once with 503 and Retry-After, other classes are not
// affected, and a slot is free again when a request ends.
func TestShedderBoundsEachClass(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := NewShedder(InFlight{Reads: 2, Writes: 1, Hooks: 1, Streams: 1, RequestTimeout: metav1.Duration{Duration: time.Minute}}, reg)
	e := echo.New()
	release := make(chan struct{})
	started := make(chan struct{}, 10)
	blocking := func(c echo.Context) error {
		started <- struct{}{}
		<-release
		return nil
	}
	serve := func(class string, h echo.HandlerFunc) error {
		c := e.NewContext(httptest.NewRequest(http.MethodGet, "/", nil), httptest.NewRecorder())
		return s.Middleware(class)(h)(c)
	}
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if err := serve(ClassRead, blocking); err != nil {
				t.Errorf("admitted read: %v", err)
			}
		})
	}
	<-started
	<-started
	err := serve(ClassRead, func(echo.Context) error { return nil })
	problem, ok := apierror.As(err)
	if !ok || problem.Status != http.StatusServiceUnavailable || problem.RetryAfterSeconds < 1 {
		t.Fatalf("third read = %v, want 503 with Retry-After", err)
	}
	if err := serve(ClassWrite, func(echo.Context) error { return nil }); err != nil {
		t.Errorf("a write while reads are at their bound = %v, want admitted", err)
	}
	if got := testutil.ToFloat64(s.shed.WithLabelValues(ClassRead)); got != 1 {
		t.Errorf("shed reads = %v, want 1", got)
	}
	close(release)
	wg.Wait()
	if err := serve(ClassRead, func(echo.Context) error { return nil }); err != nil {
		t.Errorf("a read after the others ended = %v, want admitted", err)
	}
	if got := testutil.ToFloat64(s.inFlight.WithLabelValues(ClassRead)); got != 0 {
		t.Errorf("reads in flight = %v after all ended, want 0", got)
	}
}

// Every request but a stream works under the request timeout.
func TestShedderDeadline(t *testing.T) {
	s := NewShedder(InFlight{Reads: 1, Writes: 1, Hooks: 1, Streams: 1, RequestTimeout: metav1.Duration{Duration: time.Minute}}, prometheus.NewRegistry())
	e := echo.New()
	for class, wantDeadline := range map[string]bool{ClassRead: true, ClassWrite: true, ClassHook: true, ClassStream: false} {
		c := e.NewContext(httptest.NewRequest(http.MethodGet, "/", nil), httptest.NewRecorder())
		var deadline bool
		_ = s.Middleware(class)(func(c echo.Context) error {
			_, deadline = c.Request().Context().Deadline()
			return nil
		})(c)
		if deadline != wantDeadline {
			t.Errorf("%s: deadline %v, want %v", class, deadline, wantDeadline)
		}
	}
}
