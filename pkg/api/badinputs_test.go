package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	k8stesting "k8s.io/client-go/testing"

	"github.com/slipway-dev/slipway/internal/apitest"
	"github.com/slipway-dev/slipway/pkg/audit"
)

// badInput is one wrong request and the problem it must get.
type badInput struct {
	name        string
	method      string
	path        string
	contentType string // application/json when empty and body is set
	body        string
	status      int
	// fields are exactly the errors[].field paths a 422 must name (any order, duplicates count).
	fields []string
	// detail is a substring the problem's detail must contain.
	detail string
}

// deploy bodies are valid but for the one mistake under test.
const img = `"image":"registry.example/demo/hello:v3"`

func badInputs() []badInput {
	deploy := testPath + "/deployments"
	traffic := testPath + "/traffic"
	rollback := testPath + "/rollback"
	valid := `{` + img + `}`
	withRule := func(rule string) string {
		return `{"targets":[{"revision":"` + rev1 + `","percent":100}],"rules":[` + rule + `]}`
	}
	return []badInput{
		// The body itself (decodeBody): 400, 413, 415.
		{name: "truncated JSON", method: "POST", path: deploy, body: `{"image":`, status: 400, detail: "malformed JSON: the body ends in the middle of a value"},
		{name: "JSON syntax error", method: "POST", path: deploy, body: `{"image" "x"}`, status: 400, detail: "malformed JSON at byte"},
		{name: "unknown field", method: "POST", path: deploy, body: `{` + img + `,"replicas":3}`, status: 400, detail: `unknown field "replicas"`},
		{name: "unknown nested field", method: "POST", path: deploy, body: `{` + img + `,"scaling":{"min":1}}`, status: 400, detail: `unknown field "`},
		{name: "wrong type", method: "POST", path: deploy, body: `{` + img + `,"port":"80"}`, status: 400, detail: `field "port": expected int32, got JSON string`},
		{name: "wrong nested type", method: "POST", path: deploy, body: `{` + img + `,"scaling":{"minScale":"1"}}`, status: 400, detail: `field "scaling.minScale"`},
		{name: "array instead of object", method: "POST", path: deploy, body: `[]`, status: 400, detail: "must be a JSON object"},
		{name: "string instead of list", method: "PUT", path: traffic, body: `{"targets":"all"}`, status: 400, detail: `field "targets"`},
		{name: "empty body", method: "POST", path: deploy, contentType: "application/json", status: 400, detail: "needs a JSON body"},
		{name: "blank body", method: "POST", path: deploy, body: " \n\t", status: 400, detail: "needs a JSON body"},
		{name: "two JSON values", method: "POST", path: deploy, body: valid + ` {}`, status: 400, detail: "more than one JSON value"},
		{name: "trailing garbage", method: "POST", path: deploy, body: valid + ` x`, status: 400, detail: "more than one JSON value"},
		{name: "text/plain body", method: "POST", path: deploy, contentType: "text/plain", body: valid, status: 415, detail: "application/json"},
		{name: "form body", method: "POST", path: deploy, contentType: "application/x-www-form-urlencoded", body: "image=x", status: 415},
		{name: "unparseable content type", method: "POST", path: deploy, contentType: "application/json; charset", body: valid, status: 415},
		{name: "body over 1 MiB", method: "POST", path: deploy, body: `{` + img + `,"message":"` + strings.Repeat("x", 1<<20) + `"}`, status: 413, detail: "1048576 bytes"},
		{name: "+json media type is JSON", method: "POST", path: deploy, contentType: "application/vnd.slipway+json", body: `{}`, status: 422, fields: []string{"image"}},

		// Where: path parameters, unknown objects and routes.
		{name: "unknown environment", method: "POST", path: appsPath + app + "/envs/staging/deployments", body: valid, status: 404, detail: `environment "staging" is not configured`},
		{name: "unknown project", method: "POST", path: "/api/v1/projects/nosuch/apps/" + app + "/envs/test/deployments", body: valid, status: 404, detail: `project "nosuch" does not exist`},
		{name: "bad project name in path", method: "POST", path: "/api/v1/projects/Demo_X/apps/" + app + "/envs/test/deployments", body: valid, status: 422, fields: []string{"project"}},
		{name: "project name too long in path", method: "GET", path: "/api/v1/projects/" + strings.Repeat("p", 31) + "/apps/" + app + "/envs/test", status: 422, fields: []string{"project"}},
		{name: "bad app name", method: "POST", path: appsPath + "Bad_App/envs/test/deployments", body: valid, status: 422, fields: []string{"app"}},
		{name: "app name starts with a digit", method: "POST", path: appsPath + "1hello/envs/test/deployments", body: valid, status: 422, fields: []string{"app"}},
		{name: "app name longer than 40", method: "POST", path: appsPath + strings.Repeat("a", 41) + "/envs/test/deployments", body: valid, status: 422, fields: []string{"app"}},
		{name: "bad project and app names", method: "GET", path: "/api/v1/projects/-x/apps/y_/envs/test/history", status: 422, fields: []string{"project", "app"}},
		{name: "path checked before body", method: "POST", path: appsPath + "Bad_App/envs/test/deployments", body: `{}`, status: 422, fields: []string{"app"}},
		{name: "GET unknown app", method: "GET", path: appsPath + "ghost/envs/test", status: 404, detail: `app "ghost" has not been deployed`},
		{name: "GET app in env it is not deployed to", method: "GET", path: prodPath, status: 404},
		{name: "GET unknown revision", method: "GET", path: testPath + "/revisions/hello-09999", status: 404, detail: `revision "hello-09999"`},
		{name: "GET revisions of unknown app", method: "GET", path: appsPath + "ghost/envs/test/revisions", status: 404},
		{name: "GET history of unknown app", method: "GET", path: appsPath + "ghost/envs/test/history", status: 404},
		{name: "GET manifests of unknown app", method: "GET", path: appsPath + "ghost/envs/test/manifests", status: 404},
		{name: "GET apps of unknown project", method: "GET", path: "/api/v1/projects/nosuch/apps", status: 404, detail: `project "nosuch" does not exist`},
		{name: "GET app in unknown env", method: "GET", path: appsPath + app + "/envs/staging", status: 404},
		// Every path parameter is checked before authorization and Kubernetes see it.
		{name: "templates of an encoded ..", method: "GET", path: "/api/v1/projects/%2e%2e/pipelines/templates", status: 422, fields: []string{"project"}},
		{name: "templates of an encoded slash", method: "GET", path: "/api/v1/projects/x%2Fy/pipelines/templates", status: 422, fields: []string{"project"}},
		{name: "templates of an upper-case project", method: "GET", path: "/api/v1/projects/UPPER/pipelines/templates", status: 422, fields: []string{"project"}},
		{name: "templates of an unknown project", method: "GET", path: "/api/v1/projects/nosuch/pipelines/templates", status: 404, detail: `project "nosuch" does not exist`},
		{name: "access in an unknown project", method: "GET", path: "/api/v1/projects/nosuch/access", status: 404, detail: `project "nosuch" does not exist`},
		{name: "access with an empty project", method: "GET", path: "/api/v1/projects//access", status: 422, fields: []string{"project"}},
		{name: "members of an unknown project", method: "GET", path: "/api/v1/projects/nosuch/members", status: 404, detail: `project "nosuch" does not exist`},
		{name: "member added to an unknown project", method: "POST", path: "/api/v1/projects/nosuch/members", body: `{"name":"x"}`, status: 404, detail: `project "nosuch" does not exist`},
		{name: "members of a 10,000-character project", method: "GET", path: "/api/v1/projects/" + strings.Repeat("p", 10000) + "/members", status: 422, fields: []string{"project", "project"}},
		{name: "bad env name is an unknown env", method: "GET", path: appsPath + app + "/envs/x%2Fy/runs", status: 404, detail: `environment "x%2Fy" is not configured`},
		{name: "names before env", method: "GET", path: "/api/v1/projects/-x/apps/hello/envs/staging", status: 422, fields: []string{"project"}},
		{name: "bad revision name", method: "GET", path: testPath + "/revisions/Hello-00001", status: 422, fields: []string{"revision"}},
		{name: "revision name with a dot", method: "GET", path: testPath + "/revisions/hello.00001", status: 422, fields: []string{"revision"}},
		{name: "bad run name", method: "GET", path: testPath + "/runs/%00", status: 422, fields: []string{"run"}},
		{name: "bad run name on a write", method: "POST", path: testPath + "/runs/x%2Fy/cancel", status: 422, fields: []string{"run"}},
		{name: "runs of an app with neither pipeline nor Service", method: "GET", path: appsPath + "ghost/envs/test/runs", status: 404, detail: `app "ghost" has no pipeline and is not deployed`},
		{name: "malformed hook ID", method: "POST", path: "/hooks/v1/..", body: `{}`, status: 404, detail: "no such hook"},
		{name: "DELETE unknown app", method: "DELETE", path: appsPath + "ghost/envs/test", status: 404},
		{name: "DELETE app not managed by Slipway", method: "DELETE", path: appsPath + "foreign/envs/test", status: 409, detail: "not managed by Slipway"},
		{name: "deploy over app not managed by Slipway", method: "POST", path: appsPath + "foreign/envs/test/deployments", body: valid, status: 409, detail: "not managed by Slipway"},
		{name: "unknown route", method: "GET", path: "/api/v1/nothing", status: 404},
		{name: "wrong method", method: "PATCH", path: "/api/v1/projects", body: `{}`, status: 405},

		// Deploy fields: 422 naming the request's JSON path.
		{name: "image missing", method: "POST", path: deploy, body: `{"message":"no image"}`, status: 422, fields: []string{"image"}},
		{name: "image with a space", method: "POST", path: deploy, body: `{"image":"dev.local/x y:v1"}`, status: 422, fields: []string{"image"}},
		{name: "image with a bad digest", method: "POST", path: deploy, body: `{"image":"dev.local/x/y@sha256:abc"}`, status: 422, fields: []string{"image"}},
		{name: "port above 65535", method: "POST", path: deploy, body: `{` + img + `,"port":70000}`, status: 422, fields: []string{"port"}},
		{name: "port negative", method: "POST", path: deploy, body: `{` + img + `,"port":-1}`, status: 422, fields: []string{"port"}},
		{name: "port reserved by queue-proxy", method: "POST", path: deploy, body: `{` + img + `,"port":8012}`, status: 422, fields: []string{"port"}},
		{name: "env name starts with a digit", method: "POST", path: deploy, body: `{` + img + `,"env":[{"name":"1X","value":"v"}]}`, status: 422, fields: []string{"env[0].name"}},
		{name: "env name empty", method: "POST", path: deploy, body: `{` + img + `,"env":[{"name":"A","value":"v"},{"name":"","value":"v"}]}`, status: 422, fields: []string{"env[1].name"}},
		{name: "env name reserved by Knative", method: "POST", path: deploy, body: `{` + img + `,"env":[{"name":"K_SERVICE","value":"v"}]}`, status: 422, fields: []string{"env[0].name"}},
		{name: "env name duplicated", method: "POST", path: deploy, body: `{` + img + `,"env":[{"name":"A","value":"1"},{"name":"A","value":"2"}]}`, status: 422, fields: []string{"env[1].name"}},
		{name: "unknown resource", method: "POST", path: deploy, body: `{` + img + `,"resources":{"limits":{"gpu":"1"}}}`, status: 422, fields: []string{"resources.limits[gpu]"}},
		{name: "bad quantity", method: "POST", path: deploy, body: `{` + img + `,"resources":{"requests":{"memory":"lots"}}}`, status: 422, fields: []string{"resources.requests[memory]"}},
		{name: "zero quantity", method: "POST", path: deploy, body: `{` + img + `,"resources":{"limits":{"cpu":"0"}}}`, status: 422, fields: []string{"resources.limits[cpu]"}},
		{name: "request above limit", method: "POST", path: deploy, body: `{` + img + `,"resources":{"requests":{"cpu":"2"},"limits":{"cpu":"1"}}}`, status: 422, fields: []string{"resources.requests[cpu]"}},
		{name: "minScale below prod's minimum", method: "POST", path: prodPath + "/deployments", body: `{` + img + `,"scaling":{"minScale":0}}`, status: 422, fields: []string{"scaling.minScale"}, detail: `environment "prod" requires minScale >= 1`},
		{name: "maxScale above prod's maximum", method: "POST", path: prodPath + "/deployments", body: `{` + img + `,"scaling":{"maxScale":11}}`, status: 422, fields: []string{"scaling.maxScale"}, detail: `environment "prod" allows maxScale <= 10`},
		{name: "minScale negative", method: "POST", path: deploy, body: `{` + img + `,"scaling":{"minScale":-1}}`, status: 422, fields: []string{"scaling.minScale"}},
		{name: "maxScale zero", method: "POST", path: deploy, body: `{` + img + `,"scaling":{"maxScale":0}}`, status: 422, fields: []string{"scaling.maxScale"}},
		{name: "maxScale below minScale", method: "POST", path: deploy, body: `{` + img + `,"scaling":{"minScale":3,"maxScale":2}}`, status: 422, fields: []string{"scaling.maxScale"}},
		{name: "target zero", method: "POST", path: deploy, body: `{` + img + `,"scaling":{"target":0}}`, status: 422, fields: []string{"scaling.target"}},
		{name: "unknown strategy type", method: "POST", path: deploy, body: `{` + img + `,"strategy":{"type":"bluegreen"}}`, status: 422, fields: []string{"strategy.type"}},
		{name: "replace with percent", method: "POST", path: deploy, body: `{` + img + `,"strategy":{"type":"replace","percent":10}}`, status: 422, fields: []string{"strategy.percent"}},
		{name: "canary without percent", method: "POST", path: deploy, body: `{` + img + `,"strategy":{"type":"canary"}}`, status: 422, fields: []string{"strategy.percent"}},
		{name: "canary percent 100", method: "POST", path: deploy, body: `{` + img + `,"strategy":{"type":"canary","percent":100}}`, status: 422, fields: []string{"strategy.percent"}},
		{name: "canary percent 0", method: "POST", path: deploy, body: `{` + img + `,"strategy":{"type":"canary","percent":0}}`, status: 422, fields: []string{"strategy.percent"}},
		{name: "canary with match and tag", method: "POST", path: deploy, body: `{` + img + `,"strategy":{"type":"canary","percent":5,"match":{"headers":{"x-a":{"exact":"1"}}},"tag":"beta"}}`, status: 422, fields: []string{"strategy.match", "strategy.tag"}},
		{name: "header without match", method: "POST", path: deploy, body: `{` + img + `,"strategy":{"type":"header"}}`, status: 422, fields: []string{"strategy.match"}},
		{name: "header with empty match", method: "POST", path: deploy, body: `{` + img + `,"strategy":{"type":"header","match":{}}}`, status: 422, fields: []string{"strategy.match.headers"}},
		{name: "header bad regex", method: "POST", path: deploy, body: `{` + img + `,"strategy":{"type":"header","match":{"headers":{"x-user":{"regex":"("}}}}}`, status: 422, fields: []string{"strategy.match.headers[x-user].regex"}},
		{name: "header two matchers", method: "POST", path: deploy, body: `{` + img + `,"strategy":{"type":"header","match":{"headers":{"x-user":{"exact":"a","prefix":"b"}}}}}`, status: 422, fields: []string{"strategy.match.headers[x-user]"}},
		{name: "header upper-case name", method: "POST", path: deploy, body: `{` + img + `,"strategy":{"type":"header","match":{"headers":{"X-User":{"exact":"a"}}}}}`, status: 422, fields: []string{"strategy.match.headers[X-User]"}},
		{name: "header lane and match", method: "POST", path: deploy, body: `{` + img + `,"strategy":{"type":"header","lane":"x","match":{"headers":{"x-a":{"exact":"1"}}}}}`, status: 422, fields: []string{"strategy.lane"}},
		{name: "header bad tag", method: "POST", path: deploy, body: `{` + img + `,"strategy":{"type":"header","lane":"qa","tag":"Beta!"}}`, status: 422, fields: []string{"strategy.tag"}},
		{name: "unknown domain scheme", method: "POST", path: deploy, body: `{` + img + `,"domain":"vanity"}`, status: 422, fields: []string{"domain"}},
		{name: "message too long", method: "POST", path: deploy, body: `{` + img + `,"message":"` + strings.Repeat("m", 501) + `"}`, status: 422, fields: []string{"message"}},
		{name: "several deploy mistakes at once", method: "POST", path: prodPath + "/deployments", body: `{"port":70000,"scaling":{"minScale":0,"maxScale":11,"target":0},"strategy":{"type":"canary"}}`, status: 422,
			fields: []string{"image", "port", "scaling.minScale", "scaling.maxScale", "scaling.target", "strategy.percent"}},

		// Traffic.
		{name: "traffic sums to 90", method: "PUT", path: traffic, body: `{"targets":[{"revision":"` + rev1 + `","percent":90}]}`, status: 422, fields: []string{"targets"}, detail: "sum to 100"},
		{name: "traffic without targets", method: "PUT", path: traffic, body: `{"targets":[]}`, status: 422, fields: []string{"targets"}},
		{name: "traffic unknown revision", method: "PUT", path: traffic, body: `{"targets":[{"revision":"hello-00042","percent":100}]}`, status: 422, fields: []string{"targets[0].revision"}},
		{name: "traffic revision of another app", method: "PUT", path: traffic, body: `{"targets":[{"revision":"other-00001","percent":100}]}`, status: 422, fields: []string{"targets[0].revision"}},
		{name: "traffic latest and revision", method: "PUT", path: traffic, body: `{"targets":[{"revision":"` + rev1 + `","latest":true,"percent":100}]}`, status: 422, fields: []string{"targets[0].revision"}},
		{name: "traffic neither latest nor revision", method: "PUT", path: traffic, body: `{"targets":[{"percent":100}]}`, status: 422, fields: []string{"targets[0].revision"}},
		{name: "traffic percent out of range", method: "PUT", path: traffic, body: `{"targets":[{"revision":"` + rev1 + `","percent":110},{"latest":true,"percent":-10}]}`, status: 422, fields: []string{"targets[0].percent", "targets[1].percent"}},
		{name: "traffic duplicate tag", method: "PUT", path: traffic, body: `{"targets":[{"revision":"` + rev1 + `","percent":100,"tag":"a"},{"latest":true,"percent":0,"tag":"a"}]}`, status: 422, fields: []string{"targets[1].tag"}},
		{name: "traffic same revision twice untagged", method: "PUT", path: traffic, body: `{"targets":[{"revision":"` + rev1 + `","percent":50},{"revision":"` + rev1 + `","percent":50}]}`, status: 422, fields: []string{"targets[1]"}},
		{name: "traffic bad tag", method: "PUT", path: traffic, body: `{"targets":[{"revision":"` + rev1 + `","percent":100,"tag":"Beta!"}]}`, status: 422, fields: []string{"targets[0].tag"}},
		{name: "rule with bad regex", method: "PUT", path: traffic, body: withRule(`{"match":{"headers":{"x-a":{"regex":"[z-a]"}}},"revision":"` + rev1 + `"}`), status: 422, fields: []string{"rules[0].match.headers[x-a].regex"}},
		{name: "rule unknown revision", method: "PUT", path: traffic, body: withRule(`{"match":{"headers":{"x-a":{"exact":"1"}}},"revision":"hello-00077"}`), status: 422, fields: []string{"rules[0].revision"}},
		{name: "rule without revision", method: "PUT", path: traffic, body: withRule(`{"match":{"headers":{"x-a":{"exact":"1"}}}}`), status: 422, fields: []string{"rules[0].revision"}},
		{name: "rule without match", method: "PUT", path: traffic, body: withRule(`{"revision":"` + rev1 + `"}`), status: 422, fields: []string{"rules[0].match.headers"}},
		{name: "rule lane and match", method: "PUT", path: traffic, body: withRule(`{"lane":"qa","match":{"headers":{"x-a":{"exact":"1"}}},"revision":"` + rev1 + `"}`), status: 422, fields: []string{"rules[0].lane"}},
		{name: "rule bad lane", method: "PUT", path: traffic, body: withRule(`{"lane":"Not A Lane","revision":"` + rev1 + `"}`), status: 422, fields: []string{"rules[0].lane"}},
		{name: "rule matches cookie as header", method: "PUT", path: traffic, body: withRule(`{"match":{"headers":{"cookie":{"exact":"a=b"}}},"revision":"` + rev1 + `"}`), status: 422, fields: []string{"rules[0].match.headers[cookie]"}},
		{name: "rule cookie value with semicolon", method: "PUT", path: traffic, body: withRule(`{"match":{"cookie":{"name":"grp","value":"a;b"}},"revision":"` + rev1 + `"}`), status: 422, fields: []string{"rules[0].match.cookie.value"}},
		{name: "traffic for an app never deployed", method: "PUT", path: appsPath + "ghost/envs/test/traffic", body: `{"targets":[{"latest":true,"percent":100}]}`, status: 404},
		{name: "traffic for an app not managed by Slipway", method: "PUT", path: appsPath + "foreign/envs/test/traffic", body: `{"targets":[{"latest":true,"percent":100}]}`, status: 409},

		// Rollback.
		{name: "rollback without revision", method: "POST", path: rollback, body: `{}`, status: 422, fields: []string{"revision"}},
		{name: "rollback unknown revision", method: "POST", path: rollback, body: `{"revision":"hello-00009"}`, status: 422, fields: []string{"revision"}},
		{name: "rollback to a revision that is not Ready", method: "POST", path: rollback, body: `{"revision":"` + rev2 + `"}`, status: 422, fields: []string{"revision"}, detail: "not Ready"},
		{name: "rollback message too long", method: "POST", path: rollback, body: `{"revision":"` + rev1 + `","message":"` + strings.Repeat("m", 501) + `"}`, status: 422, fields: []string{"message"}},
		{name: "rollback of an app never deployed", method: "POST", path: appsPath + "ghost/envs/test/rollback", body: `{"revision":"ghost-00001"}`, status: 404},

		// Projects.
		{name: "project name invalid", method: "POST", path: "/api/v1/projects", body: `{"name":"Team_A"}`, status: 422, fields: []string{"name"}},
		{name: "project name starts with a digit", method: "POST", path: "/api/v1/projects", body: `{"name":"1team"}`, status: 422, fields: []string{"name"}},
		{name: "project name too long", method: "POST", path: "/api/v1/projects", body: `{"name":"` + strings.Repeat("p", 31) + `"}`, status: 422, fields: []string{"name"}},
		{name: "project name missing", method: "POST", path: "/api/v1/projects", body: `{}`, status: 422, fields: []string{"name"}},
		{name: "project unknown field", method: "POST", path: "/api/v1/projects", body: `{"name":"team","owner":"me"}`, status: 400, detail: `unknown field "owner"`},
		{name: "project exists", method: "POST", path: "/api/v1/projects", body: `{"name":"` + project + `"}`, status: 409, detail: "already exists"},
	}
}

