package apitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Walk sends hostile requests to every operation of the OpenAPI document a platform-api
// serves (so a new route is walked without anyone listing it): each path parameter replaced
// by segments that are not names, and by well-formed names of nothing; and, for operations
// with a body, bodies that are not the request. Every answer must be a 4xx problem (never a
// 5xx), within HangAfter, with a status the document lists for the operation.
type Walk struct {
	// BaseURL is the server (an httptest.Server); Token its bearer token, allowed everything.
	BaseURL, Token string
	// Valid are path parameter values naming what exists (project, app, env, revision) or at
	// least well-formed (run, hook): each case changes one parameter and keeps the others.
	Valid map[string]string
	// HangAfter bounds each request (default 10 s): a hang detector, not a speed check.
	HangAfter time.Duration
}

// Operation is one method and OpenAPI path (/a/{b}).
type Operation struct {
	Method, Path string
	// Params are the path's parameters, in order.
	Params []string
	// Body is the request body's schema (nil for an operation without a body).
	Body *Schema
	// Documented are the response statuses the document lists ("404", "4XX", "default").
	Documented []string
}

// Schema is as much of an OpenAPI schema as the walk needs to send wrong types.
type Schema struct {
	Ref        string             `json:"$ref"`
	Type       json.RawMessage    `json:"type"`
	Properties map[string]*Schema `json:"properties"`
	// Items is an array's element schema.
	Items *Schema `json:"items"`
}

// HostileSegments are path segments that are not names of anything, as sent on the wire.
var HostileSegments = []string{
	"%2e%2e", "..", "%2e", ".", "x%2Fy", "x%2fy", "%2F", "UPPER", "Demo", "-a", "a-", "a_b", "a.b.",
	"%00", "a%00b", "%C3%BCn%C3%AFc%C3%B8d%C3%A9", "ünïcødé", "%F0%9F%92%A5", "%FF", "a%20b", "%20", "%09",
	"a%3Bb", "a%3Fb", "%25", "%252e%252e", strings.Repeat("a", 300), strings.Repeat("a", 10000), "",
}

// notFoundParams answer a hostile segment with 404 (it names no environment, no hook);
// every other parameter with 422 naming it.
var notFoundParams = map[string]bool{"env": true, "hook": true}

// unknownNames are well-formed names of nothing: each must be 404.
var unknownNames = map[string]string{
	"project": "nosuch", "app": "ghost", "env": "staging", "revision": "ghost-00042",
	"run": "ghost-run-zzzzz", "hook": "00000000000000000000000000000000", "promotion": "ghost-20260101000000000-0000",
}

// Counts are how many requests each part of the walk sent.
type Counts struct {
	Operations, PathSegments, UnknownNames, Bodies int
}

func (c Counts) String() string {
	return fmt.Sprintf("%d operations: %d hostile path segments, %d unknown names, %d hostile bodies (%d requests)",
		c.Operations, c.PathSegments, c.UnknownNames, c.Bodies, c.PathSegments+c.UnknownNames+c.Bodies)
}

// Run walks every operation, one subtest each, and returns what it sent.
func (w Walk) Run(t *testing.T) Counts {
	t.Helper()
	if w.HangAfter == 0 {
		w.HangAfter = 10 * time.Second
	}
	client := &http.Client{Timeout: w.HangAfter}
	doc := fetchOpenAPI(t, client, w.BaseURL, w.Token)
	ops := doc.operations(t)
	var n Counts
	n.Operations = len(ops)
	for _, op := range ops {
		t.Run(op.Method+" "+op.Path, func(t *testing.T) {
			for _, p := range op.Params {
				if _, ok := w.Valid[p]; !ok {
					t.Fatalf("no valid value for path parameter %q", p)
				}
				for _, seg := range HostileSegments {
					n.PathSegments++
					w.pathCase(t, client, op, p, seg)
				}
				n.UnknownNames++
				w.unknownCase(t, client, op, p)
			}
			if op.Body != nil {
				for _, b := range HostileBodies(op.Body, doc.Components.Schemas) {
					n.Bodies++
					w.bodyCase(t, client, op, b)
				}
			}
		})
	}
	return n
}

