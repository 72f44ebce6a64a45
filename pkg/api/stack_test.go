package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	argofake "github.com/argoproj/argo-workflows/v3/pkg/client/clientset/versioned/fake"
	"github.com/labstack/echo/v4"
	kubefake "k8s.io/client-go/kubernetes/fake"
	servingfake "knative.dev/serving/pkg/client/clientset/versioned/fake"

	"github.com/slipway-dev/slipway/internal/apitest"
	"github.com/slipway-dev/slipway/internal/testutil"
	"github.com/slipway-dev/slipway/pkg/api"
	"github.com/slipway-dev/slipway/pkg/api/ratelimit"
	"github.com/slipway-dev/slipway/pkg/kube"
)

// The seeded world (internal/apitest): project demo with namespaces demo-test and demo-prod,
// and app hello in demo-test whose Service names revision hello-00002 (not Ready) while all
// traffic stays on hello-00001 (Ready).
const (
	project  = apitest.Project
	app      = apitest.App
	rev1     = apitest.Rev1
	rev2     = apitest.Rev2
	image1   = apitest.Image1
	image2   = apitest.Image2
	testNS   = apitest.TestNS
	prodNS   = apitest.ProdNS
	appsPath = "/api/v1/projects/" + project + "/apps/"
	testPath = appsPath + app + "/envs/test"
	prodPath = appsPath + app + "/envs/prod"
)

var (
	created1 = apitest.Created1
	created2 = apitest.Created2
)

// stack is the whole platform-api in process, over fake clientsets (apitest.Platform).
type stack struct {
	e       *echo.Echo
	cache   *kube.Cache
	kube    *kubefake.Clientset
	serving *servingfake.Clientset
	argo    *argofake.Clientset
	// logs collects what the server logged.
	logs *testutil.Buffer
	// platform is the whole of it, for apitest's seeding helpers.
	platform *apitest.Platform
}

type stackOptions struct {
	// limit overrides each caller's token bucket (default: too large to matter).
	limit *ratelimit.Bucket
	// ready overrides Options.Ready (default: the cache's Synced).
	ready func() bool
}

func newStack(t testing.TB, o stackOptions) *stack {
	t.Helper()
	p := apitest.NewPlatform(t, apitest.PlatformOptions{Limit: o.limit, Ready: o.ready})
	return &stack{e: p.Echo, cache: p.Cache, kube: p.Kube, serving: p.Serving, argo: p.Argo, logs: p.Logs, platform: p}
}

// response is what a request got.
type response struct {
	status int
	header http.Header
	body   []byte
}

// Tokens the fake apiserver's TokenReview accepts: tester may do anything,
// viewer may only get and list, in the seeded project's namespaces.
const (
	testerToken = apitest.TesterToken
	viewerToken = apitest.ViewerToken
)

// do sends one request through the echo instance as tester. A non-empty body
// is sent as application/json unless contentType says otherwise.
func (s *stack) do(t *testing.T, method, path, contentType, body string) response {
	t.Helper()
	return s.doAs(t, testerToken, method, path, contentType, body)
}

// doAs is do with another bearer token ("" sends none).
func (s *stack) doAs(t *testing.T, token, method, path, contentType, body string) response {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" && contentType == "" {
		contentType = "application/json"
	}
	if contentType != "" {
		req.Header.Set(echo.HeaderContentType, contentType)
	}
	return s.serve(req)
}

// serve runs req through the echo instance.
func (s *stack) serve(req *http.Request) response {
	rec := httptest.NewRecorder()
	s.e.ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

// getJSON GETs path, requires 200 and application/json, and decodes the body generically so
// comparisons see the wire shape (null versus [], omitted keys).
func (s *stack) getJSON(t *testing.T, path string) any {
	t.Helper()
	r := s.do(t, http.MethodGet, path, "", "")
	if r.status != http.StatusOK {
		t.Fatalf("GET %s: status %d, want 200; body: %.500s", path, r.status, r.body)
	}
	if ct := r.header.Get(echo.HeaderContentType); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("GET %s: Content-Type %q, want application/json", path, ct)
	}
	return decodeAny(t, r.body)
}

func decodeAny(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("not JSON: %v: %.500s", err, b)
	}
	return v
}

// problem decodes a problem+json answer, failing on any other media type.
func problem(t *testing.T, r response) api.Problem {
	t.Helper()
	if ct := r.header.Get(echo.HeaderContentType); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json; body: %.300s", ct, r.body)
	}
	var p api.Problem
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("problem body: %v: %.300s", err, r.body)
	}
	return p
}
