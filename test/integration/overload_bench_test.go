//go:build integration

package integration

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipway-dev/slipway/internal/devstack"
	"github.com/slipway-dev/slipway/internal/latency"
)

// BenchmarkOverload: authorized reads (a project's apps, an app, its revisions, its history)
// from 40 ServiceAccount identities, each a project member, against a platform-api process
// that leads a Lease of its own. First its saturation rate (closed loop, 64 callers), then
// open-loop offered load at 1×, 2× and 4× that rate: goodput (2xx/s), p99 of the answered
// and of the refused, time to the first good answer after the burst, and whether the Lease
// was held throughout. Bounded: 3 s + 3 × 5 s of load, at most 2,000 requests in flight,
// loopback only. One iteration is the whole run (-benchtime 1x).
func BenchmarkOverload(b *testing.B) {
	const identities, phase = 40, 5 * time.Second
	createProject(b, "load")
	mustCall(b, http.StatusCreated, http.MethodPost, appPath("load", "web", "test")+"/deployments", map[string]string{"image": "dev.local/load/web:v1"}, nil)
	tokens := make([]string, identities)
	for i := range tokens {
		token, user := serviceAccountToken(b, fmt.Sprintf("load-%02d", i))
		mustCall(b, http.StatusCreated, http.MethodPost, "/api/v1/projects/load/members", map[string]string{"name": user, "role": "viewer"}, nil)
		tokens[i] = token
	}
	grantLease(b, "overload-reconcilers")
	proc := startPlatformProcess(b, func(cfg string) string {
		// Its own Lease, so it leads (and must keep leading) while it is overloaded; per-caller
		// limits out of the way (40 × 100/s would cap goodput at 4,000/s), so what refuses the
		// excess is the bound on requests in flight.
		cfg = strings.Replace(cfg, "perUser: {rate: 100, burst: 200}", "perUser: {rate: 100000, burst: 100000}", 1)
		return strings.Replace(cfg, "leaderElection:\n", "leaderElection:\n  name: overload-reconcilers\n", 1)
	})
	eventually(b, 30*time.Second, "the process leads", func() error { return leading(proc.base, 1) })
	before, err := metric(proc.base, "slipway_leader_transitions_total")
	if err != nil {
		b.Fatal(err)
	}
	paths := []string{"/api/v1/projects/load/apps", appPath("load", "web", "test"), appPath("load", "web", "test") + "/revisions", appPath("load", "web", "test") + "/history"}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 2000, MaxConnsPerHost: 2000}}
	var seq atomic.Int64
	send := func() (int, time.Duration) {
		n := seq.Add(1)
		req, _ := http.NewRequest(http.MethodGet, proc.base+paths[n%int64(len(paths))], nil)
		req.Header.Set("Authorization", "Bearer "+tokens[n%identities])
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, time.Since(start)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, time.Since(start)
	}

	for b.Loop() {
		// Saturation: what 64 callers sending back to back get answered.
		var ok atomic.Int64
		var wg sync.WaitGroup
		deadline := time.Now().Add(3 * time.Second)
		for range 64 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(deadline) {
					if code, _ := send(); code == http.StatusOK {
						ok.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		saturation := float64(ok.Load()) / 3
		b.ReportMetric(saturation, "saturation-req/s")
		for _, x := range []int{1, 2, 4} {
			r := offer(send, saturation*float64(x), phase)
			b.Logf("%d× (%.0f req/s offered): %d due, %d 2xx (%.0f/s), %d 503, %d 429, %d not sent (2,000 in flight), %d failed; p99 2xx %s, p99 503 %s",
				x, saturation*float64(x), r.sent, r.good, float64(r.good)/phase.Seconds(), r.shed, r.limited, r.dropped, r.other,
				r.goodLatency.Percentile(99), r.shedLatency.Percentile(99))
			b.ReportMetric(float64(r.good)/phase.Seconds(), fmt.Sprintf("goodput-%dx-req/s", x))
			b.ReportMetric(float64(r.goodLatency.Percentile(99).Microseconds())/1000, fmt.Sprintf("p99-%dx-ms", x))
			if r.shed > 0 {
				b.ReportMetric(float64(r.shedLatency.Percentile(99).Microseconds())/1000, fmt.Sprintf("p99-refused-%dx-ms", x))
			}
		}
		start := time.Now()
		for {
			if code, _ := send(); code == http.StatusOK {
				break
			}
			if time.Since(start) > time.Minute {
				b.Fatal("no good answer within a minute of the burst")
			}
			time.Sleep(10 * time.Millisecond)
		}
		b.ReportMetric(float64(time.Since(start).Microseconds())/1000, "first-good-after-ms")
	}
	if err := leading(proc.base, 1); err != nil {
		b.Errorf("after the burst: %v", err)
	}
	// The refusals' own time, measured by platform-api (slipway_http_request_duration_seconds):
	// from its middleware's start to the answer, without the wait for a CPU before it.
	for _, le := range []string{"0.004", "0.008"} {
		share, n, err := shareWithin(proc.base, "503", le)
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("%d refusals (503); %.1f %% answered within %s s by platform-api's own clock", n, share, le)
		b.ReportMetric(share, "refused-within-"+le+"s-%")
	}
	after, err := metric(proc.base, "slipway_leader_transitions_total")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(after-before, "leader-transitions")
}

// grantLease lets platform-api's identity hold another Lease in its namespace, as the
// chart's leader Role does for platformApi.leaseName.
func grantLease(b *testing.B, lease string) {
	b.Helper()
	ctx := context.Background()
	ns := env.cfg.LeaderElection.Namespace
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: lease, Namespace: ns},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"get", "update"}, ResourceNames: []string{lease}}}}
	if _, err := env.clients.Kube.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		b.Fatal(err)
	}
	binding := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: lease, Namespace: ns},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: lease},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: devstack.PlatformAPIAccount, Namespace: devstack.PlatformNamespace}}}
	if _, err := env.clients.Kube.RbacV1().RoleBindings(ns).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		b.Fatal(err)
	}
}

