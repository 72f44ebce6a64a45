//go:build integration

// Package integration runs Slipway against the real dev cluster: kube-apiserver with the real
// CRDs, Knative Serving's own controller, webhook and autoscaler, and kwok's simulated pods.
// platform-api runs in-process on an httptest server, wired exactly as cmd/platform-api does.
package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/slipway-dev/slipway/internal/devstack"
	"github.com/slipway-dev/slipway/internal/testutil"
	"github.com/slipway-dev/slipway/pkg/apps"
	"github.com/slipway-dev/slipway/pkg/client"
	"github.com/slipway-dev/slipway/pkg/config"
	"github.com/slipway-dev/slipway/pkg/kube"
	"github.com/slipway-dev/slipway/pkg/podmutator"
	"github.com/slipway-dev/slipway/pkg/projects"
	"github.com/slipway-dev/slipway/pkg/server"
)

var env struct {
	stack *devstack.Stack
	// clients are the tests' own hands: the break-glass identity.
	clients *kube.Clients
	// platformClients are platform-api's: its own identity with the chart's RBAC.
	platformClients *kube.Clients
	platform        *apps.Platform
	// cache is the in-process platform-api's informer cache.
	cache   *kube.Cache
	server  *httptest.Server
	cfg     *config.Config
	mutator devstack.PodMutator
	// token is the bearer token call sends: the cluster admin's unless a test swaps it.
	token string
	// api is the generated client on the same platform-api, as the cluster admin.
	api *client.ClientWithResponses
	// logs is everything the in-process platform-api and pod-mutator logged.
	logs testutil.Buffer
}

// The in-process pod-mutator renews its serving certificate every 30 s (valid
// 2 min, renewed 90 s before expiry), so every test that creates pods also runs
// across renewals.
const (
	testServerCertDuration = 2 * time.Minute
	testRenewBefore        = 90 * time.Second
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir, err := os.MkdirTemp("", "slipway-it-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	start := time.Now()
	cfg, err := config.Load(repoPath("config/dev.yaml"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	stack, err := devstack.Start(ctx, devstack.Options{Dir: dir, BinDir: repoPath("bin"), WithoutKnativeControllers: benchOnly(),
		Domains: cfg.Domains, Platform: cfg, ExtraWriters: chartWriters})
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the dev stack:", err)
		dumpLogs(dir)
		return 1
	}
	defer stack.Stop()
	fmt.Printf("dev stack up in %s\n", time.Since(start).Round(time.Millisecond))

	// The tests' own hands (break-glass: they damage and inspect Slipway's objects directly).
	clients, err := kube.NewClients(stack.Config, cfg.Breaker)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// platform-api runs as its own identity, with exactly the chart's RBAC.
	platformClients, err := kube.NewClients(stack.ConfigFor(devstack.IdentityPlatformAPI), cfg.Breaker)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// platform-api's log is kept, so tests can check what it says (and never says).
	var logOut io.Writer = &env.logs
	if os.Getenv("SLIPWAY_TEST_LOG") != "" {
		logOut = io.MultiWriter(&env.logs, os.Stderr)
	}
	log := slog.New(slog.NewJSONHandler(logOut, nil))
	srv, err := server.New(cfg, platformClients, log)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := srv.Start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	httpServer := httptest.NewServer(srv.Handler)
	defer httpServer.Close()
	mutator, err := startPodMutator(ctx, stack, cfg, log)
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the pod-mutator:", err)
		return 1
	}
	env.platformClients = platformClients
	env.stack, env.clients, env.platform, env.server, env.cfg, env.mutator = stack, clients, srv.Platform, httpServer, cfg, mutator
	env.token = stack.AdminToken
	if env.api, err = client.NewClientWithResponses(httpServer.URL, client.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+stack.AdminToken)
		return nil
	})); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	env.cache = srv.Cache

	code := m.Run()
	if code != 0 {
		dumpLogs(dir)
	}
	return code
}

// startPlatform runs another platform-api in-process (as after a restart, or with other
// settings) until the test ends; its log is printed when the test fails (what the
// reconcilers said explains an object that never came).
func startPlatform(t *testing.T, cfg *config.Config, clients *kube.Clients) *httptest.Server {
	t.Helper()
	var logs testutil.Buffer
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("platform-api's log:\n%s", logs.String())
		}
	})
	srv, err := server.New(cfg, clients, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(srv.Handler)
	t.Cleanup(api.Close)
	return api
}

