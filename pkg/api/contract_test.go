package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/slipway-dev/slipway/internal/golden"
	"github.com/slipway-dev/slipway/pkg/api"
	"github.com/slipway-dev/slipway/pkg/pipelines"
	"github.com/slipway-dev/slipway/pkg/pipelines/runs"
	"github.com/slipway-dev/slipway/pkg/promotions"
)

// TestContractIsCommitted keeps api/openapi.json — what the Go client, the console's types
// and the linter read — equal to the document the server builds (-update rewrites it; then
// `go generate ./pkg/client` and `npm run api:types` in web/).
func TestContractIsCommitted(t *testing.T) {
	b, err := json.MarshalIndent(api.Contract(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "../../api/openapi.json", append(b, '\n'))
}

// The served document is the contract plus the configured environments' names.
func TestServedDocumentIsTheContract(t *testing.T) {
	s := newStack(t, stackOptions{})
	served := loadOpenAPI(t, s)
	contract := api.Contract()
	if len(served.Paths.Map()) != len(contract.Paths.Map()) {
		t.Fatalf("served %d paths, the contract %d", len(served.Paths.Map()), len(contract.Paths.Map()))
	}
	env := func(doc *openapi3.T) *openapi3.Schema {
		op := doc.Paths.Find("/api/v1/projects/{project}/apps/{app}/envs/{env}").GetOperation(http.MethodGet)
		return op.Parameters.GetByInAndName("path", "env").Schema.Value
	}
	if got := env(served).Enum; len(got) != 2 || got[0] != "test" || got[1] != "prod" {
		t.Errorf("served env enum = %v, want the configured [test prod]", got)
	}
	if got := env(contract).Enum; len(got) != 0 {
		t.Errorf("contract env enum = %v, want none (clients serve any configuration)", got)
	}
}

// Every operation answers at least one 4XX, and every problem it documents (4XX, 5XX and
// default) is problem+json with the Problem schema, field errors included; the limits'
// answers say when to try again. (The document's own route is not in it: it answers no
// problem.)
func TestContractProblems(t *testing.T) {
	doc := api.Contract()
	const problemRef = "#/components/schemas/Problem"
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			name := method + " " + path
			clientErrors := 0
			for code, res := range op.Responses.Map() {
				if code != "default" && code[0] != '4' && code[0] != '5' {
					continue
				}
				if code[0] == '4' {
					clientErrors++
				}
				if res.Value.Description == nil || *res.Value.Description == "" {
					t.Errorf("%s %s: no description", name, code)
				}
				mt := res.Value.Content.Get("application/problem+json")
				if len(res.Value.Content) != 1 || mt == nil || mt.Schema == nil || mt.Schema.Ref != problemRef {
					t.Errorf("%s %s: content %v, want only application/problem+json with %s", name, code, res.Value.Content, problemRef)
				}
				if (code == "429" || code == "503") && res.Value.Headers["Retry-After"] == nil {
					t.Errorf("%s %s: no Retry-After header", name, code)
				}
			}
			if clientErrors == 0 {
				t.Errorf("%s: no 4XX response", name)
			}
			want := []string{"429", "503", "default"}
			if bearer := op.Security == nil; bearer {
				want = append(want, "401") // the document's security: a bearer token
			} else if len(*op.Security) != 0 || path != runs.HookPathPrefix+"{hook}" {
				t.Errorf("%s: security %v; only the Git hook endpoint has its own credential (security: [])", name, *op.Security)
			}
			for _, code := range want {
				if op.Responses.Value(code) == nil {
					t.Errorf("%s: no %s response", name, code)
				}
			}
		}
	}
	fields := doc.Components.Schemas["Problem"].Value.Properties["errors"]
	if fields == nil || fields.Value.Items == nil || fields.Value.Items.Ref != "#/components/schemas/FieldError" {
		t.Errorf("Problem.errors = %+v, want an array of FieldError", fields)
	}
}

