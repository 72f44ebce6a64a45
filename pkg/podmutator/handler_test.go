package podmutator

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/slipway-dev/slipway/internal/latency"
	"github.com/slipway-dev/slipway/pkg/logging"
	"github.com/slipway-dev/slipway/pkg/names"
)

var testLogging = logging.Config{HostRoot: "/var/log/slipway"}

// managedNamespaces stands for the namespace informer.
func managedNamespaces(_ context.Context, name string) (map[string]string, error) {
	switch name {
	case "shop-prod":
		return map[string]string{"app.kubernetes.io/managed-by": "slipway", "slipway.dev/project": "shop", "slipway.dev/env": "prod"}, nil
	case "team-x":
		// Not made by platform-api: its project label is not to be believed.
		return map[string]string{"slipway.dev/project": "shop", "slipway.dev/env": "prod"}, nil
	}
	return nil, errors.New("not found")
}

func newHandler(t *testing.T) (*Handler, *Metrics) {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	return &Handler{Config: testLogging, Namespaces: managedNamespaces, Decoder: admission.NewDecoder(scheme), Metrics: m}, m
}

// appPod is a pod of Knative Service web as the apiserver sends it: only a
// generateName, and a field this client's types do not know, which the patch
// must leave alone.
func appPod(logPaths string, collect bool) []byte {
	pod := map[string]any{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{
			"generateName": "web-00001-deployment-7d9f-",
			"labels":       map[string]any{"serving.knative.dev/service": "web"},
			"annotations":  map[string]any{},
		},
		"spec": map[string]any{
			"containers": []any{
				map[string]any{"name": "user-container", "image": "dev.local/web:v1", "futureField": "kept"},
				map[string]any{"name": "queue-proxy", "image": "dev.local/queue:v1"},
			},
		},
	}
	meta := pod["metadata"].(map[string]any)
	if collect {
		meta["labels"].(map[string]any)["slipway.dev/log-collect"] = "true"
	}
	if logPaths != "" {
		meta["annotations"].(map[string]any)["slipway.dev/log-paths"] = logPaths
	}
	b, _ := json.Marshal(pod)
	return b
}

func review(ns string, op admissionv1.Operation, kind string, raw []byte) admission.Request {
	return admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID:       "uid-1",
		Kind:      metav1.GroupVersionKind{Version: "v1", Kind: kind},
		Resource:  metav1.GroupVersionResource{Version: "v1", Resource: strings.ToLower(kind) + "s"},
		Namespace: ns,
		Operation: op,
		Object:    runtime.RawExtension{Raw: raw},
	}}
}

func TestHandle(t *testing.T) {
	good := `[{"path":"/app/logs","name":"app"}]`
	cases := map[string]struct {
		req         admission.Request
		wantAllowed bool
		wantCode    int32
		wantMessage string
		wantPatched bool
		outcome     string
	}{
		"opted-in pod": {
			req: review("shop-prod", admissionv1.Create, "Pod", appPod(good, true)), wantAllowed: true, wantPatched: true, outcome: OutcomeMutated,
		},
		"pod without the label": {
			req: review("shop-prod", admissionv1.Create, "Pod", appPod(good, false)), wantAllowed: true, outcome: OutcomeSkipped,
		},
		"update": {
			req: review("shop-prod", admissionv1.Update, "Pod", appPod(good, true)), wantAllowed: true, outcome: OutcomeSkipped,
		},
		"not a pod": {
			req: review("shop-prod", admissionv1.Create, "ConfigMap", []byte(`{"apiVersion":"v1","kind":"ConfigMap"}`)), wantAllowed: true, outcome: OutcomeSkipped,
		},
		"traversal": {
			req:      review("shop-prod", admissionv1.Create, "Pod", appPod(`[{"path":"/app/../etc"}]`, true)),
			wantCode: http.StatusForbidden, wantMessage: `log-paths[0].path "/app/../etc"`, outcome: OutcomeDenied,
		},
		"malformed annotation": {
			req:      review("shop-prod", admissionv1.Create, "Pod", appPod(`[{"path":`, true)),
			wantCode: http.StatusForbidden, wantMessage: "malformed JSON", outcome: OutcomeDenied,
		},
		"label without annotation": {
			req:      review("shop-prod", admissionv1.Create, "Pod", appPod("", true)),
			wantCode: http.StatusForbidden, wantMessage: "slipway.dev/log-paths: required", outcome: OutcomeDenied,
		},
		"unknown container": {
			req:      review("shop-prod", admissionv1.Create, "Pod", appPod(`[{"path":"/x","container":"sidecar"}]`, true)),
			wantCode: http.StatusForbidden, wantMessage: `container "sidecar": no such container`, outcome: OutcomeDenied,
		},
		"undecodable pod": {
			req:      review("shop-prod", admissionv1.Create, "Pod", []byte(`{"apiVersion":"v1","kind":"Pod","spec":"no"}`)),
			wantCode: http.StatusBadRequest, outcome: OutcomeError,
		},
		"namespace lookup fails": {
			req:      review("gone", admissionv1.Create, "Pod", appPod(good, true)),
			wantCode: http.StatusInternalServerError, wantMessage: "not found", outcome: OutcomeError,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			h, m := newHandler(t)
			resp := h.Handle(context.Background(), tc.req)
			if resp.Allowed != tc.wantAllowed {
				t.Fatalf("allowed = %v, want %v (result %+v)", resp.Allowed, tc.wantAllowed, resp.Result)
			}
			if !tc.wantAllowed {
				if resp.Result == nil || resp.Result.Code != tc.wantCode || !strings.Contains(resp.Result.Message, tc.wantMessage) {
					t.Errorf("result = %+v, want code %d and a message with %q", resp.Result, tc.wantCode, tc.wantMessage)
				}
			}
			if got := len(resp.Patches) > 0; got != tc.wantPatched {
				t.Errorf("patched = %v, want %v: %v", got, tc.wantPatched, resp.Patches)
			}
			if got := testutil.ToFloat64(m.decisions.WithLabelValues(tc.outcome)); got != 1 {
				t.Errorf("decisions{outcome=%s} = %v, want 1", tc.outcome, got)
			}
		})
	}
}

