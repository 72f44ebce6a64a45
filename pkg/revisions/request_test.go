package revisions

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	"github.com/slipway-dev/slipway/pkg/environments"
	"github.com/slipway-dev/slipway/pkg/logging"
)

var prodEnv = environments.Environment{Name: "prod", MinScale: 1, MaxScale: 10}

// knownRevisions are the revisions the traffic and rollback requests may name.
var knownRevisions = map[string]bool{"web-00001": true, "web-00002": true, "web-00003": true}

const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// fieldsOf lists the field paths of errs, sorted (errors from map keys come in any order).
func fieldsOf(errs field.ErrorList) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Field)
	}
	sort.Strings(out)
	return out
}

// deploy is a valid deploy request; mutate changes it.
func deploy(mutate func(r *DeployRequest)) DeployRequest {
	r := DeployRequest{Image: "registry.example/shop/web:v1"}
	if mutate != nil {
		mutate(&r)
	}
	return r
}

func header(name string, m StringMatch) *Match {
	return &Match{Headers: map[string]StringMatch{name: m}}
}

func canary(p int64) *Strategy { return &Strategy{Type: StrategyCanary, Percent: ptr.To(p)} }

// validator is one request with the environment or revisions it is checked against.
type validator interface {
	validate() field.ErrorList
}

type deployCase struct {
	req DeployRequest
	env environments.Environment
}

func (c deployCase) validate() field.ErrorList { return c.req.Validate(c.env) }

type trafficCase TrafficRequest

func (c trafficCase) validate() field.ErrorList { return TrafficRequest(c).Validate(knownRevisions) }

type rollbackCase RollbackRequest

func (c rollbackCase) validate() field.ErrorList { return RollbackRequest(c).Validate(knownRevisions) }

func inProd(r DeployRequest) deployCase { return deployCase{req: r, env: prodEnv} }

func split(targets ...Target) trafficCase { return trafficCase{Targets: targets} }

