package api

import (
	"math"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"

	"github.com/slipway-dev/slipway/pkg/apierror"
	"github.com/slipway-dev/slipway/pkg/config"
)

// rateLimit gives each key a token bucket (golang.org/x/time/rate, through echo's limiter):
// an authenticated caller (after authentication, so an identity, not an address, is
// limited), or a Git hook.
func rateLimit(l config.RateLimit, key func(echo.Context) string) echo.MiddlewareFunc {
	// A denied caller may retry once a token has been refilled.
	retryAfter := int(math.Max(1, math.Ceil(1/l.Rate)))
	return middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		Store: middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
			Rate: rate.Limit(l.Rate), Burst: l.Burst, ExpiresIn: 10 * time.Minute,
		}),
		IdentifierExtractor: func(c echo.Context) (string, error) { return key(c), nil },
		DenyHandler: func(c echo.Context, _ string, _ error) error {
			return &apierror.Error{Status: http.StatusTooManyRequests, Title: "Too many requests",
				Detail: "slow down: the request rate is limited", RetryAfterSeconds: retryAfter}
		},
	})
}
