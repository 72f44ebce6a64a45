// Command eventing-controller runs Knative Eventing's own PingSource reconciler for the dev
// stack: upstream's cmd/controller with only the PingSource constructor (Slipway writes no
// other Eventing object) and without the health-probe server (hard-wired to :8080, where
// platform-api listens).
package main

import (
	kubefilteredfactory "knative.dev/pkg/client/injection/kube/informers/factory/filtered"
	"knative.dev/pkg/injection/sharedmain"
	"knative.dev/pkg/signals"

	"knative.dev/eventing/pkg/auth"
	"knative.dev/eventing/pkg/reconciler/pingsource"
)

func main() {
	ctx := sharedmain.WithHealthProbesDisabled(signals.NewContext())
	// The reconciler watches OIDC ServiceAccounts through a filtered informer; upstream's
	// main registers the same selector.
	ctx = kubefilteredfactory.WithSelectors(ctx, auth.OIDCLabelSelector)
	sharedmain.MainWithContext(ctx, "controller", pingsource.NewController)
}