func TestValidateBadRequests(t *testing.T) {
	long := strings.Repeat("x", MaxMessageLength+1)
	oneHundred := []Target{{Revision: "web-00001", Percent: 100}}
	cases := []struct {
		name string
		in   validator
		// want are the field paths of the errors, sorted.
		want []string
	}{
		// Deploy: image.
		{"missing image", inProd(deploy(func(r *DeployRequest) { r.Image = "" })), []string{"image"}},
		{"image with a space inside", inProd(deploy(func(r *DeployRequest) { r.Image = "registry.example/shop/web:v 1" })), []string{"image"}},
		{"image with a leading space", inProd(deploy(func(r *DeployRequest) { r.Image = " registry.example/shop/web:v1" })), []string{"image"}},
		{"image with upper-case repository", inProd(deploy(func(r *DeployRequest) { r.Image = "registry.example/Shop/Web:v1" })), []string{"image"}},
		{"image with short digest", inProd(deploy(func(r *DeployRequest) { r.Image = "registry.example/shop/web@sha256:abc" })), []string{"image"}},
		{"image with unknown digest algorithm", inProd(deploy(func(r *DeployRequest) { r.Image = "registry.example/shop/web@md5:0123456789abcdef" })), []string{"image"}},
		{"image without tag or digest", inProd(deploy(func(r *DeployRequest) { r.Image = "registry.example/shop/web" })), []string{"image"}},
		{"image without registry", inProd(deploy(func(r *DeployRequest) { r.Image = "shop/web:v1" })), []string{"image"}},
		{"image of one character", inProd(deploy(func(r *DeployRequest) { r.Image = "a" })), []string{"image"}},
		{"image with a one-character repository", inProd(deploy(func(r *DeployRequest) { r.Image = "registry.example/a:v1" })), []string{"image"}},
		{"image with an empty tag", inProd(deploy(func(r *DeployRequest) { r.Image = "registry.example/shop/web:" })), []string{"image"}},
		// Deploy: port.
		{"port 70000", inProd(deploy(func(r *DeployRequest) { r.Port = 70000 })), []string{"port"}},
		{"port 65536", inProd(deploy(func(r *DeployRequest) { r.Port = 65536 })), []string{"port"}},
		{"negative port", inProd(deploy(func(r *DeployRequest) { r.Port = -1 })), []string{"port"}},
		// Deploy: env.
		{"env name empty", inProd(deploy(func(r *DeployRequest) { r.Env = []EnvVar{{Name: "", Value: "x"}} })), []string{"env[0].name"}},
		{"env name starting with a digit", inProd(deploy(func(r *DeployRequest) { r.Env = []EnvVar{{Name: "OK", Value: "1"}, {Name: "1ABC", Value: "x"}} })), []string{"env[1].name"}},
		{"env name with a space", inProd(deploy(func(r *DeployRequest) { r.Env = []EnvVar{{Name: "A B"}} })), []string{"env[0].name"}},
		{"env name with =", inProd(deploy(func(r *DeployRequest) { r.Env = []EnvVar{{Name: "A=B"}} })), []string{"env[0].name"}},
		{"duplicate env", inProd(deploy(func(r *DeployRequest) {
			r.Env = []EnvVar{{Name: "A", Value: "1"}, {Name: "B", Value: "2"}, {Name: "A", Value: "3"}}
		})), []string{"env[2].name"}},
		// Deploy: resources.
		{"unknown resource name", inProd(deploy(func(r *DeployRequest) { r.Resources = &ResourcesSpec{Requests: map[string]string{"gpu": "1"}} })), []string{"resources.requests[gpu]"}},
		{"unknown limit name", inProd(deploy(func(r *DeployRequest) { r.Resources = &ResourcesSpec{Limits: map[string]string{"nvidia.com/gpu": "1"}} })), []string{"resources.limits[nvidia.com/gpu]"}},
		{"zero quantity", inProd(deploy(func(r *DeployRequest) { r.Resources = &ResourcesSpec{Requests: map[string]string{"cpu": "0"}} })), []string{"resources.requests[cpu]"}},
		{"negative quantity", inProd(deploy(func(r *DeployRequest) { r.Resources = &ResourcesSpec{Limits: map[string]string{"memory": "-128Mi"}} })), []string{"resources.limits[memory]"}},
		{"unparsable quantity", inProd(deploy(func(r *DeployRequest) { r.Resources = &ResourcesSpec{Requests: map[string]string{"memory": "lots"}} })), []string{"resources.requests[memory]"}},
		{"request above limit", inProd(deploy(func(r *DeployRequest) {
			r.Resources = &ResourcesSpec{
				Requests: map[string]string{"cpu": "2", "memory": "128Mi"},
				Limits:   map[string]string{"cpu": "1500m", "memory": "256Mi"},
			}
		})), []string{"resources.requests[cpu]"}},
		{"several resource errors", inProd(deploy(func(r *DeployRequest) {
			r.Resources = &ResourcesSpec{
				Requests: map[string]string{"cpu": "0", "memory": "1Gi", "disk": "1Gi"},
				Limits:   map[string]string{"memory": "512Mi"},
			}
		})), []string{"resources.requests[cpu]", "resources.requests[disk]", "resources.requests[memory]"}},
		// Deploy: scaling.
		{"minScale below the environment's", inProd(deploy(func(r *DeployRequest) { r.Scaling = &Scaling{MinScale: ptr.To[int32](0)} })), []string{"scaling.minScale"}},
		{"negative minScale", inProd(deploy(func(r *DeployRequest) { r.Scaling = &Scaling{MinScale: ptr.To[int32](-1)} })), []string{"scaling.minScale"}},
		{"negative minScale where zero is allowed", deployCase{
			req: deploy(func(r *DeployRequest) { r.Scaling = &Scaling{MinScale: ptr.To[int32](-1)} }),
			env: environments.Environment{Name: "dev"},
		}, []string{"scaling.minScale"}},
		{"maxScale below minScale", inProd(deploy(func(r *DeployRequest) {
			r.Scaling = &Scaling{MinScale: ptr.To[int32](5), MaxScale: ptr.To[int32](4)}
		})), []string{"scaling.maxScale"}},
		{"maxScale above the environment's", inProd(deploy(func(r *DeployRequest) { r.Scaling = &Scaling{MaxScale: ptr.To[int32](11)} })), []string{"scaling.maxScale"}},
		{"maxScale zero", inProd(deploy(func(r *DeployRequest) { r.Scaling = &Scaling{MaxScale: ptr.To[int32](0)} })), []string{"scaling.maxScale"}},
		{"target zero", inProd(deploy(func(r *DeployRequest) { r.Scaling = &Scaling{Target: ptr.To[int32](0)} })), []string{"scaling.target"}},
		{"every scaling field wrong", inProd(deploy(func(r *DeployRequest) {
			r.Scaling = &Scaling{MinScale: ptr.To[int32](-3), MaxScale: ptr.To[int32](-2), Target: ptr.To[int32](-1)}
		})), []string{"scaling.maxScale", "scaling.minScale", "scaling.target"}},
		// Deploy: strategy.
		{"unknown strategy", inProd(deploy(func(r *DeployRequest) { r.Strategy = &Strategy{Type: "bluegreen"} })), []string{"strategy.type"}},
		{"strategy type in upper case", inProd(deploy(func(r *DeployRequest) { r.Strategy = &Strategy{Type: "Canary", Percent: ptr.To[int64](10)} })), []string{"strategy.type"}},
		{"canary without percent", inProd(deploy(func(r *DeployRequest) { r.Strategy = &Strategy{Type: StrategyCanary} })), []string{"strategy.percent"}},
		{"canary 0", inProd(deploy(func(r *DeployRequest) { r.Strategy = canary(0) })), []string{"strategy.percent"}},
		{"canary 100", inProd(deploy(func(r *DeployRequest) { r.Strategy = canary(100) })), []string{"strategy.percent"}},
		{"canary negative", inProd(deploy(func(r *DeployRequest) { r.Strategy = canary(-5) })), []string{"strategy.percent"}},
		{"canary with match and tag", inProd(deploy(func(r *DeployRequest) {
			r.Strategy = canary(10)
			r.Strategy.Match = header("x-user", StringMatch{Exact: "beta"})
			r.Strategy.Tag = "beta"
		})), []string{"strategy.match", "strategy.tag"}},
		{"percent on replace", inProd(deploy(func(r *DeployRequest) {
			r.Strategy = &Strategy{Type: StrategyReplace, Percent: ptr.To[int64](10)}
		})), []string{"strategy.percent"}},
		{"percent on default strategy", inProd(deploy(func(r *DeployRequest) { r.Strategy = &Strategy{Percent: ptr.To[int64](10)} })), []string{"strategy.percent"}},
		{"match on replace", inProd(deploy(func(r *DeployRequest) {
			r.Strategy = &Strategy{Type: StrategyReplace, Match: header("x-user", StringMatch{Exact: "beta"})}
		})), []string{"strategy.match"}},
		{"header without match", inProd(deploy(func(r *DeployRequest) { r.Strategy = &Strategy{Type: StrategyHeader} })), []string{"strategy.match"}},
		{"header with empty headers", inProd(deploy(func(r *DeployRequest) {
			r.Strategy = &Strategy{Type: StrategyHeader, Match: &Match{Headers: map[string]StringMatch{}}}
		})), []string{"strategy.match.headers"}},
		{"header condition with exact and prefix", inProd(deploy(func(r *DeployRequest) {
			r.Strategy = &Strategy{Type: StrategyHeader, Match: header("x-user", StringMatch{Exact: "a", Prefix: "b"})}
		})), []string{"strategy.match.headers[x-user]"}},
		{"header condition with prefix and regex", inProd(deploy(func(r *DeployRequest) {
			r.Strategy = &Strategy{Type: StrategyHeader, Match: header("x-user", StringMatch{Prefix: "b", Regex: "c"})}
		})), []string{"strategy.match.headers[x-user]"}},
		{"header condition with nothing set", inProd(deploy(func(r *DeployRequest) {
			r.Strategy = &Strategy{Type: StrategyHeader, Match: header("x-user", StringMatch{})}
		})), []string{"strategy.match.headers[x-user]"}},
		{"header regex that does not compile", inProd(deploy(func(r *DeployRequest) {
			r.Strategy = &Strategy{Type: StrategyHeader, Match: header("x-user", StringMatch{Regex: "("})}
		})), []string{"strategy.match.headers[x-user].regex"}},
		{"header regex RE2 lacks", inProd(deploy(func(r *DeployRequest) {
			r.Strategy = &Strategy{Type: StrategyHeader, Match: header("x-user", StringMatch{Regex: `(?=beta)`})}
		})), []string{"strategy.match.headers[x-user].regex"}},
		{"upper-case header name", inProd(deploy(func(r *DeployRequest) {
			r.Strategy = &Strategy{Type: StrategyHeader, Match: header("X-User", StringMatch{Exact: "beta"})}
		})), []string{"strategy.match.headers[X-User]"}},
		{"header name with a space", inProd(deploy(func(r *DeployRequest) {
			r.Strategy = &Strategy{Type: StrategyHeader, Match: header("x user", StringMatch{Exact: "beta"})}
		})), []string{"strategy.match.headers[x user]"}},
		{"header with a bad tag", inProd(deploy(func(r *DeployRequest) {
			r.Strategy = &Strategy{Type: StrategyHeader, Match: header("x-user", StringMatch{Exact: "beta"}), Tag: "Beta_1"}
		})), []string{"strategy.tag"}},
		{"header with a tag starting with a digit", inProd(deploy(func(r *DeployRequest) {
			r.Strategy = &Strategy{Type: StrategyHeader, Match: header("x-user", StringMatch{Exact: "beta"}), Tag: "1beta"}
		})), []string{"strategy.tag"}},
		{"header with a tag too long", inProd(deploy(func(r *DeployRequest) {
			r.Strategy = &Strategy{Type: StrategyHeader, Match: header("x-user", StringMatch{Exact: "beta"}), Tag: strings.Repeat("t", 21)}
		})), []string{"strategy.tag"}},
		// Deploy: message and several errors at once.
		{"deploy message too long", inProd(deploy(func(r *DeployRequest) { r.Message = long })), []string{"message"}},
		{"everything wrong", inProd(DeployRequest{
			Image:     "",
			Port:      70000,
			Env:       []EnvVar{{Name: "1X"}},
			Resources: &ResourcesSpec{Requests: map[string]string{"cpu": "-1"}},
			Scaling:   &Scaling{MinScale: ptr.To[int32](0)},
			Strategy:  &Strategy{Type: StrategyCanary},
			Message:   long,
		}), []string{"env[0].name", "image", "message", "port", "resources.requests[cpu]", "scaling.minScale", "strategy.percent"}},

		// Traffic.
		{"no targets", trafficCase{}, []string{"targets"}},
		{"percents sum to 90", split(Target{Revision: "web-00001", Percent: 60}, Target{Revision: "web-00002", Percent: 30}), []string{"targets"}},
		{"percents sum to 110", split(Target{Revision: "web-00001", Percent: 60}, Target{Revision: "web-00002", Percent: 50}), []string{"targets"}},
		{"only 0% targets", split(Target{Revision: "web-00001", Tag: "a"}), []string{"targets"}},
		{"negative percent", split(Target{Revision: "web-00001", Percent: 110}, Target{Revision: "web-00002", Percent: -10}), []string{"targets[0].percent", "targets[1].percent"}},
		{"unknown revision", split(Target{Revision: "web-00001", Percent: 50}, Target{Revision: "web-00009", Percent: 50}), []string{"targets[1].revision"}},
		{"latest and revision", split(Target{Revision: "web-00001", Latest: true, Percent: 100}), []string{"targets[0].revision"}},
		{"neither latest nor revision", split(Target{Revision: "web-00001", Percent: 50}, Target{Percent: 50}), []string{"targets[1].revision"}},
		{"bad tag", split(Target{Revision: "web-00001", Percent: 100, Tag: "Stable"}), []string{"targets[0].tag"}},
		{"tag starting with a digit", split(Target{Revision: "web-00001", Percent: 100, Tag: "2nd"}), []string{"targets[0].tag"}},
		{"tag too long", split(Target{Revision: "web-00001", Percent: 100, Tag: strings.Repeat("a", 21)}), []string{"targets[0].tag"}},
		{"duplicate tags", split(
			Target{Revision: "web-00001", Percent: 100, Tag: "beta"},
			Target{Revision: "web-00002", Tag: "beta"},
		), []string{"targets[1].tag"}},
		{"duplicate revision", split(Target{Revision: "web-00001", Percent: 50}, Target{Revision: "web-00001", Percent: 50}), []string{"targets[1]"}},
		{"duplicate latest", split(Target{Latest: true, Percent: 50}, Target{Latest: true, Percent: 50}), []string{"targets[1]"}},
		{"rule with unknown revision", trafficCase{
			Targets: oneHundred,
			Rules:   []Rule{{Match: *header("x-user", StringMatch{Exact: "beta"}), Revision: "web-00009"}},
		}, []string{"rules[0].revision"}},
		{"rule without revision", trafficCase{
			Targets: oneHundred,
			Rules:   []Rule{{Match: *header("x-user", StringMatch{Exact: "beta"})}},
		}, []string{"rules[0].revision"}},
		{"rule without headers", trafficCase{
			Targets: oneHundred,
			Rules: []Rule{
				{Match: *header("x-user", StringMatch{Exact: "beta"}), Revision: "web-00002"},
				{Revision: "web-00002"},
			},
		}, []string{"rules[1].match.headers"}},
		{"rule with a bad regex", trafficCase{
			Targets: oneHundred,
			Rules:   []Rule{{Match: *header("x-user", StringMatch{Regex: "[a-"}), Revision: "web-00002"}},
		}, []string{"rules[0].match.headers[x-user].regex"}},
		{"traffic message too long", trafficCase{Targets: oneHundred, Message: long}, []string{"message"}},

		// Rollback.
		{"rollback without revision", rollbackCase{}, []string{"revision"}},
		{"rollback to unknown revision", rollbackCase{Revision: "web-00004"}, []string{"revision"}},
		{"rollback to another app's revision", rollbackCase{Revision: "api-00001"}, []string{"revision"}},
		{"rollback message too long", rollbackCase{Revision: "web-00001", Message: long}, []string{"message"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			errs := tc.in.validate()
			if diff := cmp.Diff(tc.want, fieldsOf(errs)); diff != "" {
				t.Errorf("error fields (-want,+got):\n%s\nerrors: %v", diff, errs)
			}
		})
	}
}

