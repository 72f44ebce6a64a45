package kube

import (
	"testing"
	"time"

	"k8s.io/client-go/tools/cache"
)

// An app that keeps failing (an apiserver outage) is retried at least every MaxAppRetryDelay,
// and one that succeeds starts again from the shortest delay.
func TestRetryDelayIsCapped(t *testing.T) {
	l := AppRetryLimiter()
	app := cache.NewObjectName("demo-test", "hello")
	var last time.Duration
	for range 30 {
		last = l.When(app)
	}
	if last != MaxAppRetryDelay {
		t.Errorf("delay after 30 failures = %s, want the cap %s", last, MaxAppRetryDelay)
	}
	l.Forget(app)
	if d := l.When(app); d > 10*time.Millisecond {
		t.Errorf("delay after Forget = %s, want the first step (5ms)", d)
	}
}
