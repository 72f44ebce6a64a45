//go:build integration

package integration

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"

	"github.com/slipway-dev/slipway/internal/devstack"
	"github.com/slipway-dev/slipway/internal/testutil"
	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/revisions"
)

// BenchmarkMemory2000Apps: the resident memory of a platform-api process (cmd/platform-api,
// its own identity with the chart's RBAC) whose caches hold 2,000 apps with 5 revisions and
// 5 history entries each, while it answers a project's app list (every app with its
// revisions). The process is a follower (TestMain's platform-api holds the Lease), like a
// second replica; its informers are the leader's.
func BenchmarkMemory2000Apps(b *testing.B) {
	const apps, revs = 2000, 5
	ctx := context.Background()
	createProject(b, "mem")
	ns := names.Namespace("mem", "test")
	work := make(chan int)
	errs := make(chan error, apps)
	var wg sync.WaitGroup
	setup := time.Now()
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if err := createMemApp(ctx, ns, fmt.Sprintf("app%04d", i), revs); err != nil {
					errs <- err
				}
			}
		}()
	}
	for i := range apps {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	b.Logf("created %d Services and %d Revisions in %s", apps, apps*revs, time.Since(setup).Round(time.Second))

	proc := startPlatformProcess(b, nil)
	for b.Loop() {
		var list []struct {
			Name string
			Envs map[string]struct{ Revisions []any }
		}
		if code, body := callAt(b, proc.base, env.token, http.MethodGet, "/api/v1/projects/mem/apps", nil, &list); code != http.StatusOK || len(list) != apps ||
			len(list[0].Envs["test"].Revisions) != revs {
			b.Fatalf("GET apps = %d, %d apps: %.300s", code, len(list), body)
		}
	}
	rss, peak := procMemory(b, proc.cmd.Process.Pid)
	b.ReportMetric(rss, "rss-MB")
	b.ReportMetric(peak, "peak-rss-MB")
}

// platformProcess is cmd/platform-api running as its own process, as its own identity (the
// chart's RBAC), on the dev stack.
type platformProcess struct {
	base string
	cmd  *exec.Cmd
	logs *testutil.Buffer
}

// startPlatformProcess builds and starts cmd/platform-api with config/dev.yaml on a free
// port, edited by edit (nil: as it is), and waits until it is ready.
func startPlatformProcess(b *testing.B, edit func(config string) string) *platformProcess {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "platform-api")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/platform-api").CombinedOutput(); err != nil {
		b.Fatalf("building platform-api: %v\n%s", err, out)
	}
	port, err := testutil.FreePort()
	if err != nil {
		b.Fatal(err)
	}
	raw, err := os.ReadFile(repoPath("config/dev.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	cfg := strings.Replace(string(raw), "listen: 127.0.0.1:8080", "listen: 127.0.0.1:"+strconv.Itoa(port), 1)
	if edit != nil {
		cfg = edit(cfg)
	}
	cfgPath := filepath.Join(b.TempDir(), "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		b.Fatal(err)
	}
	p := &platformProcess{base: "http://127.0.0.1:" + strconv.Itoa(port), logs: &testutil.Buffer{},
		cmd: exec.Command(bin, "--config="+cfgPath, "--kubeconfig="+env.stack.KubeconfigFor(devstack.IdentityPlatformAPI))}
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = p.cmd.Process.Kill(); _ = p.cmd.Wait() })
	started := time.Now()
	eventually(b, 3*time.Minute, "platform-api ready (caches synced)", func() error {
		resp, err := http.Get(p.base + "/readyz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("readyz %d; log: %.500s", resp.StatusCode, p.logs.String())
		}
		return nil
	})
	b.Logf("platform-api ready in %s", time.Since(started).Round(time.Millisecond))
	return p
}

// createMemApp makes an app's Service (revision revs current, revs deploys in its history)
// and its revs Revisions, as Knative would have.
func createMemApp(ctx context.Context, ns, name string, revs int) error {
	app := revisions.App{Project: "mem", Name: name, Env: "test", Namespace: ns}
	for n := 1; n <= revs; n++ {
		rev := revisions.RevisionName(name, n)
		app.Template = revisions.Template{RevisionName: rev, Image: fmt.Sprintf("dev.local/mem/%s:v%d", name, n), DeployedBy: "bench", DeployedAt: time.Now(), Message: "release " + strconv.Itoa(n)}
		app.Traffic = []revisions.Target{{Revision: rev, Percent: 100}}
		app.History = append(app.History, revisions.HistoryEntry{Time: time.Now(), User: "bench", Action: revisions.ActionDeploy, Revision: rev,
			Image: app.Template.Image, Message: app.Template.Message, Traffic: app.Traffic})
	}
	svc := revisions.BuildService(app)
	if _, err := env.clients.Serving.ServingV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		return err
	}
	for n := 1; n <= revs; n++ {
		r := &servingv1.Revision{ObjectMeta: metav1.ObjectMeta{Name: revisions.RevisionName(name, n), Namespace: ns, Labels: map[string]string{
			"serving.knative.dev/service": name, names.LabelProject: "mem", names.LabelApp: name, names.LabelEnv: "test"}},
			Spec: svc.Spec.Template.Spec}
		if _, err := env.clients.Serving.ServingV1().Revisions(ns).Create(ctx, r, metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	return nil
}

// procMemory is a process's resident set and its peak, in MB (VmRSS, VmHWM).
func procMemory(b *testing.B, pid int) (rss, peak float64) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(fields[1], 64)
		switch fields[0] {
		case "VmRSS:":
			rss = kb / 1024
		case "VmHWM:":
			peak = kb / 1024
		}
	}
	if rss == 0 {
		b.Fatalf("no VmRSS in /proc/%d/status", pid)
	}
	return rss, peak
}
