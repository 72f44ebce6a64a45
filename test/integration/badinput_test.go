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
