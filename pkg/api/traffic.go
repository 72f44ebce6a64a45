package api

import (
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"

	"github.com/slipway-dev/slipway/pkg/revisions"
)

// getTraffic answers the split and rules with their version as the ETag, which a
// read-modify-write sends back as If-Match.
func (s *Server) getTraffic(c echo.Context) error {
	res, err := s.apps.Traffic(target(c))
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", res.Version)
	return c.JSON(http.StatusOK, res)
}

func (s *Server) setTraffic(c echo.Context) error {
	var req revisions.TrafficRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	res, err := s.apps.SetTraffic(c.Request().Context(), caller(c).Name, target(c), req, ifMatch(c.Request().Header.Get(ifMatchParam.Name)))
	if err != nil {
		return err
	}
	c.Set(auditAfterKey, res.Summary)
	c.Response().Header().Set("ETag", res.Version)
	return c.JSON(http.StatusOK, res)
}

// ifMatchParam is setTraffic's If-Match header as the document describes it.
var ifMatchParam = openapi3.NewHeaderParameter("If-Match").
	WithDescription("getTraffic's ETag (a strong entity tag; several may be listed): the change is made only while the split and rules are still that version, else 412. * or no header: any version.").
	WithSchema(openapi3.NewStringSchema())

// ifMatch is the entity tags an If-Match header lists (RFC 9110 13.1.1); none for no header
// and for "*", which both mean any current version. A weak tag stays in the list as sent,
// so it never equals a version: If-Match compares strongly.
func ifMatch(header string) []string {
	var tags []string
	for _, t := range strings.Split(header, ",") {
		switch t = strings.TrimSpace(t); t {
		case "*":
			return nil
		case "":
		default:
			tags = append(tags, t)
		}
	}
	return tags
}

func (s *Server) rollback(c echo.Context) error {
	var req revisions.RollbackRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	res, err := s.apps.Rollback(c.Request().Context(), caller(c).Name, target(c), req)
	if err != nil {
		return err
	}
	c.Set(auditAfterKey, res.Summary)
	c.Response().Header().Set("ETag", res.Version)
	return c.JSON(http.StatusOK, res)
}
