package kube

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/google/uuid"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coordinationv1 "k8s.io/client-go/kubernetes/typed/coordination/v1"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// LeaderElection names the Lease the reconcilers run under: the leaderElection section of
// platform-api's configuration.
type LeaderElection struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

// SetDefaults fills in what the operator left out.
func (l *LeaderElection) SetDefaults() {
	if l.Namespace == "" {
		l.Namespace = "slipway-system"
	}
	if l.Name == "" {
		l.Name = "slipway-reconcilers"
	}
}

// RunAsLeader runs lead while this replica holds the Lease, and gives the Lease up when ctx
// ends, so another replica takes over without waiting for expiry. If leadership is lost,
// lead's context is cancelled and the function returns. leases is Clients.Leases: its own
// request budget, and no circuit breaker.
func RunAsLeader(ctx context.Context, leases coordinationv1.CoordinationV1Interface, le LeaderElection, log *slog.Logger, lead func(context.Context)) {
	namespace, name := le.Namespace, le.Name
	host, _ := os.Hostname()
	id := host + "_" + uuid.NewString()
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: namespace, Name: name},
		Client:     leases,
		LockConfig: resourcelock.ResourceLockConfig{Identity: id},
	}
	leaderelection.RunOrDie(ctx, leaderelection.LeaderElectionConfig{
		Lock:            lock,
		LeaseDuration:   15 * time.Second,
		RenewDeadline:   10 * time.Second,
		RetryPeriod:     2 * time.Second,
		ReleaseOnCancel: true,
		Name:            name,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(ctx context.Context) {
				log.Info("leading", "lease", namespace+"/"+name, "identity", id)
				lead(ctx)
			},
			OnStoppedLeading: func() { log.Info("stopped leading", "lease", namespace+"/"+name) },
		},
	})
}
