package reconciler

import (
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipway-dev/slipway/pkg/pipelines"
)

func TestNamespaces(t *testing.T) {
	stored := func(project, env string) *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{
			"slipway.dev/project": project, "slipway.dev/env": env}}}
	}
	got := Namespaces([]*corev1.ConfigMap{stored("shop", "prod"), stored("bank", "test"), stored("shop", "prod"), stored("shop", "test")})
	if diff := cmp.Diff([]string{"bank-test", "shop-prod", "shop-test"}, got); diff != "" {
		t.Errorf("Namespaces (-want,+got):\n%s", diff)
	}
	if got := Namespaces(nil); len(got) != 0 {
		t.Errorf("Namespaces(nil) = %v", got)
	}
}

func TestObjects(t *testing.T) {
	cfg := pipelines.Config{PlatformURL: "http://platform", Registry: "dev.local",
		Images:   pipelines.Images{Git: "dev.local/git:v1", Builder: "dev.local/bk:v1", Deploy: "dev.local/curl:v1"},
		KeepRuns: metav1.Duration{Duration: 48 * time.Hour}}
	var got []string
	for _, o := range Objects("shop-test", cfg) {
		var m metav1.Object
		switch o := o.(type) {
		case *corev1.ServiceAccount:
			m = o
		case *rbacv1.Role:
			m = o
		case *rbacv1.RoleBinding:
			m = o
		case *wfv1.WorkflowTemplate:
			m = o
		}
		if m == nil {
			t.Fatalf("unexpected object %T", o)
		}
		if m.GetNamespace() != "shop-test" {
			t.Errorf("%T %s in namespace %q", o, m.GetName(), m.GetNamespace())
		}
		got = append(got, o.GetObjectKind().GroupVersionKind().Kind+"/"+m.GetName())
	}
	// The template last: its presence says the rest was written.
	want := []string{"ServiceAccount/slipway-pipeline", "Role/slipway-pipeline-executor",
		"RoleBinding/slipway-pipeline-executor", "RoleBinding/slipway-pipeline-deployer", "WorkflowTemplate/slipway-standard"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Objects (-want,+got):\n%s", diff)
	}
}
