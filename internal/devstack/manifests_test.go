package devstack

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func obj(m map[string]any) *unstructured.Unstructured { return &unstructured.Unstructured{Object: m} }

func TestSetWebhookPortByServiceNamespace(t *testing.T) {
	hook := func(ns string) map[string]any {
		return map[string]any{"name": ns, "clientConfig": map[string]any{"service": map[string]any{"name": "w", "namespace": ns}}}
	}
	o := obj(map[string]any{"kind": "ValidatingWebhookConfiguration", "metadata": map[string]any{"name": "v"},
		"webhooks": []any{hook(knativeNamespace), hook(eventingNamespace)}})
	ports := map[string]int64{knativeNamespace: 1001, eventingNamespace: 2002}
	if err := setWebhookPort(o, ports); err != nil {
		t.Fatal(err)
	}
	hooks, _, _ := unstructured.NestedSlice(o.Object, "webhooks")
	var got []int64
	for _, h := range hooks {
		p, _, _ := unstructured.NestedInt64(h.(map[string]any), "clientConfig", "service", "port")
		got = append(got, p)
	}
	if d := cmp.Diff([]int64{1001, 2002}, got); d != "" {
		t.Errorf("ports (-want,+got):\n%s", d)
	}
	other := obj(map[string]any{"kind": "MutatingWebhookConfiguration", "metadata": map[string]any{"name": "m"},
		"webhooks": []any{hook("elsewhere")}})
	if err := setWebhookPort(other, ports); err == nil {
		t.Error("a webhook of a namespace no webhook runs for was given a port")
	}
}

func TestSetConversionPort(t *testing.T) {
	crd := obj(map[string]any{"kind": "CustomResourceDefinition", "metadata": map[string]any{"name": "pingsources.sources.knative.dev"},
		"spec": map[string]any{"conversion": map[string]any{"strategy": "Webhook", "webhook": map[string]any{
			"clientConfig": map[string]any{"service": map[string]any{"name": "eventing-webhook", "namespace": eventingNamespace}}}}}})
	if err := setConversionPort(crd, map[string]int64{eventingNamespace: 2002}); err != nil {
		t.Fatal(err)
	}
	if p, _, _ := unstructured.NestedInt64(crd.Object, "spec", "conversion", "webhook", "clientConfig", "service", "port"); p != 2002 {
		t.Errorf("conversion port = %d, want 2002", p)
	}
	plain := obj(map[string]any{"kind": "CustomResourceDefinition", "metadata": map[string]any{"name": "x"}, "spec": map[string]any{}})
	if err := setConversionPort(plain, nil); err != nil {
		t.Errorf("a CRD without a conversion webhook: %v", err)
	}
	if _, found, _ := unstructured.NestedFieldNoCopy(plain.Object, "spec", "conversion"); found {
		t.Error("a CRD without a conversion webhook got one")
	}
}

func TestSetDevImages(t *testing.T) {
	d := obj(map[string]any{"kind": "Deployment", "metadata": map[string]any{"name": "pingsource-mt-adapter"},
		"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"containers": []any{
			map[string]any{"name": "dispatcher", "image": "ko://knative.dev/eventing/cmd/mtping"},
			map[string]any{"name": "pinned", "image": "dev.local/x/y@sha256:" + zeroDigest},
		}}}}})
	if err := setDevImages(d); err != nil {
		t.Fatal(err)
	}
	cs, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	var got []string
	for _, c := range cs {
		got = append(got, c.(map[string]any)["image"].(string))
	}
	want := []string{"dev.local/knative/eventing/mtping@sha256:" + zeroDigest, "dev.local/x/y@sha256:" + zeroDigest}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("images (-want,+got):\n%s", d)
	}
}

func TestSetConfigMapDataOnlyInItsNamespace(t *testing.T) {
	overrides := map[string]map[string]string{"config-features": {"secure-pod-defaults": "enabled"}}
	serving := obj(map[string]any{"kind": "ConfigMap", "metadata": map[string]any{"name": "config-features", "namespace": knativeNamespace}})
	eventing := obj(map[string]any{"kind": "ConfigMap", "metadata": map[string]any{"name": "config-features", "namespace": eventingNamespace}})
	for _, o := range []*unstructured.Unstructured{serving, eventing} {
		if err := setConfigMapData(o, knativeNamespace, overrides); err != nil {
			t.Fatal(err)
		}
	}
	if v, _, _ := unstructured.NestedString(serving.Object, "data", "secure-pod-defaults"); v != "enabled" {
		t.Errorf("Serving's config-features: secure-pod-defaults = %q, want enabled", v)
	}
	if _, found, _ := unstructured.NestedFieldNoCopy(eventing.Object, "data"); found {
		t.Errorf("Eventing's config-features got Serving's overrides: %v", eventing.Object["data"])
	}
}
