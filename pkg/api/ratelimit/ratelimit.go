// Package ratelimit is platform-api's request limits: the limits section of its
// configuration, the per-caller token buckets (golang.org/x/time/rate, through echo's
// limiter), and the bounds on requests in flight by class (Shedder).
package ratelimit

import (
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/slipway-dev/slipway/pkg/apierror"
)

// Config holds the token buckets: Rate requests per second on average, Burst at once.
type Config struct {
	// PerUser applies to each authenticated caller's API requests.
	PerUser Bucket `json:"perUser"`
	// Hooks applies to each Git hook's deliveries (tighter: they come from outside).
	Hooks Bucket `json:"hooks"`
	// InFlight bounds concurrent requests by class; excess is refused at once.
	InFlight InFlight `json:"inFlight"`
}

// Bucket is one token bucket.
type Bucket struct {
	Rate  float64 `json:"rate"`
	Burst int     `json:"burst"`
}

// SetDefaults fills in what the operator left out.
func (c *Config) SetDefaults() {
	if c.PerUser == (Bucket{}) {
		c.PerUser = Bucket{Rate: 20, Burst: 40}
	}
	if c.Hooks == (Bucket{}) {
		c.Hooks = Bucket{Rate: 1, Burst: 5}
	}
	c.InFlight.SetDefaults()
}

// Validate checks the section; path is its place in the configuration file.
func (c Config) Validate(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for name, b := range map[string]Bucket{"perUser": c.PerUser, "hooks": c.Hooks} {
		if b.Rate <= 0 || b.Burst < 1 {
			errs = append(errs, field.Invalid(path.Child(name), fmt.Sprintf("%+v", b), "rate must be > 0 and burst >= 1"))
		}
	}
	return append(errs, c.InFlight.Validate(path.Child("inFlight"))...)
}

// Middleware gives each key a token bucket: an authenticated caller (after authentication,
// so an identity, not an address, is limited), or a Git hook.
func Middleware(b Bucket, key func(echo.Context) string) echo.MiddlewareFunc {
	// A denied caller may retry once a token has been refilled.
	retryAfter := int(math.Max(1, math.Ceil(1/b.Rate)))
	return middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		Store: middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
			Rate: rate.Limit(b.Rate), Burst: b.Burst, ExpiresIn: 10 * time.Minute,
		}),
		IdentifierExtractor: func(c echo.Context) (string, error) { return key(c), nil },
		DenyHandler: func(c echo.Context, _ string, _ error) error {
			return &apierror.Error{Status: http.StatusTooManyRequests, Title: "Too many requests",
				Detail: "slow down: the request rate is limited", RetryAfterSeconds: retryAfter}
		},
	})
}