// pathCase sends seg as parameter p: 422 naming p, or 404 for an environment or hook (and
// when seg is empty at the end of the path, where no route matches).
func (w Walk) pathCase(t *testing.T, client *http.Client, op Operation, p, seg string) {
	t.Helper()
	path := w.path(op, p, seg)
	body := op.emptyBody()
	name := fmt.Sprintf("%s=%.40q", p, seg)
	a, ok := w.send(t, client, op, path, "application/json", strings.NewReader(body))
	if !ok {
		return
	}
	want, field := http.StatusUnprocessableEntity, p
	if notFoundParams[p] || (seg == "" && strings.HasSuffix(op.Path, "{"+p+"}")) {
		want, field = http.StatusNotFound, ""
	}
	a.expect(t, name, want)
	if want == http.StatusUnprocessableEntity {
		fields := a.fields()
		if len(fields) == 0 || slices.ContainsFunc(fields, func(f string) bool { return f != field }) {
			t.Errorf("%s %.100s: errors[].field = %v, want only %q; body: %.300s", op.Method, path, fields, field, a.body)
		}
	}
}

// unknownCase sends a well-formed name of nothing as parameter p: 404. A body, when the
// operation takes one, is "{}": where is answered before what.
func (w Walk) unknownCase(t *testing.T, client *http.Client, op Operation, p string) {
	t.Helper()
	body := op.emptyBody()
	path := w.path(op, p, unknownNames[p])
	a, ok := w.send(t, client, op, path, "application/json", strings.NewReader(body))
	if !ok {
		return
	}
	if p == "app" && op.Method != http.MethodGet && op.Method != http.MethodDelete && a.status >= 400 && a.status < 500 {
		return // a write may make an app that is not there yet (a deploy, a pipeline), or refuse otherwise
	}
	a.expect(t, "unknown "+p, http.StatusNotFound)
}

// bodyCase sends a hostile body to the operation's valid path: a 4xx, or for bodies that
// are well-formed JSON of the right shape (huge strings, null) at least no 5xx.
func (w Walk) bodyCase(t *testing.T, client *http.Client, op Operation, b HostileBody) {
	t.Helper()
	a, ok := w.send(t, client, op, w.path(op, "", ""), b.ContentType, bytes.NewReader(b.Body))
	if !ok {
		return
	}
	if a.status >= 500 {
		t.Errorf("%s %s with %s: status %d: no user input may be a 5xx; body: %.300s", op.Method, op.Path, b.Name, a.status, a.body)
		return
	}
	if b.MayPass {
		return
	}
	if a.status < 400 {
		t.Errorf("%s %s with %s: status %d, want a 4xx; body: %.300s", op.Method, op.Path, b.Name, a.status, a.body)
	}
}

// path fills op's path: each parameter its valid value, p seg (raw, as sent on the wire).
func (w Walk) path(op Operation, p, seg string) string {
	return paramRE.ReplaceAllStringFunc(op.Path, func(m string) string {
		name := strings.Trim(m, "{}")
		if name == p {
			return seg
		}
		return w.Valid[name]
	})
}

var paramRE = regexp.MustCompile(`\{[^}]+\}`)

type answer struct {
	method, path, contentType string
	status                    int
	body                      []byte
}

// send makes one request to op; false when it got no answer in time (reported). An answer
// whose status the document does not list for op is reported too: the document is what
// clients are generated from.
func (w Walk) send(t *testing.T, client *http.Client, op Operation, path, contentType string, body io.Reader) (answer, bool) {
	t.Helper()
	method := op.Method
	req, err := http.NewRequest(method, w.BaseURL+path, body)
	if err != nil {
		t.Errorf("%s %.100s: building the request: %v", method, path, err)
		return answer{}, false
	}
	req.Header.Set("Authorization", "Bearer "+w.Token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Errorf("%s %.100s: no answer within %s (a hang?): %v", method, path, w.HangAfter, err)
		return answer{}, false
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Errorf("%s %.100s: reading the answer: %v", method, path, err)
		return answer{}, false
	}
	if !op.documents(resp.StatusCode) {
		t.Errorf("%s %s answers %d to %.100s, which the document does not list for it (%v); body: %.300s",
			op.Method, op.Path, resp.StatusCode, path, op.Documented, raw)
	}
	return answer{method: method, path: path, contentType: resp.Header.Get("Content-Type"), status: resp.StatusCode, body: raw}, true
}

