//go:build integration

package integration

import (
	"io"
	"net/http"
	"testing"

	"github.com/slipway-dev/slipway/internal/apitest"
)

// TestBadInputs replays every mistake in apitest's table against platform-api on the real
// cluster: each is a 4xx problem naming the field, and none changes the app.
func TestBadInputs(t *testing.T) {
	createProject(t, "typo")
	base := appPath("typo", "web", "test")
	mustCall(t, http.StatusCreated, http.MethodPost, base+"/deployments", map[string]any{"image": "dev.local/typo/web:v1", "message": "only"}, nil)
	waitRevisionReady(t, "typo-test", "web-00001", "dev.local/typo/web:v1")

	cases := apitest.BadInputs("typo", "web")
	if len(cases) < 30 {
		t.Fatalf("only %d bad inputs", len(cases))
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			req := c.Request(env.server.URL)
			req.Header.Set("Authorization", "Bearer "+env.stack.AdminToken)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			c.Check(t, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		})
	}

	var history []map[string]any
	mustCall(t, http.StatusOK, http.MethodGet, base+"/history", nil, &history)
	if len(history) != 1 {
		t.Errorf("history has %d entries after only refused requests, want 1", len(history))
	}
	var revs []map[string]any
	mustCall(t, http.StatusOK, http.MethodGet, base+"/revisions", nil, &revs)
	if len(revs) != 1 {
		t.Errorf("%d revisions after only refused requests, want 1", len(revs))
	}
}

// TestBadInputsWalk walks every operation of the OpenAPI document (the Git hook endpoint's
// too) with hostile path segments, unknown names and hostile bodies against a platform-api on the
// real cluster, whose client refuses what the fake clientsets let through (a namespace such
// as "x%2Fy-test" is a 500 there). It has a platform-api of its own, whose rate limit the
// walk's thousands of requests cannot exhaust for the other tests.
func TestBadInputsWalk(t *testing.T) {
	createProject(t, "walk")
	base := appPath("walk", "web", "test")
	mustCall(t, http.StatusCreated, http.MethodPost, base+"/deployments", map[string]any{"image": "dev.local/walk/web:v1", "message": "only"}, nil)
	waitRevisionReady(t, "walk-test", "web-00001", "dev.local/walk/web:v1")

	cfg := *env.cfg
	cfg.Limits.PerUser.Rate, cfg.Limits.PerUser.Burst = 1e6, 1e6
	cfg.Limits.Hooks.Rate, cfg.Limits.Hooks.Burst = 1e6, 1e6
	platform := startPlatform(t, &cfg, env.platformClients)
	n := apitest.Walk{
		BaseURL: platform.URL, Token: env.stack.AdminToken,
		Valid: map[string]string{"project": "walk", "app": "web", "env": "test", "revision": "web-00001", "run": "web-run-abcde", "promotion": "web-20260101000000000-abcd",
			"hook": "0123456789abcdef0123456789abcdef"},
	}.Run(t)
	t.Log(n)
	if n.Operations < 30 || n.PathSegments < 2000 || n.Bodies < 100 {
		t.Errorf("the walk covered too little: %v", n)
	}

	var history []map[string]any
	mustCall(t, http.StatusOK, http.MethodGet, base+"/history", nil, &history)
	if len(history) != 1 {
		t.Errorf("history has %d entries after only refused requests, want 1", len(history))
	}
}
