package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"reflect"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/slipway-dev/slipway/pkg/apierror"
)

const maxBodyBytes = 1 << 20

// decodeBody reads a JSON body strictly: unknown fields, trailing data and wrong types are
// 400s that say where the problem is.
func decodeBody(c echo.Context, into any) error {
	if ct := c.Request().Header.Get(echo.HeaderContentType); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return &apierror.Error{Status: 415, Title: "Unsupported media type", Detail: "send the body as application/json"}
		}
	}
	raw, err := io.ReadAll(io.LimitReader(c.Request().Body, maxBodyBytes+1))
	if err != nil {
		return apierror.BadRequest("reading the body: " + err.Error())
	}
	if len(raw) > maxBodyBytes {
		return &apierror.Error{Status: 413, Title: "Body too large", Detail: fmt.Sprintf("the body may be at most %d bytes", maxBodyBytes)}
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return apierror.BadRequest("the request needs a JSON body")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		var typeErr *json.UnmarshalTypeError
		var syntaxErr *json.SyntaxError
		switch {
		case errors.As(err, &typeErr) && typeErr.Field == "":
			want := "a JSON object"
			if typeErr.Type != nil && typeErr.Type.Kind() == reflect.Slice {
				want = "a JSON array"
			}
			return apierror.BadRequest("the body must be " + want + ", got JSON " + typeErr.Value)
		case errors.As(err, &typeErr):
			return apierror.BadRequest(fmt.Sprintf("field %q: expected %s, got JSON %s", typeErr.Field, typeErr.Type, typeErr.Value))
		case errors.As(err, &syntaxErr):
			return apierror.BadRequest(fmt.Sprintf("malformed JSON at byte %d: %v", syntaxErr.Offset, err))
		case errors.Is(err, io.ErrUnexpectedEOF):
			return apierror.BadRequest("malformed JSON: the body ends in the middle of a value")
		default:
			// Unknown fields arrive as `json: unknown field "x"`.
			return apierror.BadRequest(strings.TrimPrefix(err.Error(), "json: "))
		}
	}
	if dec.More() {
		return apierror.BadRequest("the body holds more than one JSON value")
	}
	return nil
}