func TestValidateLogPaths(t *testing.T) {
	lp := func(entries ...logging.LogPath) DeployRequest {
		return deploy(func(r *DeployRequest) { r.LogPaths = entries })
	}
	nine := make([]logging.LogPath, 9)
	for i := range nine {
		nine[i] = logging.LogPath{Path: "/logs" + string(rune('a'+i))}
	}
	cases := map[string]struct {
		req  DeployRequest
		want []string
	}{
		"none":                   {lp(), nil},
		"empty list":             {lp([]logging.LogPath{}...), nil},
		"eight":                  {lp(nine[:8]...), nil},
		"one":                    {lp(logging.LogPath{Path: "/app/logs"}), nil},
		"named, other container": {lp(logging.LogPath{Path: "/app/logs", Container: "worker", Name: "worker"}), nil},
		"relative":               {lp(logging.LogPath{Path: "app/logs"}), []string{"logPaths[0].path"}},
		"traversal":              {lp(logging.LogPath{Path: "/app"}, logging.LogPath{Path: "/app/../etc"}), []string{"logPaths[1].path"}},
		"root":                   {lp(logging.LogPath{Path: "/"}), []string{"logPaths[0].path"}},
		"under /proc":            {lp(logging.LogPath{Path: "/proc/1"}), []string{"logPaths[0].path"}},
		"under /etc":             {lp(logging.LogPath{Path: "/app/logs"}, logging.LogPath{Path: "/etc/x"}), []string{"logPaths[1].path"}},
		"above /var/run":         {lp(logging.LogPath{Path: "/var"}), []string{"logPaths[0].path"}},
		"not clean":              {lp(logging.LogPath{Path: "/app//logs"}), []string{"logPaths[0].path"}},
		"too long":               {lp(logging.LogPath{Path: "/" + strings.Repeat("l", logging.MaxPathLength)}), []string{"logPaths[0].path"}},
		"duplicate path":         {lp(logging.LogPath{Path: "/app/logs", Name: "a"}, logging.LogPath{Path: "/app/logs", Name: "b"}), []string{"logPaths[1].path"}},
		"missing path":           {lp(logging.LogPath{Name: "x"}), []string{"logPaths[0].path"}},
		"nested":                 {lp(logging.LogPath{Path: "/app"}, logging.LogPath{Path: "/app/logs"}), []string{"logPaths[1].path"}},
		"queue-proxy":            {lp(logging.LogPath{Path: "/app/logs", Container: "queue-proxy"}), []string{"logPaths[0].container"}},
		"bad container":          {lp(logging.LogPath{Path: "/app/logs", Container: "Web_1"}), []string{"logPaths[0].container"}},
		"duplicate name":         {lp(logging.LogPath{Path: "/a", Name: "x"}, logging.LogPath{Path: "/b", Name: "x"}), []string{"logPaths[1].name"}},
		"bad name":               {lp(logging.LogPath{Path: "/a", Name: "My_Logs"}), []string{"logPaths[0].name"}},
		"third entry":            {lp(logging.LogPath{Path: "/a"}, logging.LogPath{Path: "/b"}, logging.LogPath{Path: "/c", Container: "-x"}), []string{"logPaths[2].container"}},
		"nine":                   {lp(nine...), []string{"logPaths"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			errs := tc.req.Validate(prodEnv)
			if diff := cmp.Diff(tc.want, fieldsOf(errs)); diff != "" {
				t.Errorf("fields (-want,+got):\n%s\nerrors: %v", diff, errs)
			}
		})
	}
}