// TestBadInputs replays user mistakes through the whole stack: every one must be a 4xx
// problem+json naming what is wrong, never a 5xx, and must fail before anything is written.
func TestBadInputs(t *testing.T) {
	s := newStack(t, stackOptions{})
	cases := badInputs()
	if len(cases) < 32 {
		t.Fatalf("only %d cases", len(cases))
	}
	seen := map[string]bool{}
	for _, tc := range cases {
		if seen[tc.name] {
			t.Fatalf("duplicate case name %q", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			r := s.do(t, tc.method, tc.path, tc.contentType, tc.body)
			if r.status >= 500 {
				t.Fatalf("status %d: a user mistake must never be a 5xx; body: %.500s", r.status, r.body)
			}
			if r.status != tc.status {
				t.Fatalf("status = %d, want %d; body: %.500s", r.status, tc.status, r.body)
			}
			p := problem(t, r)
			if p.Status != tc.status || p.Title == "" || p.Type != "about:blank" {
				t.Errorf("problem type %q status %d title %q, want about:blank, %d and a title", p.Type, p.Status, p.Title, tc.status)
			}
			if wantInstance := strings.SplitN(tc.path, "?", 2)[0]; p.Instance != wantInstance {
				t.Errorf("instance = %q, want %q", p.Instance, wantInstance)
			}
			if tc.detail != "" && !strings.Contains(p.Detail, tc.detail) {
				t.Errorf("detail %q does not contain %q", p.Detail, tc.detail)
			}
			var got []string
			for _, fe := range p.Errors {
				got = append(got, fe.Field)
				if fe.Message == "" {
					t.Errorf("field %q has no message", fe.Field)
				}
			}
			want := append([]string(nil), tc.fields...)
			sort.Strings(got)
			sort.Strings(want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("errors[].field (-want,+got):\n%s\ndetail: %s", diff, p.Detail)
			}
			if tc.status == http.StatusUnprocessableEntity && len(p.Errors) == 0 {
				t.Errorf("a 422 must name its fields")
			}
		})
	}
	// Nothing may have been written: only the seeding's creates (and the informers' and
	// CreateProject's reads, the access reviews and the audit records of the refusals)
	// reached the fake clientsets.
	for _, a := range append(s.kube.Actions(), s.serving.Actions()...) {
		switch {
		case a.GetVerb() == "get", a.GetVerb() == "list", a.GetVerb() == "watch":
		case a.GetResource().Resource == "tokenreviews", a.GetResource().Resource == "subjectaccessreviews":
		case a.GetResource().Resource == "configmaps" && a.GetNamespace() == "slipway-system":
		default:
			t.Errorf("a bad input reached the cluster: %s %s", a.GetVerb(), a.GetResource().Resource)
		}
	}
}

