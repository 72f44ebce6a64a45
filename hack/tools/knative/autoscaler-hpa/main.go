// Command autoscaler-hpa runs Knative Serving's HPA-class autoscaler for the dev stack. The
// KPA autoscaler is not run: it scrapes pod IPs, and the simulated pods' IPs must never be
// dialed. Health probes are off for the same port reason as in ../controller.
package main

import (
	"knative.dev/pkg/injection/sharedmain"
	"knative.dev/pkg/signals"
	"knative.dev/serving/pkg/reconciler/autoscaling/hpa"
)

func main() {
	ctx := sharedmain.WithHealthProbesDisabled(signals.NewContext())
	sharedmain.MainWithContext(ctx, "hpaautoscaler", hpa.NewController)
}
