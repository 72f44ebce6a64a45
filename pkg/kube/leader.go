package kube

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	coordinationv1 "k8s.io/client-go/kubernetes/typed/coordination/v1"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// LeaderElection names and times the Lease the reconcilers run under: the leaderElection
// section of platform-api's configuration.
type LeaderElection struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// LeaseDuration is how long a Lease that is not renewed keeps other replicas from taking
	// it over: the longest the reconcilers stay without a leader when one dies.
	LeaseDuration metav1.Duration `json:"leaseDuration"`
	// RenewDeadline is how long the leader keeps trying to renew before it stops its
	// reconcilers; shorter than LeaseDuration, so it stops before anyone else may start.
	RenewDeadline metav1.Duration `json:"renewDeadline"`
	// RetryPeriod is the pause between attempts to acquire or renew.
	RetryPeriod metav1.Duration `json:"retryPeriod"`
}

// SetDefaults fills in what the operator left out.
func (l *LeaderElection) SetDefaults() {
	if l.Namespace == "" {
		l.Namespace = "slipway-system"
	}
	if l.Name == "" {
		l.Name = "slipway-reconcilers"
	}
	// client-go's and Kubernetes' own controllers' defaults.
	if l.LeaseDuration.Duration == 0 {
		l.LeaseDuration.Duration = 15 * time.Second
	}
	if l.RenewDeadline.Duration == 0 {
		l.RenewDeadline.Duration = 10 * time.Second
	}
	if l.RetryPeriod.Duration == 0 {
		l.RetryPeriod.Duration = 2 * time.Second
	}
}

// Validate checks the section; path is its place in the configuration file. The timing
// rules are client-go's (leaderelection.NewLeaderElector), checked here so that a bad file
// is refused at start rather than when the first campaign begins.
func (l LeaderElection) Validate(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if msgs := validation.IsDNS1123Label(l.Namespace); len(msgs) > 0 {
		errs = append(errs, field.Invalid(path.Child("namespace"), l.Namespace, msgs[0]))
	}
	if msgs := validation.IsDNS1123Subdomain(l.Name); len(msgs) > 0 {
		errs = append(errs, field.Invalid(path.Child("name"), l.Name, msgs[0]))
	}
	if l.RetryPeriod.Duration < 100*time.Millisecond {
		errs = append(errs, field.Invalid(path.Child("retryPeriod"), l.RetryPeriod.Duration.String(), "must be >= 100ms"))
	}
	if float64(l.RenewDeadline.Duration) <= leaderelection.JitterFactor*float64(l.RetryPeriod.Duration) {
		errs = append(errs, field.Invalid(path.Child("renewDeadline"), l.RenewDeadline.Duration.String(),
			fmt.Sprintf("must be longer than retryPeriod × %.1f", leaderelection.JitterFactor)))
	}
	if l.LeaseDuration.Duration <= l.RenewDeadline.Duration {
		errs = append(errs, field.Invalid(path.Child("leaseDuration"), l.LeaseDuration.Duration.String(), "must be longer than renewDeadline"))
	}
	return errs
}

// LeaderPhase is where a replica's election loop is.
type LeaderPhase string

const (
	// LeaderStopped: the loop is not running (not started yet, or its context ended).
	LeaderStopped LeaderPhase = "stopped"
	// LeaderCampaigning: waiting to acquire the Lease.
	LeaderCampaigning LeaderPhase = "campaigning"
	// LeaderLeading: holding the Lease, reconcilers running.
	LeaderLeading LeaderPhase = "leading"
	// LeaderSteppingDown: the Lease is lost (or given up); waiting for the reconcilers to
	// return before campaigning again, so one process never runs two sets of them.
	LeaderSteppingDown LeaderPhase = "stepping down"
)

// LeaderStatus is what a replica knows about its leadership.
type LeaderStatus struct {
	Phase LeaderPhase
	// Since is when Phase began.
	Since time.Time
	// LastRenew is this replica's last successful write of the Lease as its holder (acquire
	// or renewal); zero if it never held it.
	LastRenew time.Time
	// Holder is the identity the Lease named when last read; empty before the first read.
	Holder string
	// Transitions counts this replica's changes of leadership (gained or lost).
	Transitions int
}

