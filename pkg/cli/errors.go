package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/slipway-dev/slipway/pkg/client"
)

// Exit codes; exitCodesHelp documents them in slipway --help.
const (
	ExitOK          = 0
	ExitError       = 1
	ExitUsage       = 2
	ExitNotFound    = 3
	ExitAuth        = 4
	ExitConflict    = 5
	ExitTimeout     = 6
	ExitRefused     = 7
	ExitUnavailable = 8
)

// exitError is an error that ends the CLI with a particular code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageError marks err as the caller's mistake (exit 2).
func usageError(err error) error { return &exitError{code: ExitUsage, err: err} }

func usagef(format string, args ...any) error { return usageError(fmt.Errorf(format, args...)) }

// problemError is an answer that is not a success: the API's problem document, or what
// could be made of a body that is not one (a proxy's error page).
type problemError struct {
	status int
	problem
}

// problem is the API's problem document, with the members policy refusals add: rule (the
// policy that refused) and nextOpening (when a time rule, a window or a soak, lets the
// request through).
type problem struct {
	client.Problem
}

func (e *problemError) Error() string {
	s := e.Title
	// A 422's detail is its field errors run together; reportError lists them one a line.
	if e.Detail != "" && len(e.Errors) == 0 {
		s += ": " + e.Detail
	}
	if e.Rule != "" {
		s += " (rule: " + e.Rule
		if !e.NextOpening.IsZero() {
			s += ", next opening " + formatTime(e.NextOpening)
		}
		s += ")"
	}
	return s
}

// refused reports whether the problem is a policy's refusal: a 409 (a state or time rule)
// or a 403 (a rule on who may act) that names its rule. A 403 or 409 without one is an
// access or state problem (exit 4, 5).
func (e *problemError) refused() bool {
	return e.Rule != "" && (e.status == http.StatusConflict || e.status == http.StatusForbidden)
}

// problemFrom reads a failed answer.
func problemFrom(status int, contentType string, body []byte) *problemError {
	e := &problemError{status: status}
	if mt, _, _ := mime.ParseMediaType(contentType); mt == "application/problem+json" || mt == "application/json" {
		if json.Unmarshal(body, &e.problem) == nil && e.Title != "" {
			return e
		}
	}
	e.problem = problem{}
	e.Status, e.Title = status, http.StatusText(status)
	if e.Title == "" {
		e.Title = fmt.Sprintf("HTTP %d", status)
	}
	if s := strings.TrimSpace(string(body)); s != "" && len(s) <= 200 && !strings.ContainsAny(s, "<\n") {
		e.Detail = s
	}
	return e
}

// exitCode is the one mapping from what went wrong to the process's exit code.
func exitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	var pe *problemError
	if errors.As(err, &pe) {
		if pe.refused() {
			return ExitRefused
		}
		return statusCode(pe.status)
	}
	return ExitError
}

// statusCode maps an answer's HTTP status.
func statusCode(status int) int {
	switch status {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity:
		return ExitUsage
	case http.StatusNotFound:
		return ExitNotFound
	case http.StatusUnauthorized, http.StatusForbidden:
		return ExitAuth
	case http.StatusConflict, http.StatusPreconditionFailed:
		return ExitConflict
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return ExitUnavailable
	}
	return ExitError
}

// reportError prints err on stderr: "Error: <title>: <detail>", then a problem's field
// errors one a line.
func (c *cli) reportError(err error) {
	w := c.io.Err
	prefix := "Error:"
	if c.colorErr() {
		prefix = red(prefix)
	}
	fmt.Fprintln(w, prefix, err.Error())
	var pe *problemError
	if errors.As(err, &pe) {
		for _, fe := range pe.Errors {
			fmt.Fprintf(w, "  %s: %s\n", fe.Field, fe.Message)
		}
	}
}
