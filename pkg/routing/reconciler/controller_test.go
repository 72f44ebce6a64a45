package reconciler

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	argofake "github.com/argoproj/argo-workflows/v3/pkg/client/clientset/versioned/fake"
	istionetworkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	istiofake "istio.io/client-go/pkg/clientset/versioned/fake"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	kubefake "k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	servingfake "knative.dev/serving/pkg/client/clientset/versioned/fake"

	"github.com/slipway-dev/slipway/internal/testutil"
	"github.com/slipway-dev/slipway/pkg/kube"
	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/revisions"
	"github.com/slipway-dev/slipway/pkg/routing"
)

// The fake clientsets do not stream a watch's initial state (client-go's WatchListClient);
// list-then-watch is what they serve.
func init() { os.Setenv("KUBE_FEATURE_WatchListClient", "false") }

func ruledApp(name string) revisions.App {
	return revisions.App{Project: "shop", Name: name, Env: "test", Namespace: "shop-test",
		Template: revisions.Template{RevisionName: name + "-00002", Image: "dev.local/shop/" + name + ":v2"},
		Traffic:  []revisions.Target{{Revision: name + "-00001", Percent: 100}, {Revision: name + "-00002", Tag: "r00002"}},
		Rules:    []revisions.Rule{{Match: beta("x-user-group"), Revision: name + "-00002"}}}
}

// A replica that lost the Lease runs the controller again when it wins it back: the second
// run reconciles apps whose rules were set while it was stopped (the first version shut its
// queue down for good and reconciled nothing after a lost Lease).
func TestControllerRunsAgain(t *testing.T) {
	sc := servingfake.NewSimpleClientset(revisions.BuildService(ruledApp("web")))
	ic := istiofake.NewSimpleClientset()
	var mu sync.Mutex
	applied := map[string]int{}
	// The fake clientset cannot apply; recording the apply is what this test needs.
	ic.PrependReactor("patch", "virtualservices", func(a k8stesting.Action) (bool, runtime.Object, error) {
		mu.Lock()
		defer mu.Unlock()
		applied[a.(k8stesting.PatchAction).GetName()]++
		return true, &istionetworkingv1.VirtualService{}, nil
	})
	waitApplied := func(app string) {
		t.Helper()
		err := testutil.Poll(context.Background(), 20*time.Second, 10*time.Millisecond, nil, func(context.Context) error {
			mu.Lock()
			defer mu.Unlock()
			if applied[names.VirtualService(app)] == 0 {
				return fmt.Errorf("no VirtualService applied for %s; applied: %v", app, applied)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	clients := &kube.Clients{Kube: kubefake.NewClientset(), Serving: sc, Istio: ic, Argo: argofake.NewSimpleClientset()}
	cache := kube.NewCache(clients, 0, "slipway-system")
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() {
		cancel()
		cache.Shutdown()
	})
	if err := cache.Start(ctx); err != nil {
		t.Fatal(err)
	}
	cfg := routing.Config{IngressGateway: "knative-serving/knative-ingress-gateway", LocalGatewayHost: "knative-local-gateway.istio-system.svc.cluster.local"}
	ctl, err := New(clients, cache, testDomains, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	term := func() (stop func()) {
		termCtx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			ctl.Run(termCtx, 2)
		}()
		return func() {
			cancel()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("Run did not return after its context ended")
			}
		}
	}

	stop := term()
	waitApplied("web")
	stop()

	// Set while no run is going: the next run must still see it.
	if _, err := sc.ServingV1().Services("shop-test").Create(ctx, revisions.BuildService(ruledApp("api")), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := testutil.Poll(ctx, 20*time.Second, 10*time.Millisecond, nil, func(context.Context) error {
		_, err := cache.Services.Services("shop-test").Get("api")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	stop = term()
	defer stop()
	waitApplied("api")
}
