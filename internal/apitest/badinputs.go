// Package apitest holds the table of user mistakes every API test layer replays: unit tests
// against fake clientsets and integration tests against the real dev cluster. Each mistake
// must come back as a 4xx problem naming the field, never as a 5xx.
package apitest

import (
	"net/http"
	"strings"
)

// BadInput is one wrong request and the answer it must get.
type BadInput struct {
	Name        string
	Method      string
	Path        string
	ContentType string // default application/json when Body is set
	Body        string
	Status      int
	// Fields are the errors[].field paths a 422 must name (in any order).
	Fields []string
	// DetailHas is a substring the problem's detail must contain (for 4xx without fields).
	DetailHas string
}

// BadInputs lists mistakes against an existing project whose app has one revision,
// `{app}-00001`, deployed to env "test". Env "prod" must require minScale ≥ 1.
func BadInputs(project, app string) []BadInput {
	apps := "/api/v1/projects/" + project + "/apps/"
	test := apps + app + "/envs/test"
	prod := apps + app + "/envs/prod"
	rev := app + "-00001"
	big := `{"image":"dev.local/x/y:v1","message":"` + strings.Repeat("x", 1<<20) + `"}`
	return []BadInput{
		// The body itself.
		{Name: "malformed JSON", Method: http.MethodPost, Path: test + "/deployments", Body: `{"image":`, Status: 400, DetailHas: "malformed JSON"},
		{Name: "unknown field", Method: http.MethodPost, Path: test + "/deployments", Body: `{"image":"dev.local/x/y:v1","replicas":3}`, Status: 400, DetailHas: `unknown field "replicas"`},
		{Name: "wrong type", Method: http.MethodPost, Path: test + "/deployments", Body: `{"image":"dev.local/x/y:v1","port":"80"}`, Status: 400, DetailHas: `"port"`},
		{Name: "empty body", Method: http.MethodPost, Path: test + "/deployments", Body: ` `, Status: 400, DetailHas: "needs a JSON body"},
		{Name: "two JSON values", Method: http.MethodPost, Path: test + "/deployments", Body: `{"image":"dev.local/x/y:v1"} {}`, Status: 400, DetailHas: "more than one JSON value"},
		{Name: "form content type", Method: http.MethodPost, Path: test + "/deployments", ContentType: "application/x-www-form-urlencoded", Body: `image=x`, Status: 415},
		{Name: "body over 1 MiB", Method: http.MethodPost, Path: test + "/deployments", Body: big, Status: 413},
		// Where.
		{Name: "unknown environment", Method: http.MethodPost, Path: apps + app + "/envs/staging/deployments", Body: `{"image":"dev.local/x/y:v1"}`, Status: 404, DetailHas: `environment "staging"`},
		{Name: "unknown project", Method: http.MethodPost, Path: "/api/v1/projects/nosuch/apps/" + app + "/envs/test/deployments", Body: `{"image":"dev.local/x/y:v1"}`, Status: 404, DetailHas: `project "nosuch"`},
		{Name: "bad app name", Method: http.MethodPost, Path: apps + "Bad_App/envs/test/deployments", Body: `{"image":"dev.local/x/y:v1"}`, Status: 422, Fields: []string{"app"}},
		{Name: "app name too long", Method: http.MethodPost, Path: apps + strings.Repeat("a", 41) + "/envs/test/deployments", Body: `{"image":"dev.local/x/y:v1"}`, Status: 422, Fields: []string{"app"}},
		{Name: "app not deployed", Method: http.MethodGet, Path: apps + "ghost/envs/test", Status: 404},
		{Name: "templates of an encoded ..", Method: http.MethodGet, Path: "/api/v1/projects/%2e%2e/pipelines/templates", Status: 422, Fields: []string{"project"}},
		{Name: "templates of an encoded slash", Method: http.MethodGet, Path: "/api/v1/projects/x%2Fy/pipelines/templates", Status: 422, Fields: []string{"project"}},
		{Name: "templates of an upper-case project", Method: http.MethodGet, Path: "/api/v1/projects/UPPER/pipelines/templates", Status: 422, Fields: []string{"project"}},
		{Name: "templates of an unknown project", Method: http.MethodGet, Path: "/api/v1/projects/nosuch/pipelines/templates", Status: 404, DetailHas: `project "nosuch"`},
		{Name: "access in an unknown project", Method: http.MethodGet, Path: "/api/v1/projects/nosuch/access", Status: 404, DetailHas: `project "nosuch"`},
		{Name: "members of an unknown project", Method: http.MethodGet, Path: "/api/v1/projects/nosuch/members", Status: 404, DetailHas: `project "nosuch"`},
		{Name: "member added to an unknown project", Method: http.MethodPost, Path: "/api/v1/projects/nosuch/members", Body: `{"name":"x"}`, Status: 404, DetailHas: `project "nosuch"`},
		{Name: "unknown environment of runs", Method: http.MethodGet, Path: apps + app + "/envs/x%2Fy/runs", Status: 404, DetailHas: "is not configured"},
		{Name: "bad revision name", Method: http.MethodGet, Path: test + "/revisions/" + strings.ToUpper(rev), Status: 422, Fields: []string{"revision"}},
		{Name: "bad run name", Method: http.MethodPost, Path: test + "/runs/x%2Fy/cancel", Status: 422, Fields: []string{"run"}},
		{Name: "runs of an app never deployed", Method: http.MethodGet, Path: apps + "ghost/envs/test/runs", Status: 404},
		{Name: "unknown revision", Method: http.MethodGet, Path: test + "/revisions/" + app + "-09999", Status: 404},
		{Name: "unknown route", Method: http.MethodGet, Path: "/api/v1/nothing", Status: 404},
		{Name: "wrong method", Method: http.MethodPatch, Path: "/api/v1/projects", Body: `{}`, Status: 405},
		// Deploy fields.
		{Name: "missing image", Method: http.MethodPost, Path: test + "/deployments", Body: `{"message":"no image"}`, Status: 422, Fields: []string{"image"}},
		{Name: "image with spaces", Method: http.MethodPost, Path: test + "/deployments", Body: `{"image":"dev.local/x y:v1"}`, Status: 422, Fields: []string{"image"}},
		{Name: "image with bad digest", Method: http.MethodPost, Path: test + "/deployments", Body: `{"image":"dev.local/x/y@sha256:abc"}`, Status: 422, Fields: []string{"image"}},
		{Name: "port out of range", Method: http.MethodPost, Path: test + "/deployments", Body: `{"image":"dev.local/x/y:v1","port":70000}`, Status: 422, Fields: []string{"port"}},
		{Name: "port reserved by queue-proxy", Method: http.MethodPost, Path: test + "/deployments", Body: `{"image":"dev.local/x/y:v1","port":8012}`, Status: 422, Fields: []string{"port"}},
		{Name: "bad env name", Method: http.MethodPost, Path: test + "/deployments", Body: `{"image":"dev.local/x/y:v1","env":[{"name":"1X","value":"v"}]}`, Status: 422, Fields: []string{"env[0].name"}},
		{Name: "reserved env name", Method: http.MethodPost, Path: test + "/deployments", Body: `{"image":"dev.local/x/y:v1","env":[{"name":"K_SERVICE","value":"v"}]}`, Status: 422, Fields: []string{"env[0].name"}},
		{Name: "duplicate env name", Method: http.MethodPost, Path: test + "/deployments", Body: `{"image":"dev.local/x/y:v1","env":[{"name":"A","value":"1"},{"name":"A","value":"2"}]}`, Status: 422, Fields: []string{"env[1].name"}},
		{Name: "relative log path", Method: http.MethodPost, Path: test + "/deployments", Body: `{"image":"dev.local/x/y:v1","logPaths":[{"path":"logs"}]}`, Status: 422, Fields: []string{"logPaths[0].path"}},
		{Name: "log path traversal", Method: http.MethodPost, Path: test + "/deployments", Body: `{"image":"dev.local/x/y:v1","logPaths":[{"path":"/app/logs"},{"path":"/app/../etc"}]}`, Status: 422, Fields: []string{"logPaths[1].path"}},
		{Name: "log path in /etc", Method: http.MethodPost, Path: test + "/deployments", Body: `{"image":"dev.local/x/y:v1","logPaths":[{"path":"/etc/x"}]}`, Status: 422, Fields: []string{"logPaths[0].path"}},
		{Name: "nine log paths", Method: http.MethodPost, Path: test + "/deployments", Body: `{"image":"dev.local/x/y:v1","logPaths":[{"path":"/a1"},{"path":"/a2"},{"path":"/a3"},{"path":"/a4"},{"path":"/a5"},{"path":"/a6"},{"path":"/a7"},{"path":"/a8"},{"path":"/a9"}]}`, Status: 422, Fields: []string{"logPaths"}},
		{Name: "log path on queue-proxy", Method: http.MethodPost, Path: test + "/deployments", Body: `{"image":"dev.local/x/y:v1","logPaths":[{"path":"/app/logs","container":"queue-proxy"}]}`, Status: 422, Fields: []string{"logPaths[0].container"}},
		{Name: "log path unknown key", Method: http.MethodPost, Path: test + "/deployments", Body: `{"image":"dev.local/x/y:v1","logPaths":[{"path":"/app/logs","hostPath":"/"}]}`, Status: 400, DetailHas: `unknown field "hostPath"`},
		{Name: "unknown resource", Method: http.MethodPost, Path: test + "/deployments", Body: `{"image":"dev.local/x/y:v1","resources":{"limits":{"gpu":"1"}}}`, Status: 422, Fields: []string{"resources.limits[gpu]"}},
		{Name: "bad quantity", Method: http.MethodPost, Path: test + "/deployments", Body: `{"image":"dev.local/x/y:v1","resources":{"requests":{"memory":"lots"}}}`, Status: 422, Fields: []string{"resources.requests[memory]"}},
		{Name: "request above limit", Method: http.MethodPost, Path: test + "/deployments", Body: `{"image":"dev.local/x/y:v1","resources":{"requests":{"cpu":"2"},"limits":{"cpu":"1"}}}`, Status: 422, Fields: []string{"resources.requests[cpu]"}},
		{Name: "minScale below prod policy", Method: http.MethodPost, Path: prod + "/deployments", Body: `{"image":"dev.local/x/y:v1","scaling":{"minScale":0}}`, Status: 422, Fields: []string{"scaling.minScale"}},
		{Name: "maxScale below minScale", Method: http.MethodPost, Path: test + "/deployments", Body: `{"image":"dev.local/x/y:v1","scaling":{"minScale":3,"maxScale":2}}`, Status: 422, Fields: []string{"scaling.maxScale"}},
		{Name: "target zero", Method: http.MethodPost, Path: test + "/deployments", Body: `{"image":"dev.local/x/y:v1","scaling":{"target":0}}`, Status: 422, Fields: []string{"scaling.target"}},
		{Name: "unknown strategy", Method: http.MethodPost, Path: test + "/deployments", Body: `{"image":"dev.local/x/y:v1","strategy":{"type":"bluegreen"}}`, Status: 422, Fields: []string{"strategy.type"}},
		{Name: "canary without percent", Method: http.MethodPost, Path: test + "/deployments", Body: `{"image":"dev.local/x/y:v1","strategy":{"type":"canary"}}`, Status: 422, Fields: []string{"strategy.percent"}},
		{Name: "canary 100", Method: http.MethodPost, Path: test + "/deployments", Body: `{"image":"dev.local/x/y:v1","strategy":{"type":"canary","percent":100}}`, Status: 422, Fields: []string{"strategy.percent"}},
		{Name: "header without match", Method: http.MethodPost, Path: test + "/deployments", Body: `{"image":"dev.local/x/y:v1","strategy":{"type":"header"}}`, Status: 422, Fields: []string{"strategy.match"}},
		{Name: "header bad regex", Method: http.MethodPost, Path: test + "/deployments", Body: `{"image":"dev.local/x/y:v1","strategy":{"type":"header","match":{"headers":{"x-user":{"regex":"("}}}}}`, Status: 422, Fields: []string{"strategy.match.headers[x-user].regex"}},
		{Name: "header two matchers", Method: http.MethodPost, Path: test + "/deployments", Body: `{"image":"dev.local/x/y:v1","strategy":{"type":"header","match":{"headers":{"x-user":{"exact":"a","prefix":"b"}}}}}`, Status: 422, Fields: []string{"strategy.match.headers[x-user]"}},
		{Name: "unknown domain scheme", Method: http.MethodPost, Path: test + "/deployments", Body: `{"image":"dev.local/x/y:v1","domain":"vanity"}`, Status: 422, Fields: []string{"domain"}},
		{Name: "header lane and match", Method: http.MethodPost, Path: test + "/deployments", Body: `{"image":"dev.local/x/y:v1","strategy":{"type":"header","lane":"x","match":{"headers":{"x-a":{"exact":"1"}}}}}`, Status: 422, Fields: []string{"strategy.lane"}},
		{Name: "message too long", Method: http.MethodPost, Path: test + "/deployments", Body: `{"image":"dev.local/x/y:v1","message":"` + strings.Repeat("m", 501) + `"}`, Status: 422, Fields: []string{"message"}},
		// Traffic and rollback.
		{Name: "traffic sums to 90", Method: http.MethodPut, Path: test + "/traffic", Body: `{"targets":[{"revision":"` + rev + `","percent":90}]}`, Status: 422, Fields: []string{"targets"}},
		{Name: "traffic unknown revision", Method: http.MethodPut, Path: test + "/traffic", Body: `{"targets":[{"revision":"` + app + `-00042","percent":100}]}`, Status: 422, Fields: []string{"targets[0].revision"}},
		{Name: "traffic revision of another app", Method: http.MethodPut, Path: test + "/traffic", Body: `{"targets":[{"revision":"other-00001","percent":100}]}`, Status: 422, Fields: []string{"targets[0].revision"}},
		{Name: "traffic latest and revision", Method: http.MethodPut, Path: test + "/traffic", Body: `{"targets":[{"revision":"` + rev + `","latest":true,"percent":100}]}`, Status: 422, Fields: []string{"targets[0].revision"}},
		{Name: "traffic negative percent", Method: http.MethodPut, Path: test + "/traffic", Body: `{"targets":[{"revision":"` + rev + `","percent":110},{"latest":true,"percent":-10}]}`, Status: 422, Fields: []string{"targets[0].percent", "targets[1].percent"}},
		{Name: "traffic duplicate tag", Method: http.MethodPut, Path: test + "/traffic", Body: `{"targets":[{"revision":"` + rev + `","percent":100,"tag":"a"},{"latest":true,"percent":0,"tag":"a"}]}`, Status: 422, Fields: []string{"targets[1].tag"}},
		{Name: "traffic bad tag", Method: http.MethodPut, Path: test + "/traffic", Body: `{"targets":[{"revision":"` + rev + `","percent":100,"tag":"Beta!"}]}`, Status: 422, Fields: []string{"targets[0].tag"}},
		{Name: "rule with bad regex", Method: http.MethodPut, Path: test + "/traffic", Body: `{"targets":[{"revision":"` + rev + `","percent":100}],"rules":[{"match":{"headers":{"x-a":{"regex":"[z-a]"}}},"revision":"` + rev + `"}]}`, Status: 422, Fields: []string{"rules[0].match.headers[x-a].regex"}},
		{Name: "rule unknown revision", Method: http.MethodPut, Path: test + "/traffic", Body: `{"targets":[{"revision":"` + rev + `","percent":100}],"rules":[{"match":{"headers":{"x-a":{"exact":"1"}}},"revision":"` + app + `-00077"}]}`, Status: 422, Fields: []string{"rules[0].revision"}},
		{Name: "rule with bad lane", Method: http.MethodPut, Path: test + "/traffic", Body: `{"targets":[{"revision":"` + rev + `","percent":100}],"rules":[{"lane":"Not A Lane","revision":"` + rev + `"}]}`, Status: 422, Fields: []string{"rules[0].lane"}},
		{Name: "rule cookie value with semicolon", Method: http.MethodPut, Path: test + "/traffic", Body: `{"targets":[{"revision":"` + rev + `","percent":100}],"rules":[{"match":{"cookie":{"name":"grp","value":"a;b"}},"revision":"` + rev + `"}]}`, Status: 422, Fields: []string{"rules[0].match.cookie.value"}},
		{Name: "rollback without revision", Method: http.MethodPost, Path: test + "/rollback", Body: `{}`, Status: 422, Fields: []string{"revision"}},
		{Name: "rollback unknown revision", Method: http.MethodPost, Path: test + "/rollback", Body: `{"revision":"` + app + `-00009"}`, Status: 422, Fields: []string{"revision"}},
		{Name: "traffic for an app never deployed", Method: http.MethodPut, Path: apps + "ghost/envs/test/traffic", Body: `{"targets":[{"latest":true,"percent":100}]}`, Status: 404},
		// Projects.
		{Name: "project name invalid", Method: http.MethodPost, Path: "/api/v1/projects", Body: `{"name":"Team_A"}`, Status: 422, Fields: []string{"name"}},
		{Name: "project name too long", Method: http.MethodPost, Path: "/api/v1/projects", Body: `{"name":"` + strings.Repeat("p", 31) + `"}`, Status: 422, Fields: []string{"name"}},
		{Name: "project name missing", Method: http.MethodPost, Path: "/api/v1/projects", Body: `{}`, Status: 422, Fields: []string{"name"}},
		{Name: "project exists", Method: http.MethodPost, Path: "/api/v1/projects", Body: `{"name":"` + project + `"}`, Status: 409, DetailHas: "already exists"},
	}
}