// startPodMutator runs the pod-mutator in-process, as cmd/pod-mutator does,
// registered with the dev stack, and waits until it is ready.
func startPodMutator(ctx context.Context, stack *devstack.Stack, cfg *config.Config, log *slog.Logger) (devstack.PodMutator, error) {
	mutator, err := stack.SetUpPodMutator(ctx, podmutator.DefaultRegistration())
	if err != nil {
		return mutator, err
	}
	runErr := make(chan error, 1)
	go func() {
		runErr <- podmutator.Run(ctx, stack.ConfigFor(devstack.IdentityPodMutator), podmutator.Options{
			Registration: mutator.Registration, Logging: cfg.Logging,
			Host: "127.0.0.1", Port: int(mutator.Registration.Port), CertDir: mutator.CertDir,
			MetricsAddr: mutator.MetricsAddr(), HealthAddr: mutator.HealthAddr(),
			ServerCertDuration: testServerCertDuration, RenewBefore: testRenewBefore, RotationCheckEvery: time.Second,
			Logger: log,
		})
	}()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + mutator.HealthAddr() + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return mutator, nil
			}
		}
		select {
		case err := <-runErr:
			return mutator, fmt.Errorf("pod-mutator stopped: %v", err)
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return mutator, fmt.Errorf("pod-mutator not ready after 60s (last: %v)", err)
		}
	}
}

// benchOnly is true when only benchmarks run: they create thousands of objects that
// Knative's controllers need not reconcile.
func benchOnly() bool {
	for _, a := range os.Args {
		if a == "-test.run=^$" || a == "-test.run=NONE" {
			return true
		}
	}
	return false
}

func repoPath(rel string) string {
	p, _ := filepath.Abs(filepath.Join("..", "..", rel))
	return p
}

// dumpLogs prints the tail of each component's log to explain a failure.
func dumpLogs(dir string) {
	files, _ := filepath.Glob(filepath.Join(dir, "logs", "*.log"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if len(b) > 3000 {
			b = b[len(b)-3000:]
		}
		fmt.Fprintf(os.Stderr, "==== %s (tail)\n%s\n", filepath.Base(f), b)
	}
}

// call sends a JSON request to platform-api and decodes a JSON answer into out (if non-nil).
func call(t testing.TB, method, path string, body any, out any) (int, []byte) {
	t.Helper()
	return callAt(t, env.server.URL, env.token, method, path, body, out)
}

// callAt is call against the platform-api at base, with token.
func callAt(t testing.TB, base, token, method, path string, body any, out any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decoding %s: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode, raw
}

// mustCall is call that fails the test unless the status is want.
func mustCall(t testing.TB, want int, method, path string, body any, out any) {
	t.Helper()
	if got, raw := call(t, method, path, body, out); got != want {
		t.Fatalf("%s %s = %d, want %d: %s", method, path, got, want, raw)
	}
}

// eventually polls check until it passes or the timeout ends, then fails with its last error.
func eventually(t testing.TB, timeout time.Duration, what string, check func() error) {
	t.Helper()
	alive := func() error {
		if err := env.stack.Healthy(); err != nil {
			return fmt.Errorf("dev stack component died: %w", err)
		}
		return nil
	}
	if err := testutil.Poll(context.Background(), timeout, 250*time.Millisecond, alive, func(context.Context) error { return check() }); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func createProject(t testing.TB, name string) {
	t.Helper()
	mustCall(t, http.StatusCreated, http.MethodPost, "/api/v1/projects", map[string]string{"name": name}, nil)
	// The namespaces reach the cache asynchronously.
	eventually(t, 10*time.Second, "project in cache", func() error {
		var ps []projects.Project
		mustCall(t, http.StatusOK, http.MethodGet, "/api/v1/projects", nil, &ps)
		for _, p := range ps {
			if p.Name == name && len(p.Namespaces) == 2 {
				return nil
			}
		}
		return fmt.Errorf("project %s not listed", name)
	})
}

func appPath(project, app, envName string) string {
	return fmt.Sprintf("/api/v1/projects/%s/apps/%s/envs/%s", project, app, envName)
}
