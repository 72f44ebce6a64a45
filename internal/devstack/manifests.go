package devstack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/utils/ptr"
)

// Module versions whose shipped manifests the dev stack installs. They match the Go
// dependencies of the project (knative.dev/serving v0.50.0 and what it requires), so the
// CRDs are exactly the ones the client code was generated against.
var manifestSources = []struct {
	module string
	// globs are relative to the module root.
	globs []string
}{
	{"knative.dev/serving@v0.50.0", []string{"config/core/300-resources/*.yaml", "config/core/configmaps/*.yaml", "config/core/webhooks/*.yaml"}},
	{"knative.dev/networking@v0.0.0-20260727162500-c7a7b772cac9", []string{"config/*.yaml"}},
	{"knative.dev/caching@v0.0.0-20260727161800-0edbf88bc267", []string{"config/*.yaml"}},
	// Eventing: its CRDs, the ConfigMaps its controller and webhook read, the webhook
	// configurations the dev stack's Eventing webhook serves (not SinkBinding's), and the
	// PingSource adapter's ServiceAccount and Deployment (the PingSource reconciler scales
	// it up and reports its availability; kwok runs its pod).
	{"knative.dev/eventing@v0.50.0", []string{"config/core/resources/*.yaml", "config/core/configmaps/*.yaml",
		"config/core/webhooks/secret.yaml", "config/core/webhooks/defaulting.yaml", "config/core/webhooks/resource-validation.yaml",
		"config/core/webhooks/config-validation.yaml",
		"config/core/200-pingsource-mt-adapter-serviceaccount.yaml", "config/core/deployments/pingsource-mt-adapter.yaml"}},
	{"istio.io/api@v1.30.1-0.20260529120535-23c54ad84d6e", []string{"kubernetes/customresourcedefinitions.gen.yaml"}},
	{"github.com/argoproj/argo-workflows/v3@v3.7.6", []string{"manifests/base/crds/full/argoproj.io_*.yaml"}},
}

// moduleDir finds (downloading if needed) a module in the Go module cache.
func moduleDir(ctx context.Context, modVersion string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "mod", "download", "-json", modVersion).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%w: %s", err, ee.Stderr)
		}
		return "", fmt.Errorf("go mod download %s: %w", modVersion, err)
	}
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(out, &info); err != nil {
		return "", err
	}
	if info.Error != "" {
		return "", fmt.Errorf("go mod download %s: %s", modVersion, info.Error)
	}
	return info.Dir, nil
}

// loadManifests reads every object the sources ship.
func loadManifests(ctx context.Context) ([]*unstructured.Unstructured, error) {
	var objs []*unstructured.Unstructured
	for _, src := range manifestSources {
		dir, err := moduleDir(ctx, src.module)
		if err != nil {
			return nil, err
		}
		for _, g := range src.globs {
			files, err := filepath.Glob(filepath.Join(dir, g))
			if err != nil || len(files) == 0 {
				return nil, fmt.Errorf("%s: no manifests match %s", src.module, g)
			}
			sort.Strings(files)
			for _, f := range files {
				fileObjs, err := readObjects(f)
				if err != nil {
					return nil, err
				}
				objs = append(objs, fileObjs...)
			}
		}
	}
	return objs, nil
}

func readObjects(path string) ([]*unstructured.Unstructured, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(raw), 4096)
	var objs []*unstructured.Unstructured
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return objs, nil
			}
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if m == nil || m["kind"] == nil {
			continue
		}
		objs = append(objs, &unstructured.Unstructured{Object: m})
	}
}

const devstackFieldManager = "slipway-devstack"