// The API reports the webhook's own problem for an entry, with the matching
// field error type.
func TestValidateLogPathsErrors(t *testing.T) {
	nine := make([]logging.LogPath, 9)
	for i := range nine {
		nine[i] = logging.LogPath{Path: "/logs" + string(rune('a'+i))}
	}
	cases := map[string]struct {
		entries []logging.LogPath
		want    field.Error
	}{
		"system directory": {[]logging.LogPath{{Path: "/etc/x"}},
			field.Error{Type: field.ErrorTypeInvalid, Field: "logPaths[0].path", BadValue: "/etc/x", Detail: "under a system directory /etc"}},
		"traversal": {[]logging.LogPath{{Path: "/app/../etc"}},
			field.Error{Type: field.ErrorTypeInvalid, Field: "logPaths[0].path", BadValue: "/app/../etc", Detail: `must not contain ".."`}},
		"nested": {[]logging.LogPath{{Path: "/app"}, {Path: "/app/logs"}},
			field.Error{Type: field.ErrorTypeInvalid, Field: "logPaths[1].path", BadValue: "/app/logs", Detail: `under log-paths[0].path "/app"`}},
		"queue-proxy": {[]logging.LogPath{{Path: "/app/logs", Container: "queue-proxy"}},
			field.Error{Type: field.ErrorTypeInvalid, Field: "logPaths[0].container", BadValue: "queue-proxy", Detail: "Knative's sidecar cannot be a log source"}},
		"missing path": {[]logging.LogPath{{Name: "x"}},
			field.Error{Type: field.ErrorTypeRequired, Field: "logPaths[0].path", BadValue: ""}},
		"nine": {nine,
			field.Error{Type: field.ErrorTypeTooMany, Field: "logPaths", BadValue: 9, Detail: "must have at most 8 items"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			errs := deploy(func(r *DeployRequest) { r.LogPaths = tc.entries }).Validate(prodEnv)
			if len(errs) != 1 {
				t.Fatalf("errors = %v, want one", errs)
			}
			if diff := cmp.Diff(tc.want, *errs[0], cmpopts.IgnoreFields(field.Error{}, "Origin", "CoveredByDeclarative")); diff != "" {
				t.Errorf("error (-want,+got):\n%s", diff)
			}
		})
	}
}

