package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/slipway-dev/slipway/pkg/apierror"
	"github.com/slipway-dev/slipway/pkg/identity"
	"github.com/slipway-dev/slipway/pkg/names"
)

// Me is the caller and what they may do outside any project.
type Me struct {
	identity.User
	// CreateProjects and ReadPlatform mirror the cluster-scope actions.
	CreateProjects bool `json:"createProjects"`
	ReadPlatform   bool `json:"readPlatform"`
}

// ProjectAccess is what the caller may do in a project, so a client can hide what would be
// refused.
type ProjectAccess struct {
	ManageMembers bool `json:"manageMembers"`
	// Envs maps each environment to the caller's rights there.
	Envs map[string]EnvAccess `json:"envs"`
}

// EnvAccess is the caller's rights in one environment of a project.
type EnvAccess struct {
	// Actions has every environment-scope action of the action table by name
	// (identity.Actions), true where the caller has it.
	Actions map[string]bool `json:"actions"`
	// Read, Change (deploy, traffic and rollback, all three), Delete, StartRuns (start,
	// retry) and ChangeRuns (cancel) summarise Actions for the console's pages.
	Read       bool `json:"read"`
	Change     bool `json:"change"`
	Delete     bool `json:"delete"`
	StartRuns  bool `json:"startRuns"`
	ChangeRuns bool `json:"changeRuns"`
}

func (s *Server) me(c echo.Context) error {
	u := caller(c)
	out := Me{User: u}
	for _, q := range []struct {
		action identity.Action
		into   *bool
	}{{identity.CreateProjects, &out.CreateProjects}, {identity.ReadPlatform, &out.ReadPlatform}} {
		ok, err := s.authz.Allowed(c.Request().Context(), u, q.action, "")
		if err != nil {
			return apierror.Unavailable(5, "authorization is unavailable: %v", err)
		}
		*q.into = ok
	}
	return c.JSON(http.StatusOK, out)
}

// projectAccess answers for a project that exists: the rights in one that does not are
// no answer (404).
func (s *Server) projectAccess(c echo.Context) error {
	ctx, u, project := c.Request().Context(), caller(c), c.Param("project")
	if _, err := s.projects.Get(project); err != nil {
		return err
	}
	out := ProjectAccess{ManageMembers: true, Envs: map[string]EnvAccess{}}
	for _, env := range s.projects.Environments() {
		ns := names.Namespace(project, env.Name)
		a := EnvAccess{Actions: map[string]bool{}}
		allowed := map[identity.Action]bool{}
		for _, g := range identity.Actions {
			if g.Scope == identity.ScopeCluster {
				continue
			}
			ok, err := s.authz.Allowed(ctx, u, g.Action, ns)
			if err != nil {
				return apierror.Unavailable(5, "authorization is unavailable: %v", err)
			}
			if g.Scope == identity.ScopeProject {
				if g.Action == identity.ManageMembers {
					out.ManageMembers = out.ManageMembers && ok
				}
				continue
			}
			a.Actions[g.Name], allowed[g.Action] = ok, ok
		}
		a.Read = allowed[identity.ReadApps]
		a.Change = allowed[identity.Deploy] && allowed[identity.SetTraffic] && allowed[identity.Rollback]
		a.Delete, a.StartRuns, a.ChangeRuns = allowed[identity.DeleteApps], allowed[identity.StartRuns], allowed[identity.CancelRuns]
		out.Envs[env.Name] = a
	}
	return c.JSON(http.StatusOK, out)
}