// TestSharedBadInputs replays the table the integration tests run against a real cluster,
// so the two layers agree on every answer.
func TestSharedBadInputs(t *testing.T) {
	s := newStack(t, stackOptions{})
	for _, c := range apitest.BadInputs(project, app) {
		t.Run(c.Name, func(t *testing.T) {
			req := c.Request("")
			req.Header.Set("Authorization", "Bearer "+testerToken)
			r := s.serve(req)
			c.Check(t, r.status, r.header.Get("Content-Type"), r.body)
		})
	}
}

// TestWalkOpenAPI walks every operation of the served OpenAPI document (the Git hook
// endpoint's too) with hostile path segments, unknown names and hostile bodies: no 5xx, no
// hang, a 422 naming each malformed parameter, a 404 for names of nothing, and no status the
// document does not list for the operation.
func TestWalkOpenAPI(t *testing.T) {
	s := newStack(t, stackOptions{})
	srv := httptest.NewServer(s.e)
	t.Cleanup(srv.Close)
	n := apitest.Walk{
		BaseURL: srv.URL, Token: testerToken,
		Valid: map[string]string{"project": project, "app": app, "env": "test", "revision": rev1, "run": "hello-run-abcde", "promotion": "hello-20260101000000000-abcd",
			"hook": "0123456789abcdef0123456789abcdef"},
	}.Run(t)
	t.Log(n)
	if n.Operations < 30 || n.PathSegments < 2000 || n.Bodies < 100 {
		t.Errorf("the walk covered too little: %v", n)
	}
}

