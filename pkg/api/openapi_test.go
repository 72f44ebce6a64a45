package api_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"

	"github.com/slipway-dev/slipway/pkg/pipelines/runs"
)

// routeKey is one operation: a method on an OpenAPI-style path (/a/{b}).
type routeKey struct{ method, path string }

func (k routeKey) String() string { return k.method + " " + k.path }

type routeSet map[routeKey]bool

const openAPIRoute = "/api/v1/openapi.json"

var echoParamRE = regexp.MustCompile(`:([A-Za-z0-9_]+)`)

// registeredRoutes is what echo serves under /api/v1 and where Git hooks deliver, in OpenAPI
// path syntax, without the document's own route.
func registeredRoutes(s *stack) routeSet {
	out := routeSet{}
	for _, r := range s.e.Routes() {
		if !strings.HasPrefix(r.Path, "/api/v1/") && !strings.HasPrefix(r.Path, runs.HookPathPrefix) || r.Path == openAPIRoute {
			continue
		}
		out[routeKey{r.Method, echoParamRE.ReplaceAllString(r.Path, "{$1}")}] = true
	}
	return out
}

// documentedRoutes is every operation the document lists.
func documentedRoutes(doc *openapi3.T) routeSet {
	out := routeSet{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			out[routeKey{strings.ToUpper(method), path}] = true
		}
	}
	return out
}

// diffRoutes lists, sorted, the routes served without a document entry and the entries
// nothing serves. It is empty when the two agree.
func diffRoutes(documented, registered routeSet) []string {
	var out []string
	for k := range registered {
		if !documented[k] {
			out = append(out, "served but not documented: "+k.String())
		}
	}
	for k := range documented {
		if !registered[k] {
			out = append(out, "documented but not served: "+k.String())
		}
	}
	sort.Strings(out)
	return out
}

func loadOpenAPI(t *testing.T, s *stack) *openapi3.T {
	t.Helper()
	r := s.do(t, http.MethodGet, openAPIRoute, "", "")
	if r.status != http.StatusOK {
		t.Fatalf("GET %s: status %d; body: %.300s", openAPIRoute, r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type = %q, want application/json", ct)
	}
	doc, err := openapi3.NewLoader().LoadFromData(r.body)
	if err != nil {
		t.Fatalf("loading the document: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the document is not valid OpenAPI: %v", err)
	}
	return doc
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	s := newStack(t, stackOptions{})
	doc := loadOpenAPI(t, s)
	documented, registered := documentedRoutes(doc), registeredRoutes(s)

	t.Run("document and router agree", func(t *testing.T) {
		if len(registered) < 13 {
			t.Fatalf("only %d routes under /api/v1: %v", len(registered), registered)
		}
		if hook := (routeKey{http.MethodPost, runs.HookPathPrefix + "{hook}"}); !registered[hook] || !documented[hook] {
			t.Errorf("%s: served %v, documented %v; want both", hook, registered[hook], documented[hook])
		}
		if d := diffRoutes(documented, registered); len(d) > 0 {
			t.Errorf("the OpenAPI document and echo's routes differ:\n%s", strings.Join(d, "\n"))
		}
	})

	t.Run("comparison detects a difference", func(t *testing.T) {
		altered := routeSet{}
		for k := range registered {
			altered[k] = true
		}
		removed := routeKey{http.MethodPut, "/api/v1/projects/{project}/apps/{app}/envs/{env}/traffic"}
		if !altered[removed] {
			t.Fatalf("%s is not registered", removed)
		}
		delete(altered, removed)
		added := routeKey{http.MethodPost, "/api/v1/projects/{project}/apps/{app}/envs/{env}/restart"}
		altered[added] = true
		want := []string{
			"documented but not served: " + removed.String(),
			"served but not documented: " + added.String(),
		}
		if diff := cmp.Diff(want, diffRoutes(documented, altered)); diff != "" {
			t.Errorf("diffRoutes (-want,+got):\n%s", diff)
		}
		// A route that only differs by method is a difference too.
		onlyMethod := routeSet{routeKey{http.MethodGet, "/api/v1/projects"}: true}
		if got := diffRoutes(routeSet{routeKey{http.MethodPost, "/api/v1/projects"}: true}, onlyMethod); len(got) != 2 {
			t.Errorf("diffRoutes = %v, want two differences", got)
		}
	})

	t.Run("log paths are documented", func(t *testing.T) {
		for _, name := range []string{"DeployRequest", "AppStatus", "Revision"} {
			schema := doc.Components.Schemas[name]
			if schema == nil || schema.Value == nil {
				t.Errorf("no schema %s", name)
				continue
			}
			prop := schema.Value.Properties["logPaths"]
			if prop == nil || prop.Value == nil || prop.Value.Items == nil || prop.Value.Items.Ref != "#/components/schemas/LogPath" {
				t.Errorf("%s.logPaths = %+v, want an array of LogPath", name, prop)
			}
		}
		var fields []string
		if lp := doc.Components.Schemas["LogPath"]; lp != nil && lp.Value != nil {
			for f := range lp.Value.Properties {
				fields = append(fields, f)
			}
		}
		sort.Strings(fields)
		if diff := cmp.Diff([]string{"container", "name", "path"}, fields); diff != "" {
			t.Errorf("LogPath properties (-want,+got):\n%s", diff)
		}
	})

	t.Run("operations are complete", func(t *testing.T) {
		for path, item := range doc.Paths.Map() {
			for method, op := range item.Operations() {
				name := fmt.Sprintf("%s %s", method, path)
				if op.OperationID == "" || op.Summary == "" {
					t.Errorf("%s: operationId %q, summary %q", name, op.OperationID, op.Summary)
				}
				var params []string
				for _, p := range op.Parameters {
					if p.Value.In == openapi3.ParameterInPath {
						params = append(params, p.Value.Name)
						// Each says what the path check (params.go) lets through.
						if sch := p.Value.Schema.Value; sch.Pattern == "" && len(sch.Enum) == 0 {
							t.Errorf("%s: path parameter %s has neither a pattern nor an enum", name, p.Value.Name)
						}
					}
				}
				if len(params) > 0 && (op.Responses.Value("404") == nil || op.Responses.Value("422") == nil) {
					t.Errorf("%s: a path with parameters answers 404 and 422; the document does not say so", name)
				}
				var want []string
				for _, m := range regexp.MustCompile(`\{([^}]+)\}`).FindAllStringSubmatch(path, -1) {
					want = append(want, m[1])
				}
				if diff := cmp.Diff(want, params); diff != "" {
					t.Errorf("%s: path parameters (-want,+got):\n%s", name, diff)
				}
				if op.Responses.Value("default") == nil {
					t.Errorf("%s: no default (problem) response", name)
				}
				// Actions on a run or a hook (…/cancel, …/rotate) take no body.
				action := regexp.MustCompile(`/runs/\{run\}/(cancel|retry|approve)$|/rotate$`).MatchString(path)
				wantBody := (method == http.MethodPost || method == http.MethodPut) && !action
				if got := op.RequestBody != nil; got != wantBody {
					t.Errorf("%s: request body documented = %v, want %v", name, got, wantBody)
				}
			}
		}
	})
}