// documents reports whether the document lists status for op, by its code or its range
// ("4XX"); "default" does not count: it describes no status in particular.
func (op Operation) documents(status int) bool {
	return slices.Contains(op.Documented, strconv.Itoa(status)) || slices.Contains(op.Documented, fmt.Sprintf("%dXX", status/100))
}

// expect checks the status and that the answer is a problem.
func (a answer) expect(t *testing.T, name string, want int) {
	t.Helper()
	switch {
	case a.status >= 500:
		t.Errorf("%s %.100s (%s): status %d: no user input may be a 5xx; body: %.300s", a.method, a.path, name, a.status, a.body)
	case a.status != want:
		t.Errorf("%s %.100s (%s): status %d, want %d; body: %.300s", a.method, a.path, name, a.status, want, a.body)
	case !strings.HasPrefix(a.contentType, "application/problem+json"):
		t.Errorf("%s %.100s (%s): Content-Type %q, want application/problem+json", a.method, a.path, name, a.contentType)
	}
}

func (a answer) fields() []string {
	var p struct {
		Errors []struct {
			Field string `json:"field"`
		} `json:"errors"`
	}
	_ = json.Unmarshal(a.body, &p)
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Field)
	}
	return out
}

// openAPI is as much of the document as the walk reads.
type openAPI struct {
	Paths map[string]map[string]struct {
		Parameters []struct {
			Name string `json:"name"`
			In   string `json:"in"`
		} `json:"parameters"`
		RequestBody *struct {
			Content map[string]struct {
				Schema *Schema `json:"schema"`
			} `json:"content"`
		} `json:"requestBody"`
		Responses map[string]json.RawMessage `json:"responses"`
	} `json:"paths"`
	Components struct {
		Schemas map[string]*Schema `json:"schemas"`
	} `json:"components"`
}

const openAPIPath = "/api/v1/openapi.json"

func fetchOpenAPI(t *testing.T, client *http.Client, baseURL, token string) openAPI {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, baseURL+openAPIPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", openAPIPath, err)
	}
	defer resp.Body.Close()
	var doc openAPI
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d", openAPIPath, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatalf("GET %s: %v", openAPIPath, err)
	}
	return doc
}

// operations lists the document's operations, sorted.
func (doc openAPI) operations(t *testing.T) []Operation {
	t.Helper()
	var ops []Operation
	for path, item := range doc.Paths {
		for method, o := range item {
			method = strings.ToUpper(method)
			switch method {
			case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
			default:
				continue
			}
			op := Operation{Method: method, Path: path}
			for _, p := range o.Parameters {
				if p.In == "path" {
					op.Params = append(op.Params, p.Name)
				}
			}
			if o.RequestBody != nil {
				op.Body = &Schema{}
				if c, ok := o.RequestBody.Content["application/json"]; ok && c.Schema != nil {
					op.Body = c.Schema
				}
			}
			for status := range o.Responses {
				op.Documented = append(op.Documented, status)
			}
			sort.Strings(op.Documented)
			ops = append(ops, op)
		}
	}
	if len(ops) == 0 {
		t.Fatal("the document lists no operations")
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].Path+ops[i].Method < ops[j].Path+ops[j].Method })
	return ops
}

// emptyBody is the least body of the operation's shape: "{}", "[]" for an array, "" for none.
func (op Operation) emptyBody() string {
	switch {
	case op.Body == nil:
		return ""
	case typeOf(op.Body) == "array":
		return "[]"
	}
	return "{}"
}

// HostileBody is one body that is not the request.
type HostileBody struct {
	Name, ContentType string
	Body              []byte
	// MayPass is set for well-formed JSON the server may accept: it must only not be a 5xx.
	MayPass bool
}

