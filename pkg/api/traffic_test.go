package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipway-dev/slipway/internal/testutil"
	"github.com/slipway-dev/slipway/pkg/names"
)

// A read-modify-write of traffic: GET …/traffic gives the split's version as ETag, and PUT
// with If-Match is refused with 412 once someone else changed the split in between.
func TestTrafficIfMatch(t *testing.T) {
	s := newStack(t, stackOptions{})
	put := func(ifMatch, body string) response {
		req := httptest.NewRequest(http.MethodPut, testPath+"/traffic", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testerToken)
		req.Header.Set("Content-Type", "application/json")
		if ifMatch != "" {
			req.Header.Set("If-Match", ifMatch)
		}
		return s.serve(req)
	}
	read := s.do(t, http.MethodGet, testPath+"/traffic", "", "")
	tag := read.header.Get("ETag")
	if read.status != http.StatusOK || !strings.HasPrefix(tag, `"`) || !strings.Contains(string(read.body), `"revision":"hello-00001"`) {
		t.Fatalf("GET traffic = %d, ETag %q, body %s", read.status, tag, read.body)
	}
	if r := s.do(t, http.MethodGet, testPath+"/traffic", "", ""); r.header.Get("ETag") != tag {
		t.Fatalf("a second read has ETag %q, the first %q: the version must not change while the split does not", r.header.Get("ETag"), tag)
	}

	// Someone else changes the split (no If-Match: unconditional).
	other := put("", `{"targets":[{"revision":"hello-00001","percent":100}],"rules":[{"match":{"headers":{"x-user":{"exact":"beta"}}},"revision":"hello-00001"}]}`)
	if other.status != http.StatusOK || other.header.Get("ETag") == tag || other.header.Get("ETag") == "" {
		t.Fatalf("unconditional PUT = %d, ETag %q (read %q): %s", other.status, other.header.Get("ETag"), tag, other.body)
	}

	// The fake clientset enforces no resourceVersion, so the refusal below comes only from
	// the version check: wait until the cache has seen the other writer's change.
	if err := testutil.Poll(context.Background(), 5*time.Second, 5*time.Millisecond, nil, func(context.Context) error {
		if got := s.do(t, http.MethodGet, testPath+"/traffic", "", "").header.Get("ETag"); got != other.header.Get("ETag") {
			return fmt.Errorf("the cache serves version %s, the other writer wrote %s", got, other.header.Get("ETag"))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	body := `{"targets":[{"revision":"hello-00001","percent":100}]}`
	stale := put(tag, body)
	if stale.status != http.StatusPreconditionFailed {
		t.Fatalf("PUT with the stale ETag = %d, want 412: %s", stale.status, stale.body)
	}
	svc, err := s.serving.ServingV1().Services(testNS).Get(context.Background(), app, metav1.GetOptions{})
	if err != nil || svc.Annotations[names.AnnoRoutingRules] == "" {
		t.Errorf("the refused change was applied: the other writer's rule is gone (err %v)", err)
	}
	if p := problem(t, stale); p.Title != "Precondition failed" || !strings.Contains(p.Detail, "changed since it was read") {
		t.Errorf("412 problem = %+v", p)
	}
	if r := put(`W/`+other.header.Get("ETag"), body); r.status != http.StatusPreconditionFailed {
		t.Errorf("PUT with a weak tag = %d, want 412 (If-Match compares strongly)", r.status)
	}
	if r := put(`"x", `+other.header.Get("ETag"), body); r.status != http.StatusOK {
		t.Errorf("PUT with the current tag in a list = %d, want 200: %s", r.status, r.body)
	}
	if r := put("*", body); r.status != http.StatusOK {
		t.Errorf("PUT with If-Match: * = %d, want 200: %s", r.status, r.body)
	}
}
