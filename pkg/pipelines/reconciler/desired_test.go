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

func TestProjects(t *testing.T) {
	stored := func(project, env string) *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{
			"slipway.dev/project": project, "slipway.dev/env": env}}}
	}
	got := Projects([]*corev1.ConfigMap{stored("shop", "prod"), stored("bank", "test"), stored("shop", "prod"), stored("shop", "test")})
	want := []Project{{Name: "bank", Envs: []string{"test"}}, {Name: "shop", Envs: []string{"prod", "test"}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Projects (-want,+got):\n%s", diff)
	}
	if got := Projects(nil); len(got) != 0 {
		t.Errorf("Projects(nil) = %v", got)
	}
}

// A pipeline that promotes needs the runs' deployer binding in the environment it promotes
// to as well: the promote step asks there.
func TestProjectsWithPromote(t *testing.T) {
	stored := func(project, env, pipeline string) *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"slipway.dev/project": project, "slipway.dev/env": env}},
			Data: map[string]string{pipelines.PipelineKey: pipeline}}
	}
	got := Projects([]*corev1.ConfigMap{
		stored("shop", "test", `{"repo":"https://git.example/shop/web","promote":{"to":"prod"}}`),
		stored("shop", "test", `{"repo":"https://git.example/shop/api"}`),
		stored("bank", "dev", `{"repo":"https://git.example/bank/web","promote":{"to":"test"}}`),
		stored("bank", "test", `{"repo":"https://git.example/bank/api"}`),
		stored("lab", "test", `not json`),
	})
	want := []Project{{Name: "bank", Envs: []string{"dev", "test"}}, {Name: "lab", Envs: []string{"test"}}, {Name: "shop", Envs: []string{"prod", "test"}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Projects (-want,+got):\n%s", diff)
	}
}

var testConfig = pipelines.Config{PlatformURL: "http://platform", Registry: "dev.local",
	Images:   pipelines.Images{Git: "dev.local/git:v1", Builder: "dev.local/bk:v1", Deploy: "dev.local/curl:v1"},
	KeepRuns: metav1.Duration{Duration: 48 * time.Hour}}

func TestObjects(t *testing.T) {
	var got []string
	for _, o := range Objects("shop", []string{"prod", "test"}, testConfig) {
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
		got = append(got, o.GetObjectKind().GroupVersionKind().Kind+" "+m.GetNamespace()+"/"+m.GetName())
	}
	// The build namespace's objects, a deployer binding per environment with a pipeline,
	// the template last: its presence says the rest was written.
	want := []string{
		"ServiceAccount shop-build/slipway-pipeline", "Role shop-build/slipway-pipeline-executor",
		"RoleBinding shop-build/slipway-pipeline-executor",
		"RoleBinding shop-prod/slipway-pipeline-deployer", "RoleBinding shop-test/slipway-pipeline-deployer",
		"WorkflowTemplate shop-build/slipway-standard",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Objects (-want,+got):\n%s", diff)
	}
}

// TestRunIdentity holds the runs' ServiceAccount to what the issue allows it: in Kubernetes,
// only Argo's executor's writes in the build namespace; deploying and promoting only through
// platform-api, by a binding to the deployer role in the environments with a pipeline and
// those it promotes to.
func TestRunIdentity(t *testing.T) {
	account := rbacv1.Subject{Kind: "ServiceAccount", Name: "slipway-pipeline", Namespace: "shop-build"}
	roles := map[string]*rbacv1.Role{}
	var bindings []*rbacv1.RoleBinding
	// The pipeline in test promotes to prod: the deployer role in both, nothing more.
	for _, o := range Objects("shop", []string{"prod", "test"}, testConfig) {
		switch o := o.(type) {
		case *rbacv1.Role:
			roles[o.Namespace+"/"+o.Name] = o
		case *rbacv1.RoleBinding:
			bindings = append(bindings, o)
		case *wfv1.WorkflowTemplate:
			if o.Spec.ServiceAccountName != account.Name || o.Namespace != account.Namespace {
				t.Errorf("template runs as %s/%s", o.Namespace, o.Spec.ServiceAccountName)
			}
		}
	}
	wf, err := pipelines.BuildRun(pipelines.Start{Target: pipelines.Target{Project: "shop", App: "web", Env: "test", Namespace: "shop-test"},
		Pipeline: pipelines.Pipeline{Repo: "https://git.example/shop/web", Promote: &pipelines.Promote{To: "prod"}}, Trigger: pipelines.TriggerManual}, testConfig)
	if err != nil {
		t.Fatal(err)
	}
	if wf.Namespace != account.Namespace || wf.Spec.ServiceAccountName != account.Name {
		t.Errorf("run %s runs as %s", wf.Namespace, wf.Spec.ServiceAccountName)
	}
	if len(bindings) != 3 {
		t.Fatalf("bindings %d, want the executor's and a deployer binding in test and prod", len(bindings))
	}
	deployerIn := map[string]bool{}
	for _, b := range bindings {
		if diff := cmp.Diff([]rbacv1.Subject{account}, b.Subjects); diff != "" {
			t.Errorf("binding %s/%s subjects (-want,+got):\n%s", b.Namespace, b.Name, diff)
		}
		switch b.RoleRef.Kind {
		case "ClusterRole":
			if (b.Namespace != "shop-test" && b.Namespace != "shop-prod") || b.RoleRef.Name != pipelines.DeployerClusterRole {
				t.Errorf("ClusterRole binding %s/%s to %s: want only the deployer role in the environments", b.Namespace, b.Name, b.RoleRef.Name)
			}
			deployerIn[b.Namespace] = true
		case "Role":
			role := roles[b.Namespace+"/"+b.RoleRef.Name]
			if role == nil || b.Namespace != "shop-build" {
				t.Fatalf("binding %s/%s to Role %s: not the build namespace's executor Role", b.Namespace, b.Name, b.RoleRef.Name)
			}
			want := []rbacv1.PolicyRule{
				{APIGroups: []string{"argoproj.io"}, Resources: []string{"workflowtaskresults"}, Verbs: []string{"create", "patch"}},
				{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "patch"}},
			}
			if diff := cmp.Diff(want, role.Rules); diff != "" {
				t.Errorf("executor Role rules (-want,+got):\n%s", diff)
			}
		default:
			t.Errorf("binding %s/%s to a %s", b.Namespace, b.Name, b.RoleRef.Kind)
		}
	}
	if !deployerIn["shop-test"] || !deployerIn["shop-prod"] {
		t.Errorf("deployer bindings in %v, want shop-test (the pipeline's) and shop-prod (where it promotes)", deployerIn)
	}
}
