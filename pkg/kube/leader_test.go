package kube

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	promtestutil "github.com/prometheus/client_golang/prometheus/testutil"
	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"

	"github.com/slipway-dev/slipway/internal/testutil"
)

// Generous bounds: the election's own periods below are a fraction of a second.
const leaderWait = 20 * time.Second

func testElection() LeaderElection {
	return LeaderElection{Namespace: "slipway-system", Name: "reconcilers",
		LeaseDuration: metav1.Duration{Duration: time.Second},
		RenewDeadline: metav1.Duration{Duration: 500 * time.Millisecond},
		RetryPeriod:   metav1.Duration{Duration: 100 * time.Millisecond}}
}

// leaseClientset is a fake clientset whose Lease writes are checked against the stored
// resourceVersion, as the apiserver does: without that, a leader's optimistic renewal would
// silently overwrite another holder and nothing could ever take the Lease from it.
func leaseClientset() *fake.Clientset {
	cs := fake.NewClientset()
	tracker := cs.Tracker()
	gvr := coordinationv1.SchemeGroupVersion.WithResource("leases")
	cs.PrependReactor("create", "leases", func(a k8stesting.Action) (bool, runtime.Object, error) {
		l := a.(k8stesting.CreateAction).GetObject().(*coordinationv1.Lease).DeepCopy()
		l.ResourceVersion = "1"
		if err := tracker.Create(gvr, l, l.Namespace); err != nil {
			return true, nil, err
		}
		return true, l, nil
	})
	cs.PrependReactor("update", "leases", func(a k8stesting.Action) (bool, runtime.Object, error) {
		l := a.(k8stesting.UpdateAction).GetObject().(*coordinationv1.Lease).DeepCopy()
		stored, err := tracker.Get(gvr, l.Namespace, l.Name)
		if err != nil {
			return true, nil, err
		}
		rv := stored.(*coordinationv1.Lease).ResourceVersion
		if l.ResourceVersion != rv {
			return true, nil, apierrors.NewConflict(gvr.GroupResource(), l.Name, errors.New("the object has been modified"))
		}
		n, _ := strconv.Atoi(rv)
		l.ResourceVersion = strconv.Itoa(n + 1)
		if err := tracker.Update(gvr, l, l.Namespace); err != nil {
			return true, nil, err
		}
		return true, l, nil
	})
	return cs
}

func holder(t *testing.T, cs *fake.Clientset, le LeaderElection) string {
	t.Helper()
	l, err := cs.CoordinationV1().Leases(le.Namespace).Get(context.Background(), le.Name, metav1.GetOptions{})
	if err != nil {
		return ""
	}
	return ptr.Deref(l.Spec.HolderIdentity, "")
}