// Leader runs a function while this replica holds a Lease, and campaigns again whenever it
// loses it: client-go's LeaderElector runs one term and returns, and a replica that stops
// there never reconciles again.
type Leader struct {
	cfg      LeaderElection
	client   coordinationv1.CoordinationV1Interface
	identity string
	lease    string
	log      *slog.Logger

	leading     prometheus.Gauge
	transitions prometheus.Counter

	mu      sync.Mutex
	status  LeaderStatus
	elector *leaderelection.LeaderElector
}

// NewLeader prepares leader election on cfg's Lease through client (Clients.Leases: its own
// request budget, no circuit breaker), with its metrics registered on reg when reg is not nil:
// slipway_leader{lease} (1 while leading) and slipway_leader_transitions_total{lease}.
func NewLeader(client coordinationv1.CoordinationV1Interface, cfg LeaderElection, log *slog.Logger, reg prometheus.Registerer) (*Leader, error) {
	if errs := cfg.Validate(field.NewPath("leaderElection")); len(errs) > 0 {
		return nil, errs.ToAggregate()
	}
	host, _ := os.Hostname()
	lease := cfg.Namespace + "/" + cfg.Name
	l := &Leader{
		cfg: cfg, client: client, identity: host + "_" + uuid.NewString(), lease: lease, log: log,
		leading: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "slipway_leader", Help: "1 while this replica holds the Lease and runs the reconcilers, else 0.",
			ConstLabels: prometheus.Labels{"lease": lease},
		}),
		transitions: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "slipway_leader_transitions_total", Help: "Times this replica started or stopped leading.",
			ConstLabels: prometheus.Labels{"lease": lease},
		}),
		status: LeaderStatus{Phase: LeaderStopped, Since: time.Now()},
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{l.leading, l.transitions} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("registering leader metrics: %w", err)
			}
		}
	}
	return l, nil
}

// Identity is the name this replica writes into the Lease.
func (l *Leader) Identity() string { return l.identity }

// Status is a snapshot of this replica's leadership.
func (l *Leader) Status() LeaderStatus {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.status
	if l.elector != nil {
		st.Holder = l.elector.GetLeader()
	}
	return st
}

// Healthy is nil while the loop is campaigning or leading with a fresh Lease: it fails when
// the loop is not running, when a leader has not renewed for a whole LeaseDuration (another
// replica may lead by now), and when reconcilers have not returned for a LeaseDuration after
// the Lease was lost. A replica in any of those states would not reconcile again by itself.
func (l *Leader) Healthy() error {
	st := l.Status()
	limit := l.cfg.LeaseDuration.Duration
	switch st.Phase {
	case LeaderStopped:
		return errors.New("leader election is not running")
	case LeaderLeading:
		if since := time.Since(st.LastRenew); since > limit {
			return fmt.Errorf("leading, but the Lease %s was last renewed %s ago", l.lease, since.Round(time.Millisecond))
		}
	case LeaderSteppingDown:
		if since := time.Since(st.Since); since > limit {
			return fmt.Errorf("the reconcilers have not stopped %s after the Lease %s was lost", since.Round(time.Millisecond), l.lease)
		}
	}
	return nil
}

// Run campaigns for the Lease and runs lead while holding it, until ctx ends. When the Lease
// is lost, lead's context is cancelled; once lead has returned, Run campaigns again. When
// lead returns by itself while leading, the Lease is given up (so another replica takes
// over) and Run campaigns again. When ctx ends the Lease is released, so another replica
// takes over without waiting for it to expire.
func (l *Leader) Run(ctx context.Context, lead func(context.Context)) {
	defer l.setPhase(LeaderStopped)
	for {
		l.term(ctx, lead)
		// A pause, so reconcilers that return at once do not make the Lease change hands
		// at full speed.
		select {
		case <-ctx.Done():
			return
		case <-time.After(l.cfg.RetryPeriod.Duration):
		}
	}
}

