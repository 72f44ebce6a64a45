package api

import (
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3gen"

	"github.com/slipway-dev/slipway/pkg/apps"
	"github.com/slipway-dev/slipway/pkg/environments"
)

var echoParam = regexp.MustCompile(`:([a-zA-Z]+)`)

// openAPIPath turns echo's /a/:b into OpenAPI's /a/{b}.
func openAPIPath(p string) string { return echoParam.ReplaceAllString(p, "{$1}") }

// openAPIDocument describes the route table; schemas come from the Go types themselves, so the
// document cannot disagree with what handlers decode and encode.
func (s *Server) openAPIDocument(routes []route) *openapi3.T {
	doc := &openapi3.T{
		OpenAPI: "3.0.3",
		Info: &openapi3.Info{Title: "Slipway platform API", Version: "v1",
			Description: "Deploy images to Knative, split their traffic, roll back, and build them with pipelines; every call but a Git hook's carries a Kubernetes bearer token, and every problem is RFC 7807 problem+json.",
			// The repository has no license file: no license is granted. OpenAPI 3.0's license
			// needs a URL (Redocly's info-license-strict); the module's repository is where one
			// would be.
			License: &openapi3.License{Name: "Proprietary", URL: "https://github.com/slipway-dev/slipway"}},
		Servers: openapi3.Servers{{URL: "http://127.0.0.1:8080",
			Description: "make run's platform-api; operators serve it on their own host"}},
		Paths: openapi3.NewPaths(),
		Components: &openapi3.Components{Schemas: openapi3.Schemas{}, SecuritySchemes: openapi3.SecuritySchemes{
			// Any token the cluster's TokenReview accepts.
			"bearer": &openapi3.SecuritySchemeRef{Value: openapi3.NewJWTSecurityScheme().WithBearerFormat("Kubernetes token")},
		}, Headers: openapi3.Headers{
			headerRetryAfter: {Value: &openapi3.Header{Parameter: openapi3.Parameter{
				Description: "Seconds to wait before trying again.",
				Schema:      openapi3.NewIntegerSchema().WithMin(1).NewRef()}}},
			headerETag: {Value: &openapi3.Header{Parameter: openapi3.Parameter{
				Description: "A strong entity tag of the body: sent back as If-None-Match, it is answered 304 while the body is the same.",
				Schema:      openapi3.NewStringSchema().NewRef()}}},
			headerTrafficVersion: {Value: &openapi3.Header{Parameter: openapi3.Parameter{
				Description: "The version of the traffic split and rules (a strong entity tag): setTraffic's If-Match.",
				Schema:      openapi3.NewStringSchema().NewRef()}}},
		}},
		Security: openapi3.SecurityRequirements{openapi3.NewSecurityRequirement().Authenticate("bearer")},
	}
	problem := schemaFor(Problem{}, doc.Components.Schemas)
	for _, r := range routes {
		op := &openapi3.Operation{
			Summary:     r.summary,
			Description: r.description,
			OperationID: r.id,
			Responses:   openapi3.NewResponses(),
		}
		if !r.bearer() {
			op.Security = &openapi3.SecurityRequirements{} // security: [], the handler checks the credential
		}
		for _, m := range echoParam.FindAllStringSubmatch(r.path, -1) {
			op.Parameters = append(op.Parameters, &openapi3.ParameterRef{Value: openapi3.NewPathParameter(m[1]).
				WithSchema(pathParams[m[1]].schema(s))})
		}
		for _, p := range r.params {
			// An optional parameter keeps its pointer in the generated Go client, which would
			// otherwise send every unset one as its zero value (limit=0 is refused).
			p := *p
			p.Extensions = map[string]any{"x-go-type-skip-optional-pointer": false}
			op.Parameters = append(op.Parameters, &openapi3.ParameterRef{Value: &p})
		}
		switch {
		case r.request != nil:
			body := openapi3.NewRequestBody().WithRequired(true).WithJSONSchemaRef(schemaFor(r.request, doc.Components.Schemas))
			if !reflect.ValueOf(r.request).IsZero() {
				body.Content.Get("application/json").Example = r.request
			}
			op.RequestBody = &openapi3.RequestBodyRef{Value: body}
		case r.access.scope == scopeHook:
			op.RequestBody = &openapi3.RequestBodyRef{Value: hookBody}
		}
		for status, causes := range r.problems() {
			res := openapi3.NewResponse().WithDescription(http.StatusText(status) + ": " + strings.Join(causes, "; ")).
				WithContent(openapi3.NewContentWithSchemaRef(problem, []string{problemContentType}))
			if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
				res.Headers = openapi3.Headers{"Retry-After": headerRef(headerRetryAfter)}
			}
			op.Responses.Set(strconv.Itoa(status), &openapi3.ResponseRef{Value: res})
		}
		ok := openapi3.NewResponse().WithDescription("success")
		switch {
		case r.raw != "":
			ok.WithContent(openapi3.NewContentWithSchema(openapi3.NewStringSchema(), []string{r.raw}))
		case r.response != nil:
			ok.WithJSONSchemaRef(schemaFor(r.response, doc.Components.Schemas))
		}
		if etag := r.etag(); etag != "" {
			ok.Headers = openapi3.Headers{"ETag": headerRef(etag)}
			if r.method == http.MethodGet {
				notModified := openapi3.NewResponse().WithDescription("Not Modified: If-None-Match names the current ETag; no body")
				notModified.Headers = openapi3.Headers{"ETag": headerRef(etag)}
				op.Responses.Set("304", &openapi3.ResponseRef{Value: notModified})
			}
		}
		op.Responses.Set(strconv.Itoa(r.status), &openapi3.ResponseRef{Value: ok})
		op.Responses.Set("default", &openapi3.ResponseRef{Value: openapi3.NewResponse().
			WithDescription("problem+json error").
			WithContent(openapi3.NewContentWithSchemaRef(problem, []string{problemContentType}))})
		doc.AddOperation(openAPIPath(r.path), r.method, op)
	}
	return doc
}