// A malformed path is refused after the audit middleware (the refusal is on the record) and
// before anything is read with it; a project the caller may not see stays a 403 whether or
// not it exists, so its existence does not leak.
func TestPathChecksAuditAndAuthorization(t *testing.T) {
	s := newStack(t, stackOptions{})
	bad := "/api/v1/projects/" + project + "/apps/x%2Fy/envs/test/deployments"
	if r := s.do(t, http.MethodPost, bad, "", `{"image":"registry.example/demo/hello:v3"}`); r.status != http.StatusUnprocessableEntity {
		t.Fatalf("POST %s: %d %s", bad, r.status, r.body)
	}
	for _, a := range s.serving.Actions() {
		if get, ok := a.(k8stesting.GetAction); ok && get.GetName() != app {
			t.Errorf("a malformed path reached the cluster: get %s %s/%q", a.GetResource().Resource, a.GetNamespace(), get.GetName())
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	var recs []audit.Record
	for {
		r := s.do(t, http.MethodGet, "/api/v1/audit?action=deploy", "", "")
		recs = nil
		if err := json.Unmarshal(r.body, &recs); err != nil {
			t.Fatal(err)
		}
		if len(recs) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(recs) != 1 || recs[0].Status != http.StatusUnprocessableEntity || recs[0].Result != audit.ResultRefused || recs[0].Before != "" {
		t.Errorf("audit records of the refused deploy = %+v, want one refused with status 422 and no state read", recs)
	}

	for _, path := range []string{"/api/v1/projects/nosuch/pipelines/templates", "/api/v1/projects/nosuch/access", "/api/v1/projects/nosuch/members"} {
		if r := s.doAs(t, viewerToken, http.MethodGet, path, "", ""); r.status != http.StatusForbidden {
			t.Errorf("viewer GET %s: %d, want 403 (as for a project that exists but is not theirs)", path, r.status)
		}
		if r := s.doAs(t, viewerToken, http.MethodGet, strings.Replace(path, "nosuch", "NoSuch", 1), "", ""); r.status != http.StatusUnprocessableEntity {
			t.Errorf("viewer GET %s with a malformed project: %d, want 422", path, r.status)
		}
	}
}
