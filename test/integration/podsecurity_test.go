//go:build integration

package integration

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"k8s.io/utils/ptr"

	"github.com/slipway-dev/slipway/pkg/logging"
	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/pipelines"
	"github.com/slipway-dev/slipway/pkg/podsecurity"
	"github.com/slipway-dev/slipway/pkg/projects"
)

// TestProjectNamespacesPodSecurity: a new project's environment namespaces carry Pod
// Security's warn and audit labels at restricted, its build namespace exists at the level
// rootless BuildKit needs, and no listing shows the build namespace as an environment.
func TestProjectNamespacesPodSecurity(t *testing.T) {
	const project = "psa-labels"
	createProject(t, project)
	ctx := context.Background()
	check := func(name string, want map[string]string, envName string) {
		t.Helper()
		ns, err := env.clients.Kube.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("namespace %s: %v", name, err)
		}
		for k, v := range want {
			if ns.Labels[k] != v {
				t.Errorf("%s: label %s = %q, want %q", name, k, ns.Labels[k], v)
			}
		}
		if ns.Labels[names.LabelEnv] != envName {
			t.Errorf("%s: env label %q, want %q", name, ns.Labels[names.LabelEnv], envName)
		}
		if _, has := ns.Labels[podsecurity.LabelEnforce]; envName != "" && has {
			t.Errorf("%s: environment namespace enforces Pod Security itself (the Policy does)", name)
		}
	}
	check(names.Namespace(project, "test"), podsecurity.EnvNamespaceLabels(), "test")
	check(names.Namespace(project, "prod"), podsecurity.EnvNamespaceLabels(), "prod")
	check(names.BuildNamespace(project), podsecurity.BuildNamespaceLabels(), "")

	var listed []projects.Project
	eventually(t, 10*time.Second, "the project listed", func() error {
		listed = nil
		mustCall(t, http.StatusOK, http.MethodGet, "/api/v1/projects", nil, &listed)
		for _, pr := range listed {
			if pr.Name == project {
				if len(pr.Namespaces) != 2 || pr.Namespaces["test"] != project+"-test" || pr.Namespaces["prod"] != project+"-prod" {
					return fmt.Errorf("namespaces %v, want the two environments only", pr.Namespaces)
				}
				return nil
			}
		}
		return fmt.Errorf("not listed: %+v", listed)
	})
	raw := mustGet(t, "/api/v1/logging/filebeat")
	if strings.Contains(raw, names.BuildNamespace(project)) {
		t.Errorf("filebeat inputs name the build namespace:\n%s", raw)
	}
}

func mustGet(t *testing.T, path string) string {
	t.Helper()
	code, raw := call(t, http.MethodGet, path, nil, nil)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, code, raw)
	}
	return string(raw)
}

// TestRelabelExistingNamespaces: namespaces made before Pod Security labels and build
// namespaces (as an earlier platform-api made them) get both from Relabel, which
// platform-api runs on start.
func TestRelabelExistingNamespaces(t *testing.T) {
	const project = "psa-old"
	ctx := context.Background()
	for _, e := range []string{"test", "prod"} {
		old := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: names.Namespace(project, e), Labels: map[string]string{
			names.LabelManagedBy: names.ManagedBy, names.LabelProject: project, names.LabelEnv: e}}}
		if _, err := env.clients.Kube.CoreV1().Namespaces().Create(ctx, old, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	eventually(t, 10*time.Second, "old namespaces in the cache", func() error {
		for _, e := range []string{"test", "prod"} {
			if _, err := env.cache.Namespaces.Get(names.Namespace(project, e)); err != nil {
				return err
			}
		}
		return nil
	})
	if err := projects.New(env.cfg.Environments, env.cfg.Logging, env.clients, env.cache).Relabel(ctx); err != nil {
		t.Fatalf("Relabel: %v", err)
	}
	for name, want := range map[string]map[string]string{
		names.Namespace(project, "test"): podsecurity.EnvNamespaceLabels(),
		names.Namespace(project, "prod"): podsecurity.EnvNamespaceLabels(),
		names.BuildNamespace(project):    podsecurity.BuildNamespaceLabels(),
	} {
		ns, err := env.clients.Kube.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for k, v := range want {
			if ns.Labels[k] != v {
				t.Errorf("%s: label %s = %q, want %q", name, k, ns.Labels[k], v)
			}
		}
	}
}

