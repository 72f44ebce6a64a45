//go:build integration

package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"

	"github.com/slipway-dev/slipway/internal/devstack"
	"github.com/slipway-dev/slipway/internal/testutil"
	"github.com/slipway-dev/slipway/pkg/kube"
	"github.com/slipway-dev/slipway/pkg/names"
)

// faultStack is a dev stack of the fault tests' own: stopping its apiserver disturbs no other
// test, and no other platform-api reconciles its objects, so what converges is the process
// under test. Knative's controllers do not run on it (Revisions are written by hand); its
// webhook admits every write, as on the shared stack.
type faultStack struct {
	stack             *devstack.Stack
	hands, platform   *kube.Clients
	adminToken, token string
}

func startFaultStack(t *testing.T) *faultStack {
	t.Helper()
	stack, err := devstack.Start(context.Background(), devstack.Options{Dir: t.TempDir(), BinDir: repoPath("bin"),
		WithoutKnativeControllers: true, Domains: env.cfg.Domains, Platform: env.cfg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stack.Stop)
	hands, err := kube.NewClients(stack.Config, env.cfg.Breaker)
	if err != nil {
		t.Fatal(err)
	}
	platform, err := kube.NewClients(stack.ConfigFor(devstack.IdentityPlatformAPI), env.cfg.Breaker)
	if err != nil {
		t.Fatal(err)
	}
	return &faultStack{stack: stack, hands: hands, platform: platform, adminToken: stack.AdminToken}
}

// must calls base as the stack's admin and fails unless the answer is want.
func (f *faultStack) must(t *testing.T, base string, want int, method, path string, body, out any) {
	t.Helper()
	if got, raw := callAt(t, base, f.adminToken, method, path, body, out); got != want {
		t.Fatalf("%s %s = %d, want %d: %s", method, path, got, want, raw)
	}
}

// readyRevision writes the Revision Knative's controller would have made, Ready.
func (f *faultStack) readyRevision(t *testing.T, ns, app string, n int) {
	t.Helper()
	ctx := context.Background()
	name := fmt.Sprintf("%s-%05d", app, n)
	rev := &servingv1.Revision{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{
		"serving.knative.dev/service": app, names.LabelProject: strings.TrimSuffix(ns, "-test"), names.LabelApp: app, names.LabelEnv: "test"}},
		Spec: servingv1.RevisionSpec{PodSpec: corev1.PodSpec{Containers: []corev1.Container{{Image: "dev.local/faults/" + name + ":v1"}}}}}
	created, err := f.hands.Serving.ServingV1().Revisions(ns).Create(ctx, rev, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	created.Status = servingv1.RevisionStatus{Status: duckv1.Status{Conditions: duckv1.Conditions{{Type: apis.ConditionReady, Status: corev1.ConditionTrue,
		LastTransitionTime: apis.VolatileTime{Inner: metav1.Now()}}}}}
	if _, err := f.hands.Serving.ServingV1().Revisions(ns).UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// virtualServiceRoutes is how many HTTP routes the app's VirtualService has (an error while
// it does not exist).
func (f *faultStack) virtualServiceRoutes(ns, app string) (int, error) {
	vs, err := f.hands.Istio.NetworkingV1().VirtualServices(ns).Get(context.Background(), names.VirtualService(app), metav1.GetOptions{})
	if err != nil {
		return 0, err
	}
	return len(vs.Spec.Http), nil
}

// poll is eventually without the shared stack's health check.
func poll(t *testing.T, timeout time.Duration, what string, check func() error) {
	t.Helper()
	if err := testutil.Poll(context.Background(), timeout, 250*time.Millisecond, nil, func(context.Context) error { return check() }); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// TestFaults: platform-api rides out its apiserver going away, being killed mid-deploy, and a
// burst of reads, on a dev stack of its own. Bounds are generous; the timing goals are
// benchmark figures (docs/benchmarks.md), not assertions.
func TestFaults(t *testing.T) {
	// Its own stack: it overlaps the other long waiter (TestScaling's window) instead of
	// adding to the suite's time.
	t.Parallel()
	f := startFaultStack(t)
	t.Run("apiserver stopped for 20s", func(t *testing.T) { f.apiserverStopped(t) })
	t.Run("killed mid-deploy", func(t *testing.T) { f.killedMidDeploy(t) })
	t.Run("burst then a rule", func(t *testing.T) { f.burstThenRule(t) })
}

// apiserverStopped: kube-apiserver down for 20 s and back; the same platform-api process
// (no restart) is ready and leading again, and a deploy and a rule change succeed.
func (f *faultStack) apiserverStopped(t *testing.T) {
	api := startPlatform(t, env.cfg, f.platform)
	ready := func() error {
		resp, err := http.Get(api.URL + "/readyz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("readyz %d", resp.StatusCode)
		}
		return leading(api.URL, 1)
	}
	poll(t, 60*time.Second, "ready and leading", ready)
	f.must(t, api.URL, http.StatusCreated, http.MethodPost, "/api/v1/projects", map[string]string{"name": "down"}, nil)
	base := "/api/v1/projects/down/apps/web/envs/test"
	poll(t, 10*time.Second, "project in cache", func() error {
		if code, raw := callAt(t, api.URL, f.adminToken, http.MethodPost, base+"/deployments", map[string]string{"image": "dev.local/down/web:v1"}, nil); code != http.StatusCreated {
			return fmt.Errorf("deploy %d: %s", code, raw)
		}
		return nil
	})
	f.readyRevision(t, "down-test", "web", 1)

	transitions, err := metric(api.URL, "slipway_leader_transitions_total")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.stack.RestartAPIServer(context.Background(), 20*time.Second); err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	poll(t, 60*time.Second, "ready and leading after the apiserver came back", ready)
	after, _ := metric(api.URL, "slipway_leader_transitions_total")
	t.Logf("ready and leading %s after the apiserver was ready again (lease duration %s); %v leader transitions during the outage",
		time.Since(back).Round(100*time.Millisecond), env.cfg.LeaderElection.LeaseDuration.Duration, after-transitions)
	// Writes may first meet the breaker, opened by writes the outage failed: retried as a
	// client would, with its Retry-After.
	poll(t, 60*time.Second, "a deploy after the outage", func() error {
		code, raw := callAt(t, api.URL, f.adminToken, http.MethodPost, base+"/deployments",
			map[string]any{"image": "dev.local/down/web:v2", "strategy": map[string]string{"type": "header", "lane": "beta"}}, nil)
		if code != http.StatusCreated {
			return fmt.Errorf("deploy %d: %s", code, raw)
		}
		return nil
	})
	poll(t, 60*time.Second, "the rule's VirtualService", func() error {
		n, err := f.virtualServiceRoutes("down-test", "web")
		if err == nil && n < 2 {
			err = fmt.Errorf("%d routes, want the rule's and the default", n)
		}
		return err
	})
	// The caches' watches resume within a couple of seconds of the apiserver's return
	// (kube.withPatientWatches); client-go's own backoff once made this up to a minute.
	t.Logf("the rule's VirtualService written %s after the apiserver was ready again", time.Since(back).Round(100*time.Millisecond))
}

// killedMidDeploy: cmd/platform-api is SIGKILLed at moments during a header deploy to a short
// host (Service, claim, VirtualService all to be written); a new process, with the client
// retrying what it got no answer for, leaves every write done: no manual step.
func (f *faultStack) killedMidDeploy(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "platform-api")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/platform-api").CombinedOutput(); err != nil {
		t.Fatalf("building platform-api: %v\n%s", err, out)
	}
	port, err := testutil.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(repoPath("config/dev.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(strings.Replace(string(raw), "listen: 127.0.0.1:8080", "listen: 127.0.0.1:"+strconv.Itoa(port), 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	api := "http://127.0.0.1:" + strconv.Itoa(port)
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "--config="+cfgPath, "--kubeconfig="+f.stack.KubeconfigFor(devstack.IdentityPlatformAPI))
		cmd.Stdout, cmd.Stderr = &testutil.Buffer{}, &testutil.Buffer{}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
		poll(t, 60*time.Second, "platform-api process ready", func() error {
			resp, err := http.Get(api + "/readyz")
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("readyz %d", resp.StatusCode)
			}
			return nil
		})
		return cmd
	}
	cmd := start()
	f.must(t, api, http.StatusCreated, http.MethodPost, "/api/v1/projects", map[string]string{"name": "killed"}, nil)
	base := "/api/v1/projects/killed/apps/web/envs/test"
	poll(t, 10*time.Second, "project in cache", func() error {
		if code, raw := callAt(t, api, f.adminToken, http.MethodPost, base+"/deployments", map[string]string{"image": "dev.local/killed/web:v1", "domain": "short"}, nil); code != http.StatusCreated {
			return fmt.Errorf("deploy %d: %s", code, raw)
		}
		return nil
	})
	f.readyRevision(t, "killed-test", "web", 1)
	host := "web." + env.cfg.Domains.ShortDomain()
	for round, after := range []time.Duration{0, 5 * time.Millisecond, 15 * time.Millisecond, 40 * time.Millisecond, 100 * time.Millisecond} {
		lane := fmt.Sprintf("lane%d", round)
		deploy := map[string]any{"image": fmt.Sprintf("dev.local/killed/web:r%d", round), "domain": "short",
			"strategy": map[string]string{"type": "header", "lane": lane}}
		answered := make(chan int, 1)
		go func() {
			code, _ := callAtNoFail(api, f.adminToken, http.MethodPost, base+"/deployments", deploy)
			answered <- code
		}()
		time.Sleep(after)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_, _ = cmd.Process.Wait()
		code := <-answered
		t.Logf("round %d: killed %s into the deploy; the client got status %d (0: no answer)", round, after, code)
		cmd = start()
		// The client retries a deploy it got no answer for; one that was answered is done.
		if code != http.StatusCreated {
			var app struct {
				Rules []struct {
					Match struct{ Headers map[string]any }
				}
			}
			f.must(t, api, http.StatusOK, http.MethodGet, base, nil, &app)
			if !strings.Contains(fmt.Sprint(app.Rules), lane) {
				f.must(t, api, http.StatusCreated, http.MethodPost, base+"/deployments", deploy, nil)
			}
		}
		poll(t, 60*time.Second, fmt.Sprintf("round %d (killed after %s, answered %d): every rule routed", round, after, code), func() error {
			n, err := f.virtualServiceRoutes("killed-test", "web")
			if err == nil && n < round+2 {
				err = fmt.Errorf("%d routes, want %d rules and the default", n, round+1)
			}
			return err
		})
		claim, err := f.hands.Networking.NetworkingV1alpha1().ClusterDomainClaims().Get(context.Background(), host, metav1.GetOptions{})
		if err != nil || claim.Spec.Namespace != "killed-test" {
			t.Fatalf("round %d: claim of %s: %+v, %v", round, host, claim, err)
		}
		// What Knative would do next: the round's revision exists before the next deploy.
		f.readyRevision(t, "killed-test", "web", round+2)
	}
}

