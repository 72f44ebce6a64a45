package kube

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/google/uuid"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// RunAsLeader runs lead while this replica holds the Lease namespace/name, and gives the
// Lease up when ctx ends, so another replica takes over without waiting for expiry. If
// leadership is lost, lead's context is cancelled and the function returns.
func RunAsLeader(ctx context.Context, c *Clients, namespace, name string, log *slog.Logger, lead func(context.Context)) {
	host, _ := os.Hostname()
	id := host + "_" + uuid.NewString()
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: namespace, Name: name},
		Client:     c.Kube.CoordinationV1(),
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
