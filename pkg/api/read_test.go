package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	"sigs.k8s.io/yaml"

	"github.com/slipway-dev/slipway/pkg/revisions"
)

// helloStatus is hello's status in test as the API renders it.
const helloStatus = `{
	"project": "demo", "app": "hello", "env": "test", "namespace": "demo-test",
	"url": "http://hello.demo-test.slipway.test", "ready": true,
	"latestCreatedRevision": "hello-00002", "latestReadyRevision": "hello-00001",
	"image": "registry.example/demo/hello:v2",
	"traffic": [{"revision": "hello-00001", "percent": 100}],
	"servedTraffic": [{"revision": "hello-00001", "percent": 100}],
	"hosts": [{"host": "hello.demo-test.slipway.test"}],
	"routing": {"rules": [], "percentages": [{"revision": "hello-00001", "percent": 100}]}`

func TestReadEndpoints(t *testing.T) {
	s := newStack(t, stackOptions{})
	rev1JSON := `{"name": "hello-00001", "image": "registry.example/demo/hello:v1", "created": "2026-01-02T03:04:05Z",
		"deployedBy": "alice", "message": "first", "ready": true, "percent": 100}`
	rev2JSON := `{"name": "hello-00002", "image": "registry.example/demo/hello:v2", "created": "2026-01-03T04:05:06Z",
		"deployedBy": "bob", "message": "second", "ready": false, "reason": "ContainerMissing", "percent": 0}`
	cases := []struct {
		name, path, want string
	}{
		{"environments", "/api/v1/environments", `[
			{"name": "test", "description": "scales to zero", "minScale": 0},
			{"name": "prod", "minScale": 1, "maxScale": 10, "requireApprovals": {"count": 1}}]`},
		{"projects", "/api/v1/projects", `[{"name": "demo", "namespaces": {"test": "demo-test", "prod": "demo-prod"}}]`},
		// foreign lacks Slipway's labels, so it is not an app of the project.
		{"apps", "/api/v1/projects/demo/apps", `[{"name": "hello", "envs": {"test": ` + helloStatus + `,
			"revisions": ["hello-00001", "hello-00002"]}}}]`},
		{"app status", testPath, helloStatus + `}`},
		{"revisions", testPath + "/revisions", `[` + rev1JSON + `,` + rev2JSON + `]`},
		{"one revision", testPath + "/revisions/" + rev2, rev2JSON},
		{"history", testPath + "/history", `[
			{"time": "2026-01-02T03:04:05Z", "user": "alice", "action": "deploy", "revision": "hello-00001",
				"image": "registry.example/demo/hello:v1", "message": "first", "traffic": [{"revision": "hello-00001", "percent": 100}]},
			{"time": "2026-01-03T04:05:06Z", "user": "bob", "action": "deploy", "revision": "hello-00002",
				"image": "registry.example/demo/hello:v2", "message": "second", "traffic": [{"revision": "hello-00001", "percent": 100}]}]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := s.getJSON(t, tc.path)
			if diff := cmp.Diff(decodeAny(t, []byte(tc.want)), got); diff != "" {
				t.Errorf("GET %s (-want,+got):\n%s", tc.path, diff)
			}
		})
	}

	t.Run("filebeat inputs", func(t *testing.T) {
		r := s.do(t, http.MethodGet, "/api/v1/logging/filebeat", "", "")
		if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/yaml" {
			t.Fatalf("status %d, Content-Type %q; body %.500s", r.status, r.header.Get("Content-Type"), r.body)
		}
		// Both of the project's namespaces, and nothing of kube-system.
		text := string(r.body)
		for _, want := range []string{"id: slipway-files-" + project + "-prod", "id: slipway-containers-" + project + "-test",
			"/var/log/slipway/" + project + "-prod/*/*/*/*", "/var/log/containers/*_" + project + "-test_*.log"} {
			if !strings.Contains(text, want) {
				t.Errorf("filebeat inputs lack %q:\n%s", want, text)
			}
		}
		if strings.Contains(text, "kube-system") {
			t.Errorf("filebeat inputs read kube-system:\n%s", text)
		}
	})

	t.Run("manifests", func(t *testing.T) {
		r := s.do(t, http.MethodGet, testPath+"/manifests", "", "")
		if r.status != http.StatusOK {
			t.Fatalf("status %d; body %.500s", r.status, r.body)
		}
		if ct := r.header.Get("Content-Type"); ct != "application/yaml" {
			t.Errorf("Content-Type = %q, want application/yaml", ct)
		}
		text := string(r.body)
		if !strings.HasPrefix(text, "---\n") || !strings.Contains(text, "\nkind: Service\n") ||
			!strings.Contains(text, "apiVersion: serving.knative.dev/v1\n") {
			t.Errorf("not a YAML stream of a Knative Service:\n%s", text)
		}
		// Server-set fields are stripped so the YAML can be applied elsewhere: the seeded
		// Service's metadata and status (conditions, URL, traffic, revision names) must not
		// appear.
		for _, banned := range []string{"resourceVersion", "uid:", "generation:", "uid-hello", "creationTimestamp", "status:",
			"conditions:", "url:", "latestReadyRevisionName", "latestCreatedRevisionName", "observedGeneration", "http://"} {
			if strings.Contains(text, banned) {
				t.Errorf("manifest contains %q:\n%s", banned, text)
			}
		}
		docs := strings.Split(strings.TrimPrefix(text, "---\n"), "\n---\n")
		if len(docs) != 1 {
			t.Fatalf("%d documents, want 1 (the Service)", len(docs))
		}
		var svc servingv1.Service
		if err := yaml.UnmarshalStrict([]byte(docs[0]), &svc); err != nil {
			t.Fatalf("the manifest does not decode as a Service: %v", err)
		}
		got, err := revisions.AppFromService(&svc)
		if err != nil {
			t.Fatal(err)
		}
		if got.Project != project || got.Name != app || got.Env != "test" || got.Namespace != testNS {
			t.Errorf("identity = %s/%s/%s in %s", got.Project, got.Name, got.Env, got.Namespace)
		}
		if diff := cmp.Diff([]revisions.Target{{Revision: rev1, Percent: 100}}, got.Traffic); diff != "" {
			t.Errorf("traffic (-want,+got):\n%s", diff)
		}
		if got.Template.RevisionName != rev2 || got.Template.Image != image2 || got.Template.Port != 8080 || got.Template.DeployedBy != "bob" {
			t.Errorf("template = %+v", got.Template)
		}
		if len(got.History) != 2 {
			t.Errorf("history has %d entries, want 2", len(got.History))
		}
	})
}
