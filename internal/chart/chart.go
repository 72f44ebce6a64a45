// Package chart renders the Helm chart in charts/slipway with Helm's Go SDK, as `helm
// template` would, for the tests that hold the chart to Slipway's own builders
// (chart_test.go) and to a real apiserver (test/integration/chart_test.go). Nothing under
// cmd/ imports it.
package chart

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	runtimeconv "k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// ConfigMapName is the ConfigMap holding platform-api's configuration file, under ConfigKey.
const (
	ConfigMapName = "slipway-config"
	ConfigKey     = "config.yaml"
)

// Dir is charts/slipway in this repository.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "charts", "slipway")
}

// Release names an install: `helm install {Name} charts/slipway -n {Namespace}`.
type Release struct{ Name, Namespace string }

// Render renders the chart with values over its values.yaml, validating them against
// values.schema.json first, exactly as helm install does.
func Render(rel Release, values map[string]any) (Objects, error) {
	ch, err := loader.Load(Dir())
	if err != nil {
		return nil, err
	}
	vals, err := chartutil.ToRenderValues(ch, values, chartutil.ReleaseOptions{
		Name: rel.Name, Namespace: rel.Namespace, Revision: 1, IsInstall: true,
	}, chartutil.DefaultCapabilities)
	if err != nil {
		return nil, err
	}
	files, err := engine.Render(ch, vals)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	var objs Objects
	for _, name := range names {
		if !strings.HasSuffix(name, ".yaml") {
			continue // NOTES.txt, helpers
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader([]byte(files[name])), 4096)
		for {
			var m map[string]any
			if err := dec.Decode(&m); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			if len(m) == 0 {
				continue
			}
			objs = append(objs, &unstructured.Unstructured{Object: m})
		}
	}
	return objs, nil
}

// ParseValues reads values written as YAML.
func ParseValues(y string) (map[string]any, error) {
	v, err := chartutil.ReadValues([]byte(y))
	return v, err
}

// Objects are the rendered manifests, in file order.
type Objects []*unstructured.Unstructured

// Find returns the object of that kind, namespace and name, or nil.
func (o Objects) Find(kind, namespace, name string) *unstructured.Unstructured {
	for _, u := range o {
		if u.GetKind() == kind && u.GetNamespace() == namespace && u.GetName() == name {
			return u
		}
	}
	return nil
}

// OfKind returns every object of one of the kinds.
func (o Objects) OfKind(kinds ...string) Objects {
	var out Objects
	for _, u := range o {
		for _, k := range kinds {
			if u.GetKind() == k {
				out = append(out, u)
			}
		}
	}
	return out
}

// Into converts a rendered object into a typed one, refusing fields the type lacks (a
// misspelt key in a template would otherwise vanish silently).
func Into(u *unstructured.Unstructured, out any) error {
	if u == nil {
		return errors.New("object not rendered")
	}
	return runtimeconv.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, out, true)
}

// ConfigFile is the rendered platform-api configuration file.
func (o Objects) ConfigFile(namespace string) ([]byte, error) {
	cm := o.Find("ConfigMap", namespace, ConfigMapName)
	if cm == nil {
		return nil, fmt.Errorf("ConfigMap %s/%s not rendered", namespace, ConfigMapName)
	}
	s, ok, err := unstructured.NestedString(cm.Object, "data", ConfigKey)
	if err != nil || !ok {
		return nil, fmt.Errorf("ConfigMap %s has no %s: %v", ConfigMapName, ConfigKey, err)
	}
	return []byte(s), nil
}
