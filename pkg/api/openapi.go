package api

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3gen"
)

var echoParam = regexp.MustCompile(`:([a-zA-Z]+)`)

// openAPIPath turns echo's /a/:b into OpenAPI's /a/{b}.
func openAPIPath(p string) string { return echoParam.ReplaceAllString(p, "{$1}") }

// openAPIDocument describes the route table; schemas come from the Go types themselves, so the
// document cannot disagree with what handlers decode and encode.
func (s *Server) openAPIDocument(routes []route) *openapi3.T {
	doc := &openapi3.T{
		OpenAPI: "3.0.3",
		Info:    &openapi3.Info{Title: "Slipway platform API", Version: "v1"},
		Paths:   openapi3.NewPaths(),
		Components: &openapi3.Components{Schemas: openapi3.Schemas{}, SecuritySchemes: openapi3.SecuritySchemes{
			// Any token the cluster's TokenReview accepts.
			"bearer": &openapi3.SecuritySchemeRef{Value: openapi3.NewJWTSecurityScheme().WithBearerFormat("Kubernetes token")},
		}},
		Security: openapi3.SecurityRequirements{openapi3.NewSecurityRequirement().Authenticate("bearer")},
	}
	problem := schemaFor(Problem{}, doc.Components.Schemas)
	for _, r := range routes {
		path := openAPIPath(r.path)
		op := &openapi3.Operation{
			Summary:     r.summary,
			OperationID: r.id,
			Responses:   openapi3.NewResponses(),
		}
		problems := map[int]string{}
		for _, m := range echoParam.FindAllStringSubmatch(r.path, -1) {
			op.Parameters = append(op.Parameters, &openapi3.ParameterRef{Value: openapi3.NewPathParameter(m[1]).
				WithSchema(pathParams[m[1]].schema(s))})
			problems[404] = "the project, app, environment or object the path names does not exist"
			problems[422] = "a path parameter (errors[].field names it) or the body is not valid"
		}
		if r.request != nil {
			op.RequestBody = &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithRequired(true).
				WithJSONSchemaRef(schemaFor(r.request, doc.Components.Schemas))}
			problems[400] = "the body is not one JSON value of the request's type"
			problems[413] = fmt.Sprintf("the body is larger than %d bytes", maxBodyBytes)
			problems[415] = "the body is not application/json"
			if problems[422] == "" {
				problems[422] = "the body is not valid (errors[].field names each mistake)"
			}
		}
		for status, desc := range problems {
			op.Responses.Set(strconv.Itoa(status), &openapi3.ResponseRef{Value: openapi3.NewResponse().
				WithDescription(desc).WithContent(openapi3.NewContentWithSchemaRef(problem, []string{problemContentType}))})
		}
		ok := openapi3.NewResponse().WithDescription("success")
		switch {
		case r.raw != "":
			ok.WithContent(openapi3.NewContentWithSchema(openapi3.NewStringSchema(), []string{r.raw}))
		case r.response != nil:
			ok.WithJSONSchemaRef(schemaFor(r.response, doc.Components.Schemas))
		}
		op.Responses.Set(strconv.Itoa(r.status), &openapi3.ResponseRef{Value: ok})
		op.Responses.Set("default", &openapi3.ResponseRef{Value: openapi3.NewResponse().
			WithDescription("problem+json error").
			WithContent(openapi3.NewContentWithSchemaRef(problem, []string{problemContentType}))})
		doc.AddOperation(path, r.method, op)
	}
	return doc
}

// describeFields says of each field of a struct what its Go type says: a field without
// omitempty is required (encoding/json always writes it), and an optional pointer to a
// scalar keeps its pointer in the generated Go client (x-go-type-skip-optional-pointer),
// because its zero value means something (minScale 0 is not minScale unset).
func describeFields(_ string, t reflect.Type, _ reflect.StructTag, schema *openapi3.Schema) error {
	if t.Kind() != reflect.Struct {
		return nil
	}
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
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

func schemaFor(v any, components openapi3.Schemas) *openapi3.SchemaRef {
	ref, err := openapi3gen.NewSchemaRefForValue(v, components, openapi3gen.CreateComponentSchemas(openapi3gen.ExportComponentSchemasOptions{
		ExportComponentSchemas: true, ExportTopLevelSchema: true,
	}), openapi3gen.SchemaCustomizer(describeFields))
	if err != nil {
		panic(fmt.Sprintf("openapi schema for %T: %v", v, err)) // the types are fixed at compile time
	}
	return ref
}

// Contract is the API's document as clients are generated from it (api/openapi.json): the
// served document without what the operator's configuration adds (the environment names).
func Contract() *openapi3.T {
	s := &Server{}
	return s.openAPIDocument(s.routes())
}
