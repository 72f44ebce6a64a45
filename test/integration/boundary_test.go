//go:build integration

package integration

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/slipway-dev/slipway/internal/devstack"
	"github.com/slipway-dev/slipway/pkg/names"
)

var (
	ksvcGVR        = schema.GroupVersionResource{Group: "serving.knative.dev", Version: "v1", Resource: "services"}
	workflowGVR    = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "workflows"}
	vsGVR          = schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1", Resource: "virtualservices"}
	pingSourceGVR  = schema.GroupVersionResource{Group: "sources.knative.dev", Version: "v1", Resource: "pingsources"}
	roleBindingGVR = schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "rolebindings"}
	configMapGVR   = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
)

// Objects a person might write around the platform, in namespace ns.
func directKnativeService(ns, name string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "serving.knative.dev/v1", "kind": "Service",
		"metadata": map[string]any{"name": name, "namespace": ns},
		"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
			"containers": []any{map[string]any{"image": "dev.local/around/" + name + ":v1"}}}}},
	}}
}

// privilegedWorkflow is root on a node if Argo's controller ever made its pod.
func privilegedWorkflow(ns string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
		"metadata": map[string]any{"generateName": "escape-", "namespace": ns},
		"spec": map[string]any{"entrypoint": "main", "templates": []any{map[string]any{
			"name": "main",
			"container": map[string]any{"image": "dev.local/tools/shell:v1", "command": []any{"chroot", "/host"},
				"securityContext": map[string]any{"privileged": true},
				"volumeMounts":    []any{map[string]any{"name": "host", "mountPath": "/host"}}},
			"volumes": []any{map[string]any{"name": "host", "hostPath": map[string]any{"path": "/"}}},
		}}},
	}}
}

func directVirtualService(ns string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
		"metadata": map[string]any{"name": "around", "namespace": ns},
		"spec":     map[string]any{"hosts": []any{"around.example.test"}, "http": []any{map[string]any{"route": []any{map[string]any{"destination": map[string]any{"host": "elsewhere"}}}}}},
	}}
}

func directPingSource(ns string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "sources.knative.dev/v1", "kind": "PingSource",
		"metadata": map[string]any{"name": "around", "namespace": ns},
		"spec": map[string]any{"schedule": "* * * * *",
			"sink": map[string]any{"uri": "http://around.example.test"}},
	}}
}

func directRoleBinding(ns, user string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
		"metadata": map[string]any{"name": "around", "namespace": ns},
		"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": names.ClusterRole(names.RoleAdmin)},
		"subjects": []any{map[string]any{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": user}},
	}}
}

func dynamicFor(t *testing.T, cfg *rest.Config) dynamic.Interface {
	t.Helper()
	d, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func bearer(token string) *rest.Config {
	return &rest.Config{Host: env.stack.Config.Host, BearerToken: token, TLSClientConfig: env.stack.Config.TLSClientConfig}
}

// refusedBy fails unless err is the apiserver's Forbidden naming by (a policy, or RBAC).
func refusedBy(t *testing.T, what string, err error, by string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: allowed, want refused by %s", what, by)
		return
	}
	if !apierrors.IsForbidden(err) && !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), by) {
		t.Errorf("%s: %v, want Forbidden by %s", what, err, by)
	}
}

