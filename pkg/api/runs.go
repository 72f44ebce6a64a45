package api

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/slipway-dev/slipway/pkg/pipelines"
	"github.com/slipway-dev/slipway/pkg/pipelines/runs"
)

func (s *Server) listRuns(c echo.Context) error {
	runs, err := s.runs.List(c.Request().Context(), target(c))
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
	run, err := s.runs.Start(c.Request().Context(), caller(c).Name, target(c), req)
	if err != nil {
		return err
	}
	c.Set(auditAfterKey, "run "+run.Name+" of "+run.Revision)
	return c.JSON(http.StatusCreated, run)
}

func (s *Server) getRun(c echo.Context) error {
	run, err := s.runs.Get(c.Request().Context(), target(c), c.Param("run"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, run)
}

// runLogs streams a run as server-sent events until it ends or the client goes away.
func (s *Server) runLogs(c echo.Context) error {
	w := c.Response()
	opened := false
	err := s.runs.Stream(c.Request().Context(), target(c), c.Param("run"), func(ev runs.Event) error {
		if !opened {
			opened = true
			w.Header().Set(echo.HeaderContentType, "text/event-stream")
			w.Header().Set(echo.HeaderCacheControl, "no-cache")
			w.Header().Set("X-Accel-Buffering", "no") // proxies must not hold events back
			w.WriteHeader(http.StatusOK)
		}
		if ev.Kind == runs.EventPing {
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
	run, err := s.runs.Cancel(c.Request().Context(), target(c), c.Param("run"))
	if err != nil {
		return err
	}
	c.Set(auditAfterKey, "run "+run.Name+" stopped")
	return c.JSON(http.StatusOK, run)
}

func (s *Server) retryRun(c echo.Context) error {
	run, err := s.runs.Retry(c.Request().Context(), caller(c).Name, target(c), c.Param("run"))
	if err != nil {
		return err
	}
	c.Set(auditAfterKey, "run "+run.Name+" retries "+c.Param("run"))
	return c.JSON(http.StatusCreated, run)
}

func (s *Server) approveRun(c echo.Context) error {
	run, err := s.runs.Approve(c.Request().Context(), caller(c).Name, target(c), c.Param("run"))
	if err != nil {
		return err
	}
	c.Set(auditAfterKey, "run "+run.Name+" approved")
	return c.JSON(http.StatusOK, run)
}
