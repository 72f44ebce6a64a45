package cli_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipway-dev/slipway/internal/apitest"
	"github.com/slipway-dev/slipway/internal/golden"
	"github.com/slipway-dev/slipway/pkg/cli"
	"github.com/slipway-dev/slipway/pkg/names"
)

func TestHelp(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.run("--help")
	w.check("help", cli.ExitOK, r)
	if !strings.Contains(r.stdout, "7  refused by policy") {
		t.Errorf("--help does not document the exit codes")
	}
	w.check("usage-errors", cli.ExitUsage,
		w.run("bogus"),
		w.run("app", "bogus"),
		w.run("app", "describe"),
		w.run("deploy", "hello", "--image", "x", "--nope"),
		w.do("deploy", "hello", "--image", "dev.local/x:v1", "--canary", "10", "--header", "x-user-group=beta"),
		w.do("deploy", "hello"),
		w.do("traffic", "set", "hello", "hello-00001"),
		w.do("app", "list", "-o", "xml"),
		w.run("--server", w.srv.URL, "--token-file", w.tester, "app", "describe", "hello"),
	)
}

func TestAppViews(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	var runs []result
	for _, o := range []string{"table", "json", "yaml", "name"} {
		runs = append(runs, w.do("app", "list", "-o", o))
	}
	w.check("app-list", cli.ExitOK, runs...)
	runs = nil
	for _, o := range []string{"table", "json", "yaml", "name"} {
		runs = append(runs, w.do("app", "describe", "hello", "-o", o))
	}
	w.check("app-describe", cli.ExitOK, runs...)
}

func TestReadViews(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.check("revisions", cli.ExitOK,
		w.do("revision", "list", "hello"),
		w.do("revision", "list", "hello", "-o", "name"),
		w.do("revision", "describe", "hello", "hello-00002"),
	)
	w.check("history", cli.ExitOK,
		w.do("history", "hello"),
		w.do("history", "hello", "-o", "json"),
	)
	w.check("traffic-show", cli.ExitOK,
		w.do("traffic", "show", "hello"),
		w.do("manifests", "hello"),
	)
	w.check("platform", cli.ExitOK,
		w.do("project", "list"),
		w.do("project", "access"),
		w.as(w.viewer, "project", "access", "demo"),
		w.do("environment", "list"),
		w.do("whoami"),
		w.do("logging", "filebeat"),
	)
	for _, r := range w.got() {
		if ua := r.header.Get("User-Agent"); !strings.HasPrefix(ua, "slipway/") {
			t.Errorf("%s %s: User-Agent %q", r.method, r.path, ua)
		}
	}
}

// traffic set reads the split with its version and writes it back with If-Match; the rules
// stay as they were.
func TestTrafficSet(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.do("rule", "add", "hello", "--header", "x-user-group=beta", "--revision", "hello-00002", "--async")
	w.got()
	r := w.do("traffic", "set", "hello", "hello-00001=90", "hello-00002=10", "--tag", "hello-00002=next", "--message", "10% to v2", "--async")
	w.check("traffic-set", cli.ExitOK, r)
	reqs := w.got()
	if len(reqs) != 2 || reqs[0].method != http.MethodGet || reqs[1].method != http.MethodPut {
		t.Fatalf("requests: %+v", reqs)
	}
	if reqs[0].etag == "" || reqs[1].header.Get("If-Match") != reqs[0].etag {
		t.Errorf("PUT If-Match %q, the GET's ETag %q", reqs[1].header.Get("If-Match"), reqs[0].etag)
	}
	var body struct {
		Rules []json.RawMessage `json:"rules"`
	}
	if err := json.Unmarshal([]byte(reqs[1].body), &body); err != nil || len(body.Rules) != 1 {
		t.Errorf("PUT body %s: the rule was not kept", reqs[1].body)
	}
}

