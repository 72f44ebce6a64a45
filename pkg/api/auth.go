package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// Identity is the caller of a request.
type Identity struct {
	Name   string   `json:"name"`
	Groups []string `json:"groups,omitempty"`
}

// Authenticator decides who is calling. It is the seam where real authentication lands;
// handlers only ever see the Identity it yields.
type Authenticator interface {
	Authenticate(r *http.Request) (Identity, error)
}

// FixedIdentity attributes every request to one caller (the dev setup until authentication
// exists).
type FixedIdentity Identity

func (f FixedIdentity) Authenticate(*http.Request) (Identity, error) { return Identity(f), nil }

const identityKey = "slipway.identity"

func authenticate(a Authenticator) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			id, err := a.Authenticate(c.Request())
			if err != nil {
				return echo.NewHTTPError(http.StatusUnauthorized, err.Error())
			}
			c.Set(identityKey, id)
			return next(c)
		}
	}
}

func caller(c echo.Context) Identity {
	id, _ := c.Get(identityKey).(Identity)
	return id
}
