//go:build integration

package integration

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

var pingSourcesGVR = schema.GroupVersionResource{Group: "sources.knative.dev", Version: "v1", Resource: "pingsources"}

func pingSource(ns, name, schedule string, sink map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "sources.knative.dev/v1",
		"kind":       "PingSource",
		"metadata":   map[string]any{"name": name, "namespace": ns},
		"spec": map[string]any{
			"schedule": schedule, "timezone": "Europe/Berlin", "contentType": "application/json",
			"data": `{"task":"cleanup"}`, "sink": sink,
		},
	}}
}

// TestPingSourceOnDevStack: Knative Eventing's own PingSource reconciler resolves a
// PingSource's sink to the Knative Service's address and turns it Ready once the ping
// adapter's Deployment (its pod on kwok's node) is available; Eventing's own webhook refuses
// a bad schedule; Eventing's controller, under its own identity, passes the boundary
// policies to add and remove its finalizer.
//
// The PingSources are written by the tests' break-glass identity, in the project's
// namespace: the boundary policies let only platform-api write PingSources there, and
// until platform-api writes them itself (schedules) the test stands in for it. Writing
// them outside the project namespaces instead would skip the policies that Eventing's
// controller must pass here.
func TestPingSourceOnDevStack(t *testing.T) {
	ctx := context.Background()
	createProject(t, "tick")
	ns := "tick-test"
	mustCall(t, http.StatusCreated, http.MethodPost, appPath("tick", "clock", "test")+"/deployments",
		map[string]any{"image": "dev.local/tick/clock:v1"}, nil)

	var address string
	eventually(t, readyTimeout, "Knative Service Ready with an address", func() error {
		ksvc, err := env.clients.Serving.ServingV1().Services(ns).Get(ctx, "clock", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if !ksvc.IsReady() || ksvc.Status.Address == nil || ksvc.Status.Address.URL == nil {
			return fmt.Errorf("service not Ready with an address: %+v", ksvc.Status)
		}
		address = ksvc.Status.Address.URL.String()
		return nil
	})

	dyn, err := dynamic.NewForConfig(env.stack.Config)
	if err != nil {
		t.Fatal(err)
	}
	pings := dyn.Resource(pingSourcesGVR).Namespace(ns)
	sink := map[string]any{"ref": map[string]any{"apiVersion": "serving.knative.dev/v1", "kind": "Service", "name": "clock"}}
	if _, err := pings.Create(ctx, pingSource(ns, "clock-cleanup", "0 2 * * *", sink), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The sink URI is the Service's address (status.address.url, the cluster-local URL),
	// which is what Eventing resolves an Addressable to; status.url is the external host.
	eventually(t, readyTimeout, "PingSource Ready with the Service's address as its sink", func() error {
		ps, err := pings.Get(ctx, "clock-cleanup", metav1.GetOptions{})
		if err != nil {
			return err
		}
		ready, reason := unstructuredCondition(ps, "Ready")
		sinkURI, _, _ := unstructured.NestedString(ps.Object, "status", "sinkUri")
		if ready != "True" || sinkURI != address {
			return fmt.Errorf("PingSource Ready=%s (%s), sinkUri %q (want %q)", ready, reason, sinkURI, address)
		}
		return nil
	})
	adapter, err := env.clients.Kube.AppsV1().Deployments("knative-eventing").Get(ctx, "pingsource-mt-adapter", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if adapter.Status.AvailableReplicas < 1 {
		t.Errorf("ping adapter has %d available replicas, want at least 1", adapter.Status.AvailableReplicas)
	}

	// Eventing's webhook refuses the bad schedule with its own message and field path.
	_, err = pings.Create(ctx, pingSource(ns, "clock-bad", "not a cron", sink), metav1.CreateOptions{})
	if err == nil || !apierrors.IsBadRequest(err) ||
		!strings.Contains(err.Error(), `admission webhook "validation.webhook.eventing.knative.dev" denied the request`) ||
		!strings.Contains(err.Error(), "spec.schedule") {
		t.Errorf("PingSource with schedule %q: err = %v, want Eventing's webhook to refuse spec.schedule", "not a cron", err)
	}

	// Deleted, it is gone once Eventing's controller has finalized it and removed its
	// finalizer (an update the boundary policies let its ServiceAccount make).
	ps, err := pings.Get(ctx, "clock-cleanup", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(ps.GetFinalizers(), "pingsources.sources.knative.dev") {
		t.Errorf("finalizers = %v, want Eventing's", ps.GetFinalizers())
	}
	if err := pings.Delete(ctx, "clock-cleanup", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, readyTimeout, "PingSource gone after its finalizer", func() error {
		_, err := pings.Get(ctx, "clock-cleanup", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("still there (err %v)", err)
	})
}

// unstructuredCondition is the status and reason of a Knative condition on an unstructured object.
func unstructuredCondition(o *unstructured.Unstructured, typ string) (status, reason string) {
	conds, _, _ := unstructured.NestedSlice(o.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == typ {
			s, _ := m["status"].(string)
			r, _ := m["reason"].(string)
			msg, _ := m["message"].(string)
			return s, r + ": " + msg
		}
	}
	return "Unknown", "no " + typ + " condition"
}