// The patch, applied to the request's bytes the way the apiserver applies it,
// must give exactly logging.Mutate's pod, keep unknown fields, and take the
// project and env from the namespace only when platform-api made it.
func TestHandlePatchGivesMutatedPod(t *testing.T) {
	for _, tc := range []struct {
		ns            string
		project, env  string
		wantLogLabels map[string]string
	}{
		{"shop-prod", "shop", "prod", map[string]string{names.KeyLogProject: "shop", names.KeyLogApp: "web", names.KeyLogEnv: "prod"}},
		{"team-x", "", "", map[string]string{names.KeyLogApp: "web"}},
	} {
		t.Run(tc.ns, func(t *testing.T) {
			h, _ := newHandler(t)
			raw := appPod(`[{"path":"/app/logs","name":"app"}]`, true)
			resp := h.Handle(context.Background(), review(tc.ns, admissionv1.Create, "Pod", raw))
			if !resp.Allowed {
				t.Fatalf("denied: %+v", resp.Result)
			}
			ops, err := json.Marshal(resp.Patches)
			if err != nil {
				t.Fatal(err)
			}
			patch, err := jsonpatch.DecodePatch(ops)
			if err != nil {
				t.Fatal(err)
			}
			patched, err := patch.Apply(raw)
			if err != nil {
				t.Fatalf("applying %s: %v", ops, err)
			}
			if !strings.Contains(string(patched), `"futureField":"kept"`) {
				t.Errorf("the patch dropped a field the handler's types do not know: %s", patched)
			}
			var got, in corev1.Pod
			if err := json.Unmarshal(patched, &got); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw, &in); err != nil {
				t.Fatal(err)
			}
			want, err := logging.Mutate(&in, logging.Namespace{Name: tc.ns, Project: tc.project, Env: tc.env}, testLogging)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, &got); diff != "" {
				t.Errorf("patched pod (-want,+got):\n%s", diff)
			}
			for k, v := range tc.wantLogLabels {
				if got.Labels[k] != v {
					t.Errorf("label %s = %q, want %q", k, got.Labels[k], v)
				}
			}
			if len(got.Labels) != 2+len(tc.wantLogLabels) {
				t.Errorf("labels = %v", got.Labels)
			}
			// Reinvocation: the mutated pod comes back unchanged.
			again := h.Handle(context.Background(), review(tc.ns, admissionv1.Create, "Pod", patched))
			if !again.Allowed || len(again.Patches) != 0 {
				t.Errorf("second pass: allowed %v, patches %v", again.Allowed, again.Patches)
			}
		})
	}
}

// BenchmarkHandle is the webhook's own share of an admission call: decode,
// namespace lookup (here a map), mutation and patch.
func BenchmarkHandle(b *testing.B) {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		b.Fatal(err)
	}
	h := &Handler{Config: testLogging, Namespaces: managedNamespaces, Decoder: admission.NewDecoder(scheme)}
	req := review("shop-prod", admissionv1.Create, "Pod", appPod(`[{"path":"/app/logs","name":"app"},{"path":"/var/log/nginx"}]`, true))
	b.ReportAllocs()
	var samples latency.Samples
	for b.Loop() {
		start := time.Now()
		resp := h.Handle(context.Background(), req)
		samples = append(samples, time.Since(start))
		if len(resp.Patches) == 0 {
			b.Fatal("not patched")
		}
	}
	b.ReportMetric(float64(samples.Percentile(50).Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(samples.Percentile(99).Nanoseconds()), "p99-ns")
}