func TestRules(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.check("rules", cli.ExitOK,
		w.do("rule", "add", "hello", "--header", "X-User-Group=beta", "--revision", "hello-00002", "--async"),
		w.do("rule", "add", "hello", "--lane", "feature-x", "--revision", "hello-00001", "--message", "lane", "--async"),
		w.do("rule", "list", "hello"),
		w.do("rule", "rm", "hello", "0", "--async"),
		w.do("rule", "list", "hello", "-o", "name"),
	)
	w.check("rule-rm-missing", cli.ExitNotFound, w.do("rule", "rm", "hello", "5", "--async"))
}

// A change between traffic set's read and its write is refused (412), not overwritten.
func TestTrafficConflict(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	path := "/api/v1/projects/demo/apps/hello/envs/test/traffic"
	changed := false
	w.before = func(r *http.Request) {
		if r.Method != http.MethodPut || changed {
			return
		}
		changed = true
		// Someone else's write, unconditional, just before ours arrives.
		other := httptest.NewRequest(http.MethodPut, path, strings.NewReader(`{"targets":[{"revision":"hello-00001","percent":100}],"rules":[{"lane":"other","revision":"hello-00001"}]}`))
		other.Header.Set("Authorization", "Bearer "+apitest.TesterToken)
		other.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		w.platform.Echo.ServeHTTP(rec, other)
		if rec.Code != http.StatusOK {
			t.Errorf("the other write: %d %s", rec.Code, rec.Body)
		}
		// The fake clientset's apply does not check resourceVersions, so the platform sees
		// the change only once its caches have it.
		w.settle(path, rec.Header().Get("ETag"))
	}
	w.check("traffic-conflict", cli.ExitConflict, w.do("traffic", "set", "hello", "hello-00001=50", "hello-00002=50", "--async"))
	svc, err := w.platform.Serving.ServingV1().Services(apitest.TestNS).Get(context.Background(), apitest.App, metav1.GetOptions{})
	if err != nil || !strings.Contains(svc.Annotations[names.AnnoRoutingRules], "other") {
		t.Errorf("the other writer's rule is gone (err %v)", err)
	}
}

func TestRollbackAsync(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.check("rollback", cli.ExitOK, w.do("rollback", "hello", "hello-00001", "--message", "v2 is slow", "--async"))
	reqs := w.got()
	if len(reqs) != 1 || reqs[0].body != `{"message":"v2 is slow","revision":"hello-00001"}` {
		t.Errorf("requests: %+v", reqs)
	}
}

