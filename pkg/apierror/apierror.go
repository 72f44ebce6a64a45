// Package apierror is the one error type of Slipway's API. Domain packages return it; the
// HTTP layer renders it as RFC 7807 problem+json. Anything else reaching the HTTP layer is
// an internal error.
package apierror

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Error is a problem the caller can act on.
type Error struct {
	Status int
	Title  string
	Detail string
	// Fields names each offending field by its JSON path in the request.
	Fields field.ErrorList
	// RetryAfterSeconds, when set, is sent as Retry-After.
	RetryAfterSeconds int
	// Rule names the policy that refused the request (a machine-readable member of the
	// problem): a 409 for state and time rules, a 403 for who may act.
	Rule string
	// NextOpening is when a time rule (a window, a soak) lets the request through.
	NextOpening *time.Time
}

func (e *Error) Error() string {
	if len(e.Fields) > 0 {
		return fmt.Sprintf("%s: %v", e.Title, e.Fields.ToAggregate())
	}
	return e.Title + ": " + e.Detail
}

// Invalid reports field errors in a request (422).
func Invalid(errs field.ErrorList) *Error {
	return &Error{Status: http.StatusUnprocessableEntity, Title: "Invalid request", Detail: errs.ToAggregate().Error(), Fields: errs}
}

// BadRequest reports a body that could not be read at all (400).
func BadRequest(detail string) *Error {
	return &Error{Status: http.StatusBadRequest, Title: "Malformed request", Detail: detail}
}

// Unauthorized reports a request without a valid credential (401).
func Unauthorized(detail string) *Error {
	return &Error{Status: http.StatusUnauthorized, Title: "Unauthorized", Detail: detail}
}

// Forbidden reports an authenticated caller without the right (403).
func Forbidden(format string, args ...any) *Error {
	return &Error{Status: http.StatusForbidden, Title: "Forbidden", Detail: fmt.Sprintf(format, args...)}
}

// NotFound reports a missing object (404).
func NotFound(format string, args ...any) *Error {
	return &Error{Status: http.StatusNotFound, Title: "Not found", Detail: fmt.Sprintf(format, args...)}
}

// Conflict reports a request that clashes with current state (409).
func Conflict(format string, args ...any) *Error {
	return &Error{Status: http.StatusConflict, Title: "Conflict", Detail: fmt.Sprintf(format, args...)}
}

// PreconditionFailed reports a conditional request (If-Match) whose condition no longer
// holds: the object changed since the caller read it (412).
func PreconditionFailed(format string, args ...any) *Error {
	return &Error{Status: http.StatusPreconditionFailed, Title: "Precondition failed", Detail: fmt.Sprintf(format, args...)}
}

// Unavailable reports a dependency that is not ready yet (503).
func Unavailable(retryAfter int, format string, args ...any) *Error {
	return &Error{Status: http.StatusServiceUnavailable, Title: "Unavailable", Detail: fmt.Sprintf(format, args...), RetryAfterSeconds: retryAfter}
}

// Refused reports a request a policy refuses: status is 409 for a state or time rule and
// 403 for a rule on who may act; rule is the policy's machine-readable name.
func Refused(status int, rule string, format string, args ...any) *Error {
	title := "Conflict"
	if status == http.StatusForbidden {
		title = "Forbidden"
	}
	return &Error{Status: status, Title: title, Detail: fmt.Sprintf(format, args...), Rule: rule}
}

// Until refuses by a time rule that lets the request through at opening (409).
func Until(rule string, opening time.Time, format string, args ...any) *Error {
	e := Refused(http.StatusConflict, rule, format, args...)
	at := opening.UTC().Truncate(time.Second)
	e.NextOpening = &at
	return e
}

// As returns the *Error in err's chain.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// IsNotFound reports whether err is a 404 problem.
func IsNotFound(err error) bool {
	e, ok := As(err)
	return ok && e.Status == http.StatusNotFound
}