// TestPlatformIsTheOnlyWayIn is issue 14's acceptance: a project developer holding only
// their token does everything through Slipway and nothing around it, and the apiserver
// itself refuses direct writes of Slipway's objects even to a cluster admin.
func TestPlatformIsTheOnlyWayIn(t *testing.T) {
	ctx := context.Background()
	const project = "fence"
	createProject(t, project)
	testNS, prodNS := names.Namespace(project, "test"), names.Namespace(project, "prod")
	token, user := serviceAccountToken(t, "fence-dev")
	mustCall(t, http.StatusCreated, http.MethodPost, "/api/v1/projects/"+project+"/members", map[string]string{"name": user, "role": "developer"}, nil)

	// Through Slipway, as before.
	base := appPath(project, "web", "test")
	dev := func(want int, method, path string, body any) {
		t.Helper()
		if got, raw := callAt(t, env.server.URL, token, method, path, body, nil); got != want {
			t.Fatalf("%s %s as the developer = %d, want %d: %s", method, path, got, want, raw)
		}
	}
	dev(http.StatusCreated, http.MethodPost, base+"/deployments", map[string]string{"image": "dev.local/fence/web:v1"})
	waitRevisionReady(t, testNS, "web-00001", "dev.local/fence/web:v1")
	dev(http.StatusCreated, http.MethodPost, base+"/deployments", map[string]any{"image": "dev.local/fence/web:v2",
		"strategy": map[string]any{"type": "canary", "percent": 10}})
	waitRevisionReady(t, testNS, "web-00002", "dev.local/fence/web:v2")
	dev(http.StatusOK, http.MethodPut, base+"/traffic", map[string]any{
		"targets": []map[string]any{{"revision": "web-00001", "percent": 100}},
		"rules":   []map[string]any{{"match": map[string]any{"headers": map[string]any{"x-lane": map[string]string{"exact": "beta"}}}, "revision": "web-00002"}},
	})
	// platform-api's own identity writes the VirtualService the boundary refuses to others.
	eventually(t, 60*time.Second, "the header rule's VirtualService", func() error {
		_, err := getVS(testNS, "web")
		return err
	})
	dev(http.StatusOK, http.MethodPost, base+"/rollback", map[string]string{"revision": "web-00001"})

	// Around it, with the developer's own token: RBAC refuses every write.
	mine := dynamicFor(t, bearer(token))
	for _, tc := range []struct {
		what string
		do   func() error
	}{
		{"create a Knative Service in test", func() error {
			_, err := mine.Resource(ksvcGVR).Namespace(testNS).Create(ctx, directKnativeService(testNS, "around"), metav1.CreateOptions{})
			return err
		}},
		{"create a Knative Service in prod", func() error {
			_, err := mine.Resource(ksvcGVR).Namespace(prodNS).Create(ctx, directKnativeService(prodNS, "around"), metav1.CreateOptions{})
			return err
		}},
		{"edit the app's Knative Service", func() error {
			_, err := mine.Resource(ksvcGVR).Namespace(testNS).Patch(ctx, "web", types.MergePatchType, []byte(`{"metadata":{"labels":{"edited":"by-hand"}}}`), metav1.PatchOptions{})
			return err
		}},
		{"delete the app's Knative Service", func() error {
			return mine.Resource(ksvcGVR).Namespace(testNS).Delete(ctx, "web", metav1.DeleteOptions{})
		}},
		{"create a privileged Workflow with a hostPath of /", func() error {
			_, err := mine.Resource(workflowGVR).Namespace(testNS).Create(ctx, privilegedWorkflow(testNS), metav1.CreateOptions{})
			return err
		}},
		{"create a VirtualService", func() error {
			_, err := mine.Resource(vsGVR).Namespace(testNS).Create(ctx, directVirtualService(testNS), metav1.CreateOptions{})
			return err
		}},
		{"delete the app's VirtualService", func() error {
			return mine.Resource(vsGVR).Namespace(testNS).Delete(ctx, names.VirtualService("web"), metav1.DeleteOptions{})
		}},
		{"create a PingSource", func() error {
			_, err := mine.Resource(pingSourceGVR).Namespace(testNS).Create(ctx, directPingSource(testNS), metav1.CreateOptions{})
			return err
		}},
		{"create a RoleBinding", func() error {
			_, err := mine.Resource(roleBindingGVR).Namespace(testNS).Create(ctx, directRoleBinding(testNS, user), metav1.CreateOptions{})
			return err
		}},
	} {
		refusedBy(t, "developer: "+tc.what, tc.do(), "forbidden")
	}

	// A cluster admin holds every RBAC right, and the boundary policies still refuse.
	admin := dynamicFor(t, env.stack.ConfigFor(devstack.IdentityAdmin))
	for _, tc := range []struct {
		what, by string
		do       func() error
	}{
		{"create a Knative Service in prod", names.BoundaryProjects, func() error {
			_, err := admin.Resource(ksvcGVR).Namespace(prodNS).Create(ctx, directKnativeService(prodNS, "around"), metav1.CreateOptions{})
			return err
		}},
		{"edit the app's Knative Service", names.BoundaryProjects, func() error {
			_, err := admin.Resource(ksvcGVR).Namespace(testNS).Patch(ctx, "web", types.MergePatchType, []byte(`{"metadata":{"labels":{"edited":"by-hand"}}}`), metav1.PatchOptions{})
			return err
		}},
		{"delete the app's Knative Service", names.BoundaryProjects, func() error {
			return admin.Resource(ksvcGVR).Namespace(testNS).Delete(ctx, "web", metav1.DeleteOptions{})
		}},
		{"create a privileged Workflow", names.BoundaryProjects, func() error {
			_, err := admin.Resource(workflowGVR).Namespace(testNS).Create(ctx, privilegedWorkflow(testNS), metav1.CreateOptions{})
			return err
		}},
		// Only platform-api writes Workflows where builds may run unconfined.
		{"create a Workflow in the build namespace", names.BoundaryProjects, func() error {
			buildNS := names.BuildNamespace(project)
			_, err := admin.Resource(workflowGVR).Namespace(buildNS).Create(ctx, privilegedWorkflow(buildNS), metav1.CreateOptions{})
			return err
		}},
		{"delete the app's VirtualService", names.BoundaryProjects, func() error {
			return admin.Resource(vsGVR).Namespace(testNS).Delete(ctx, names.VirtualService("web"), metav1.DeleteOptions{})
		}},
		{"create a RoleBinding", names.BoundaryProjects, func() error {
			_, err := admin.Resource(roleBindingGVR).Namespace(testNS).Create(ctx, directRoleBinding(testNS, user), metav1.CreateOptions{})
			return err
		}},
		{"delete an audit record", names.BoundaryManaged, func() error {
			list, err := env.clients.Kube.CoreV1().ConfigMaps(env.cfg.Audit.Namespace).List(ctx, metav1.ListOptions{LabelSelector: names.LabelAuditRecord + "=true", Limit: 1})
			if err != nil || len(list.Items) == 0 {
				return fmt.Errorf("no audit record to try: %v", err)
			}
			return admin.Resource(configMapGVR).Namespace(env.cfg.Audit.Namespace).Delete(ctx, list.Items[0].Name, metav1.DeleteOptions{})
		}},
	} {
		err := tc.do()
		refusedBy(t, "cluster admin: "+tc.what, err, tc.by)
		if err != nil && !strings.Contains(err.Error(), "Use Slipway") {
			t.Errorf("cluster admin: %s: the refusal does not say to use Slipway: %v", tc.what, err)
		}
	}

	// The app is as Slipway left it: nothing above got through.
	var app struct {
		Traffic []struct {
			Revision string
			Percent  int64
		}
	}
	mustCall(t, http.StatusOK, http.MethodGet, base, nil, &app)
	if len(app.Traffic) == 0 || app.Traffic[0].Revision != "web-00001" || app.Traffic[0].Percent != 100 {
		t.Errorf("traffic after the attempts = %+v, want all on web-00001", app.Traffic)
	}
	if _, err := getVS(testNS, "web"); err != nil {
		t.Errorf("the VirtualService is gone: %v", err)
	}

	// Break-glass is the documented way around, for repairs by hand.
	if _, err := dynamicFor(t, env.stack.Config).Resource(ksvcGVR).Namespace(testNS).Patch(ctx, "web", types.MergePatchType,
		[]byte(`{"metadata":{"labels":{"repaired-by":"break-glass"}}}`), metav1.PatchOptions{}); err != nil {
		t.Errorf("break-glass edit refused: %v", err)
	}
}