// term is one campaign: acquire, lead until the Lease is lost or given up, and wait for
// lead to return.
func (l *Leader) term(ctx context.Context, lead func(context.Context)) {
	l.setPhase(LeaderCampaigning)
	termCtx, giveUp := context.WithCancel(ctx)
	defer giveUp()

	// client-go starts OnStartedLeading on a goroutine of its own and does not wait for it;
	// over returns false if that goroutine starts only after the term ended.
	var mu sync.Mutex
	ended, started := false, false
	ledDone := make(chan struct{})
	begin := func() bool {
		mu.Lock()
		defer mu.Unlock()
		started = !ended
		return started
	}
	over := func() (wasStarted bool) {
		mu.Lock()
		defer mu.Unlock()
		ended = true
		return started
	}

	lock := &renewTracker{
		Interface: &resourcelock.LeaseLock{
			LeaseMeta:  metav1.ObjectMeta{Namespace: l.cfg.Namespace, Name: l.cfg.Name},
			Client:     l.client,
			LockConfig: resourcelock.ResourceLockConfig{Identity: l.identity},
		},
		renewed: l.renewed,
	}
	elector, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:            lock,
		LeaseDuration:   l.cfg.LeaseDuration.Duration,
		RenewDeadline:   l.cfg.RenewDeadline.Duration,
		RetryPeriod:     l.cfg.RetryPeriod.Duration,
		ReleaseOnCancel: true,
		Name:            l.lease,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(leadCtx context.Context) {
				if !begin() {
					return
				}
				defer close(ledDone)
				l.changeLeading(true)
				l.log.Info("leading", "lease", l.lease, "identity", l.identity)
				lead(leadCtx)
				if leadCtx.Err() == nil {
					l.log.Error("the reconcilers returned while leading; giving up the Lease", "lease", l.lease)
					giveUp()
				}
			},
			// Run calls it whether or not this term led; the term's end is handled below.
			OnStoppedLeading: func() {},
		},
	})
	if err != nil { // the configuration was validated in NewLeader
		l.log.Error("leader election", "lease", l.lease, "err", err)
		return
	}
	l.mu.Lock()
	l.elector = elector
	l.mu.Unlock()

	elector.Run(termCtx)
	if !over() {
		return
	}
	l.changeLeading(false)
	l.log.Info("stopped leading; waiting for the reconcilers to stop", "lease", l.lease, "identity", l.identity, "holder", elector.GetLeader())
	<-ledDone
	if ctx.Err() == nil {
		l.log.Info("campaigning again", "lease", l.lease, "identity", l.identity)
	}
}

func (l *Leader) setPhase(p LeaderPhase) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.status.Phase, l.status.Since = p, time.Now()
}

func (l *Leader) changeLeading(leading bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.status.Phase, l.status.Since = LeaderSteppingDown, time.Now()
	l.leading.Set(0)
	if leading {
		l.status.Phase = LeaderLeading
		l.leading.Set(1)
	}
	l.status.Transitions++
	l.transitions.Inc()
}

func (l *Leader) renewed() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.status.LastRenew = time.Now()
}

// renewTracker notes every successful write of the Lease naming this replica as its holder:
// the leader elector keeps its own renew time to itself.
type renewTracker struct {
	resourcelock.Interface
	renewed func()
}

func (t *renewTracker) Create(ctx context.Context, r resourcelock.LeaderElectionRecord) error {
	err := t.Interface.Create(ctx, r)
	t.note(err, r)
	return err
}

func (t *renewTracker) Update(ctx context.Context, r resourcelock.LeaderElectionRecord) error {
	err := t.Interface.Update(ctx, r)
	t.note(err, r)
	return err
}

func (t *renewTracker) note(err error, r resourcelock.LeaderElectionRecord) {
	// A release writes an empty holder; it is no renewal.
	if err == nil && r.HolderIdentity == t.Identity() {
		t.renewed()
	}
}
