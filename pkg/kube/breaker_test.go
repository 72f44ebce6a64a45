package kube

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

func TestBreakerTimesOutSlowWrites(t *testing.T) {
	var mode atomic.Int32 // 0 ok, 1 slow, 2 fail
	var reached atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		switch mode.Load() {
		case 1:
			time.Sleep(time.Second)
		case 2:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(500)
			w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","message":"boom","reason":"InternalError","code":500}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"x","namespace":"d"}}`))
	}))
	defer srv.Close()
	cfg := withBreaker(&rest.Config{Host: srv.URL}, BreakerSettings{Failures: 2, OpenFor: metav1.Duration{Duration: time.Second}, WriteTimeout: metav1.Duration{Duration: 100 * time.Millisecond}})
	k, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	create := func() error {
		_, err := k.CoreV1().ConfigMaps("d").Create(context.Background(), &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "x"}}, metav1.CreateOptions{})
		return err
	}
	if err := create(); err != nil {
		t.Fatalf("healthy: %v", err)
	}
	mode.Store(1)
	start := time.Now()
	err = create()
	if err == nil || time.Since(start) > 500*time.Millisecond {
		t.Fatalf("slow write: %v after %s", err, time.Since(start))
	}
	if !strings.Contains(err.Error(), "deadline") && !strings.Contains(err.Error(), "timeout") {
		t.Logf("slow write error: %v", err)
	}
	mode.Store(2)
	if err := create(); err == nil {
		t.Fatal("failing write succeeded")
	}
	before := reached.Load()
	var open *ErrCircuitOpen
	if err := create(); !errors.As(err, &open) {
		t.Fatalf("third write: %v, want ErrCircuitOpen", err)
	}
	if reached.Load() != before {
		t.Error("open breaker let a write through")
	}
	// Reads are never held back.
	if _, err := k.CoreV1().ConfigMaps("d").Get(context.Background(), "x", metav1.GetOptions{}); err != nil && errors.As(err, &open) {
		t.Errorf("read refused by the breaker: %v", err)
	}
	mode.Store(0)
	time.Sleep(1100 * time.Millisecond)
	if err := create(); err != nil {
		t.Fatalf("half-open write: %v", err)
	}
	if err := create(); err != nil {
		t.Fatalf("closed again: %v", err)
	}
}
