package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipway-dev/slipway/internal/apitest"
	"github.com/slipway-dev/slipway/internal/testutil"
	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/scaling/windows"
)

func TestScalingSchedules(t *testing.T) {
	s := newStack(t, stackOptions{})
	// Open now: it starts every minute and lasts two.
	body := `{"windows":[{"name":"always","start":"* * * * *","duration":"2m","minScale":2},` +
		`{"name":"office","start":"0 9 * * 1-5","end":"0 18 * * 1-5","timezone":"Europe/Berlin","minScale":1}]}`
	r := s.do(t, http.MethodPut, testPath+"/scaling/schedules", "", body)
	if r.status != http.StatusOK {
		t.Fatalf("PUT = %d: %s", r.status, r.body)
	}
	var v windows.ScalingView
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatal(err)
	}
	if v.EffectiveMinScale != 2 || len(v.Windows) != 2 || !v.Windows[0].Active || v.Next == nil {
		t.Errorf("answer = %s, want minimum 2 with the first window open and a next change", r.body)
	}
	svc, err := s.serving.ServingV1().Services(apitest.TestNS).Get(context.Background(), "hello", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if raw := svc.Annotations[names.AnnoScalingSchedules]; !strings.Contains(raw, `"name":"always"`) {
		t.Errorf("the Service's %s = %q", names.AnnoScalingSchedules, raw)
	}
	if err := testutil.Poll(context.Background(), 5*time.Second, 5*time.Millisecond, nil, func(context.Context) error {
		g := s.do(t, http.MethodGet, testPath+"/scaling", "", "")
		if g.status != http.StatusOK || !strings.Contains(string(g.body), `"effectiveMinScale":2`) {
			return fmt.Errorf("GET = %d %s", g.status, g.body)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct{ name, body, field string }{
		{"bad zone", `{"windows":[{"name":"a","start":"0 9 * * *","duration":"1h","timezone":"Mars/Base","minScale":1}]}`, "windows[0].timezone"},
		{"end and duration", `{"windows":[{"name":"a","start":"0 9 * * *","end":"0 10 * * *","duration":"1h","minScale":1}]}`, "windows[0].duration"},
		{"six fields", `{"windows":[{"name":"a","start":"0 0 9 * * *","duration":"1h","minScale":1}]}`, "windows[0].start"},
		{"minScale 0", `{"windows":[{"name":"a","start":"0 9 * * *","duration":"1h","minScale":0}]}`, "windows[0].minScale"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.do(t, http.MethodPut, testPath+"/scaling/schedules", "", tc.body)
			if r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), `"field":"`+tc.field+`"`) {
				t.Errorf("PUT = %d %s, want 422 naming %s", r.status, r.body, tc.field)
			}
		})
	}

	// Versions: the GET's ETag is what If-Match takes; once the windows changed it is a 412.
	read := s.do(t, http.MethodGet, testPath+"/scaling", "", "")
	tag := read.header.Get("ETag")
	if tag == "" || read.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("GET ETag %q, Cache-Control %q: want a version, never stored", tag, read.header.Get("Cache-Control"))
	}
	changed := s.do(t, http.MethodPut, testPath+"/scaling/schedules", "", `{"windows":[{"name":"late","start":"0 20 * * *","duration":"1h","minScale":1}]}`)
	if changed.status != http.StatusOK || changed.header.Get("ETag") == tag {
		t.Fatalf("PUT = %d, ETag %q after %q", changed.status, changed.header.Get("ETag"), tag)
	}
	// The fake clientset enforces no resourceVersion: wait until the cache has the change.
	if err := testutil.Poll(context.Background(), 5*time.Second, 5*time.Millisecond, nil, func(context.Context) error {
		if got := s.do(t, http.MethodGet, testPath+"/scaling", "", "").header.Get("ETag"); got != changed.header.Get("ETag") {
			return fmt.Errorf("the cache serves %s", got)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	stale := httptest.NewRequest(http.MethodPut, testPath+"/scaling/schedules", strings.NewReader(`{"windows":[]}`))
	stale.Header.Set("Authorization", "Bearer "+testerToken)
	stale.Header.Set("Content-Type", "application/json")
	stale.Header.Set("If-Match", tag)
	if r := s.serve(stale); r.status != http.StatusPreconditionFailed {
		t.Fatalf("PUT with the stale ETag = %d, want 412: %s", r.status, r.body)
	}

	// A rescale names at least one knob: nothing to change would still be a new revision.
	if r := s.do(t, http.MethodPost, testPath+"/scaling", "", `{"message":"nothing"}`); r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), `"field":"scaling"`) {
		t.Errorf("POST …/scaling without knobs = %d %s, want 422 naming scaling", r.status, r.body)
	}

	// An empty list is the way to remove them all. (Whether the annotation goes is the
	// apiserver's server-side apply, which the fake clientset does not do: see
	// test/integration/scaling_test.go.)
	if r := s.do(t, http.MethodPut, testPath+"/scaling/schedules", "", `{"windows":[]}`); r.status != http.StatusOK {
		t.Fatalf("PUT [] = %d %s", r.status, r.body)
	}

	// Windows edited by hand past reading are a 409 that says how to mend them, not a 500.
	svc, err = s.serving.ServingV1().Services(apitest.TestNS).Get(context.Background(), "hello", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	svc.Annotations[names.AnnoScalingSchedules] = "not json"
	if _, err := s.serving.ServingV1().Services(apitest.TestNS).Update(context.Background(), svc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := testutil.Poll(context.Background(), 5*time.Second, 5*time.Millisecond, nil, func(context.Context) error {
		if r := s.do(t, http.MethodGet, testPath+"/scaling", "", ""); r.status != http.StatusConflict || !strings.Contains(string(r.body), "PUT") {
			return fmt.Errorf("GET = %d %s, want 409", r.status, r.body)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	if r := s.do(t, http.MethodPut, testPath+"/scaling/schedules", "", `{"windows":[{"name":"late","start":"0 20 * * *","duration":"1h","minScale":1}]}`); r.status != http.StatusOK {
		t.Fatalf("PUT over the hand edit = %d %s, want it mended", r.status, r.body)
	}
}