func decision(t *testing.T, body []byte) {
	var req promotions.DecisionRequest
	strictJSON(t, body, &req)
	if errs := req.Validate(); len(errs) > 0 {
		t.Fatalf("the decision is not valid: %v", errs)
	}
}

// Each request body's example in the document is accepted: sent through the API to the
// seeded app (demo/hello in test), it is answered with the operation's success status.
// The fake clientsets do no server-side apply, which a pipeline's objects need, so the
// pipeline examples are checked with what setPipeline and startRun check before writing:
// the pipeline's own rules and Argo's validator.
func TestRequestExamplesAreAccepted(t *testing.T) {
	s := newStack(t, stackOptions{})
	doc := loadOpenAPI(t, s)
	var pipeline pipelines.Pipeline
	offline := map[string]func(t *testing.T, body []byte){
		// Decisions name a promotion the example does not know the ID of.
		"approvePromotion": decision, "rejectPromotion": decision,
		"setPipeline": func(t *testing.T, body []byte) {
			strictJSON(t, body, &pipeline)
			if errs := pipeline.Validate(); len(errs) > 0 {
				t.Fatalf("the pipeline is not valid: %v", errs)
			}
		},
		"startRun": func(t *testing.T, body []byte) {
			var req pipelines.RunRequest
			strictJSON(t, body, &req)
			if errs := req.Validate(); len(errs) > 0 {
				t.Fatalf("the run request is not valid: %v", errs)
			}
			if pipeline.Repo == "" {
				t.Fatal("no setPipeline example to start a run of")
			}
			cfg := pipelines.Config{PlatformURL: "http://platform", Registry: "dev.local",
				Images: pipelines.Images{Git: "dev.local/git:v1", Builder: "dev.local/bk:v1", Deploy: "dev.local/curl:v1"}}
			if _, err := pipelines.BuildRun(pipelines.Start{Target: pipelines.Target{Project: project, App: app, Env: "test", Namespace: testNS},
				Pipeline: pipeline, Request: req, Trigger: pipelines.TriggerManual}, cfg); err != nil {
				t.Fatalf("Argo refuses the run: %v", err)
			}
		},
	}
	// Writes change the seeded app: the order is the README's (deploy, then traffic, then
	// rollback), and the pipeline's example comes before the run's.
	order := []string{"createProject", "addMember", "deploy", "setTraffic", "rollback", "setSchedules", "scale", "setScalingSchedules", "setPipeline", "startRun",
		"createPromotion", "approvePromotion", "rejectPromotion"}
	examples := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.RequestBody == nil || op.RequestBody.Value.Content.Get("application/json").Example == nil {
				continue
			}
			examples[op.OperationID] = true
			if !slices.Contains(order, op.OperationID) {
				t.Errorf("%s %s has an example this test does not send", method, path)
			}
		}
	}
	for _, id := range order {
		if !examples[id] {
			t.Errorf("%s has no request example", id)
		}
	}
	for _, id := range order {
		path, method, op := operation(t, doc, id)
		body, err := json.Marshal(op.RequestBody.Value.Content.Get("application/json").Example)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(id, func(t *testing.T) {
			if check, ok := offline[id]; ok {
				check(t, body)
				return
			}
			url := strings.NewReplacer("{project}", project, "{app}", app, "{env}", "test").Replace(path)
			r := s.do(t, method, url, "", string(body))
			if r.status < 200 || r.status > 299 || op.Responses.Value(strconv.Itoa(r.status)) == nil {
				t.Errorf("%s %s with %s: %d %s, want its documented success", method, url, body, r.status, r.body)
			}
		})
	}
}

// operation finds an operation of doc by its ID.
func operation(t *testing.T, doc *openapi3.T, id string) (string, string, *openapi3.Operation) {
	t.Helper()
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID == id {
				return path, method, op
			}
		}
	}
	t.Fatalf("no operation %s", id)
	return "", "", nil
}

// strictJSON decodes as the API's decodeBody does: unknown fields are mistakes.
func strictJSON(t *testing.T, body []byte, into any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
}