// deploy turns its flags into the request body, and the platform into the next revision's
// template.
func TestDeployAsync(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.do("deploy", "hello", "--image", "dev.local/hello:v3", "--env", "LOG_LEVEL=debug", "--env", "GREETING=a=b",
		"--port", "9000", "--min-scale", "0", "--max-scale", "3", "--concurrency-target", "50", "--cpu", "100m", "--memory", "128Mi",
		"--log-path", "/app/logs", "--canary", "10", "--message", "v3 for 10%", "--async")
	w.check("deploy", cli.ExitOK, r)
	reqs := w.got()
	if len(reqs) != 1 {
		t.Fatalf("requests: %+v", reqs)
	}
	var pretty map[string]any
	if err := json.Unmarshal([]byte(reqs[0].body), &pretty); err != nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent(pretty, "", "  ")
	w.checkBytes("deploy-request.json", append(b, '\n'))

	svc, err := w.platform.Serving.ServingV1().Services(apitest.TestNS).Get(context.Background(), apitest.App, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tmpl := svc.Spec.Template
	c := tmpl.Spec.Containers[0]
	if tmpl.Name != "hello-00003" || c.Image != "dev.local/hello:v3" || len(c.Env) != 2 || c.Env[1].Value != "a=b" ||
		c.Resources.Requests.Cpu().String() != "100m" || tmpl.Annotations["autoscaling.knative.dev/max-scale"] != "3" {
		t.Errorf("template: %s %s %+v %v %v", tmpl.Name, c.Image, c.Env, c.Resources.Requests, tmpl.Annotations)
	}
	if n := len(svc.Spec.Traffic); n != 2 || *svc.Spec.Traffic[1].Percent != 10 {
		t.Errorf("traffic: %+v", svc.Spec.Traffic)
	}
}

// The fake clientsets run no Knative controller: a deploy that waits never sees its
// revision Ready, and times out (exit 6) without a progress line, stderr being no terminal.
func TestDeployWaitTimesOut(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.do("deploy", "hello", "--image", "dev.local/hello:v3", "--wait-timeout", "400ms", "-o", "name")
	w.check("deploy-timeout", cli.ExitTimeout, r)
}

func TestProblems(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.check("not-found", cli.ExitNotFound, w.do("app", "describe", "nosuch"))
	w.check("invalid", cli.ExitUsage, w.do("deploy", "hello", "--image", "", "--min-scale", "-1", "--env", "PORT=1"))
	w.check("forbidden", cli.ExitAuth, w.as(w.viewer, "deploy", "hello", "--image", "dev.local/hello:v3"))
	w.check("conflict", cli.ExitConflict, w.do("run", "start", "hello", "--branch", "main"))
	bad := w.writeFile("bad-token", "nobody\n")
	w.check("unauthenticated", cli.ExitAuth, w.as(bad, "app", "list"), w.run("app", "list"))
}

func TestLogin(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.check("login-token-file", cli.ExitOK,
		w.run("login", "--server", w.srv.URL, "--token-file", w.tester, "-p", "demo", "-e", "test"),
		w.run("app", "list", "-o", "name"),
		w.run("context", "list"),
	)
	cfgFile := filepath.Join(w.home, ".config", "slipway", "config.yaml")
	cfg, err := os.ReadFile(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	w.checkBytes("login-config.yaml", []byte(w.scrub(string(cfg))))
	tokenFile := filepath.Join(w.home, ".config", "slipway", "tokens", "default")
	if fi, err := os.Stat(tokenFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("token file: %v %v", fi, err)
	}

	// A kubeconfig with a user's token, and another user's tokenFile relative to it.
	kdir := filepath.Join(w.home, "kube")
	if err := os.Mkdir(kdir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(kdir, "viewer.token"), []byte(apitest.ViewerToken), 0o600); err != nil {
		t.Fatal(err)
	}
	kubeconfig := filepath.Join(kdir, "kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte(`apiVersion: v1
kind: Config
current-context: admin
clusters:
- name: dev
  cluster: {server: https://127.0.0.1:6443}
users:
- name: admin
  user: {token: `+apitest.TesterToken+`}
- name: viewer
  user: {tokenFile: viewer.token}
- name: cert
  user: {client-certificate-data: Zm9v}
contexts:
- name: admin
  context: {cluster: dev, user: admin}
- name: viewer
  context: {cluster: dev, user: viewer}
- name: cert
  context: {cluster: dev, user: cert}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	w.check("login-kubeconfig", cli.ExitOK,
		w.run("login", "--context", "viewer", "--server", w.srv.URL, "--from-kubeconfig", kubeconfig, "--kube-context", "viewer"),
		w.run("context", "list"),
		w.run("context", "use", "default"),
		w.run("--context", "viewer", "context", "set-project", "demo"),
		w.run("--context", "viewer", "context", "set-environment", "test"),
		w.run("context", "list", "-o", "name"),
		w.run("--context", "viewer", "app", "list", "-o", "name"),
	)
	w.check("login-kubeconfig-refused", cli.ExitError,
		w.run("login", "--context", "cert", "--server", w.srv.URL, "--from-kubeconfig", kubeconfig, "--kube-context", "cert"))
	w.check("login-bad-token", cli.ExitAuth,
		w.run("login", "--context", "bad", "--server", w.srv.URL, "--token-file", w.writeFile("bad", "nobody")))
	w.check("context-unknown", cli.ExitUsage, w.run("context", "use", "nosuch"), w.run("--context", "nosuch", "app", "list"))

	// SLIPWAY_CONFIG moves the file; XDG_CONFIG_HOME is the default's directory.
	elsewhere := filepath.Join(t.TempDir(), "slipway.yaml")
	if r := w.runWith(cli.IO{}, env{"SLIPWAY_CONFIG": elsewhere}, "login", "--server", w.srv.URL, "--token-file", w.tester); r.code != 0 {
		t.Fatalf("login with SLIPWAY_CONFIG: %+v", r)
	}
	if _, err := os.Stat(elsewhere); err != nil {
		t.Errorf("SLIPWAY_CONFIG: %v", err)
	}
	xdg := t.TempDir()
	if r := w.runWith(cli.IO{}, env{"XDG_CONFIG_HOME": xdg}, "login", "--server", w.srv.URL, "--token-file", w.tester); r.code != 0 {
		t.Fatalf("login with XDG_CONFIG_HOME: %+v", r)
	}
	if _, err := os.Stat(filepath.Join(xdg, "slipway", "config.yaml")); err != nil {
		t.Errorf("XDG_CONFIG_HOME: %v", err)
	}
}

// Colour is for terminals, and never with NO_COLOR.
func TestColour(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	tty := cli.IO{OutTerminal: true, ErrTerminal: true}
	args := append(w.flags(w.tester), "revision", "list", "hello")
	missing := append(w.flags(w.tester), "app", "describe", "nosuch")
	for _, tc := range []struct {
		name   string
		io     cli.IO
		env    env
		colour bool
	}{
		{"terminal", tty, nil, true},
		{"NO_COLOR", tty, env{"NO_COLOR": "1"}, false},
		{"pipe", cli.IO{}, nil, false},
	} {
		out := w.runWith(tc.io, tc.env, args...)
		errOut := w.runWith(tc.io, tc.env, missing...)
		if got := strings.Contains(out.stdout, "\x1b[") || strings.Contains(errOut.stderr, "\x1b["); got != tc.colour {
			t.Errorf("%s: colour %v, want %v:\n%q\n%q", tc.name, got, tc.colour, out.stdout, errOut.stderr)
		}
		if tc.colour && !strings.Contains(out.stdout, "\x1b[1mNAME") {
			t.Errorf("%s: the header is not bold: %q", tc.name, out.stdout)
		}
	}
}

func TestAudit(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.do("rollback", "hello", "hello-00001", "--async")
	w.got()
	// Without -p and -e given, the context's (here: none) do not filter.
	r := w.run("--server", w.srv.URL, "--token-file", w.tester, "audit", "--user", "tester", "--app", "hello", "--action", "rollback", "--since", "1h", "--limit", "5", "-o", "name")
	if r.code != 0 {
		t.Fatalf("audit: %+v", r)
	}
	reqs := w.got()
	if len(reqs) != 1 {
		t.Fatalf("requests: %+v", reqs)
	}
	if q, err := url.ParseQuery(reqs[0].query); err != nil || q.Encode() != "action=rollback&app=hello&limit=5&since=2026-02-03T03%3A05%3A06Z&user=tester" {
		t.Errorf("query %q (%v)", reqs[0].query, err)
	}
	w.check("audit-invalid", cli.ExitUsage, w.do("audit", "--since", "yesterday"), w.do("audit", "--limit", "0"))
}

func TestVersion(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.run("version", "-o", "name")
	if r.code != 0 || strings.TrimSpace(r.stdout) == "" {
		t.Errorf("version: %+v", r)
	}
	if r := w.run("completion", "bash"); r.code != 0 || !strings.Contains(r.stdout, "bash completion") {
		t.Errorf("completion bash: exit %d", r.code)
	}
}

func (w *world) checkBytes(name string, b []byte) {
	w.t.Helper()
	golden.Check(w.t, filepath.Join("testdata", name), b)
}