// An empty list is no log collection: nothing reaches the template.
func TestTemplateForNoLogPaths(t *testing.T) {
	for _, entries := range [][]logging.LogPath{nil, {}} {
		req := deploy(func(r *DeployRequest) { r.LogPaths = entries })
		if got := req.TemplateFor(prodEnv, "web-00001", "ann", time.Now).LogPaths; got != nil {
			t.Errorf("LogPaths for %#v = %#v, want nil", entries, got)
		}
	}
}

// TemplateFor applies the webhook's defaults, so what is stored is what the
// webhook will read.
func TestTemplateForLogPathDefaults(t *testing.T) {
	req := deploy(func(r *DeployRequest) {
		r.LogPaths = []logging.LogPath{{Path: "/app/logs"}, {Path: "/data/Logs", Container: "worker", Name: "data"}}
	})
	got := req.TemplateFor(prodEnv, "web-00001", "ann", time.Now).LogPaths
	want := []logging.LogPath{{Path: "/app/logs", Container: "user-container", Name: "logs"}, {Path: "/data/Logs", Container: "worker", Name: "data"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LogPaths (-want,+got):\n%s", diff)
	}
	if req.LogPaths[0].Container != "" {
		t.Errorf("TemplateFor modified the request: %+v", req.LogPaths)
	}
}

func TestValidateGoodRequests(t *testing.T) {
	full := DeployRequest{
		Image: "registry.example/shop/web:v1.2.3",
		Port:  8080,
		Env:   []EnvVar{{Name: "LOG_LEVEL", Value: "debug"}, {Name: "my.setting-1", Value: ""}, {Name: "_X"}},
		Resources: &ResourcesSpec{
			Requests: map[string]string{"cpu": "100m", "memory": "128Mi", "ephemeral-storage": "1Gi"},
			Limits:   map[string]string{"cpu": "100m", "memory": "1Gi"},
		},
		Scaling:  &Scaling{MinScale: ptr.To[int32](1), MaxScale: ptr.To[int32](10), Target: ptr.To[int32](1)},
		Strategy: &Strategy{Type: StrategyReplace},
		Message:  strings.Repeat("m", MaxMessageLength),
	}
	cases := []struct {
		name string
		in   validator
	}{
		{"image only", inProd(deploy(nil))},
		{"image by digest", inProd(deploy(func(r *DeployRequest) { r.Image = "registry.example/shop/web@" + digest }))},
		{"image with tag and digest", inProd(deploy(func(r *DeployRequest) { r.Image = "registry.example/shop/web:v1@" + digest }))},
		{"registry with port", inProd(deploy(func(r *DeployRequest) { r.Image = "localhost:5000/web:latest" }))},
		{"two-character repository", inProd(deploy(func(r *DeployRequest) { r.Image = "registry.example/ab:v1" }))},
		{"one-character tag", inProd(deploy(func(r *DeployRequest) { r.Image = "registry.example/shop/web:1" }))},
		{"port 0 means the default", inProd(deploy(func(r *DeployRequest) { r.Port = 0 }))},
		{"port 1", inProd(deploy(func(r *DeployRequest) { r.Port = 1 }))},
		{"port 65535", inProd(deploy(func(r *DeployRequest) { r.Port = 65535 }))},
		{"everything set", inProd(full)},
		{"minScale 0 where allowed", deployCase{
			req: deploy(func(r *DeployRequest) {
				r.Scaling = &Scaling{MinScale: ptr.To[int32](0), MaxScale: ptr.To[int32](1000)}
			}),
			env: environments.Environment{Name: "dev"},
		}},
		{"minScale equal to maxScale", inProd(deploy(func(r *DeployRequest) {
			r.Scaling = &Scaling{MinScale: ptr.To[int32](10), MaxScale: ptr.To[int32](10)}
		}))},
		{"canary 1", inProd(deploy(func(r *DeployRequest) { r.Strategy = canary(1) }))},
		{"canary 99", inProd(deploy(func(r *DeployRequest) { r.Strategy = canary(99) }))},
		{"header with every kind of condition and a tag", inProd(deploy(func(r *DeployRequest) {
			r.Strategy = &Strategy{Type: StrategyHeader, Tag: strings.Repeat("b", 20), Match: &Match{Headers: map[string]StringMatch{
				"x-user":      {Exact: "beta"},
				"x-team":      {Prefix: "qa-"},
				"user-agent":  {Regex: `^Mozilla/.*\bFirefox\b`},
				"x_weird~hdr": {Exact: "1"},
			}}}
		}))},
		{"header without tag", inProd(deploy(func(r *DeployRequest) {
			r.Strategy = &Strategy{Type: StrategyHeader, Match: header("x-user", StringMatch{Exact: "beta"})}
		}))},
		{"single target", split(Target{Revision: "web-00001", Percent: 100})},
		{"latest", split(Target{Latest: true, Percent: 100})},
		{"split with tags, latest and rules", trafficCase{
			Targets: []Target{
				{Revision: "web-00001", Percent: 33, Tag: "stable"},
				{Revision: "web-00001", Percent: 33},
				{Revision: "web-00002", Percent: 34},
				{Revision: "web-00003", Tag: "beta"},
				{Latest: true, Tag: "next"},
			},
			Rules:   []Rule{{Match: *header("x-user", StringMatch{Exact: "beta"}), Revision: "web-00003"}},
			Message: strings.Repeat("m", MaxMessageLength),
		}},
		{"rollback", rollbackCase{Revision: "web-00002", Message: "bad release"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if errs := tc.in.validate(); len(errs) != 0 {
				t.Errorf("validate() = %v, want no errors", errs)
			}
		})
	}
}

func TestValidateName(t *testing.T) {
	type fieldErr struct {
		Type  field.ErrorType
		Field string
	}
	cases := []struct {
		in     string
		maxLen int
		want   []fieldErr
	}{
		{"web", MaxAppNameLength, nil},
		{"a", MaxAppNameLength, nil},
		{"my-app-2", MaxAppNameLength, nil},
		{"a1", MaxAppNameLength, nil},
		{"2048", MaxAppNameLength, []fieldErr{{field.ErrorTypeInvalid, "app"}}}, // Knative needs a leading letter
		{strings.Repeat("a", MaxAppNameLength), MaxAppNameLength, nil},
		{"", MaxAppNameLength, []fieldErr{{field.ErrorTypeRequired, "app"}}},
		{"Web", MaxAppNameLength, []fieldErr{{field.ErrorTypeInvalid, "app"}}},
		{"-web", MaxAppNameLength, []fieldErr{{field.ErrorTypeInvalid, "app"}}},
		{"web-", MaxAppNameLength, []fieldErr{{field.ErrorTypeInvalid, "app"}}},
		{"my_app", MaxAppNameLength, []fieldErr{{field.ErrorTypeInvalid, "app"}}},
		{"my.app", MaxAppNameLength, []fieldErr{{field.ErrorTypeInvalid, "app"}}},
		{strings.Repeat("a", MaxAppNameLength+1), MaxAppNameLength, []fieldErr{{field.ErrorTypeTooLong, "app"}}},
		{"abcdef", 5, []fieldErr{{field.ErrorTypeTooLong, "app"}}},
		{strings.Repeat("a", 64), MaxAppNameLength, []fieldErr{{field.ErrorTypeInvalid, "app"}, {field.ErrorTypeTooLong, "app"}}},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			var got []fieldErr
			for _, e := range ValidateName(field.NewPath("app"), tc.in, tc.maxLen) {
				got = append(got, fieldErr{e.Type, e.Field})
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ValidateName(%q, %d) (-want,+got):\n%s", tc.in, tc.maxLen, diff)
			}
		})
	}
}