// Response headers, as components.
const (
	headerRetryAfter     = "Retry-After"
	headerETag           = "ETag"
	headerTrafficVersion = "TrafficVersion"
)

func headerRef(name string) *openapi3.HeaderRef {
	return &openapi3.HeaderRef{Ref: "#/components/headers/" + name}
}

// etag names the header component of the ETag the route's success answer carries, or "":
// the etag middleware tags every API read but a stream (etag.go), and the traffic handlers
// (traffic.go) send the split's version as theirs.
func (r route) etag() string {
	switch {
	case reflect.TypeOf(r.response) == reflect.TypeFor[apps.TrafficResult]():
		return headerTrafficVersion
	case r.method == http.MethodGet && r.raw != "text/event-stream":
		return headerETag
	}
	return ""
}

// problems are the statuses of the problems the route can answer, each with its causes:
// those that follow from the row — what the middleware chain (server.go) and decodeBody
// refuse — and then the route's own answers.
func (r route) problems() map[int][]string {
	out := map[int][]string{}
	add := func(status int, cause string) { out[status] = append(out[status], cause) }
	var nouns []string
	env, invalid := false, false
	for _, m := range echoParam.FindAllStringSubmatch(r.path, -1) {
		if m[1] == "env" {
			env = true
		} else {
			nouns = append(nouns, m[1])
		}
		invalid = invalid || pathParams[m[1]].invalid != nil
	}
	if len(nouns) > 0 {
		missing := "the path names " + article(nouns[0]) + " " + orList(nouns) + " that does not exist"
		if env {
			missing += ", or an environment that is not configured"
		}
		if env || len(nouns) > 1 {
			missing += " (the detail says which)"
		}
		add(http.StatusNotFound, missing)
	}
	if invalid {
		add(http.StatusUnprocessableEntity, "a path parameter is not a well-formed name (errors[].field names it)")
	}
	if r.request != nil {
		add(http.StatusBadRequest, "the body is not one JSON object of the request's type (malformed JSON, an unknown field, a wrong type, more than one value)")
		add(http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d bytes", maxBodyBytes))
		add(http.StatusUnsupportedMediaType, "the body's Content-Type is not application/json (or another +json type)")
		add(http.StatusUnprocessableEntity, "the body is not valid (errors[].field names each mistake)")
	}
	if r.access.scope == scopeHook {
		add(http.StatusRequestEntityTooLarge, fmt.Sprintf("the delivery is larger than %d bytes", maxHookBodyBytes))
		add(http.StatusTooManyRequests, "the hook's deliveries are over their rate limit (limits.hooks; unknown hooks share one)")
	}
	if r.bearer() {
		add(http.StatusUnauthorized, "no bearer token, or one the cluster's TokenReview does not accept")
		add(http.StatusTooManyRequests, "the caller's requests are over their rate limit (limits.perUser)")
	}
	if r.authorized() {
		add(http.StatusForbidden, fmt.Sprintf("the caller may not %s %s", r.access.action, scopeWhere[r.access.scope]))
	}
	add(http.StatusServiceUnavailable, fmt.Sprintf("platform-api is at its bound of %s requests in flight (limits.inFlight)", r.class()))
	if r.bearer() {
		add(http.StatusServiceUnavailable, "the cluster's TokenReview or SubjectAccessReview does not answer")
	}
	unreachable := "the Kubernetes API does not answer in time, is busy or failing"
	if r.method != http.MethodGet {
		unreachable += ", or the circuit breaker around its writes is open"
	}
	add(http.StatusServiceUnavailable, unreachable)
	for _, a := range r.answers {
		add(a.status, a.when)
	}
	return out
}

// scopeWhere says where a scope's action is checked, as a 403 explains it.
var scopeWhere = map[scope]string{
	scopeCluster:    "on this cluster",
	scopeProject:    "in any environment of the project",
	scopeProjectAll: "in every environment of the project",
	scopeApp:        "in the path's environment of the project",
}

func article(noun string) string {
	if strings.ContainsRune("aeiou", rune(noun[0])) {
		return "an"
	}
	return "a"
}

// orList joins words as prose: "a", "a or b", "a, b or c".
func orList(words []string) string {
	if len(words) == 1 {
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// describeFields says of each field of a struct what its Go type says: a field without
// omitempty is required (encoding/json always writes it), and an optional pointer to a
// scalar keeps its pointer in the generated Go client (x-go-type-skip-optional-pointer),
// because its zero value means something (minScale 0 is not minScale unset).
func describeFields(_ string, t reflect.Type, _ reflect.StructTag, schema *openapi3.Schema) error {
	if t == reflect.TypeFor[metav1.Duration]() {
		*schema = *durationSchema()
		return nil
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	// Visible fields include those an embedded struct promotes (Me's name and groups).
	for _, f := range reflect.VisibleFields(t) {
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && name == "" {
			continue // the embedded struct itself: its fields follow
		}
		if name == "" {
			name = f.Name
		}
		prop, ok := schema.Properties[name]
		if !f.IsExported() || name == "-" || !ok {
			continue
		}
		switch {
		case !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero"):
			if !slices.Contains(schema.Required, name) {
				schema.Required = append(schema.Required, name)
			}
		case f.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() != reflect.Struct && prop.Value != nil:
			if prop.Value.Extensions == nil {
				prop.Value.Extensions = map[string]any{}
			}
			prop.Value.Extensions["x-go-type-skip-optional-pointer"] = false
		}
	}
	return nil
}

// durationSchema is a Go duration string on the wire ("30s"), as every duration of the API.
func durationSchema() *openapi3.Schema {
	s := openapi3.NewStringSchema().WithPattern(`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`)
	s.Description = "A Go duration, such as 30s, 15m or 1h30m."
	return s
}

func schemaFor(v any, components openapi3.Schemas) *openapi3.SchemaRef {
	ref, err := openapi3gen.NewSchemaRefForValue(v, components, openapi3gen.CreateComponentSchemas(openapi3gen.ExportComponentSchemasOptions{
		ExportComponentSchemas: true, ExportTopLevelSchema: true,
	}), openapi3gen.SchemaCustomizer(describeFields))
	if err != nil {
		panic(fmt.Sprintf("openapi schema for %T: %v", v, err)) // the types are fixed at compile time
	}
	if _, ok := components["Duration"]; !ok && reflect.TypeOf(v) == reflect.TypeFor[environments.List]() {
		// openapi3gen refers to a customized struct's component without exporting it.
		components["Duration"] = openapi3.NewSchemaRef("", durationSchema())
	}
	return ref
}

// Contract is the API's document as clients are generated from it (api/openapi.json): the
// served document without what the operator's configuration adds (the environment names).
func Contract() *openapi3.T {
	s := &Server{}
	return s.openAPIDocument(s.routes())
}