// burstThenRule: a burst of authorized reads from 40 identities well past saturation, then a
// header rule set right after it gets its VirtualService; refusals are 503 with Retry-After,
// and the process leads throughout.
func (f *faultStack) burstThenRule(t *testing.T) {
	ctx := context.Background()
	api := startPlatform(t, env.cfg, f.platform)
	poll(t, 60*time.Second, "leading", func() error { return leading(api.URL, 1) })
	f.must(t, api.URL, http.StatusCreated, http.MethodPost, "/api/v1/projects", map[string]string{"name": "burst"}, nil)
	base := "/api/v1/projects/burst/apps/web/envs/test"
	poll(t, 10*time.Second, "project in cache", func() error {
		if code, raw := callAt(t, api.URL, f.adminToken, http.MethodPost, base+"/deployments", map[string]string{"image": "dev.local/burst/web:v1"}, nil); code != http.StatusCreated {
			return fmt.Errorf("deploy %d: %s", code, raw)
		}
		return nil
	})
	f.readyRevision(t, "burst-test", "web", 1)
	var tokens []string
	for i := range 40 {
		name := fmt.Sprintf("burst-%02d", i)
		if _, err := f.hands.Kube.CoreV1().ServiceAccounts("slipway-system").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		tr, err := f.hands.Kube.CoreV1().ServiceAccounts("slipway-system").CreateToken(ctx, name, &authnv1.TokenRequest{}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		f.must(t, api.URL, http.StatusCreated, http.MethodPost, "/api/v1/projects/burst/members",
			map[string]string{"name": "system:serviceaccount:slipway-system:" + name, "role": "viewer"}, nil)
		tokens = append(tokens, tr.Status.Token)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 2000, MaxConnsPerHost: 2000}}
	var seq, withoutRetryAfter, lostLead atomic.Int64
	send := func() (int, time.Duration) {
		n := seq.Add(1)
		req, _ := http.NewRequest(http.MethodGet, api.URL+base, nil)
		req.Header.Set("Authorization", "Bearer "+tokens[n%int64(len(tokens))])
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, time.Since(start)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") == "" {
			withoutRetryAfter.Add(1)
		}
		return resp.StatusCode, time.Since(start)
	}
	watching := make(chan struct{})
	go func() {
		defer close(watching)
		for end := time.Now().Add(6 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
			if err := leading(api.URL, 1); err != nil {
				lostLead.Add(1)
			}
		}
	}()
	r := offer(send, 3000, 5*time.Second)
	<-watching
	t.Logf("burst: %d due, %d 2xx, %d 503, %d 429, %d not sent, %d failed", r.sent, r.good, r.shed, r.limited, r.dropped, r.other)
	if withoutRetryAfter.Load() > 0 {
		t.Errorf("%d refusals without Retry-After", withoutRetryAfter.Load())
	}
	if lostLead.Load() > 0 {
		t.Errorf("slipway_leader was not 1 (or not readable) %d times during the burst", lostLead.Load())
	}
	f.must(t, api.URL, http.StatusCreated, http.MethodPost, base+"/deployments",
		map[string]any{"image": "dev.local/burst/web:v2", "strategy": map[string]string{"type": "header", "lane": "beta"}}, nil)
	poll(t, 60*time.Second, "the rule's VirtualService after the burst", func() error {
		n, err := f.virtualServiceRoutes("burst-test", "web")
		if err == nil && n < 2 {
			err = fmt.Errorf("%d routes, want the rule's and the default", n)
		}
		return err
	})
}

// callAtNoFail is callAt for a goroutine: a connection that breaks (the process was killed)
// is status 0, not a failed test.
func callAtNoFail(base, token, method, path string, body any) (int, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequest(method, base+path, bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}
