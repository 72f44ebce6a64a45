//go:build integration

package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slipway-dev/slipway/pkg/cli"
	"github.com/slipway-dev/slipway/pkg/client"
)

// slipwayCLI runs the CLI in process, as bin/slipway would, with its own config file.
type slipwayCLI struct {
	t      *testing.T
	config string
}

type cliResult struct {
	code        int
	out, errOut string
}

func (s slipwayCLI) run(args ...string) cliResult {
	s.t.Helper()
	var out, errOut bytes.Buffer
	env := map[string]string{"SLIPWAY_CONFIG": s.config, "HOME": filepath.Dir(s.config), "NO_COLOR": "1"}
	code := cli.Main(context.Background(), args, cli.IO{Out: &out, Err: &errOut, Getenv: func(k string) string { return env[k] }})
	return cliResult{code, out.String(), errOut.String()}
}

// ok runs a command that must succeed and returns its standard output.
func (s slipwayCLI) ok(args ...string) string {
	s.t.Helper()
	r := s.run(args...)
	if r.code != 0 {
		s.t.Fatalf("slipway %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.out, r.errOut)
	}
	return r.out
}

// TestCLIWalkthrough is the README's walkthrough with the CLI on the dev stack: login from the
// stack's kubeconfig, a project, a deploy that waits until Ready, a canary, a header rule, a
// traffic split that keeps the rule, a rollback, the history as JSON, and the exit codes of a
// 404 and a 422.
func TestCLIWalkthrough(t *testing.T) {
	s := slipwayCLI{t: t, config: filepath.Join(t.TempDir(), "config.yaml")}

	if out := s.ok("login", "--server", env.server.URL, "--from-kubeconfig", env.stack.Kubeconfig); !strings.Contains(out, "admin") {
		t.Errorf("login printed %q, want the identity (admin)", out)
	}
	cfg, err := os.ReadFile(s.config)
	if err != nil || !strings.Contains(string(cfg), env.server.URL) || strings.Contains(string(cfg), env.token) {
		t.Fatalf("config file (err %v) must name the server and reference a token file, never hold the token:\n%s", err, cfg)
	}

	s.ok("project", "create", "cliwalk")
	eventually(t, 10*time.Second, "project cliwalk listed", func() error {
		if out := s.ok("project", "list", "-o", "name"); !slices.Contains(strings.Fields(out), "cliwalk") {
			return fmt.Errorf("project list: %q", out)
		}
		return nil
	})
	in := []string{"-p", "cliwalk", "--environment", "test"}
	app := func(args ...string) string { return s.ok(append(args, in...)...) }

	// deploy waits until the revision is Ready and serves its traffic.
	app("deploy", "hello", "--image", "dev.local/walk/hello:v1", "--message", "first release")
	var status client.AppStatus
	decode(t, app("app", "describe", "hello", "-o", "json"), &status)
	if !status.Ready || status.LatestReadyRevision != "hello-00001" || served(status) != "hello-00001=100" {
		t.Fatalf("after deploy --wait: ready %v, latest ready %q, served %s", status.Ready, status.LatestReadyRevision, served(status))
	}

	app("deploy", "hello", "--image", "dev.local/walk/hello:v2", "--canary", "10", "--message", "v2 for 10%")
	decode(t, app("app", "describe", "hello", "-o", "json"), &status)
	if served(status) != "hello-00001=90,hello-00002=10" {
		t.Fatalf("after the canary: served %s", served(status))
	}
	if got := strings.Fields(app("revision", "list", "hello", "-o", "name")); !slices.Equal(got, []string{"hello-00001", "hello-00002"}) {
		t.Errorf("revision list -o name = %v", got)
	}

	app("rule", "add", "hello", "--header", "x-user-group=beta", "--revision", "hello-00002")
	var listed client.TrafficResult
	decode(t, app("rule", "list", "hello", "-o", "json"), &listed)
	if rules := listed.Rules; len(rules) != 1 || rules[0].Revision != "hello-00002" || rules[0].Match.Headers["x-user-group"].Exact != "beta" {
		t.Fatalf("rule list = %+v", rules)
	}

	// traffic set reads the rules and keeps them (If-Match on what it read).
	app("traffic", "set", "hello", "hello-00001=50", "hello-00002=50", "--tag", "hello-00002=next")
	traffic := getTraffic(t, "cliwalk", "hello", "test")
	if len(traffic.Rules) != 1 || trafficSummary(traffic.Traffic) != "hello-00001=50,hello-00002=50(next)" {
		t.Errorf("after traffic set: %s, %d rules", trafficSummary(traffic.Traffic), len(traffic.Rules))
	}
	app("rule", "rm", "hello", "0")

	app("rollback", "hello", "hello-00001", "--message", "v2 is slow")
	decode(t, app("app", "describe", "hello", "-o", "json"), &status)
	if served(status) != "hello-00001=100" {
		t.Errorf("after rollback --wait: served %s", served(status))
	}

	var history []client.HistoryEntry
	decode(t, app("history", "hello", "-o", "json"), &history)
	var actions []string
	for _, h := range history {
		actions = append(actions, h.Action)
	}
	if want := []string{"deploy", "deploy", "traffic", "traffic", "traffic", "rollback"}; !slices.Equal(actions, want) {
		t.Errorf("history actions = %v, want %v", actions, want)
	}
	if out := app("manifests", "hello"); !strings.Contains(out, "kind: Service") || !strings.Contains(out, "name: hello") {
		t.Errorf("manifests:\n%s", out)
	}

	// Exit codes a script acts on: 3 for a 404, 2 for a 422 with each field error on a line.
	if r := s.run(append([]string{"app", "describe", "ghost"}, in...)...); r.code != 3 || !strings.Contains(r.errOut, "Not found") {
		t.Errorf("describe ghost: exit %d, stderr %q; want 3 and the problem's title", r.code, r.errOut)
	}
	// (In test: prod is reached only by promotion; TestCLIPromotion takes that path.)
	r := s.run(append([]string{"deploy", "hello", "--image", "dev.local/walk/hello:v3", "--min-scale=-1"}, in...)...)
	if r.code != 2 || !strings.Contains(r.errOut, "scaling.minScale") {
		t.Errorf("deploy minScale -1: exit %d, stderr %q; want 2 naming scaling.minScale", r.code, r.errOut)
	}
}

// TestCLIPromotion is the path to production from the terminal: promote test's release to
// prod, the requester's own approval refused by rule (exit 7), a colleague's approval
// deploying it, the diff and the releases.
func TestCLIPromotion(t *testing.T) {
	// Each user's CLI has a home of its own (a login keeps its token file there).
	requester := slipwayCLI{t: t, config: filepath.Join(t.TempDir(), "config.yaml")}
	requester.ok("login", "--server", env.server.URL, "--from-kubeconfig", env.stack.Kubeconfig)
	requester.ok("project", "create", "clipromo")
	token, user := serviceAccountToken(t, "cli-approver")
	tokenFile := filepath.Join(t.TempDir(), "approver-token")
	if err := os.WriteFile(tokenFile, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	colleague := slipwayCLI{t: t, config: filepath.Join(t.TempDir(), "config.yaml")}
	colleague.ok("login", "--server", env.server.URL, "--token-file", tokenFile)
	in := []string{"-p", "clipromo", "--environment", "test"}
	eventually(t, 10*time.Second, "project clipromo in the cache", func() error {
		if r := requester.run(append([]string{"member", "add", user, "--role", "developer"}, in...)...); r.code != 0 {
			return fmt.Errorf("member add: exit %d: %s", r.code, r.errOut)
		}
		return nil
	})
	requester.ok(append([]string{"deploy", "hello", "--image", "dev.local/clipromo/hello:v1"}, in...)...)

	var p client.Promotion
	decode(t, requester.ok(append([]string{"promote", "hello", "--to", "prod", "--message", "v1 to prod", "-o", "json"}, in...)...), &p)
	if p.State != "pending" || p.Revision != "hello-00001" {
		t.Fatalf("promote: %+v, want pending for hello-00001", p)
	}
	if r := requester.run(append([]string{"promotion", "approve", "hello", p.Id}, in...)...); r.code != 7 || !strings.Contains(r.errOut, "selfApproval") {
		t.Errorf("self-approval: exit %d, stderr %q; want 7 naming the rule selfApproval", r.code, r.errOut)
	}
	eventually(t, 20*time.Second, "the colleague's role reaches the authorizer", func() error {
		if r := colleague.run(append([]string{"promotion", "approve", "hello", p.Id, "--message", "ok"}, in...)...); r.code != 0 {
			return fmt.Errorf("approve: exit %d: %s", r.code, r.errOut)
		}
		return nil
	})
	decode(t, requester.ok(append([]string{"promotion", "describe", "hello", p.Id, "-o", "json"}, in...)...), &p)
	if p.State != "deployed" || p.DeployedRevision != "hello-00001" {
		t.Fatalf("after the approval: %+v, want deployed as prod's hello-00001", p)
	}
	if out := requester.ok(append([]string{"promotion", "list", "hello", "--state", "deployed"}, in...)...); !strings.Contains(out, p.Id) {
		t.Errorf("promotion list --state deployed:\n%s\nlacks %s", out, p.Id)
	}
	waitRevisionReady(t, "clipromo-prod", "hello-00001", "dev.local/clipromo/hello:v1")
	if out := requester.ok(append([]string{"diff", "hello", "--from", "test", "--to", "prod"}, in...)...); strings.Contains(out, "image") {
		t.Errorf("diff after the promotion shows the image:\n%s", out)
	}
	if out := requester.ok(append([]string{"release", "list", "hello"}, in...)...); !strings.Contains(out, p.Release) || !strings.Contains(out, "prod") {
		t.Errorf("release list:\n%s\nlacks %s serving in prod", out, p.Release)
	}
}

func decode(t *testing.T, out string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("decoding %q: %v", out, err)
	}
}

// served is the split Knative's Route reports, as "rev=percent,…" (targets with traffic only:
// a tag keeps its revision at 0%).
func served(s client.AppStatus) string {
	var parts []string
	for _, t := range s.ServedTraffic {
		if t.Percent > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", t.Revision, t.Percent))
		}
	}
	return strings.Join(parts, ",")
}

func trafficSummary(targets []client.Target) string {
	var parts []string
	for _, t := range targets {
		p := fmt.Sprintf("%s=%d", t.Revision, t.Percent)
		if t.Percent == 0 {
			continue // a rule's revision, reached by its tag only
		}
		if t.Tag != "" {
			p += "(" + t.Tag + ")"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ",")
}

// getTraffic reads an app's traffic with the generated client.
func getTraffic(t *testing.T, project, app, envName string) client.TrafficResult {
	t.Helper()
	res, err := env.api.GetTrafficWithResponse(context.Background(), project, app, envName)
	if err != nil {
		t.Fatal(err)
	}
	if res.JSON200 == nil {
		t.Fatalf("getTraffic = %d: %s", res.StatusCode(), res.Body)
	}
	return *res.JSON200
}