// TestPodSecurityPolicy: in an environment namespace the apiserver itself refuses a pod
// with any hostPath but the pod-mutator's, a privileged container, a root user and the rest
// of what the restricted profile forbids, naming the field; a restricted pod, and the
// pod-mutator's log volume, are admitted.
func TestPodSecurityPolicy(t *testing.T) {
	ns, pods := projectPods(t, "psa-policy")
	ctx := context.Background()
	dryRun := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}
	plain := func() *corev1.Pod {
		pod := labelledPod("web", "")
		delete(pod.Labels, names.LabelLogCollect)
		return pod
	}
	hostPath := func(name, path string) corev1.Volume {
		return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{
			Path: path, Type: ptr.To(corev1.HostPathDirectoryOrCreate)}}}
	}
	logDir := env.cfg.Logging.HostRoot + "/" + ns + "/web"
	for name, tc := range map[string]struct {
		pod  func() *corev1.Pod
		want string // in the refusal; empty: admitted
	}{
		"restricted pod": {pod: plain},
		"hostPath of the node's root": {pod: func() *corev1.Pod {
			p := plain()
			p.Spec.Volumes = []corev1.Volume{hostPath("root", "/")}
			return p
		}, want: "spec.volumes: root may not be used"},
		"the log directory without opting in": {pod: func() *corev1.Pod {
			p := plain()
			p.Spec.Volumes = []corev1.Volume{hostPath(logging.VolumeName, logDir)}
			return p
		}, want: "spec.volumes: " + logging.VolumeName},
		// The pod-mutator adds its own volume (and refuses a pod with another volume of its
		// name, before the Policy): a second hostPath at the same directory is refused.
		"the log directory under another volume name": {pod: func() *corev1.Pod {
			p := labelledPod("web", `[{"path":"/app/logs"}]`)
			p.Spec.Volumes = []corev1.Volume{hostPath("logs", logDir)}
			return p
		}, want: "spec.volumes: logs"},
		"privileged container": {pod: func() *corev1.Pod {
			p := plain()
			// (The apiserver itself refuses privileged with allowPrivilegeEscalation false.)
			p.Spec.Containers[0].SecurityContext.Privileged = ptr.To(true)
			p.Spec.Containers[0].SecurityContext.AllowPrivilegeEscalation = nil
			return p
		}, want: "spec.containers: user-container must not set securityContext.privileged"},
		"root user": {pod: func() *corev1.Pod {
			p := plain()
			p.Spec.Containers[1].SecurityContext.RunAsUser = ptr.To[int64](0)
			return p
		}, want: "spec.containers: queue-proxy must not set securityContext.runAsUser to 0"},
		"root pod": {pod: func() *corev1.Pod {
			p := plain()
			p.Spec.SecurityContext.RunAsUser = ptr.To[int64](0)
			return p
		}, want: "spec.securityContext.runAsUser"},
		"host network": {pod: func() *corev1.Pod {
			p := plain()
			p.Spec.HostNetwork = true
			return p
		}, want: "spec.hostNetwork"},
		"added capability": {pod: func() *corev1.Pod {
			p := plain()
			p.Spec.Containers[0].SecurityContext.Capabilities.Add = []corev1.Capability{"SYS_ADMIN"}
			return p
		}, want: "securityContext.capabilities.add"},
		"privilege escalation unset in an init container": {pod: func() *corev1.Pod {
			p := plain()
			p.Spec.InitContainers = []corev1.Container{{Name: "init", Image: "dev.local/x/init:v1",
				SecurityContext: &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}}}
			return p
		}, want: "spec.initContainers: init must set securityContext.allowPrivilegeEscalation to false"},
		"unconfined seccomp": {pod: func() *corev1.Pod {
			p := plain()
			p.Spec.Containers[0].SecurityContext.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}
			return p
		}, want: "securityContext.seccompProfile.type"},
		"host port": {pod: func() *corev1.Pod {
			p := plain()
			p.Spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 8080, HostPort: 80}}
			return p
		}, want: "hostPort"},
		"unsafe sysctl": {pod: func() *corev1.Pod {
			p := plain()
			p.Spec.SecurityContext.Sysctls = []corev1.Sysctl{{Name: "kernel.msgmax", Value: "1"}}
			return p
		}, want: "spec.securityContext.sysctls"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := pods.Create(ctx, tc.pod(), dryRun)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("admitted")
			}
			if !apierrors.IsForbidden(err) && !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), names.PodSecurityPolicy) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want the Policy's refusal naming %q", err, tc.want)
			}
		})
	}

	// The pod-mutator's volume, as it writes it, is admitted (stored for real).
	created, err := pods.Create(ctx, labelledPod("web", `[{"path":"/app/logs"}]`), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("pod with the pod-mutator's log volume refused: %v", err)
	}
	if !hasLogVolume(created) {
		t.Errorf("no log volume: %+v", created.Spec.Volumes)
	}

	// The build namespace is outside the Policy: Pod Security enforces privileged there.
	build := names.BuildNamespace("psa-policy")
	waitServiceAccount(t, build)
	p := plain()
	p.Spec.Containers[0].SecurityContext.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}
	if _, err := env.clients.Kube.CoreV1().Pods(build).Create(ctx, p, dryRun); err != nil {
		t.Errorf("build namespace refuses an Unconfined seccomp profile: %v", err)
	}
}

