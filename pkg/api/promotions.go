package api

import (
	"context"
	"net/http"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"

	"github.com/slipway-dev/slipway/pkg/apierror"
	"github.com/slipway-dev/slipway/pkg/identity"
	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/pipelines"
	"github.com/slipway-dev/slipway/pkg/promotions"
	"github.com/slipway-dev/slipway/pkg/revisions"
)

// authorizeIn checks an action in one environment a request names in its body or record
// (a promotion's target), where the route's path names none.
func (s *Server) authorizeIn(c echo.Context, a identity.Action, project, env string) error {
	if _, ok := s.projects.Environments().Find(env); !ok {
		return nil // the domain answers with the field error
	}
	u := caller(c)
	ok, err := s.authz.Allowed(c.Request().Context(), u, a, names.Namespace(project, env))
	if err != nil {
		return apierror.Unavailable(5, "authorization is unavailable: %v", err)
	}
	if !ok {
		return apierror.Forbidden("%s may not %s in project %q, environment %q", u.Name, a, project, env)
	}
	return nil
}

// auditEnvKey names the environment an audit record is about when the path names none.
const auditEnvKey = "slipway.audit.env"

func (s *Server) listReleases(c echo.Context) error {
	out, err := s.apps.ListReleases(c.Param("project"), c.Param("app"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) createPromotion(c echo.Context) error {
	var req promotions.Request
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	project := c.Param("project")
	c.Set(auditEnvKey, req.To)
	if err := s.authorizeIn(c, identity.RequestPromotions, project, req.To); err != nil {
		return err
	}
	if req.BreakGlass != nil {
		if err := s.authorizeIn(c, identity.BreakGlass, project, req.To); err != nil {
			return err
		}
	}
	// The runs' ServiceAccount holds requestPromotions wherever the project's pipelines
	// promote to; it asks only as the promote step of a running run of this app's pipeline.
	if caller(c).Name == pipelines.RunIdentity(project) {
		if err := s.runs.AdmitPromotion(c.Request().Context(), project, c.Param("app"), req.From, req.To); err != nil {
			return err
		}
	}
	p, err := s.promotions.Create(c.Request().Context(), caller(c), project, c.Param("app"), req)
	if p.ID != "" {
		c.Set(auditAfterKey, promotionSummary(p))
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, p)
}

func (s *Server) listPromotions(c echo.Context) error {
	out, err := s.promotions.List(c.Param("project"), c.Param("app"), promotions.State(c.QueryParam("state")))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) getPromotion(c echo.Context) error {
	p, err := s.promotions.Get(c.Request().Context(), c.Param("project"), c.Param("app"), c.Param("promotion"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

func (s *Server) approvePromotion(c echo.Context) error {
	return s.decide(c, s.promotions.Approve)
}

func (s *Server) rejectPromotion(c echo.Context) error {
	return s.decide(c, s.promotions.Reject)
}

// decide approves or rejects: the caller needs approvePromotions in the promotion's target.
func (s *Server) decide(c echo.Context, act func(ctx context.Context, u identity.User, project, app, id string, req promotions.DecisionRequest) (promotions.Promotion, error)) error {
	var req promotions.DecisionRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	project, app, id := c.Param("project"), c.Param("app"), c.Param("promotion")
	ctx := c.Request().Context()
	p, err := s.promotions.Get(ctx, project, app, id)
	if err != nil {
		return err
	}
	c.Set(auditEnvKey, p.To)
	if err := s.authorizeIn(c, identity.ApprovePromotions, project, p.To); err != nil {
		return err
	}
	p, err = act(ctx, caller(c), project, app, id, req)
	if p.ID != "" {
		c.Set(auditAfterKey, promotionSummary(p))
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

// PromotionPath is the configured promotion path (named apart from a promotion's schema).
type PromotionPath struct {
	// Path lists the environments in order: a release is promoted from each to the next.
	Path []string `json:"path"`
}

func (s *Server) getPromotionPath(c echo.Context) error {
	return c.JSON(http.StatusOK, PromotionPath{Path: append([]string{}, s.promotions.Path().Path...)})
}

func (s *Server) diff(c echo.Context) error {
	d, err := s.promotions.Diff(c.Param("project"), c.Param("app"), c.QueryParam("from"), c.QueryParam("to"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

// promotionSummary is a promotion's line in the audit trail.
func promotionSummary(p promotions.Promotion) string {
	s := "promotion " + p.ID + " " + p.From + "→" + p.To + " of " + p.Revision + " (release " + p.Release + "): " + string(p.State)
	if p.DeployedRevision != "" {
		s += " as " + p.DeployedRevision
	}
	if p.BreakGlass != nil {
		s += "; break-glass by " + p.BreakGlass.User + ": " + p.BreakGlass.Message
	}
	return s
}

// Query parameters of the promotion routes, as the document describes them.
var (
	promotionStateQuery = []*openapi3.Parameter{
		openapi3.NewQueryParameter("state").WithDescription("Only promotions in this state.").
			WithSchema(openapi3.NewStringSchema().WithEnum("pending", "deploying", "deployed", "rejected", "failed")),
	}
	diffQuery = []*openapi3.Parameter{
		openapi3.NewQueryParameter("from").WithDescription("An environment.").WithRequired(true).WithSchema(openapi3.NewStringSchema()),
		openapi3.NewQueryParameter("to").WithDescription("Another environment.").WithRequired(true).WithSchema(openapi3.NewStringSchema()),
	}
)

// Examples of the promotion request bodies.
var (
	promoteExample  = promotions.Request{From: "test", To: "prod", Message: "v3 has soaked in test", Strategy: &revisions.Strategy{Type: revisions.StrategyReplace}}
	decisionExample = promotions.DecisionRequest{Message: "looks good"}
)
