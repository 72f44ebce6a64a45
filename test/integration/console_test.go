//go:build integration

package integration

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestConsole drives the web console in Debian's Chromium (playwright-core, headless) against
// this dev stack, served by the same in-process platform-api as every other test: log in,
// create a project, deploy, watch the revision turn Ready without a reload, canary 20%, edit
// the split, roll back, add a header rule, read history and manifests, set a pipeline with an
// approval gate (and see refused fields), start a run (it stays Pending: no Argo controller
// runs here) and cancel it, rotate the hook and see its one-time token, at 1280 and 390 px.
// The script is web/e2e/console.e2e.mjs; screenshots go to .dev/console-e2e/.
//
// It needs the console built into this test binary (`make console` before `go test`; `make
// test` does that) and skips, saying so, when it is not.
func TestConsole(t *testing.T) {
	if _, err := os.Stat(repoPath("web/dist/console/index.html")); err != nil {
		t.Skip("the console is not built (web/dist/console/index.html missing): run `make console`, or `make test`, which builds it first")
	}
	resp, err := http.Get(env.server.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), `<div id="root">`) {
		t.Fatalf("platform-api serves the placeholder, not the console: it was compiled before `make console` built web/dist/console; rebuild the test binary (go test -count=1)\n%.300s", page)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is needed for the browser test: ", err)
	}
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("no Chromium at %s (`make chromium` installs Debian's): %v", chromium, err)
	}
	if _, err := os.Stat(repoPath("web/node_modules/playwright-core")); err != nil {
		t.Fatalf("web/node_modules/playwright-core missing: run `make console` (npm ci): %v", err)
	}

	// Not dev-user: other tests count the projects dev-user sees.
	userToken, userName := serviceAccountToken(t, "console-user")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	start := time.Now()
	cmd := exec.CommandContext(ctx, node, repoPath("web/e2e/console.e2e.mjs"))
	cmd.Dir = repoPath("web")
	cmd.Env = append(os.Environ(),
		"SLIPWAY_URL="+env.server.URL,
		"SLIPWAY_TOKEN="+env.stack.AdminToken,
		"SLIPWAY_USER_TOKEN="+userToken,
		"SLIPWAY_USER_NAME="+userName,
		"SLIPWAY_ARTIFACTS="+repoPath(".dev/console-e2e"),
		"SLIPWAY_PROJECT=webui",
		"CHROMIUM="+chromium,
	)
	var out bytes.Buffer
	cmd.Stdout = io.MultiWriter(os.Stdout, &out)
	cmd.Stderr = io.MultiWriter(os.Stderr, &out)
	cmd.WaitDelay = 10 * time.Second
	err = cmd.Run()
	t.Logf("browser test took %s; screenshots in .dev/console-e2e/", time.Since(start).Round(time.Second))
	if err != nil {
		tail := out.String()
		if len(tail) > 4000 {
			tail = tail[len(tail)-4000:]
		}
		t.Fatalf("console.e2e.mjs: %v\n%s", err, tail)
	}
}
