package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"

	"github.com/slipway-dev/slipway/pkg/apierror"
	"github.com/slipway-dev/slipway/pkg/pipelines"
	"github.com/slipway-dev/slipway/pkg/pipelines/runs"
)

func (s *Server) getHook(c echo.Context) error {
	h, err := s.hooks.GetHook(c.Request().Context(), target(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, h)
}

func (s *Server) rotateHook(c echo.Context) error {
	h, err := s.hooks.RotateHook(c.Request().Context(), target(c))
	if err != nil {
		return err
	}
	c.Set(auditAfterKey, "hook "+h.URL+" has a new token and secret")
	return c.JSON(http.StatusOK, h)
}

// maxHookBodyBytes bounds a hook delivery (a push of many commits is still far smaller).
const maxHookBodyBytes = 5 << 20

// HookPath is where Git hosts deliver pushes: POST /hooks/v1/{hookID}.
const HookPath = runs.HookPathPrefix + ":hook"

// HookAccepted answers an accepted delivery.
type HookAccepted struct {
	// Run is the run the delivery started.
	Run string `json:"run"`
}

// hookParams are the headers and query parameters a delivery may carry: what
// pipelines.ParsePush reads for a token hook, GitHub and GitLab.
var hookParams = []*openapi3.Parameter{
	hookParam(openapi3.ParameterInHeader, pipelines.HeaderToken, "The hook's token (token hooks: a CI job, curl). The body is not read; the query says what to build.", 0),
	hookParam(openapi3.ParameterInHeader, pipelines.HeaderDelivery, "A token hook's delivery ID: one received before is refused as a replay.", pipelines.MaxDeliveryIDLength),
	hookParam(openapi3.ParameterInQuery, pipelines.QueryBranch, "The branch a token hook builds (default: the pipeline's); it must be the pipeline's branch.", 0),
	hookParam(openapi3.ParameterInQuery, pipelines.QueryCommit, "The commit a token hook builds, a full hash (default: the branch's head).", 0),
	hookParam(openapi3.ParameterInHeader, pipelines.HeaderGitHubEvent, "GitHub's event: only push starts a run.", 0),
	hookParam(openapi3.ParameterInHeader, pipelines.HeaderHubSignature, "GitHub's HMAC-SHA256 of the body with the hook's secret (sha256=<hex>).", 0),
	hookParam(openapi3.ParameterInHeader, pipelines.HeaderGitHubDelivery, "GitHub's delivery ID: one received before is refused as a replay.", pipelines.MaxDeliveryIDLength),
	hookParam(openapi3.ParameterInHeader, pipelines.HeaderGitLabToken, "The hook's secret, as GitLab sends it.", 0),
	hookParam(openapi3.ParameterInHeader, pipelines.HeaderGitLabEvent, "GitLab's event: only Push Hook starts a run.", 0),
	hookParam(openapi3.ParameterInHeader, pipelines.HeaderGitLabDelivery, "GitLab's delivery ID: one received before is refused as a replay.", pipelines.MaxDeliveryIDLength),
}

func hookParam(in, name, description string, maxLen int64) *openapi3.Parameter {
	schema := openapi3.NewStringSchema()
	if maxLen > 0 {
		schema.WithMaxLength(maxLen)
	}
	return &openapi3.Parameter{In: in, Name: name, Description: description, Schema: schema.NewRef()}
}

// hookBody is a delivery's body as the document describes it: read whole and bounded,
// then verified and parsed by pipelines.ParsePush.
var hookBody = openapi3.NewRequestBody().
	WithDescription(fmt.Sprintf("GitHub's or GitLab's push event as the host sends it, at most %d bytes; token hooks send none.", maxHookBodyBytes)).
	WithJSONSchema(openapi3.NewObjectSchema())

// hookDelivery handles POST /hooks/v1/{hookID}: no bearer token, the hook's own token or
// signature instead; each refusal is its own status and nothing is started.
func (s *Server) hookDelivery(c echo.Context) error {
	// Read whole and bounded first: the signature covers the exact bytes.
	raw, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, maxHookBodyBytes))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return &apierror.Error{Status: http.StatusRequestEntityTooLarge, Title: "Body too large", Detail: fmt.Sprintf("a delivery may be at most %d bytes", maxHookBodyBytes)}
	}
	if err != nil {
		return apierror.BadRequest("reading the body: " + err.Error())
	}
	c.Request().Body = io.NopCloser(bytes.NewReader(raw))
	hook, err := s.hooks.LookupHook(c.Param("hook"))
	if err != nil {
		return err
	}
	push, err := pipelines.ParsePush(c.Request(), hook.Secret)
	switch {
	case errors.Is(err, pipelines.ErrNoCredentials), errors.Is(err, pipelines.ErrBadSignature):
		return apierror.Unauthorized(err.Error())
	case errors.Is(err, pipelines.ErrBadPayload):
		return apierror.BadRequest(err.Error())
	case errors.Is(err, pipelines.ErrNotPush), errors.Is(err, pipelines.ErrNotBranch):
		return &apierror.Error{Status: http.StatusUnprocessableEntity, Title: "Not a branch push", Detail: err.Error()}
	case err != nil:
		return err
	}
	run, err := s.hooks.Deliver(c.Request().Context(), hook, push)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, HookAccepted{Run: run.Name})
}
