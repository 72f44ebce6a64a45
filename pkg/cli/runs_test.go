package cli_test

import (
	"strings"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	"github.com/slipway-dev/slipway/internal/apitest"
	"github.com/slipway-dev/slipway/pkg/cli"
)

// seedRun writes a run of hello as Argo's controller would leave it: clone, build, an
// approval gate and deploy, with pods (whose logs the fake clientset answers "fake logs")
// for clone and deploy, and the run in the given phase; a Running run waits at the gate.
func (w *world) seedRun(name string, phase wfv1.WorkflowPhase) {
	w.t.Helper()
	w.platform.SeedRun(w.t, name, phase, time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC))
	// The platform lists runs from its cache (describe may read one live): wait for the list.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if r := w.do("run", "list", "hello", "-o", "name"); r.code == 0 && strings.Contains(r.stdout, name) {
			return
		}
	}
	w.t.Fatalf("run %s never reached the caches", name)
}

func TestRuns(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.seedRun("hello-run-abcde", wfv1.WorkflowSucceeded)
	w.check("run-logs", cli.ExitOK,
		w.do("run", "logs", "hello", "hello-run-abcde", "-f"),
		w.do("run", "logs", "hello", "hello-run-abcde", "-o", "json"),
		w.do("run", "list", "hello"),
		w.do("run", "describe", "hello", "hello-run-abcde"),
	)
	w.seedRun("hello-run-fghij", wfv1.WorkflowFailed)
	w.check("run-logs-failed", cli.ExitError, w.do("run", "logs", "hello", "hello-run-fghij", "-f"))
	w.check("run-not-found", cli.ExitNotFound, w.do("run", "logs", "hello", "nope"))
}

func TestPipelines(t *testing.T) {
	t.Parallel()
	w := newWorldWith(t, apitest.PlatformOptions{Pipelines: true})
	file := w.writeFile("pipeline.yaml", `repo: https://git.example/demo/hello
branch: release
stages:
- name: smoke
  at: after-deploy
  template:
    name: smoke
    container:
      image: dev.local/tools/curl:v1
      command: [curl, -f, http://hello.demo-test.svc]
`)
	w.check("pipeline", cli.ExitOK,
		w.do("pipeline", "set", "hello", "--repo", "https://git.example/demo/hello", "--gate", "approve=before-deploy"),
		w.do("pipeline", "set", "hello", "-f", file),
		w.do("pipeline", "show", "hello", "-o", "yaml"),
		w.do("pipeline", "templates", "-o", "name"),
	)
	w.check("pipeline-invalid", cli.ExitUsage,
		w.do("pipeline", "set", "hello", "--repo", "http://git.example/demo/hello", "--gate", "approve=sometime"),
		w.do("pipeline", "set", "hello", "-f", file, "--branch", "main"),
	)

	w.check("hook-none", cli.ExitNotFound, w.do("hook", "show", "hello"))
	r := w.do("hook", "rotate", "hello")
	if r.code != 0 || !strings.Contains(r.stdout, "URL:      "+w.srv.URL+"/hooks/v1/") || !strings.Contains(r.stdout, "Token:    slw_") ||
		!strings.Contains(r.stderr, "shown this once") {
		t.Errorf("hook rotate: %+v", r)
	}
	if r := w.do("hook", "show", "hello"); r.code != 0 || strings.Contains(r.stdout, "slw_") {
		t.Errorf("hook show: %+v", r)
	}

	// Argo's fake clientset leaves a Workflow's generateName unresolved, so the new run has
	// no name to wait for here; the request is what is checked.
	w.got()
	if r := w.do("run", "start", "hello", "--commit", "0123456789abcdef0123456789abcdef01234567"); r.code != 0 {
		t.Fatalf("run start: %+v", r)
	}
	if reqs := w.got(); len(reqs) != 1 || reqs[0].body != `{"commit":"0123456789abcdef0123456789abcdef01234567"}` {
		t.Errorf("run start sent %+v", reqs)
	}
	// No Argo controller runs: once approved, the run stays where it was, and a wait for
	// it times out (without taking the gate just passed for a reason to stop).
	w.seedRun("hello-run-gated", wfv1.WorkflowRunning)
	w.check("run-wait", cli.ExitTimeout, w.do("run", "approve", "hello", "hello-run-gated", "--wait", "--wait-timeout", "200ms", "-o", "name"))
}