// HostileBodies are bodies for an operation whose request is schema: not JSON, wrong
// content types, empty, too deep, too large, huge strings, and each property of the wrong
// JSON type.
func HostileBodies(schema *Schema, components map[string]*Schema) []HostileBody {
	const js = "application/json"
	deep := func(n int, open, close string) []byte {
		return []byte(`{"x":` + strings.Repeat(open, n) + strings.Repeat(close, n) + `}`)
	}
	out := []HostileBody{
		{Name: "not JSON", ContentType: js, Body: []byte("not json")},
		{Name: "empty body", ContentType: js, Body: nil},
		{Name: "blank body", ContentType: js, Body: []byte(" \r\n\t ")},
		{Name: "truncated", ContentType: js, Body: []byte(`{"`)},
		{Name: "array", ContentType: js, Body: []byte(`[]`)},
		{Name: "number", ContentType: js, Body: []byte(`1e999`)},
		{Name: "string", ContentType: js, Body: []byte(`"x"`)},
		{Name: "two values", ContentType: js, Body: []byte(`{} {}`)},
		{Name: "unknown field", ContentType: js, Body: []byte(`{"noSuchField":1}`)},
		{Name: "NUL bytes", ContentType: js, Body: []byte("{\x00}")},
		{Name: "invalid UTF-8", ContentType: js, Body: []byte("{\"x\":\"\xff\xfe\"}")},
		{Name: "arrays nested 10,001 deep", ContentType: js, Body: deep(10001, "[", "]")},
		{Name: "objects nested 10,000 deep", ContentType: js, Body: deep(10000, `{"x":`, "}")},
		{Name: "9 MiB body", ContentType: js, Body: []byte(`{"x":"` + strings.Repeat("x", 9<<20) + `"}`)},
		{Name: "text/plain", ContentType: "text/plain", Body: []byte(`{}`)},
		{Name: "form", ContentType: "application/x-www-form-urlencoded", Body: []byte(`a=b`)},
		{Name: "multipart", ContentType: "multipart/form-data; boundary=x", Body: []byte("--x\r\n\r\n--x--\r\n")},
		{Name: "XML", ContentType: "application/xml", Body: []byte(`<a/>`)},
		{Name: "unparseable content type", ContentType: "application/json; charset", Body: []byte(`{}`)},
		{Name: "null", ContentType: js, Body: []byte(`null`), MayPass: true},
	}
	s := resolve(schema, components)
	// An array body (a set the request replaces): the hostile shapes are an object and items
	// of the wrong shape; the items' properties are checked inside an array.
	wrap := func(b string) []byte { return []byte(b) }
	if typeOf(s) == "array" {
		for i := range out {
			switch out[i].Name {
			case "array":
				out[i] = HostileBody{Name: "object", ContentType: js, Body: []byte(`{}`)}
			case "unknown field":
				out[i].Body = []byte(`[{"noSuchField":1}]`)
			case "two values":
				out[i].Body = []byte(`[] []`)
			}
		}
		out = append(out, HostileBody{Name: "item not an object", ContentType: js, Body: []byte(`[1]`)})
		s = resolve(s.Items, components)
		wrap = func(b string) []byte { return []byte("[" + b + "]") }
	}
	var props []string
	for name := range s.Properties {
		props = append(props, name)
	}
	sort.Strings(props)
	for _, name := range props {
		p := resolve(s.Properties[name], components)
		wrong := wrongValue(p)
		if wrong != "" {
			out = append(out, HostileBody{Name: fmt.Sprintf("%s of the wrong type (%s)", name, wrong), ContentType: js,
				Body: wrap(fmt.Sprintf(`{%q:%s}`, name, wrong))})
		}
		if typeOf(p) == "string" {
			// Just under the body limit: well-formed, so it reaches the domain's checks.
			out = append(out, HostileBody{Name: "huge " + name, ContentType: js, MayPass: true,
				Body: wrap(fmt.Sprintf(`{%q:"%s"}`, name, strings.Repeat("x", 1<<20-len(name)-16)))})
		}
	}
	return out
}

func resolve(s *Schema, components map[string]*Schema) *Schema {
	for i := 0; s != nil && s.Ref != "" && i < 10; i++ {
		s = components[strings.TrimPrefix(s.Ref, "#/components/schemas/")]
	}
	if s == nil {
		return &Schema{}
	}
	return s
}

func typeOf(s *Schema) string {
	var one string
	if json.Unmarshal(s.Type, &one) == nil {
		return one
	}
	var many []string
	if json.Unmarshal(s.Type, &many) == nil && len(many) > 0 {
		return many[0]
	}
	if len(s.Properties) > 0 {
		return "object"
	}
	return ""
}

// wrongValue is JSON of another type than s says ("" when s says nothing).
func wrongValue(s *Schema) string {
	switch typeOf(s) {
	case "string":
		return `12345`
	case "integer", "number":
		return `"12"`
	case "boolean":
		return `"true"`
	case "array":
		return `{"0":1}`
	case "object":
		return `["x"]`
	}
	return ""
}
