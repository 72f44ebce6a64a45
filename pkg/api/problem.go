package api

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/slipway-dev/slipway/pkg/apierror"
)

// Problem is an RFC 7807 problem document.
type Problem struct {
	Type     string       `json:"type"`
	Title    string       `json:"title"`
	Status   int          `json:"status"`
	Detail   string       `json:"detail,omitempty"`
	Instance string       `json:"instance,omitempty"`
	Errors   []FieldError `json:"errors,omitempty"`
	// Rule names the policy that refused the request (403: who may act; 409: state or time).
	Rule string `json:"rule,omitempty"`
	// NextOpening is when a time rule (a window, a soak) lets the request through.
	NextOpening *time.Time `json:"nextOpening,omitempty"`
}

// FieldError names one offending field by its JSON path in the request.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

const problemContentType = "application/problem+json"

// errorHandler renders every error as problem+json. Only errors the domain did not explain
// become 500s, and their details stay in the log.
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		// The instance is a URI reference: the path as sent (x%2Fy stays one segment).
		p := Problem{Type: "about:blank", Instance: c.Request().URL.EscapedPath()}
		var he *echo.HTTPError
		if ae, ok := apierror.As(err); ok {
			p.Status, p.Title, p.Detail, p.Rule, p.NextOpening = ae.Status, ae.Title, ae.Detail, ae.Rule, ae.NextOpening
			for _, fe := range ae.Fields {
				p.Errors = append(p.Errors, FieldError{Field: fe.Field, Message: fe.ErrorBody()})
			}
			if ae.RetryAfterSeconds > 0 {
				c.Response().Header().Set("Retry-After", strconv.Itoa(ae.RetryAfterSeconds))
			}
		} else if errors.As(err, &he) {
			p.Status, p.Title = he.Code, http.StatusText(he.Code)
			if msg, ok := he.Message.(string); ok && msg != p.Title {
				p.Detail = msg
			}
		} else {
			p.Status, p.Title, p.Detail = http.StatusInternalServerError, "Internal error", "see the server log for request "+requestID(c)
			log.Error("request failed", "err", err, "method", c.Request().Method, "path", c.Path(), "request_id", requestID(c))
		}
		c.Response().Header().Set(echo.HeaderContentType, problemContentType)
		if c.Request().Method == http.MethodHead {
			_ = c.NoContent(p.Status)
			return
		}
		_ = c.JSON(p.Status, p)
	}
}

func requestID(c echo.Context) string { return c.Response().Header().Get(echo.HeaderXRequestID) }
