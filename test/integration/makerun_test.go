//go:build integration

package integration

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMakeRunLifecycle runs what `make run` runs (hack/devstack with bin/platform-api), checks
// the printed endpoints answer, sends Ctrl-C's SIGINT and requires that no process the stack
// started is left behind.
func TestMakeRunLifecycle(t *testing.T) {
	tmp := t.TempDir()
	devstackBin, platformAPIBin := filepath.Join(tmp, "devstack"), filepath.Join(tmp, "platform-api")
	for bin, pkg := range map[string]string{devstackBin: "./hack/devstack", platformAPIBin: "./cmd/platform-api"} {
		build := exec.Command("go", "build", "-o", bin, pkg)
		build.Dir = repoPath("")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("building %s: %v\n%s", pkg, err, out)
		}
	}
	stateDir := filepath.Join(tmp, "state")
	cmd := exec.Command(devstackBin, "-dir", stateDir, "-bin", repoPath("bin"),
		"-config", repoPath("config/dev.yaml"), "-platform-api", platformAPIBin, "-apiserver-port", "0")
	cmd.Dir = repoPath("")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	up := make(chan string, 1)
	go func() {
		var seen strings.Builder
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			seen.WriteString(sc.Text() + "\n")
			if strings.Contains(sc.Text(), "Press Ctrl-C") {
				up <- seen.String()
			}
		}
		close(up)
	}()
	var banner string
	select {
	case b, ok := <-up:
		if !ok {
			t.Fatal("devstack exited before it was up")
		}
		banner = b
	case <-time.After(3 * time.Minute):
		t.Fatal("devstack not up after 3 minutes")
	}
	for _, want := range []string{"http://127.0.0.1:8080", filepath.Join(stateDir, "kubeconfig"), filepath.Join(stateDir, "tokens/admin")} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner does not mention %s:\n%s", want, banner)
		}
	}
	// The token make run wrote is one the apiserver (and so platform-api) accepts.
	token, err := os.ReadFile(filepath.Join(stateDir, "tokens/admin"))
	if err != nil {
		t.Fatal(err)
	}
	for auth, want := range map[string]int{"": http.StatusUnauthorized, "Bearer " + strings.TrimSpace(string(token)): http.StatusOK} {
		req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1:8080/api/v1/environments", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("platform-api answered %s with token %v, want %d", resp.Status, auth != "", want)
		}
	}
	if before := processesUsing(stateDir); len(before) < 9 {
		t.Fatalf("expected every component running under %s, found %d: %v", stateDir, len(before), before)
	}

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("devstack exited with %v after SIGINT", err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("devstack still running 2 minutes after SIGINT")
	}
	if left := processesUsing(stateDir); len(left) > 0 {
		t.Fatalf("processes left behind after Ctrl-C: %v", left)
	}
}

// processesUsing lists live processes whose command line mentions dir.
func processesUsing(dir string) []string {
	var out []string
	pids, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range pids {
		raw, err := os.ReadFile(p)
		if err != nil || len(raw) == 0 {
			continue
		}
		cmdline := strings.ReplaceAll(string(raw), "\x00", " ")
		if strings.Contains(cmdline, dir) {
			stat, _ := os.ReadFile(strings.TrimSuffix(p, "cmdline") + "stat")
			if strings.Contains(string(stat), ") Z ") {
				continue // a zombie is already dead; its parent is the test itself
			}
			out = append(out, fmt.Sprintf("%s: %.80s", filepath.Base(filepath.Dir(p)), cmdline))
		}
	}
	return out
}
