//go:build integration

package integration

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
)

// leaderMetric is the in-process platform-api's slipway_leader for its Lease, as /metrics
// serves it.
func leaderMetric(t *testing.T) (string, error) {
	t.Helper()
	le := env.cfg.LeaderElection
	resp, err := http.Get(env.server.URL + "/metrics")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	prefix := fmt.Sprintf(`slipway_leader{lease="%s/%s"} `, le.Namespace, le.Name)
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), prefix); ok {
			return v, nil
		}
	}
	return "", fmt.Errorf("no %q in /metrics (status %d, err %v)", prefix, resp.StatusCode, sc.Err())
}

func waitLeader(t *testing.T, within time.Duration, want string) {
	t.Helper()
	eventually(t, within, "slipway_leader "+want, func() error {
		got, err := leaderMetric(t)
		if err == nil && got != want {
			err = fmt.Errorf("slipway_leader %s", got)
		}
		return err
	})
}

// TestLeaderCampaignsAgain: when another holder takes the reconcilers' Lease over, the
// platform-api stops leading (slipway_leader 0), campaigns again, leads once the other
// holder's Lease has expired (slipway_leader 1), stays ready throughout, and its reconcilers
// run again: a header rule set afterwards gets its VirtualService.
func TestLeaderCampaignsAgain(t *testing.T) {
	ctx := context.Background()
	le := env.cfg.LeaderElection
	// Generous: a platform-api another test started may hold the Lease for a while.
	waitLeader(t, 2*time.Minute, "1")

	const thief = "another-replica"
	leases := env.clients.Kube.CoordinationV1().Leases(le.Namespace)
	if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		lease, err := leases.Get(ctx, le.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		lease.Spec.HolderIdentity = ptr.To(thief)
		lease.Spec.RenewTime = &metav1.MicroTime{Time: time.Now()}
		lease.Spec.LeaseDurationSeconds = ptr.To(int32(le.LeaseDuration.Seconds()))
		_, err = leases.Update(ctx, lease, metav1.UpdateOptions{})
		return err
	}); err != nil {
		t.Fatalf("taking the Lease over: %v", err)
	}
	stolen := time.Now()
	waitLeader(t, time.Minute, "0")
	t.Logf("stopped leading %s after the Lease was taken", time.Since(stolen).Round(time.Millisecond))
	if code, body := call(t, http.MethodGet, "/readyz", nil, nil); code != http.StatusOK {
		t.Errorf("/readyz = %d %s while campaigning", code, body)
	}
	// The thief never renews: once its Lease has expired, platform-api takes it back.
	waitLeader(t, 2*time.Minute, "1")
	t.Logf("leading again %s after the Lease was taken", time.Since(stolen).Round(time.Millisecond))
	lease, err := leases.Get(ctx, le.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if h := ptr.Deref(lease.Spec.HolderIdentity, ""); h == thief || h == "" {
		t.Errorf("Lease holder %q after leading again", h)
	}
	if code, body := call(t, http.MethodGet, "/readyz", nil, nil); code != http.StatusOK {
		t.Errorf("/readyz = %d %s while leading again", code, body)
	}

	// The reconcilers run again: a rule set now is enacted.
	createProject(t, "relead")
	ns, base := "relead-test", appPath("relead", "web", "test")
	mustCall(t, http.StatusCreated, http.MethodPost, base+"/deployments", map[string]any{"image": "dev.local/relead/web:v1"}, nil)
	waitRevisionReady(t, ns, "web-00001", "dev.local/relead/web:v1")
	mustCall(t, http.StatusCreated, http.MethodPost, base+"/deployments", map[string]any{"image": "dev.local/relead/web:v2"}, nil)
	mustCall(t, http.StatusOK, http.MethodPut, base+"/traffic", map[string]any{
		"targets": []map[string]any{{"revision": "web-00001", "percent": 100}},
		"rules":   []map[string]any{{"match": map[string]any{"headers": map[string]any{"x-user-group": map[string]string{"exact": "beta"}}}, "revision": "web-00002"}},
	}, nil)
	local := env.cfg.Routing.LocalGatewayHost
	waitOneRule(t, ns, "web", "VirtualService of a rule set after leading again", "[x-user-group=beta] → r00002-web.relead-test.svc.cluster.local via "+local)
}
