package kube

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// refusingTransport refuses the first `refusals` connections, then answers 200.
type refusingTransport struct {
	refusals, calls int
}

func (t *refusingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	t.calls++
	if t.calls <= t.refusals {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	}
	return &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(strings.NewReader(""))}, nil
}

func TestPatientWatches(t *testing.T) {
	for _, tc := range []struct {
		name, method, url string
		refusals          int
		wantCalls         int
		wantErr           bool
	}{
		{"a watch waits for the apiserver", http.MethodGet, "/api/v1/namespaces?watch=true", 3, 4, false},
		{"a list fails at once", http.MethodGet, "/api/v1/namespaces", 3, 1, true},
		{"a write fails at once", http.MethodPost, "/api/v1/namespaces?watch=true", 3, 1, true},
		{"a watch that connects is sent once", http.MethodGet, "/api/v1/namespaces?watch=true", 0, 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			next := &refusingTransport{refusals: tc.refusals}
			req, _ := http.NewRequest(tc.method, "http://127.0.0.1:1"+tc.url, nil)
			resp, err := (&patientWatchTransport{next: next}).RoundTrip(req)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error: %v", err, tc.wantErr)
			}
			if resp != nil {
				resp.Body.Close()
			}
			if next.calls != tc.wantCalls {
				t.Errorf("%d tries, want %d", next.calls, tc.wantCalls)
			}
		})
	}
}

// A watch stops retrying when its context ends, with the refusal as its error.
func TestPatientWatchHonoursContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:1/api/v1/namespaces?watch=true", nil)
	_, err := (&patientWatchTransport{next: &refusingTransport{refusals: 1 << 30}}).RoundTrip(req)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("err = %v, want the refusal", err)
	}
}
