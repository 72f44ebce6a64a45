//go:build integration

package integration

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	istionetworkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/networking/pkg/apis/networking"

	"github.com/slipway-dev/slipway/pkg/apps"
	"github.com/slipway-dev/slipway/pkg/names"
)

func getVS(ns, app string) (*istionetworkingv1.VirtualService, error) {
	return env.clients.Istio.NetworkingV1().VirtualServices(ns).Get(context.Background(), names.VirtualService(app), metav1.GetOptions{})
}

// routeSummary renders a VirtualService's HTTP routes as "match → authority" lines.
func routeSummary(vs *istionetworkingv1.VirtualService) []string {
	var out []string
	for _, r := range vs.Spec.Http {
		var conds []string
		for _, m := range r.Match {
			if m.Authority != nil {
				conds = append(conds, "authority="+m.Authority.GetExact())
			}
			for h, sm := range m.Headers {
				conds = append(conds, fmt.Sprintf("%s=%s%s%s", h, sm.GetExact(), sm.GetPrefix(), sm.GetRegex()))
			}
		}
		dest := ""
		if len(r.Route) == 1 {
			dest = r.Route[0].Destination.Host
		}
		out = append(out, fmt.Sprintf("[%s] → %s via %s", strings.Join(conds, " "), r.Rewrite.GetAuthority(), dest))
	}
	return out
}