// TestKnativePodsMeetRestricted: the pods Knative makes for an app deployed through
// platform-api (user-container and queue-proxy, with secure-pod-defaults) pass Pod Security's
// own restricted evaluator, except the pod-mutator's log volume when the app has log paths.
func TestKnativePodsMeetRestricted(t *testing.T) {
	const project = "psa-knative"
	createProject(t, project)
	ns := names.Namespace(project, "test")
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	restricted := api.LevelVersion{Level: api.LevelRestricted, Version: api.LatestVersion()}
	for _, tc := range []struct {
		app      string
		logPaths []map[string]string
	}{
		{"plain", nil},
		{"logged", []map[string]string{{"path": "/app/logs", "name": "app"}}},
	} {
		body := map[string]any{"image": "dev.local/" + project + "/" + tc.app + ":v1"}
		if tc.logPaths != nil {
			body["logPaths"] = tc.logPaths
		}
		mustCall(t, http.StatusCreated, http.MethodPost, appPath(project, tc.app, "test")+"/deployments", body, nil)
		var pod corev1.Pod
		eventually(t, readyTimeout, "a pod of "+tc.app, func() error {
			list, err := env.clients.Kube.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: logging.LabelKnativeService + "=" + tc.app})
			if err != nil {
				return err
			}
			if len(list.Items) == 0 {
				return fmt.Errorf("no pod yet")
			}
			pod = list.Items[0]
			return nil
		})
		if len(pod.Spec.Containers) != 2 {
			t.Errorf("%s: containers %d, want user-container and queue-proxy", tc.app, len(pod.Spec.Containers))
		}
		for _, r := range evaluator.EvaluatePod(restricted, &pod.ObjectMeta, &pod.Spec) {
			if r.Allowed {
				continue
			}
			logVolume := strings.HasPrefix(r.ForbiddenDetail, fmt.Sprintf("volume %q", logging.VolumeName)) &&
				(r.ForbiddenReason == "hostPath volumes" || r.ForbiddenReason == "restricted volume types")
			if tc.logPaths == nil || !logVolume {
				t.Errorf("%s: restricted refuses the pod: %s: %s", tc.app, r.ForbiddenReason, r.ForbiddenDetail)
			}
		}
	}
}

// TestPipelineIdentity: the runs' ServiceAccount, asked of the apiserver, writes nothing in
// Kubernetes but what Argo's executor needs in the build namespace.
func TestPipelineIdentity(t *testing.T) {
	const project, app = "psa-runs", "web"
	createProject(t, project)
	mustCall(t, http.StatusOK, http.MethodPut, appPath(project, app, "test")+"/pipeline", map[string]any{"repo": "https://git.example/psa/web"}, nil)
	build, test, prod := names.BuildNamespace(project), names.Namespace(project, "test"), names.Namespace(project, "prod")
	user := "system:serviceaccount:" + build + ":" + names.PipelineAccount
	can := func(ns, group, resource, verb string) bool {
		t.Helper()
		sar, err := env.clients.Kube.AuthorizationV1().SubjectAccessReviews().Create(context.Background(), &authzv1.SubjectAccessReview{
			Spec: authzv1.SubjectAccessReviewSpec{User: user, Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + build, "system:authenticated"},
				ResourceAttributes: &authzv1.ResourceAttributes{Namespace: ns, Group: group, Resource: resource, Verb: verb}}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return sar.Status.Allowed
	}
	eventually(t, 10*time.Second, "the executor's Role bound", func() error {
		if !can(build, "argoproj.io", "workflowtaskresults", "create") {
			return fmt.Errorf("may not create workflowtaskresults in %s", build)
		}
		return nil
	})
	// In the build namespace the account may do what Argo's executor needs (patch its own
	// pod) and no more; in the environment with a pipeline it holds the deployer role, so it
	// may do there what that role grants (platform-api checks it; today the developer's role,
	// until it is narrowed to deploying through Slipway) and nothing more; elsewhere nothing.
	deployer, err := env.clients.Kube.RbacV1().ClusterRoles().Get(context.Background(), pipelines.DeployerClusterRole, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	executor, err := env.clients.Kube.RbacV1().Roles(build).Get(context.Background(), names.PipelineExecutorRole, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range []string{build, test, prod} {
		for _, r := range []struct{ group, resource string }{
			{"serving.knative.dev", "services"}, {"argoproj.io", "workflows"}, {"", "pods"}, {"rbac.authorization.k8s.io", "rolebindings"},
		} {
			for _, verb := range []string{"create", "update", "patch", "delete"} {
				want := ns == test && grants(deployer.Rules, r.group, r.resource, verb) ||
					ns == build && grants(executor.Rules, r.group, r.resource, verb)
				if got := can(ns, r.group, r.resource, verb); got != want {
					t.Errorf("%s may %s %s.%s in %s: %v, want %v", user, verb, r.resource, r.group, ns, got, want)
				}
			}
		}
	}
}

// grants reports whether rules allow verb on group/resource.
func grants(rules []rbacv1.PolicyRule, group, resource, verb string) bool {
	for _, r := range rules {
		if (slices.Contains(r.APIGroups, group) || slices.Contains(r.APIGroups, "*")) &&
			(slices.Contains(r.Resources, resource) || slices.Contains(r.Resources, "*")) &&
			(slices.Contains(r.Verbs, verb) || slices.Contains(r.Verbs, "*")) && len(r.ResourceNames) == 0 {
			return true
		}
	}
	return false
}