type offered struct {
	sent, good, shed, limited, dropped, other int
	goodLatency, shedLatency                  latency.Samples
}

// offer sends rate requests a second for d, each on time whether or not earlier ones were
// answered (open loop), with at most 2,000 in flight (beyond that a send is counted as not
// sent: the generator shares the machine's two cores with platform-api and the apiserver).
func offer(send func() (int, time.Duration), rate float64, d time.Duration) offered {
	var mu sync.Mutex
	var r offered
	var wg sync.WaitGroup
	slots := make(chan struct{}, 2000)
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	for i := 0; ; i++ {
		at := start.Add(time.Duration(i) * interval)
		if at.Sub(start) >= d {
			break
		}
		time.Sleep(time.Until(at))
		r.sent++
		select {
		case slots <- struct{}{}:
		default:
			mu.Lock()
			r.dropped++
			mu.Unlock()
			continue
		}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			code, took := send()
			mu.Lock()
			defer mu.Unlock()
			switch code {
			case http.StatusOK:
				r.good++
				r.goodLatency = append(r.goodLatency, took)
			case http.StatusServiceUnavailable:
				r.shed++
				r.shedLatency = append(r.shedLatency, took)
			case http.StatusTooManyRequests:
				r.limited++
			default:
				r.other++
			}
		}()
	}
	wg.Wait()
	return r
}

// shareWithin is the percentage of base's requests answered with status that its
// request-duration histogram puts at or below le seconds, and how many there were.
func shareWithin(base, status, le string) (float64, int, error) {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, 0, err
	}
	var within, total float64
	for _, line := range strings.Split(string(raw), "\n") {
		if !strings.Contains(line, `status="`+status+`"`) {
			continue
		}
		var v float64
		if _, err := fmt.Sscan(line[strings.LastIndex(line, " ")+1:], &v); err != nil {
			continue
		}
		switch {
		case strings.HasPrefix(line, "slipway_http_request_duration_seconds_bucket{") && strings.Contains(line, `le="`+le+`"`):
			within += v
		case strings.HasPrefix(line, "slipway_http_request_duration_seconds_count{"):
			total += v
		}
	}
	if total == 0 {
		return 0, 0, nil
	}
	return 100 * within / total, int(total), nil
}

// leading checks the process's slipway_leader gauge.
func leading(base string, want float64) error {
	got, err := metric(base, "slipway_leader")
	if err == nil && got != want {
		err = fmt.Errorf("slipway_leader %v, want %v", got, want)
	}
	return err
}

// metric reads one unlabelled-or-single-series metric from base's /metrics.
func metric(base, name string) (float64, error) {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if !strings.HasPrefix(line, name+" ") && !strings.HasPrefix(line, name+"{") {
			continue
		}
		var v float64
		if _, err := fmt.Sscan(line[strings.LastIndex(line, " ")+1:], &v); err != nil {
			return 0, err
		}
		return v, nil
	}
	return 0, fmt.Errorf("no %s in /metrics", name)
}