// tagURLHost is the host Knative's Route status reports for a tag.
func tagURLHost(ns, app, tag string) (string, error) {
	route, err := env.clients.Serving.ServingV1().Routes(ns).Get(context.Background(), app, metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	if route.Status.ObservedGeneration != route.Generation {
		return "", fmt.Errorf("route status is stale")
	}
	for _, t := range route.Status.Traffic {
		if t.Tag == tag && t.URL != nil {
			return t.URL.Host, nil
		}
	}
	return "", fmt.Errorf("no URL for tag %s in %+v", tag, route.Status.Traffic)
}

// TestHeaderRouting: a header rule turns the Service cluster-local and gives it a Slipway
// VirtualService that sends the header to the tagged revision and everything else to
// Knative's split; hand edits and deletions are undone; removing the rule undoes it all.
func TestHeaderRouting(t *testing.T) {
	createProject(t, "gray")
	ns, base := "gray-test", appPath("gray", "web", "test")
	mustCall(t, http.StatusCreated, http.MethodPost, base+"/deployments", map[string]any{"image": "dev.local/gray/web:v1"}, nil)
	waitRevisionReady(t, ns, "web-00001", "dev.local/gray/web:v1")
	mustCall(t, http.StatusCreated, http.MethodPost, base+"/deployments", map[string]any{"image": "dev.local/gray/web:v2"}, nil)
	mustCall(t, http.StatusOK, http.MethodPut, base+"/traffic", map[string]any{
		"targets": []map[string]any{{"revision": "web-00001", "percent": 100}},
		"rules":   []map[string]any{{"match": map[string]any{"headers": map[string]any{"x-user-group": map[string]string{"exact": "beta"}}}, "revision": "web-00002"}},
		"message": "beta users on v2",
	}, nil)

	local := env.cfg.Routing.LocalGatewayHost
	want := []string{
		"[authority=r00002-web.gray-test.slipway.test] → r00002-web.gray-test.svc.cluster.local via " + local,
		"[x-user-group=beta] → r00002-web.gray-test.svc.cluster.local via " + local,
		"[] → web.gray-test.svc.cluster.local via " + local,
	}
	inShape := func(within time.Duration, what string) *istionetworkingv1.VirtualService {
		t.Helper()
		var vs *istionetworkingv1.VirtualService
		eventually(t, within, what, func() error {
			var err error
			if vs, err = getVS(ns, "web"); err != nil {
				return err
			}
			if got := routeSummary(vs); fmt.Sprint(got) != fmt.Sprint(want) {
				return fmt.Errorf("routes\n got %q\nwant %q", got, want)
			}
			return nil
		})
		return vs
	}
	vs := inShape(30*time.Second, "VirtualService in shape")
	if fmt.Sprint(vs.Spec.Gateways) != "[knative-serving/knative-ingress-gateway]" || fmt.Sprint(vs.Spec.Hosts) != "[r00002-web.gray-test.slipway.test web.gray-test.slipway.test]" && fmt.Sprint(vs.Spec.Hosts) != "[web.gray-test.slipway.test r00002-web.gray-test.slipway.test]" {
		t.Errorf("gateways %v hosts %v", vs.Spec.Gateways, vs.Spec.Hosts)
	}
	svc, err := env.clients.Serving.ServingV1().Services(ns).Get(context.Background(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs.OwnerReferences) != 1 || vs.OwnerReferences[0].UID != svc.UID {
		t.Errorf("ownerReferences %+v, want the Service %s", vs.OwnerReferences, svc.UID)
	}
	if svc.Labels[networking.VisibilityLabelKey] != "cluster-local" {
		t.Errorf("Service visibility label = %q, want cluster-local", svc.Labels[networking.VisibilityLabelKey])
	}

	// Cross-check with Knative: the rule's authority is the host Knative reports for the tag.
	eventually(t, readyTimeout, "Knative reports the tag host the rule rewrites to", func() error {
		host, err := tagURLHost(ns, "web", "r00002")
		if err != nil {
			return err
		}
		if host != "r00002-web.gray-test.svc.cluster.local" {
			return fmt.Errorf("Knative's tag host %s differs from the rule's rewrite authority", host)
		}
		return nil
	})

	var st apps.AppStatus
	mustCall(t, http.StatusOK, http.MethodGet, base, nil, &st)
	if len(st.Routing.Rules) != 1 || st.Routing.Rules[0].Revision != "web-00002" || st.Routing.Rules[0].Host != "r00002-web.gray-test.svc.cluster.local" ||
		len(st.Routing.Percentages) != 1 || st.Routing.Percentages[0].Revision != "web-00001" || st.Hosts[0].Host != "web.gray-test.slipway.test" {
		t.Errorf("effective routing %+v hosts %+v", st.Routing, st.Hosts)
	}

	// Deleted by hand: restored from the Service.
	deleted := time.Now()
	if err := env.clients.Istio.NetworkingV1().VirtualServices(ns).Delete(context.Background(), names.VirtualService("web"), metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	inShape(15*time.Second, "VirtualService restored after deletion")
	t.Logf("restored %s after a manual delete", time.Since(deleted).Round(time.Millisecond))

	// Edited by hand: the rewrite is put back.
	vs, err = getVS(ns, "web")
	if err != nil {
		t.Fatal(err)
	}
	vs.Spec.Http[1].Rewrite.Authority = "evil.example.internal"
	edited := time.Now()
	if _, err := env.clients.Istio.NetworkingV1().VirtualServices(ns).Update(context.Background(), vs, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	inShape(15*time.Second, "VirtualService restored after an edit")
	t.Logf("restored %s after a manual edit", time.Since(edited).Round(time.Millisecond))

	// A lane rule is the x-slipway-lane header.
	mustCall(t, http.StatusOK, http.MethodPut, base+"/traffic", map[string]any{
		"targets": []map[string]any{{"revision": "web-00001", "percent": 100}},
		"rules":   []map[string]any{{"lane": "feature-x", "revision": "web-00002"}},
	}, nil)
	waitOneRule(t, ns, "web", "lane rule enacted", "[x-slipway-lane=feature-x] → r00002-web.gray-test.svc.cluster.local via "+local)

	// Without rules: no VirtualService, Knative's external route is back.
	mustCall(t, http.StatusOK, http.MethodPut, base+"/traffic", map[string]any{
		"targets": []map[string]any{{"revision": "web-00001", "percent": 100}},
	}, nil)
	eventually(t, 30*time.Second, "VirtualService removed", func() error {
		if _, err := getVS(ns, "web"); !apierrors.IsNotFound(err) {
			return fmt.Errorf("VirtualService still there (err %v)", err)
		}
		return nil
	})
	eventually(t, readyTimeout, "Knative's external URL back", func() error {
		svc, err := env.clients.Serving.ServingV1().Services(ns).Get(context.Background(), "web", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if _, ok := svc.Labels[networking.VisibilityLabelKey]; ok {
			return fmt.Errorf("visibility label still set")
		}
		if svc.Status.URL == nil || svc.Status.URL.Host != "web.gray-test.slipway.test" || svc.Status.ObservedGeneration != svc.Generation {
			return fmt.Errorf("status URL %v", svc.Status.URL)
		}
		return nil
	})
}

// TestShortDomain: an app that opts into {app}.sls-{cluster}.{base} gets exactly that host
// from Knative's own Route reconciler; the same name in another project is refused; with a
// rule the rewrite authority again equals Knative's tag host.
func TestShortDomain(t *testing.T) {
	createProject(t, "alpha")
	createProject(t, "bravo")
	alpha := appPath("alpha", "shop", "test")
	mustCall(t, http.StatusCreated, http.MethodPost, alpha+"/deployments", map[string]any{"image": "dev.local/alpha/shop:v1", "domain": "short"}, nil)
	eventually(t, readyTimeout, "Knative reports the short host", func() error {
		svc, err := env.clients.Serving.ServingV1().Services("alpha-test").Get(context.Background(), "shop", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if svc.Status.URL == nil || svc.Status.URL.Host != "shop.sls-dev.slipway.test" {
			return fmt.Errorf("status URL %v", svc.Status.URL)
		}
		return nil
	})

	code, body := call(t, http.MethodPost, appPath("bravo", "shop", "test")+"/deployments", map[string]any{"image": "dev.local/bravo/shop:v1", "domain": "short"}, nil)
	if code != http.StatusConflict || !strings.Contains(string(body), "alpha-test") {
		t.Fatalf("second short app: %d %s, want 409 naming alpha-test", code, body)
	}
	// The default scheme keeps the namespace in the host: no collision.
	mustCall(t, http.StatusCreated, http.MethodPost, appPath("bravo", "shop", "test")+"/deployments", map[string]any{"image": "dev.local/bravo/shop:v1"}, nil)

	mustCall(t, http.StatusCreated, http.MethodPost, alpha+"/deployments", map[string]any{
		"image": "dev.local/alpha/shop:v2", "strategy": map[string]any{"type": "header", "lane": "beta"}}, nil)
	eventually(t, readyTimeout, "short-scheme VirtualService agrees with Knative", func() error {
		vs, err := getVS("alpha-test", "shop")
		if err != nil {
			return err
		}
		host, err := tagURLHost("alpha-test", "shop", "r00002")
		if err != nil {
			return err
		}
		got := routeSummary(vs)
		if len(got) != 3 || got[1] != "[x-slipway-lane=beta] → "+host+" via "+env.cfg.Routing.LocalGatewayHost {
			return fmt.Errorf("routes %q, Knative tag host %s", got, host)
		}
		if fmt.Sprint(vs.Spec.Hosts) != "[r00002-shop.sls-dev.slipway.test shop.sls-dev.slipway.test]" && fmt.Sprint(vs.Spec.Hosts) != "[shop.sls-dev.slipway.test r00002-shop.sls-dev.slipway.test]" {
			return fmt.Errorf("hosts %v", vs.Spec.Hosts)
		}
		return nil
	})
}

// waitOneRule waits until the app's VirtualService has one rule route (between its tag and
// default routes) that routeSummary renders as want.
func waitOneRule(t *testing.T, ns, app, what, want string) {
	t.Helper()
	eventually(t, 30*time.Second, what, func() error {
		vs, err := getVS(ns, app)
		if err != nil {
			return err
		}
		if got := routeSummary(vs); len(got) != 3 || got[1] != want {
			return fmt.Errorf("routes %q", got)
		}
		return nil
	})
}
