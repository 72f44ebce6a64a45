package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"

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

// hookAccepted answers an accepted delivery.
type hookAccepted struct {
	Run string `json:"run"`
}

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
	return c.JSON(http.StatusAccepted, hookAccepted{Run: run.Name})
}