// installCRDs applies the CRDs and waits until the apiserver serves them.
func installCRDs(ctx context.Context, cfg *rest.Config, objs []*unstructured.Unstructured) error {
	client, err := apiextensionsclient.NewForConfig(cfg)
	if err != nil {
		return err
	}
	var names []string
	for _, o := range objs {
		if o.GetKind() != "CustomResourceDefinition" {
			continue
		}
		data, err := json.Marshal(o.Object)
		if err != nil {
			return err
		}
		if _, err := client.ApiextensionsV1().CustomResourceDefinitions().Patch(ctx, o.GetName(), types.ApplyPatchType, data,
			metav1.PatchOptions{FieldManager: devstackFieldManager, Force: ptr.To(true)}); err != nil {
			return fmt.Errorf("applying CRD %s: %w", o.GetName(), err)
		}
		names = append(names, o.GetName())
	}
	for _, name := range names {
		err := waitFor(ctx, "CRD "+name, crdTimeout, nil, func(ctx context.Context) error {
			crd, err := client.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			for _, c := range crd.Status.Conditions {
				if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
					return nil
				}
			}
			return errors.New("not established")
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// applyObjects server-side applies non-CRD objects, after mutate has adjusted them.
func applyObjects(ctx context.Context, cfg *rest.Config, objs []*unstructured.Unstructured, mutate func(*unstructured.Unstructured) error) error {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	disc, err := discoveryFor(cfg)
	if err != nil {
		return err
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc))
	for _, o := range objs {
		if o.GetKind() == "CustomResourceDefinition" {
			continue
		}
		o = o.DeepCopy()
		if mutate != nil {
			if err := mutate(o); err != nil {
				return err
			}
		}
		gvk := o.GroupVersionKind()
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			return fmt.Errorf("mapping %s: %w", gvk, err)
		}
		var ri dynamic.ResourceInterface = dyn.Resource(m.Resource)
		if m.Scope.Name() == meta.RESTScopeNameNamespace {
			ri = dyn.Resource(m.Resource).Namespace(o.GetNamespace())
		}
		data, err := json.Marshal(o.Object)
		if err != nil {
			return err
		}
		if _, err := ri.Patch(ctx, o.GetName(), types.ApplyPatchType, data,
			metav1.PatchOptions{FieldManager: devstackFieldManager, Force: ptr.To(true)}); err != nil {
			return fmt.Errorf("applying %s %s/%s: %w", gvk.Kind, o.GetNamespace(), o.GetName(), err)
		}
	}
	return nil
}

// setConfigMapData overrides data keys of the ConfigMaps in namespace (Serving and Eventing
// ship ConfigMaps of the same names); the shipped ones carry mostly _example docs.
func setConfigMapData(o *unstructured.Unstructured, namespace string, overrides map[string]map[string]string) error {
	if o.GetKind() != "ConfigMap" || o.GetNamespace() != namespace {
		return nil
	}
	for k, v := range overrides[o.GetName()] {
		if err := unstructured.SetNestedField(o.Object, v, "data", k); err != nil {
			return err
		}
	}
	return nil
}

// setWebhookPort points every webhook of a configuration at the port its Knative webhook
// (by the service's namespace: knative-serving or knative-eventing) listens on; Knative's
// own reconciler fills in the path and caBundle and keeps the port.
func setWebhookPort(o *unstructured.Unstructured, ports map[string]int64) error {
	if !strings.HasSuffix(o.GetKind(), "WebhookConfiguration") {
		return nil
	}
	hooks, _, err := unstructured.NestedSlice(o.Object, "webhooks")
	if err != nil {
		return err
	}
	for i := range hooks {
		h := hooks[i].(map[string]any)
		ns, _, _ := unstructured.NestedString(h, "clientConfig", "service", "namespace")
		port, ok := ports[ns]
		if !ok {
			return fmt.Errorf("%s %s: no webhook runs for namespace %q", o.GetKind(), o.GetName(), ns)
		}
		if err := unstructured.SetNestedField(h, port, "clientConfig", "service", "port"); err != nil {
			return err
		}
	}
	return unstructured.SetNestedSlice(o.Object, hooks, "webhooks")
}

// setConversionPort points a CRD's conversion webhook (Eventing's PingSource and EventType
// convert between versions) at the port its Knative webhook listens on, as setWebhookPort
// does for admission; Knative's conversion reconciler fills in the path and caBundle.
func setConversionPort(o *unstructured.Unstructured, ports map[string]int64) error {
	if o.GetKind() != "CustomResourceDefinition" {
		return nil
	}
	ns, found, err := unstructured.NestedString(o.Object, "spec", "conversion", "webhook", "clientConfig", "service", "namespace")
	if err != nil || !found {
		return err
	}
	port, ok := ports[ns]
	if !ok {
		return fmt.Errorf("CRD %s: no webhook runs for namespace %q", o.GetName(), ns)
	}
	return unstructured.SetNestedField(o.Object, port, "spec", "conversion", "webhook", "clientConfig", "service", "port")
}

// setDevImages replaces the ko:// image references of shipped Deployments (Eventing's ping
// adapter) with digests in the dev registry: the pods are simulated and never pull, and
// nothing may resolve an image over the network.
func setDevImages(o *unstructured.Unstructured) error {
	if o.GetKind() != "Deployment" {
		return nil
	}
	containers, _, err := unstructured.NestedSlice(o.Object, "spec", "template", "spec", "containers")
	if err != nil {
		return err
	}
	for i := range containers {
		c := containers[i].(map[string]any)
		if img, _ := c["image"].(string); strings.HasPrefix(img, "ko://") {
			c["image"] = devImage(strings.TrimPrefix(img, "ko://"))
		}
	}
	return unstructured.SetNestedSlice(o.Object, containers, "spec", "template", "spec", "containers")
}

// devImage is a dev-registry digest reference for an upstream import path, e.g.
// knative.dev/eventing/cmd/mtping → dev.local/knative/eventing/mtping@sha256:0…0.
func devImage(importPath string) string {
	path := strings.ReplaceAll(strings.TrimPrefix(importPath, "knative.dev/"), "/cmd/", "/")
	return DevRegistry + "/knative/" + path + "@sha256:" + zeroDigest
}
