package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/slipway-dev/slipway/pkg/apierror"
	"github.com/slipway-dev/slipway/pkg/apps"
	"github.com/slipway-dev/slipway/pkg/config"
	"github.com/slipway-dev/slipway/pkg/identity"
	"github.com/slipway-dev/slipway/pkg/pipelines"
)

// listTemplates shows the templates of the environments the caller may see.
func (s *Server) listTemplates(c echo.Context) error {
	project := c.Param("project")
	var envs []string
	for _, env := range s.platform.Environments() {
		ok, err := s.authz.Allowed(c.Request().Context(), caller(c), identity.ReadRuns, config.Namespace(project, env.Name))
		if err != nil {
			return apierror.Unavailable(5, "authorization is unavailable: %v", err)
		}
		if ok {
			envs = append(envs, env.Name)
		}
	}
	list, err := s.platform.ListTemplates(c.Request().Context(), project, envs)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list)
}

func (s *Server) getPipeline(c echo.Context) error {
	pl, err := s.platform.GetPipeline(c.Request().Context(), target(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, pl)
}

func (s *Server) putPipeline(c echo.Context) error {
	var req pipelines.Pipeline
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	pl, err := s.platform.PutPipeline(c.Request().Context(), target(c), req)
	if err != nil {
		return err
	}
	c.Set(auditAfterKey, fmt.Sprintf("pipeline from %s (branch %s), %d stages", pl.Repo, pl.Branch, len(pl.Stages)))
	return c.JSON(http.StatusOK, pl)
}

func (s *Server) getHook(c echo.Context) error {
	h, err := s.platform.GetHook(c.Request().Context(), target(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, h)
}

func (s *Server) rotateHook(c echo.Context) error {
	h, err := s.platform.RotateHook(c.Request().Context(), target(c))
	if err != nil {
		return err
	}
	c.Set(auditAfterKey, "hook "+h.URL+" has a new token and secret")
	return c.JSON(http.StatusOK, h)
}

func (s *Server) listRuns(c echo.Context) error {
	runs, err := s.platform.ListRuns(target(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, runs)
}

func (s *Server) startRun(c echo.Context) error {
	var req pipelines.RunRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	run, err := s.platform.StartRun(c.Request().Context(), caller(c).Name, target(c), req)
	if err != nil {
		return err
	}
	c.Set(auditAfterKey, "run "+run.Name+" of "+run.Revision)
	return c.JSON(http.StatusCreated, run)
}

func (s *Server) getRun(c echo.Context) error {
	run, err := s.platform.GetRun(c.Request().Context(), target(c), c.Param("run"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, run)
}

// runLogs streams a run as server-sent events until it ends or the client goes away.
func (s *Server) runLogs(c echo.Context) error {
	w := c.Response()
	opened := false
	err := s.platform.StreamRun(c.Request().Context(), target(c), c.Param("run"), func(ev apps.RunEvent) error {
		if !opened {
			opened = true
			w.Header().Set(echo.HeaderContentType, "text/event-stream")
			w.Header().Set(echo.HeaderCacheControl, "no-cache")
			w.Header().Set("X-Accel-Buffering", "no") // proxies must not hold events back
			w.WriteHeader(http.StatusOK)
		}
		if ev.Kind == apps.EventPing {
			// A comment: clients ignore it, proxies see traffic.
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil {
				return err
			}
			w.Flush()
			return nil
		}
		data, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.Kind, data); err != nil {
			return err
		}
		w.Flush()
		return nil
	})
	if opened {
		if err != nil && c.Request().Context().Err() == nil {
			s.log.Warn("run log stream ended early", "run", c.Param("run"), "err", err)
		}
		return nil // the response has begun; an error can no longer be a problem document
	}
	return err
}

func (s *Server) cancelRun(c echo.Context) error {
	run, err := s.platform.CancelRun(c.Request().Context(), target(c), c.Param("run"))
	if err != nil {
		return err
	}
	c.Set(auditAfterKey, "run "+run.Name+" stopped")
	return c.JSON(http.StatusOK, run)
}

func (s *Server) retryRun(c echo.Context) error {
	run, err := s.platform.RetryRun(c.Request().Context(), caller(c).Name, target(c), c.Param("run"))
	if err != nil {
		return err
	}
	c.Set(auditAfterKey, "run "+run.Name+" retries "+c.Param("run"))
	return c.JSON(http.StatusCreated, run)
}

func (s *Server) approveRun(c echo.Context) error {
	run, err := s.platform.ApproveRun(c.Request().Context(), caller(c).Name, target(c), c.Param("run"))
	if err != nil {
		return err
	}
	c.Set(auditAfterKey, "run "+run.Name+" approved")
	return c.JSON(http.StatusOK, run)
}

// maxHookBodyBytes bounds a hook delivery (a push of many commits is still far smaller).
const maxHookBodyBytes = 5 << 20

// HookPath is where Git hosts deliver pushes: POST /hooks/v1/{hookID}.
const HookPath = "/hooks/v1/:hook"

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
	run, err := s.platform.HookDelivery(c.Request().Context(), c.Param("hook"), c.Request())
	switch {
	case err == nil:
		return c.JSON(http.StatusAccepted, hookAccepted{Run: run.Name})
	case errors.Is(err, apps.ErrUnknownHook):
		return apierror.NotFound("no such hook")
	case errors.Is(err, pipelines.ErrNoCredentials), errors.Is(err, pipelines.ErrBadSignature):
		return apierror.Unauthorized(err.Error())
	case errors.Is(err, pipelines.ErrBadPayload):
		return apierror.BadRequest(err.Error())
	case errors.Is(err, pipelines.ErrNotPush), errors.Is(err, pipelines.ErrNotBranch):
		return &apierror.Error{Status: http.StatusUnprocessableEntity, Title: "Not a branch push", Detail: err.Error()}
	case errors.Is(err, apps.ErrWrongBranch):
		return apierror.Forbidden("%v", err)
	}
	return err
}