// steal writes another holder into the Lease, as a replica that took it over would.
func steal(t *testing.T, cs *fake.Clientset, le LeaderElection, thief string) {
	t.Helper()
	leases := cs.CoordinationV1().Leases(le.Namespace)
	err := testutil.Poll(context.Background(), leaderWait, 10*time.Millisecond, nil, func(ctx context.Context) error {
		l, err := leases.Get(ctx, le.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		l.Spec.HolderIdentity = ptr.To(thief)
		l.Spec.RenewTime = &metav1.MicroTime{Time: time.Now()}
		_, err = leases.Update(ctx, l, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatalf("stealing the Lease: %v", err)
	}
}

func waitFor(t *testing.T, what string, check func() error) {
	t.Helper()
	if err := testutil.Poll(context.Background(), leaderWait, 20*time.Millisecond, nil, func(context.Context) error { return check() }); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(leaderWait):
		t.Fatalf("%s: nothing after %s", what, leaderWait)
	}
	var zero T
	return zero
}

func newTestLeader(t *testing.T, cs *fake.Clientset, le LeaderElection) (*Leader, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	l, err := NewLeader(cs.CoordinationV1(), le, slog.New(slog.DiscardHandler), reg)
	if err != nil {
		t.Fatal(err)
	}
	return l, reg
}

// run starts l.Run until the test ends; the returned channel closes when Run returns.
func run(t *testing.T, l *Leader, lead func(context.Context)) (cancel func(), done <-chan struct{}) {
	ctx, cancel := context.WithCancel(context.Background())
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		l.Run(ctx, lead)
	}()
	t.Cleanup(func() {
		cancel()
		<-finished
	})
	return cancel, finished
}

func TestLeaderCampaignsAgainAfterLosingTheLease(t *testing.T) {
	le := testElection()
	cs := leaseClientset()
	l, reg := newTestLeader(t, cs, le)
	terms := make(chan context.Context, 4)
	stop, done := run(t, l, func(ctx context.Context) {
		terms <- ctx
		<-ctx.Done()
	})

	first := receive(t, terms, "first term")
	if got := holder(t, cs, le); got != l.Identity() {
		t.Fatalf("Lease holder %q, want %q", got, l.Identity())
	}
	if st := l.Status(); st.Phase != LeaderLeading || st.LastRenew.IsZero() || st.Transitions != 1 {
		t.Errorf("status while leading: %+v", st)
	}
	if err := l.Healthy(); err != nil {
		t.Errorf("healthy while leading: %v", err)
	}
	if got := promtestutil.ToFloat64(l.leading); got != 1 {
		t.Errorf("slipway_leader = %v while leading", got)
	}

	steal(t, cs, le, "another-replica")
	receive(t, first.Done(), "lead context cancelled after the Lease was taken")
	waitFor(t, "campaigning again", func() error {
		if st := l.Status(); st.Phase != LeaderCampaigning || st.Holder != "another-replica" {
			return fmt.Errorf("status %+v", st)
		}
		return nil
	})
	if got := promtestutil.ToFloat64(l.leading); got != 0 {
		t.Errorf("slipway_leader = %v after losing the Lease", got)
	}
	if err := l.Healthy(); err != nil {
		t.Errorf("a campaigning replica is healthy, got %v", err)
	}

	// The other holder never renews: once its Lease expires this replica takes it back.
	second := receive(t, terms, "second term")
	if got := holder(t, cs, le); got != l.Identity() {
		t.Fatalf("Lease holder %q after the second campaign, want %q", got, l.Identity())
	}
	if second.Err() != nil {
		t.Error("second term's context already cancelled")
	}
	if st := l.Status(); st.Phase != LeaderLeading || st.Transitions != 3 {
		t.Errorf("status after leading again: %+v", st)
	}
	if err := promtestutil.GatherAndCompare(reg, strings.NewReader(`
# HELP slipway_leader 1 while this replica holds the Lease and runs the reconcilers, else 0.
# TYPE slipway_leader gauge
slipway_leader{lease="slipway-system/reconcilers"} 1
# HELP slipway_leader_transitions_total Times this replica started or stopped leading.
# TYPE slipway_leader_transitions_total counter
slipway_leader_transitions_total{lease="slipway-system/reconcilers"} 3
`), "slipway_leader", "slipway_leader_transitions_total"); err != nil {
		t.Error(err)
	}

	// Stopping releases the Lease for the next replica, and the loop is no longer healthy.
	stop()
	receive(t, done, "Run returned")
	if got := holder(t, cs, le); got != "" {
		t.Errorf("Lease holder %q after stopping, want it released", got)
	}
	if err := l.Healthy(); err == nil {
		t.Error("healthy after the loop stopped")
	}
	if got := promtestutil.ToFloat64(l.leading); got != 0 {
		t.Errorf("slipway_leader = %v after stopping", got)
	}
}

// Reconcilers that return by themselves give the Lease up, and the replica campaigns again.
func TestLeaderGivesUpWhenReconcilersReturn(t *testing.T) {
	le := testElection()
	cs := leaseClientset()
	l, _ := newTestLeader(t, cs, le)
	terms := make(chan context.Context, 4)
	n := 0
	run(t, l, func(ctx context.Context) {
		n++
		terms <- ctx
		if n == 1 {
			return // as if the reconcilers died
		}
		<-ctx.Done()
	})
	receive(t, terms, "first term")
	second := receive(t, terms, "second term")
	if second.Err() != nil || holder(t, cs, le) != l.Identity() {
		t.Fatalf("second term: ctx %v, holder %q", second.Err(), holder(t, cs, le))
	}
	if st := l.Status(); st.Transitions != 3 {
		t.Errorf("transitions %d, want 3 (led, gave up, led)", st.Transitions)
	}
}

// Reconcilers that do not stop after the Lease was lost make the replica unhealthy (so
// /readyz says so) until they return; then it campaigns again.
func TestLeaderUnhealthyWhileReconcilersAreWedged(t *testing.T) {
	le := testElection()
	cs := leaseClientset()
	l, _ := newTestLeader(t, cs, le)
	terms := make(chan context.Context, 4)
	unwedge := make(chan struct{})
	run(t, l, func(ctx context.Context) {
		terms <- ctx
		<-unwedge // ignores ctx
	})
	first := receive(t, terms, "first term")
	steal(t, cs, le, "another-replica")
	receive(t, first.Done(), "lead context cancelled")
	waitFor(t, "unhealthy while the reconcilers do not stop", func() error {
		if err := l.Healthy(); err == nil {
			return fmt.Errorf("healthy; status %+v", l.Status())
		}
		return nil
	})
	if st := l.Status(); st.Phase != LeaderSteppingDown {
		t.Errorf("phase %q, want %q", st.Phase, LeaderSteppingDown)
	}
	close(unwedge)
	receive(t, terms, "second term after the reconcilers returned")
	if err := l.Healthy(); err != nil {
		t.Errorf("leading again but unhealthy: %v", err)
	}
}

func TestLeaderElectionValidate(t *testing.T) {
	d := func(s string) metav1.Duration {
		v, err := time.ParseDuration(s)
		if err != nil {
			t.Fatal(err)
		}
		return metav1.Duration{Duration: v}
	}
	var defaults LeaderElection
	defaults.SetDefaults()
	cases := map[string]struct {
		change func(*LeaderElection)
		want   string // field of the error; empty for none
	}{
		"defaults":                       {func(*LeaderElection) {}, ""},
		"short, for tests":               {func(l *LeaderElection) { *l = testElection() }, ""},
		"lease not longer than deadline": {func(l *LeaderElection) { l.LeaseDuration = d("10s") }, "leaderElection.leaseDuration"},
		"deadline within retry jitter":   {func(l *LeaderElection) { l.RenewDeadline = d("2.2s") }, "leaderElection.renewDeadline"},
		"retry too fast":                 {func(l *LeaderElection) { l.RetryPeriod = d("10ms") }, "leaderElection.retryPeriod"},
		"bad namespace":                  {func(l *LeaderElection) { l.Namespace = "Slipway" }, "leaderElection.namespace"},
		"bad name":                       {func(l *LeaderElection) { l.Name = "a/b" }, "leaderElection.name"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			le := defaults
			tc.change(&le)
			errs := le.Validate(field.NewPath("leaderElection"))
			switch {
			case tc.want == "" && len(errs) > 0:
				t.Errorf("unexpected errors: %v", errs)
			case tc.want != "" && (len(errs) != 1 || errs[0].Field != tc.want):
				t.Errorf("errors %v, want one on %s", errs, tc.want)
			}
		})
	}
}