// TestValidNamesMakeValidServices checks ValidateName against Knative: every app name it
// accepts, with the longest revision suffix and tag Slipway uses, builds a Service Knative
// admits.
func TestValidNamesMakeValidServices(t *testing.T) {
	for _, name := range []string{"a", "web", "a1", "my-app-2", strings.Repeat("a", MaxAppNameLength)} {
		t.Run(name, func(t *testing.T) {
			if errs := ValidateName(field.NewPath("app"), name, MaxAppNameLength); len(errs) != 0 {
				t.Fatalf("ValidateName(%q) = %v", name, errs)
			}
			rev := RevisionName(name, 99999)
			a := app(withNames("shop", name, "prod", "shop-prod"), withRevision(rev), withTraffic(
				Target{Revision: rev, Percent: 100},
				Target{Revision: rev, Tag: strings.Repeat("t", 20)},
			))
			if err := knativeCheck(BuildService(a)); err != nil {
				t.Errorf("Knative rejects app %q: %v", name, err)
			}
		})
	}
}

func TestTemplateFor(t *testing.T) {
	// Mid-second and east of UTC: the template keeps whole seconds in UTC.
	now := func() time.Time { return time.Date(2025, 3, 4, 7, 6, 7, 987654321, time.FixedZone("EET", 2*60*60)) }
	cases := []struct {
		name string
		req  DeployRequest
		env  environments.Environment
		want Template
	}{{
		name: "image only gets the environment's min-scale",
		req:  DeployRequest{Image: "registry.example/shop/web:v1"},
		env:  prodEnv,
		want: Template{
			RevisionName: "web-00002",
			Image:        "registry.example/shop/web:v1",
			MinScale:     ptr.To[int32](1),
			DeployedBy:   "alice@example.com",
			DeployedAt:   deployedAt,
		},
	}, {
		name: "no min-scale where the environment has none",
		req:  DeployRequest{Image: "registry.example/shop/web:v1"},
		env:  environments.Environment{Name: "dev", MaxScale: 3},
		want: Template{
			RevisionName: "web-00002",
			Image:        "registry.example/shop/web:v1",
			DeployedBy:   "alice@example.com",
			DeployedAt:   deployedAt,
		},
	}, {
		name: "scaling without min-scale still gets the environment's",
		req:  DeployRequest{Image: "registry.example/shop/web:v1", Scaling: &Scaling{MaxScale: ptr.To[int32](4), Target: ptr.To[int32](20)}},
		env:  environments.Environment{Name: "prod", MinScale: 2},
		want: Template{
			RevisionName: "web-00002",
			Image:        "registry.example/shop/web:v1",
			MinScale:     ptr.To[int32](2),
			MaxScale:     ptr.To[int32](4),
			Target:       ptr.To[int32](20),
			DeployedBy:   "alice@example.com",
			DeployedAt:   deployedAt,
		},
	}, {
		name: "everything from the request",
		req: DeployRequest{
			Image: "  registry.example/shop/web:v2 ",
			Port:  8080,
			Env:   []EnvVar{{Name: "A", Value: "1"}, {Name: "B", Value: ""}},
			Resources: &ResourcesSpec{
				Requests: map[string]string{"cpu": "250m"},
				Limits:   map[string]string{"cpu": "1", "memory": "512Mi"},
			},
			Scaling:  &Scaling{MinScale: ptr.To[int32](3), MaxScale: ptr.To[int32](9), Target: ptr.To[int32](50)},
			Strategy: canary(10),
			Message:  "new checkout",
		},
		env: prodEnv,
		want: Template{
			RevisionName: "web-00002",
			Image:        "registry.example/shop/web:v2",
			Port:         8080,
			Env:          []corev1.EnvVar{{Name: "A", Value: "1"}, {Name: "B", Value: ""}},
			Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m")},
				Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("512Mi")},
			},
			MinScale:   ptr.To[int32](3),
			MaxScale:   ptr.To[int32](9),
			Target:     ptr.To[int32](50),
			DeployedBy: "alice@example.com",
			DeployedAt: deployedAt,
			Message:    "new checkout",
		},
	}, {
		name: "explicit min-scale 0 is kept where allowed",
		req:  DeployRequest{Image: "registry.example/shop/web:v1", Scaling: &Scaling{MinScale: ptr.To[int32](0)}},
		env:  environments.Environment{Name: "dev"},
		want: Template{
			RevisionName: "web-00002",
			Image:        "registry.example/shop/web:v1",
			MinScale:     ptr.To[int32](0),
			DeployedBy:   "alice@example.com",
			DeployedAt:   deployedAt,
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.req.TemplateFor(tc.env, "web-00002", "alice@example.com", now)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("TemplateFor() (-want,+got):\n%s", diff)
			}
			if got.DeployedAt.Location() != time.UTC {
				t.Errorf("DeployedAt is in %v, want UTC", got.DeployedAt.Location())
			}
		})
	}
}

// TestTemplateForDoesNotShareEnvMinScale makes sure the environment's policy value is copied:
// a caller editing the template must not change the environment.
func TestTemplateForDoesNotShareEnvMinScale(t *testing.T) {
	env := environments.Environment{Name: "prod", MinScale: 2}
	now := func() time.Time { return deployedAt }
	a := DeployRequest{Image: "registry.example/shop/web:v1"}.TemplateFor(env, "web-00001", "u", now)
	b := DeployRequest{Image: "registry.example/shop/web:v1"}.TemplateFor(env, "web-00002", "u", now)
	*a.MinScale = 7
	if *b.MinScale != 2 || env.MinScale != 2 {
		t.Errorf("templates share min-scale: a=%d b=%d env=%d", *a.MinScale, *b.MinScale, env.MinScale)
	}
}
