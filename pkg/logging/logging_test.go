package logging

import (
	"fmt"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"

	"github.com/slipway-dev/slipway/internal/latency"
	"github.com/slipway-dev/slipway/pkg/names"
)

var testCfg = Config{HostRoot: "/var/log/slipway"}

var testNamespace = Namespace{Name: testNS, Project: "shop", Env: "prod"}

const (
	testNS      = "shop-prod"
	testApp     = "web"
	typicalLogs = `[{"path":"/app/logs","name":"app"},{"path":"/var/log/nginx"}]`
	saMountPath = "/var/run/secrets/kubernetes.io/serviceaccount"
)

// knativePod is a pod of revision web-00003 of the Knative Service web, as the
// pod-mutator sees it at admission: generateName only, no namespace, the
// service-account volume already added by the ServiceAccount admission plugin.
func knativePod(logPaths string) *corev1.Pod {
	saMount := corev1.VolumeMount{Name: "kube-api-access-7xk2p", ReadOnly: true, MountPath: saMountPath}
	return &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: "web-00003-deployment-7d9f8c6b5d-",
			Labels: map[string]string{
				"app":                               "web-00003",
				"app.kubernetes.io/managed-by":      "slipway",
				"pod-template-hash":                 "7d9f8c6b5d",
				"serving.knative.dev/configuration": "web",
				"serving.knative.dev/configurationGeneration": "3",
				"serving.knative.dev/configurationUID":        "5f0c3a52-8d0e-4b8e-9a57-2f0d3c1e9b11",
				"serving.knative.dev/revision":                "web-00003",
				"serving.knative.dev/revisionUID":             "0b9e2f4c-1d7a-4c1e-8f5e-7a3d2c9b8e10",
				"serving.knative.dev/service":                 testApp,
				"serving.knative.dev/serviceUID":              "c3a1e7d2-6b4f-4e0a-9d8c-1f2e3d4c5b6a",
				"slipway.dev/project":                         "shop",
				"slipway.dev/app":                             testApp,
				"slipway.dev/env":                             "prod",
				names.LabelLogCollect:                         "true",
			},
			Annotations: map[string]string{
				"autoscaling.knative.dev/min-scale": "1",
				"serving.knative.dev/creator":       "system:serviceaccount:slipway-system:platform-api",
				names.AnnoLogPaths:                  logPaths,
			},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-00003-deployment-7d9f8c6b5d",
				UID: "9a8b7c6d-5e4f-3a2b-1c0d-e9f8a7b6c5d4", Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
			}},
		},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{
				{
					Name:  DefaultContainer,
					Image: "registry.slipway.test/shop/web@sha256:4f5e6d7c8b9a0f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0",
					Ports: []corev1.ContainerPort{{Name: "user-port", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}},
					Env: []corev1.EnvVar{
						{Name: "PORT", Value: "8080"},
						{Name: "K_REVISION", Value: "web-00003"},
						{Name: "K_CONFIGURATION", Value: "web"},
						{Name: "K_SERVICE", Value: "web"},
					},
					VolumeMounts:             []corev1.VolumeMount{saMount},
					TerminationMessagePath:   "/dev/termination-log",
					TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
					ImagePullPolicy:          corev1.PullIfNotPresent,
				},
				{
					Name:  QueueProxyContainer,
					Image: "gcr.io/knative-releases/knative.dev/serving/cmd/queue@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
					Ports: []corev1.ContainerPort{
						{Name: "http-queueadm", ContainerPort: 8022, Protocol: corev1.ProtocolTCP},
						{Name: "http-autometric", ContainerPort: 9090, Protocol: corev1.ProtocolTCP},
						{Name: "http-usermetric", ContainerPort: 9091, Protocol: corev1.ProtocolTCP},
						{Name: "queue-port", ContainerPort: 8012, Protocol: corev1.ProtocolTCP},
						{Name: "https-port", ContainerPort: 8112, Protocol: corev1.ProtocolTCP},
					},
					Env: []corev1.EnvVar{
						{Name: "SERVING_NAMESPACE", Value: testNS},
						{Name: "SERVING_SERVICE", Value: "web"},
						{Name: "SERVING_REVISION", Value: "web-00003"},
						{Name: "QUEUE_SERVING_PORT", Value: "8012"},
						{Name: "USER_PORT", Value: "8080"},
						{Name: "SERVING_POD", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.name"}}},
						{Name: "SERVING_POD_IP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "status.podIP"}}},
					},
					Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("25m")}},
					ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
						Port: intstr.FromInt32(8012), HTTPHeaders: []corev1.HTTPHeader{{Name: "K-Network-Probe", Value: "queue"}},
					}}},
					SecurityContext: &corev1.SecurityContext{
						AllowPrivilegeEscalation: ptr.To(false),
						ReadOnlyRootFilesystem:   ptr.To(true),
						RunAsNonRoot:             ptr.To(true),
						Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
					},
					VolumeMounts:             []corev1.VolumeMount{saMount},
					TerminationMessagePath:   "/dev/termination-log",
					TerminationMessagePolicy: corev1.TerminationMessageReadFile,
					ImagePullPolicy:          corev1.PullIfNotPresent,
				},
			},
			Volumes: []corev1.Volume{{
				Name: "kube-api-access-7xk2p",
				VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
					Sources: []corev1.VolumeProjection{
						{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{ExpirationSeconds: ptr.To[int64](3607), Path: "token"}},
						{ConfigMap: &corev1.ConfigMapProjection{
							LocalObjectReference: corev1.LocalObjectReference{Name: "kube-root-ca.crt"},
							Items:                []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}},
						}},
					},
					DefaultMode: ptr.To[int32](0o644),
				}},
			}},
			EnableServiceLinks:            ptr.To(false),
			TerminationGracePeriodSeconds: ptr.To[int64](300),
			ServiceAccountName:            "default",
			RestartPolicy:                 corev1.RestartPolicyAlways,
			DNSPolicy:                     corev1.DNSClusterFirst,
		},
	}
}

// wantMutated is knativePod(typicalLogs) after Mutate, written out by hand.
func wantMutated() *corev1.Pod {
	want := knativePod(typicalLogs)
	dirOrCreate := corev1.HostPathDirectoryOrCreate
	want.Spec.Volumes = append(want.Spec.Volumes, corev1.Volume{
		Name: "slipway-logs",
		VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{
			Path: "/var/log/slipway/shop-prod/web",
			Type: &dirOrCreate,
		}},
	})
	uc := &want.Spec.Containers[0]
	uc.VolumeMounts = append(uc.VolumeMounts,
		corev1.VolumeMount{Name: "slipway-logs", MountPath: "/app/logs", SubPathExpr: "$(SLIPWAY_POD_NAME)/app"},
		corev1.VolumeMount{Name: "slipway-logs", MountPath: "/var/log/nginx", SubPathExpr: "$(SLIPWAY_POD_NAME)/nginx"},
	)
	uc.Env = append(uc.Env, corev1.EnvVar{
		Name:      "SLIPWAY_POD_NAME",
		ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.name"}},
	})
	for k, v := range map[string]string{
		"slipway.dev/log-project": "shop",
		"slipway.dev/log-app":     "web",
		"slipway.dev/log-env":     "prod",
	} {
		want.Labels[k] = v
		want.Annotations[k] = v
	}
	return want
}

func TestMutateKnativePod(t *testing.T) {
	in := knativePod(typicalLogs)
	orig := in.DeepCopy()
	got, err := Mutate(in, testNamespace, testCfg)
	if err != nil {
		t.Fatalf("Mutate: %v", err)
	}
	if diff := cmp.Diff(wantMutated(), got); diff != "" {
		t.Errorf("Mutate (-want,+got):\n%s", diff)
	}
	if diff := cmp.Diff(orig, in); diff != "" {
		t.Errorf("Mutate modified its input (-want,+got):\n%s", diff)
	}
	if got == in || &got.Spec.Containers[0] == &in.Spec.Containers[0] {
		t.Errorf("Mutate returned (part of) its input, not a copy")
	}
}

// TestMutateIdempotent checks Mutate(Mutate(p)) == Mutate(p) on a range of
// accepted pods, and that neither call modifies its input.
func TestMutateIdempotent(t *testing.T) {
	tests := []struct {
		name string
		pod  func() *corev1.Pod
	}{
		{"typical", func() *corev1.Pod { return knativePod(typicalLogs) }},
		{"one path, defaults", func() *corev1.Pod { return knativePod(`[{"path":"/app/logs"}]`) }},
		{"eight paths", func() *corev1.Pod { return knativePod(eightPaths(8)) }},
		{"sidecar container", func() *corev1.Pod {
			p := knativePod(`[{"path":"/app/logs"},{"path":"/logs","container":"shipper","name":"shipper"}]`)
			p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "shipper", Image: "busybox",
				Env: []corev1.EnvVar{{Name: "A", Value: "b"}}})
			return p
		}},
		{"no slipway labels", func() *corev1.Pod {
			p := knativePod(typicalLogs)
			delete(p.Labels, "slipway.dev/project")
			delete(p.Labels, "slipway.dev/app")
			delete(p.Labels, "slipway.dev/env")
			return p
		}},
		{"already has our volume, mount and env", func() *corev1.Pod {
			p := knativePod(typicalLogs)
			p.Spec.Volumes = append(p.Spec.Volumes, hostVolume("/var/log/slipway/shop-prod/web"))
			p.Spec.Containers[0].VolumeMounts = append(p.Spec.Containers[0].VolumeMounts,
				corev1.VolumeMount{Name: VolumeName, MountPath: "/var/log/nginx", SubPathExpr: "$(SLIPWAY_POD_NAME)/nginx"})
			p.Spec.Containers[0].Env = append([]corev1.EnvVar{podNameEnv()}, p.Spec.Containers[0].Env...)
			return p
		}},
		{"not opted in", func() *corev1.Pod {
			p := knativePod(`garbage`)
			delete(p.Labels, names.LabelLogCollect)
			return p
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.pod()
			orig := in.DeepCopy()
			once, err := Mutate(in, testNamespace, testCfg)
			if err != nil {
				t.Fatalf("Mutate: %v", err)
			}
			if diff := cmp.Diff(orig, in); diff != "" {
				t.Errorf("Mutate modified its input (-want,+got):\n%s", diff)
			}
			onceCopy := once.DeepCopy()
			twice, err := Mutate(once, testNamespace, testCfg)
			if err != nil {
				t.Fatalf("Mutate(Mutate(p)): %v", err)
			}
			if diff := cmp.Diff(once, twice); diff != "" {
				t.Errorf("Mutate(Mutate(p)) != Mutate(p) (-want,+got):\n%s", diff)
			}
			if diff := cmp.Diff(onceCopy, once); diff != "" {
				t.Errorf("second Mutate modified its input (-want,+got):\n%s", diff)
			}
		})
	}
}

func TestMutateNotOptedIn(t *testing.T) {
	tests := []struct {
		name string
		edit func(*corev1.Pod)
	}{
		{"no label", func(p *corev1.Pod) { delete(p.Labels, names.LabelLogCollect) }},
		{"no labels at all", func(p *corev1.Pod) { p.Labels = nil }},
		{"label false", func(p *corev1.Pod) { p.Labels[names.LabelLogCollect] = "false" }},
		{"label True", func(p *corev1.Pod) { p.Labels[names.LabelLogCollect] = "True" }},
		{"label empty", func(p *corev1.Pod) { p.Labels[names.LabelLogCollect] = "" }},
		{"hostile annotation, no label", func(p *corev1.Pod) {
			delete(p.Labels, names.LabelLogCollect)
			p.Annotations[names.AnnoLogPaths] = `[{"path":"/etc"}]`
		}},
		{"no knative label, no opt-in", func(p *corev1.Pod) {
			delete(p.Labels, names.LabelLogCollect)
			delete(p.Labels, LabelKnativeService)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := knativePod(typicalLogs)
			tt.edit(in)
			want := in.DeepCopy()
			got, err := Mutate(in, testNamespace, testCfg)
			if err != nil {
				t.Fatalf("Mutate: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Mutate changed a pod that did not opt in (-want,+got):\n%s", diff)
			}
			if got == in {
				t.Errorf("Mutate returned its input, not a copy")
			}
		})
	}
	if _, err := Mutate(nil, testNamespace, testCfg); err == nil {
		t.Errorf("Mutate(nil) succeeded")
	}
}

// The collector's keys come from the namespace and Knative's label, whatever
// the pod says: pod labels are written by whoever creates the pod.
func TestMutateMetadata(t *testing.T) {
	pick := func(m map[string]string) map[string]string {
		out := map[string]string{}
		for _, k := range []string{names.KeyLogProject, names.KeyLogApp, names.KeyLogEnv} {
			if v, ok := m[k]; ok {
				out[k] = v
			}
		}
		return out
	}
	spoof := func(p *corev1.Pod) {
		p.Labels["slipway.dev/project"] = "bank"
		p.Labels["slipway.dev/app"] = "ledger"
		p.Labels[names.KeyLogProject] = "someone-else"
		p.Annotations[names.KeyLogEnv] = "prod"
		p.Labels[names.KeyLogApp] = "other"
	}
	cases := map[string]struct {
		ns   Namespace
		want map[string]string
	}{
		"slipway namespace": {testNamespace, map[string]string{names.KeyLogProject: "shop", names.KeyLogApp: testApp, names.KeyLogEnv: "prod"}},
		// Stale or spoofed values go: only Mutate decides these keys.
		"other namespace": {Namespace{Name: testNS}, map[string]string{names.KeyLogApp: testApp}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			in := knativePod(`[{"path":"/app/logs"}]`)
			spoof(in)
			got, err := Mutate(in, tc.ns, testCfg)
			if err != nil {
				t.Fatalf("Mutate: %v", err)
			}
			if diff := cmp.Diff(tc.want, pick(got.Labels)); diff != "" {
				t.Errorf("labels (-want,+got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, pick(got.Annotations)); diff != "" {
				t.Errorf("annotations (-want,+got):\n%s", diff)
			}
		})
	}
}

func TestMutateTargetsNamedContainer(t *testing.T) {
	in := knativePod(`[{"path":"/data/logs","container":"worker","name":"worker"}]`)
	in.Spec.Containers = append(in.Spec.Containers, corev1.Container{Name: "worker", Image: "worker"})
	got, err := Mutate(in, testNamespace, testCfg)
	if err != nil {
		t.Fatalf("Mutate: %v", err)
	}
	for i, c := range got.Spec.Containers {
		if diff := cmp.Diff(in.Spec.Containers[i].VolumeMounts, c.VolumeMounts); c.Name != "worker" && diff != "" {
			t.Errorf("container %q mounts changed (-want,+got):\n%s", c.Name, diff)
		}
	}
	w := got.Spec.Containers[2]
	wantMounts := []corev1.VolumeMount{{Name: VolumeName, MountPath: "/data/logs", SubPathExpr: "$(SLIPWAY_POD_NAME)/worker"}}
	if diff := cmp.Diff(wantMounts, w.VolumeMounts); diff != "" {
		t.Errorf("worker mounts (-want,+got):\n%s", diff)
	}
	if diff := cmp.Diff([]corev1.EnvVar{podNameEnv()}, w.Env); diff != "" {
		t.Errorf("worker env (-want,+got):\n%s", diff)
	}
	if diff := cmp.Diff(in.Spec.Containers[0].Env, got.Spec.Containers[0].Env); diff != "" {
		t.Errorf("user-container env changed though it has no log path (-want,+got):\n%s", diff)
	}
}

// eightPaths returns an annotation with n distinct valid entries.
func eightPaths(n int) string {
	var b strings.Builder
	b.WriteString("[")
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"path":"/app/logs%d"}`, i)
	}
	b.WriteString("]")
	return b.String()
}

type hostileCase struct {
	name  string
	paths string            // the annotation; ignored when edit removes it
	ns    string            // the request's namespace; testNS when empty
	cfg   *Config           // testCfg when nil
	edit  func(*corev1.Pod) // further changes to the pod
	want  string            // a substring of the error
}

func hostileCases() []hostileCase {
	long := "/app/" + strings.Repeat("a", 300)
	sysCases := []hostileCase{}
	for _, p := range []struct{ path, want string }{
		{"/proc", "is the system directory /proc"},
		{"/proc/self", "under a system directory /proc"},
		{"/proc/1/root", "under a system directory /proc"},
		{"/sys", "is the system directory /sys"},
		{"/sys/x", "under a system directory /sys"},
		{"/dev", "is the system directory /dev"},
		{"/dev/shm", "under a system directory /dev"},
		{"/etc", "is the system directory /etc"},
		{"/etc/passwd", "under a system directory /etc"},
		{"/run", "is the system directory /run"},
		{"/run/secrets", "under a system directory /run"},
		{"/var/run", "is the system directory /var/run"},
		{"/var/run/docker.sock", "under a system directory /var/run"},
		{"/var/run/secrets/kubernetes.io/serviceaccount", "under a system directory /var/run"},
		{"/var/run/secrets/kubernetes.io/serviceaccount/logs", "under a system directory /var/run"},
		{"/var", "contains the system directory /var/run"},
		{"/bin", "is the system directory /bin"},
		{"/bin/x", "under a system directory /bin"},
		{"/sbin", "is the system directory /sbin"},
		{"/sbin/x", "under a system directory /sbin"},
		{"/lib", "is the system directory /lib"},
		{"/lib/x", "under a system directory /lib"},
		{"/lib64", "is the system directory /lib64"},
		{"/lib64/x", "under a system directory /lib64"},
		{"/usr", "is the system directory /usr"},
		{"/usr/local", "under a system directory /usr"},
		{"/boot", "is the system directory /boot"},
		{"/boot/x", "under a system directory /boot"},
	} {
		sysCases = append(sysCases, hostileCase{
			name:  "system " + p.path,
			paths: `[{"path":"/app/logs"},{"path":` + jsonQuote(p.path) + `}]`,
			want:  `log-paths[1].path ` + jsonQuote(p.path) + `: ` + p.want,
		})
	}
	cases := []hostileCase{
		// JSON shape.
		{name: "empty annotation", paths: ``, want: "log-paths: empty"},
		{name: "malformed JSON", paths: `[{"path":"/app/logs"`, want: "log-paths[0]: malformed JSON: unexpected end of input"},
		{name: "unterminated array", paths: `[{"path":"/app/logs"}`, want: "log-paths: malformed JSON: unexpected end of input"},
		{name: "extra closing bracket", paths: `[{"path":"/app/logs"}]]`, want: "log-paths: trailing data after the array"},
		{name: "trailing NUL", paths: "[{\"path\":\"/app/logs\"}]\x00", want: "log-paths: trailing data after the array"},
		{name: "malformed JSON, trailing comma", paths: `[{"path":"/app/logs",}]`, want: "log-paths[0]: malformed JSON"},
		{name: "malformed JSON, missing comma", paths: `[{"path":"/a"}{"path":"/b"}]`, want: "log-paths[1]: malformed JSON"},
		{name: "not JSON", paths: `/app/logs`, want: "log-paths: malformed JSON"},
		{name: "trailing data", paths: `[{"path":"/app/logs"}] x`, want: "log-paths: trailing data after the array"},
		{name: "trailing array", paths: `[{"path":"/app/logs"}][{"path":"/etc"}]`, want: "log-paths: trailing data after the array: an array"},
		{name: "trailing object", paths: `[{"path":"/app/logs"}]{}`, want: "log-paths: trailing data after the array"},
		{name: "unknown field", paths: `[{"path":"/app/logs","hostPath":"/"}]`, want: `log-paths[0]: unknown field "hostPath"`},
		{name: "field in other case", paths: `[{"Path":"/etc"}]`, want: `log-paths[0]: unknown field "Path"`},
		{name: "duplicate field", paths: `[{"path":"/app/logs","path":"/etc"}]`, want: `log-paths[0]: duplicate field "path"`},
		{name: "not an array", paths: `{"path":"/app/logs"}`, want: "log-paths: must be a JSON array of objects, not an object"},
		{name: "a string", paths: `"/app/logs"`, want: "log-paths: must be a JSON array of objects, not a string"},
		{name: "null", paths: `null`, want: "log-paths: must be a JSON array of objects, not null"},
		{name: "array of strings", paths: `["/app/logs"]`, want: "log-paths[0]: must be an object, not a string"},
		{name: "nested arrays", paths: `[[[[[{"path":"/app/logs"}]]]]]`, want: "log-paths[0]: must be an object, not an array"},
		{name: "path null", paths: `[{"path":null}]`, want: "log-paths[0].path: must be a string, not null"},
		{name: "path number", paths: `[{"path":1}]`, want: "log-paths[0].path: must be a string, not a number"},
		{name: "path object", paths: `[{"path":{"path":"/app"}}]`, want: "log-paths[0].path: must be a string, not an object"},
		{name: "name array", paths: `[{"path":"/app/logs","name":["a"]}]`, want: "log-paths[0].name: must be a string, not an array"},
		{name: "empty array", paths: `[]`, want: "log-paths: no entries"},
		{name: "missing path", paths: `[{"name":"app"}]`, want: "log-paths[0].path: required"},
		{name: "empty path", paths: `[{"path":""}]`, want: "log-paths[0].path: required"},
		{name: "nine entries", paths: eightPaths(9), want: "log-paths: more than 8 entries"},
		{name: "two hundred entries", paths: eightPaths(200), want: "log-paths: more than 8 entries"},
		{name: "invalid UTF-8", paths: "[{\"path\":\"/app/\xff\"}]", want: "log-paths: not valid UTF-8"},
		{name: "huge annotation", paths: `[{"path":"/app/logs","name":"` + strings.Repeat("a", 20000) + `"}]`, want: "log-paths: 20032 bytes, at most 16384 allowed"},

		// Paths.
		{name: "relative path", paths: `[{"path":"app/logs"}]`, want: `log-paths[0].path "app/logs": must be absolute`},
		{name: "dot-relative path", paths: `[{"path":"./logs"}]`, want: `log-paths[0].path "./logs": must be absolute`},
		{name: "traversal /app/../etc", paths: `[{"path":"/app/../etc"}]`, want: `log-paths[0].path "/app/../etc": must not contain ".."`},
		{name: "traversal /app/..", paths: `[{"path":"/app/.."}]`, want: `log-paths[0].path "/app/..": must not contain ".."`},
		{name: "traversal /..", paths: `[{"path":"/.."}]`, want: `log-paths[0].path "/..": must not contain ".."`},
		{name: "traversal /../../etc", paths: `[{"path":"/../../etc"}]`, want: `log-paths[0].path "/../../etc": must not contain ".."`},
		{name: "traversal deep", paths: `[{"path":"/app/logs/../../../var/lib/kubelet"}]`, want: `must not contain ".."`},
		{name: "traversal escaped", paths: `[{"path":"/app/\u002e\u002e/etc"}]`, want: `log-paths[0].path "/app/../etc": must not contain ".."`},
		{name: "traversal second entry", paths: `[{"path":"/app/logs"},{"path":"/app/logs/.."}]`, want: `log-paths[1].path "/app/logs/..": must not contain ".."`},
		{name: "double slash", paths: `[{"path":"/app//logs"}]`, want: `log-paths[0].path "/app//logs": must not contain "//"`},
		{name: "leading double slash", paths: `[{"path":"//etc"}]`, want: `must not contain "//"`},
		{name: "trailing slash", paths: `[{"path":"/app/logs/"}]`, want: `log-paths[0].path "/app/logs/": must not end in "/"`},
		{name: "dot element", paths: `[{"path":"/app/./logs"}]`, want: `log-paths[0].path "/app/./logs": must be in clean form ("/app/logs")`},
		{name: "root", paths: `[{"path":"/"}]`, want: `log-paths[0].path "/": must not be the root directory`},
		{name: "NUL in path", paths: `[{"path":"/app/logs\u0000/etc"}]`, want: `log-paths[0].path "/app/logs\x00/etc": contains a NUL character`},
		{name: "newline in path", paths: `[{"path":"/app/logs\n"}]`, want: `log-paths[0].path "/app/logs\n": contains the control character U+000A`},
		{name: "tab in path", paths: `[{"path":"/app/\tlogs"}]`, want: `contains the control character U+0009`},
		{name: "DEL in path", paths: "[{\"path\":\"/app/\x7flogs\"}]", want: `contains the control character U+007F`},
		{name: "bidi override in path", paths: `[{"path":"/app/\u202egol"}]`, want: `contains the control character U+202E`},
		{name: "very long path", paths: `[{"path":"` + long + `"}]`, want: `log-paths[0].path "/app/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"... (305 bytes): 305 bytes long, at most 256 allowed`},
		{name: "duplicate paths", paths: `[{"path":"/app/logs","name":"a"},{"path":"/app/logs","name":"b"}]`, want: `log-paths[1].path "/app/logs": duplicate of log-paths[0].path`},
		{name: "duplicate paths, other containers", paths: `[{"path":"/app/logs"},{"path":"/app/logs","container":"worker"}]`, want: `log-paths[1].path "/app/logs": duplicate of log-paths[0].path`},
		{name: "nested paths", paths: `[{"path":"/app/logs"},{"path":"/app/logs/x"}]`, want: `log-paths[1].path "/app/logs/x": under log-paths[0].path "/app/logs"`},
		{name: "nested paths, parent second", paths: `[{"path":"/app/logs/x"},{"path":"/app/logs"}]`, want: `log-paths[1].path "/app/logs": contains log-paths[0].path "/app/logs/x"`},

		// Names.
		{name: "duplicate names", paths: `[{"path":"/a","name":"app"},{"path":"/b","name":"app"}]`, want: `log-paths[1].name "app": duplicate of log-paths[0].name`},
		{name: "name ../x", paths: `[{"path":"/app/logs","name":"../x"}]`, want: `log-paths[0].name "../x": not a DNS-1123 label`},
		{name: "name ..", paths: `[{"path":"/app/logs","name":".."}]`, want: `log-paths[0].name "..": not a DNS-1123 label`},
		{name: "name with slash", paths: `[{"path":"/app/logs","name":"a/b"}]`, want: `log-paths[0].name "a/b": not a DNS-1123 label`},
		{name: "name with variable", paths: `[{"path":"/app/logs","name":"$(HOME)"}]`, want: `log-paths[0].name "$(HOME)": not a DNS-1123 label`},
		{name: "name upper case", paths: `[{"path":"/app/logs","name":"App"}]`, want: `log-paths[0].name "App": not a DNS-1123 label`},
		{name: "name with dot", paths: `[{"path":"/app/logs","name":"a.b"}]`, want: `log-paths[0].name "a.b": not a DNS-1123 label`},
		{name: "name leading dash", paths: `[{"path":"/app/logs","name":"-a"}]`, want: `log-paths[0].name "-a": not a DNS-1123 label`},
		{name: "name trailing dash", paths: `[{"path":"/app/logs","name":"a-"}]`, want: `log-paths[0].name "a-": not a DNS-1123 label`},
		{name: "name too long", paths: `[{"path":"/app/logs","name":"` + strings.Repeat("a", 41) + `"}]`, want: `log-paths[0].name "` + strings.Repeat("a", 41) + `": 41 characters long, at most 40 allowed`},
		{name: "derived name taken", paths: `[{"path":"/a/logs"},{"path":"/b/logs"},{"path":"/c","name":"logs-1"}]`, want: `log-paths[1].name: derived name "logs-1" is taken by log-paths[2]; set a name`},

		// Containers.
		{name: "container queue-proxy", paths: `[{"path":"/app/logs","container":"queue-proxy"}]`, want: `log-paths[0].container "queue-proxy": Knative's sidecar cannot be a log source`},
		{name: "container not a label", paths: `[{"path":"/app/logs","container":"User_Container"}]`, want: `log-paths[0].container "User_Container": not a DNS-1123 label`},
		{name: "unknown container", paths: `[{"path":"/app/logs"},{"path":"/x","container":"sidecar"}]`, want: `log-paths[1].container "sidecar": no such container in the pod`},
		{name: "init container", paths: `[{"path":"/app/logs","container":"init"}]`, edit: func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{{Name: "init", Image: "busybox"}}
		}, want: `log-paths[0].container "init": no such container in the pod`},
		{name: "default container missing", paths: `[{"path":"/app/logs"}]`, edit: func(p *corev1.Pod) {
			p.Spec.Containers[0].Name = "app"
		}, want: `log-paths[0].container "user-container": no such container in the pod`},

		// Collisions with what the pod mounts already.
		{name: "same path as a mount", paths: `[{"path":"/app/config"}]`, edit: withMount("config", "/app/config"),
			want: `log-paths[0].path "/app/config": collides with the mount of volume "config" at "/app/config" in container "user-container"`},
		{name: "parent of a mount", paths: `[{"path":"/app"}]`, edit: withMount("config", "/app/config"),
			want: `log-paths[0].path "/app": collides with the mount of volume "config" at "/app/config"`},
		{name: "under a mount", paths: `[{"path":"/app/config/logs"}]`, edit: withMount("config", "/app/config"),
			want: `log-paths[0].path "/app/config/logs": collides with the mount of volume "config" at "/app/config"`},
		{name: "same path as an unclean mount", paths: `[{"path":"/app/data"}]`, edit: withMount("data", "/app//data/"),
			want: `collides with the mount of volume "data" at "/app//data/"`},
		{name: "under a root mount", paths: `[{"path":"/app/logs"}]`, edit: withMount("root", "/"),
			want: `collides with the mount of volume "root" at "/"`},
		{name: "parent of the service-account mount", paths: `[{"path":"/srv"}]`, edit: withMount("token", "/srv/secrets/kubernetes.io/serviceaccount"),
			want: `log-paths[0].path "/srv": collides with the mount of volume "token" at "/srv/secrets/kubernetes.io/serviceaccount"`},
		{name: "volume device", paths: `[{"path":"/app/logs"}]`, edit: func(p *corev1.Pod) {
			p.Spec.Containers[0].VolumeDevices = []corev1.VolumeDevice{{Name: "blk", DevicePath: "/app/logs/disk"}}
		}, want: `log-paths[0].path "/app/logs": collides with volume device "blk" at "/app/logs/disk"`},

		// Pod metadata and the request.
		{name: "missing Knative service label", paths: typicalLogs, edit: func(p *corev1.Pod) { delete(p.Labels, LabelKnativeService) },
			want: "pod label serving.knative.dev/service: required on a pod with slipway.dev/log-collect=true"},
		{name: "empty Knative service label", paths: typicalLogs, edit: func(p *corev1.Pod) { p.Labels[LabelKnativeService] = "" },
			want: `pod label serving.knative.dev/service "": required`},
		{name: "Knative service label traversal", paths: typicalLogs, edit: func(p *corev1.Pod) { p.Labels[LabelKnativeService] = "../../etc" },
			want: `pod label serving.knative.dev/service "../../etc": not a DNS-1123 label`},
		{name: "Knative service label with slash", paths: typicalLogs, edit: func(p *corev1.Pod) { p.Labels[LabelKnativeService] = "web/x" },
			want: `pod label serving.knative.dev/service "web/x": not a DNS-1123 label`},
		{name: "Knative service label ..", paths: typicalLogs, edit: func(p *corev1.Pod) { p.Labels[LabelKnativeService] = ".." },
			want: `pod label serving.knative.dev/service "..": not a DNS-1123 label`},
		{name: "missing annotation", paths: typicalLogs, edit: func(p *corev1.Pod) { delete(p.Annotations, names.AnnoLogPaths) },
			want: "pod annotation slipway.dev/log-paths: required on a pod with slipway.dev/log-collect=true"},
		{name: "no annotations at all", paths: typicalLogs, edit: func(p *corev1.Pod) { p.Annotations = nil },
			want: "pod annotation slipway.dev/log-paths: required"},
		{name: "namespace traversal", paths: typicalLogs, ns: "../kube-system", want: `namespace "../kube-system": not a DNS-1123 label`},
		{name: "namespace with slash", paths: typicalLogs, ns: "a/b", want: `namespace "a/b": not a DNS-1123 label`},
		{name: "namespace ..", paths: typicalLogs, ns: "..", want: `namespace "..": not a DNS-1123 label`},
		{name: "empty config", paths: typicalLogs, cfg: &Config{}, want: `logging config: hostRoot "": required`},
		{name: "relative host root", paths: typicalLogs, cfg: &Config{HostRoot: "var/log"}, want: `logging config: hostRoot "var/log": must be absolute`},
		{name: "host root /", paths: typicalLogs, cfg: &Config{HostRoot: "/"}, want: `logging config: hostRoot "/": must not be the root directory`},

		// Spoofing what Mutate adds.
		{name: "spoofed volume, other hostPath", paths: typicalLogs, edit: withVolume(hostVolume("/")),
			want: "pod volume slipway-logs: already present, and not the hostPath volume at /var/log/slipway/shop-prod/web that Slipway adds"},
		{name: "spoofed volume, other app's hostPath", paths: typicalLogs, edit: withVolume(hostVolume("/var/log/slipway/bank-prod/ledger")),
			want: "pod volume slipway-logs: already present, and not the hostPath volume"},
		{name: "spoofed volume, other type", paths: typicalLogs, edit: withVolume(corev1.Volume{Name: VolumeName, VolumeSource: corev1.VolumeSource{
			HostPath: &corev1.HostPathVolumeSource{Path: "/var/log/slipway/shop-prod/web"}}}),
			want: "pod volume slipway-logs: already present"},
		{name: "spoofed volume, emptyDir", paths: typicalLogs, edit: withVolume(corev1.Volume{Name: VolumeName, VolumeSource: corev1.VolumeSource{
			EmptyDir: &corev1.EmptyDirVolumeSource{}}}),
			want: "pod volume slipway-logs: already present"},
		{name: "our volume twice", paths: typicalLogs, edit: func(p *corev1.Pod) {
			v := hostVolume("/var/log/slipway/shop-prod/web")
			p.Spec.Volumes = append(p.Spec.Volumes, v, v)
		}, want: "pod volume slipway-logs: already present"},
		{name: "spoofed mount in queue-proxy", paths: typicalLogs, edit: func(p *corev1.Pod) {
			p.Spec.Containers[1].VolumeMounts = append(p.Spec.Containers[1].VolumeMounts,
				corev1.VolumeMount{Name: VolumeName, MountPath: "/app/logs", SubPathExpr: "$(SLIPWAY_POD_NAME)/app"})
		}, want: `container "queue-proxy": already mounts volume slipway-logs at "/app/logs", which is not from slipway.dev/log-paths`},
		{name: "spoofed mount subPathExpr", paths: typicalLogs, edit: func(p *corev1.Pod) {
			p.Spec.Containers[0].VolumeMounts = append(p.Spec.Containers[0].VolumeMounts,
				corev1.VolumeMount{Name: VolumeName, MountPath: "/app/logs", SubPathExpr: "../../other"})
		}, want: `container "user-container": already mounts volume slipway-logs at "/app/logs"`},
		{name: "spoofed mount elsewhere", paths: typicalLogs, edit: func(p *corev1.Pod) {
			p.Spec.Containers[0].VolumeMounts = append(p.Spec.Containers[0].VolumeMounts,
				corev1.VolumeMount{Name: VolumeName, MountPath: "/host"})
		}, want: `container "user-container": already mounts volume slipway-logs at "/host"`},
		{name: "spoofed read-only mount", paths: typicalLogs, edit: func(p *corev1.Pod) {
			p.Spec.Containers[0].VolumeMounts = append(p.Spec.Containers[0].VolumeMounts,
				corev1.VolumeMount{Name: VolumeName, MountPath: "/app/logs", SubPathExpr: "$(SLIPWAY_POD_NAME)/app", ReadOnly: true})
		}, want: `container "user-container": already mounts volume slipway-logs`},
		{name: "spoofed mount in init container", paths: typicalLogs, edit: func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{{Name: "init", VolumeMounts: []corev1.VolumeMount{{Name: VolumeName, MountPath: "/x"}}}}
		}, want: `init container "init": already mounts volume slipway-logs at "/x"`},
		{name: "spoofed device", paths: typicalLogs, edit: func(p *corev1.Pod) {
			p.Spec.Containers[0].VolumeDevices = []corev1.VolumeDevice{{Name: VolumeName, DevicePath: "/dev/xvda"}}
		}, want: `container "user-container": already uses volume slipway-logs as a device`},
		{name: "spoofed pod-name env", paths: typicalLogs, edit: func(p *corev1.Pod) {
			p.Spec.Containers[0].Env = append(p.Spec.Containers[0].Env, corev1.EnvVar{Name: EnvPodName, Value: "../../../etc"})
		}, want: `container "user-container": env SLIPWAY_POD_NAME is already set, and not to the pod's name`},
		{name: "pod-name env from another field", paths: typicalLogs, edit: func(p *corev1.Pod) {
			p.Spec.Containers[0].Env = append(p.Spec.Containers[0].Env, corev1.EnvVar{Name: EnvPodName,
				ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.namespace"}}})
		}, want: `env SLIPWAY_POD_NAME is already set`},
	}
	return append(cases, sysCases...)
}

func withMount(volume, at string) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: volume, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
		p.Spec.Containers[0].VolumeMounts = append(p.Spec.Containers[0].VolumeMounts, corev1.VolumeMount{Name: volume, MountPath: at})
	}
}

func withVolume(v corev1.Volume) func(*corev1.Pod) {
	return func(p *corev1.Pod) { p.Spec.Volumes = append(p.Spec.Volumes, v) }
}

func jsonQuote(s string) string { return fmt.Sprintf("%q", s) }

func TestMutateRefusesHostileInput(t *testing.T) {
	cases := hostileCases()
	if len(cases) < 30 {
		t.Fatalf("only %d hostile cases", len(cases))
	}
	seen := map[string]bool{}
	for _, tt := range cases {
		if seen[tt.name] {
			t.Fatalf("duplicate case name %q", tt.name)
		}
		seen[tt.name] = true
		t.Run(tt.name, func(t *testing.T) {
			in := knativePod(tt.paths)
			if tt.edit != nil {
				tt.edit(in)
			}
			ns, cfg := testNamespace, testCfg
			if tt.ns != "" {
				ns.Name = tt.ns
			}
			if tt.cfg != nil {
				cfg = *tt.cfg
			}
			orig := in.DeepCopy()
			got, err := Mutate(in, ns, cfg)
			if err == nil {
				t.Fatalf("Mutate accepted the pod; volumes: %v", got.Spec.Volumes)
			}
			if got != nil {
				t.Errorf("Mutate returned a pod with its error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error\n  %s\ndoes not contain\n  %s", err, tt.want)
			}
			if diff := cmp.Diff(orig, in); diff != "" {
				t.Errorf("Mutate modified its input (-want,+got):\n%s", diff)
			}
		})
	}
}

// TestHostPathFixed checks that whatever an accepted annotation says, the
// host path is HostRoot/namespace/app, and that annotations trying to reach
// elsewhere are refused.
func TestHostPathFixed(t *testing.T) {
	const want = "/var/log/slipway/shop-prod/web"
	accepted := []string{
		`[{"path":"/app/logs"}]`,
		`[{"path":"/x"}]`,
		`[{"path":"/var/log/slipway/other-ns/other-app"}]`,
		`[{"path":"/host/var/log","name":"x"}]`,
		`[{"path":"/app/...","name":"dots"}]`,
		`[{"path":"/app/..."}]`,
		`[{"path":"/app/.hidden"}]`,
		`[{"path":"/app/$(SLIPWAY_POD_NAME)"}]`,
		`[{"path":"/app/logs","name":"etc"}]`,
		eightPaths(8),
	}
	for _, a := range accepted {
		got, err := Mutate(knativePod(a), testNamespace, testCfg)
		if err != nil {
			t.Errorf("Mutate(%s): %v", a, err)
			continue
		}
		var paths []string
		for _, v := range got.Spec.Volumes {
			if v.Name == VolumeName {
				paths = append(paths, v.HostPath.Path)
			}
		}
		if diff := cmp.Diff([]string{want}, paths); diff != "" {
			t.Errorf("Mutate(%s): host paths (-want,+got):\n%s", a, diff)
		}
		for _, m := range got.Spec.Containers[0].VolumeMounts {
			if m.Name == VolumeName && (strings.Contains(m.SubPathExpr, "..") || strings.Count(m.SubPathExpr, "/") != 1) {
				t.Errorf("Mutate(%s): subPathExpr %q", a, m.SubPathExpr)
			}
		}
	}
	refused := []string{
		`[{"path":"/../../etc"}]`,
		`[{"path":"/app/logs","name":"../x"}]`,
		`[{"path":"/app/logs","name":"../../../etc"}]`,
		`[{"path":"/app/logs","name":"x/.."}]`,
		`[{"path":"/app/logs","name":"/etc"}]`,
		`[{"path":"/app/logs","hostPath":"/etc"}]`,
		`[{"path":"/app/logs","namespace":"kube-system"}]`,
		`[{"path":"/app/logs","app":"other"}]`,
		`[{"path":"/app/logs","subPath":"../.."}]`,
	}
	for _, a := range refused {
		if _, err := Mutate(knativePod(a), testNamespace, testCfg); err == nil {
			t.Errorf("Mutate(%s) accepted", a)
		}
	}
}

func TestParseLogPaths(t *testing.T) {
	tests := []struct {
		name       string
		annotation string
		want       []LogPath
	}{
		{"defaults", `[{"path":"/app/logs"}]`, []LogPath{{Path: "/app/logs", Container: "user-container", Name: "logs"}}},
		{"all fields", `[{"path":"/app/logs","container":"worker","name":"w"}]`, []LogPath{{Path: "/app/logs", Container: "worker", Name: "w"}}},
		{"fields in any order, whitespace", " [ { \"name\" : \"w\" ,\n\"path\":\"/app/logs\" } ]\n", []LogPath{{Path: "/app/logs", Container: "user-container", Name: "w"}}},
		{"sanitized name", `[{"path":"/srv/App_Logs.v2"}]`, []LogPath{{Path: "/srv/App_Logs.v2", Container: "user-container", Name: "app-logs-v2"}}},
		{"name from leading and trailing symbols", `[{"path":"/srv/__x__"}]`, []LogPath{{Path: "/srv/__x__", Container: "user-container", Name: "x"}}},
		{"name with spaces", `[{"path":"/srv/my logs"}]`, []LogPath{{Path: "/srv/my logs", Container: "user-container", Name: "my-logs"}}},
		{"nothing to derive from", `[{"path":"/srv/___"}]`, []LogPath{{Path: "/srv/___", Container: "user-container", Name: "log"}}},
		{"non-ASCII", `[{"path":"/srv/журнал"}]`, []LogPath{{Path: "/srv/журнал", Container: "user-container", Name: "log"}}},
		{"long base cut", `[{"path":"/srv/` + strings.Repeat("abcdefghi-", 6) + `"}]`, []LogPath{{
			Path: "/srv/" + strings.Repeat("abcdefghi-", 6), Container: "user-container", Name: strings.Repeat("abcdefghi-", 3) + "abcdefghi",
		}}},
		{"derived names collide", `[{"path":"/a/logs"},{"path":"/b/logs"}]`, []LogPath{
			{Path: "/a/logs", Container: "user-container", Name: "logs"},
			{Path: "/b/logs", Container: "user-container", Name: "logs-1"},
		}},
		{"explicit name wins", `[{"path":"/a/logs"},{"path":"/b","name":"logs"}]`, []LogPath{
			{Path: "/a/logs", Container: "user-container", Name: "logs-0"},
			{Path: "/b", Container: "user-container", Name: "logs"},
		}},
		{"long derived name with suffix", `[{"path":"/a/` + strings.Repeat("x", 50) + `"},{"path":"/b/` + strings.Repeat("x", 45) + `"}]`, []LogPath{
			{Path: "/a/" + strings.Repeat("x", 50), Container: "user-container", Name: strings.Repeat("x", 40)},
			{Path: "/b/" + strings.Repeat("x", 45), Container: "user-container", Name: strings.Repeat("x", 38) + "-1"},
		}},
		{"siblings", `[{"path":"/app/log"},{"path":"/app/logs"}]`, []LogPath{
			{Path: "/app/log", Container: "user-container", Name: "log"},
			{Path: "/app/logs", Container: "user-container", Name: "logs"},
		}},
		{"under /var but not /var/run", `[{"path":"/var/log/app"},{"path":"/var/runner"}]`, []LogPath{
			{Path: "/var/log/app", Container: "user-container", Name: "app"},
			{Path: "/var/runner", Container: "user-container", Name: "runner"},
		}},
		{"look-alikes of system directories", `[{"path":"/etcetera"},{"path":"/usr2"},{"path":"/app/etc"},{"path":"/procs"}]`, []LogPath{
			{Path: "/etcetera", Container: "user-container", Name: "etcetera"},
			{Path: "/usr2", Container: "user-container", Name: "usr2"},
			{Path: "/app/etc", Container: "user-container", Name: "etc"},
			{Path: "/procs", Container: "user-container", Name: "procs"},
		}},
		{"longest path", `[{"path":"/` + strings.Repeat("a", 255) + `"}]`, []LogPath{
			{Path: "/" + strings.Repeat("a", 255), Container: "user-container", Name: strings.Repeat("a", 40)},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseLogPaths(tt.annotation)
			if err != nil {
				t.Fatalf("ParseLogPaths: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseLogPaths (-want,+got):\n%s", diff)
			}
			// Parsing the formatted result gives the same entries.
			s, err := FormatLogPaths(got)
			if err != nil {
				t.Fatalf("FormatLogPaths: %v", err)
			}
			again, err := ParseLogPaths(s)
			if err != nil {
				t.Fatalf("ParseLogPaths(FormatLogPaths): %v", err)
			}
			if diff := cmp.Diff(got, again); diff != "" {
				t.Errorf("round trip (-want,+got):\n%s", diff)
			}
		})
	}
}

func TestFormatLogPaths(t *testing.T) {
	got, err := FormatLogPaths([]LogPath{{Path: "/app/logs", Name: "app"}, {Path: "/x", Container: "worker"}})
	if err != nil {
		t.Fatalf("FormatLogPaths: %v", err)
	}
	if want := `[{"path":"/app/logs","name":"app"},{"path":"/x","container":"worker"}]`; got != want {
		t.Errorf("FormatLogPaths = %s, want %s", got, want)
	}
	for _, bad := range [][]LogPath{nil, {}, {{Path: "/etc"}}, {{Path: "/a", Container: "queue-proxy"}}} {
		if s, err := FormatLogPaths(bad); err == nil {
			t.Errorf("FormatLogPaths(%v) = %s, want an error", bad, s)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		root string
		want string // "" for valid
	}{
		{"/var/log/slipway", ""},
		{"/data/logs", ""},
		{"", `logging config: hostRoot "": required`},
		{"var/log/slipway", "must be absolute"},
		{"/var/log/slipway/", `must not end in "/"`},
		{"/var/log/../slipway", `must not contain ".."`},
		{"/var//log", `must not contain "//"`},
		{"/", "must not be the root directory"},
		{"/etc/slipway", "under a system directory /etc"},
		{"/var/run/slipway", "under a system directory /var/run"},
		{"/var", "contains the system directory /var/run"},
		{"/var/log/slip\nway", "control character"},
	}
	for _, tt := range tests {
		t.Run(tt.root, func(t *testing.T) {
			err := Config{HostRoot: tt.root}.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate: %v", err)
			case tt.want != "" && err == nil:
				t.Errorf("Validate accepted %q", tt.root)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Errorf("Validate error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestHostDir(t *testing.T) {
	got, err := HostDir(testCfg, "shop-prod", "web")
	if err != nil || got != "/var/log/slipway/shop-prod/web" {
		t.Errorf("HostDir = %q, %v", got, err)
	}
	for _, bad := range [][2]string{{"", "web"}, {"shop-prod", ""}, {"..", "web"}, {"shop-prod", ".."}, {"a.b", "web"}, {"shop", "a/b"}, {strings.Repeat("a", 64), "web"}} {
		if got, err := HostDir(testCfg, bad[0], bad[1]); err == nil {
			t.Errorf("HostDir(%q, %q) = %q, want an error", bad[0], bad[1], got)
		}
	}
}

func TestCheckDNSLabelAgreesWithApimachinery(t *testing.T) {
	for _, s := range []string{
		"", "a", "0", "a-b", "a--b", "-a", "a-", "A", "a.b", "a_b", "a b", "..", ".", "user-container", "queue-proxy",
		strings.Repeat("a", 63), strings.Repeat("a", 64), "é", "a\x00", "1-2-3",
	} {
		ours := checkDNSLabel(s, 63) == ""
		theirs := len(validation.IsDNS1123Label(s)) == 0
		if ours != theirs {
			t.Errorf("%q: checkDNSLabel ok=%v, IsDNS1123Label ok=%v", s, ours, theirs)
		}
	}
}

// pathOK is an independent statement of the rules for a log path.
func pathOK(p string) bool {
	if p == "" || len(p) > MaxPathLength || !path.IsAbs(p) || path.Clean(p) != p || p == "/" {
		return false
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return false
		}
	}
	for _, elem := range strings.Split(p[1:], "/") {
		if elem == "" || elem == "." || elem == ".." {
			return false
		}
	}
	for _, dir := range []string{"/proc", "/sys", "/dev", "/etc", "/run", "/var/run", "/bin", "/sbin", "/lib", "/lib64", "/usr", "/boot"} {
		if p == dir || strings.HasPrefix(p, dir+"/") || strings.HasPrefix(dir, p+"/") {
			return false
		}
	}
	return true
}

func FuzzMutate(f *testing.F) {
	seeds := []string{
		typicalLogs,
		`[{"path":"/app/logs"}]`,
		`[{"path":"/app/../etc"}]`,
		`[{"path":"/app/.."}]`,
		`[{"path":"/.."}]`,
		`[{"path":"/../../etc"}]`,
		`[{"path":"/app/\u002e\u002e/etc"}]`,
		`[{"path":"/app//logs"}]`,
		`[{"path":"/app/logs/"}]`,
		`[{"path":"/"}]`,
		`[{"path":"/etc/passwd"}]`,
		`[{"path":"/var/run/secrets/kubernetes.io/serviceaccount"}]`,
		`[{"path":"/app/logs","name":"../x"}]`,
		`[{"path":"/app/logs","name":"$(SLIPWAY_POD_NAME)"}]`,
		`[{"path":"/app/logs","container":"queue-proxy"}]`,
		`[{"path":"/app/logs","path":"/etc"}]`,
		`[{"path":"/app/logs\u0000"}]`,
		`[{"path":"/a/logs"},{"path":"/b/logs"},{"path":"/c","name":"logs-1"}]`,
		`[{"path":"/app/logs"}] [{"path":"/etc"}]`,
		eightPaths(8),
		eightPaths(9),
	}
	for _, s := range seeds {
		f.Add(s, testNS, testApp, "")
	}
	f.Add(typicalLogs, "../kube-system", testApp, "")
	f.Add(typicalLogs, testNS, "../../etc", "")
	f.Add(typicalLogs, testNS, "..", "")
	f.Add(`[{"path":"/app/config"}]`, testNS, testApp, "/app/config")
	f.Add(`[{"path":"/app"}]`, testNS, testApp, "/app/config")
	f.Add(`[{"path":"/app/config/x"}]`, testNS, testApp, "/app/config/")
	f.Fuzz(func(t *testing.T, annotation, ns, app, existingMount string) {
		in := knativePod(annotation)
		in.Labels[LabelKnativeService] = app
		if existingMount != "" {
			withMount("existing", existingMount)(in)
		}
		orig := in.DeepCopy()
		out, err := Mutate(in, Namespace{Name: ns, Project: "shop", Env: "prod"}, testCfg)
		if diff := cmp.Diff(orig, in); diff != "" {
			t.Fatalf("Mutate modified its input (-want,+got):\n%s", diff)
		}
		if err != nil {
			if out != nil {
				t.Fatalf("Mutate returned a pod with error %v", err)
			}
			return
		}
		if len(validation.IsDNS1123Label(ns)) > 0 || len(validation.IsDNS1123Label(app)) > 0 {
			t.Fatalf("accepted namespace %q, app %q", ns, app)
		}
		wantHost := testCfg.HostRoot + "/" + ns + "/" + app
		var vols []corev1.Volume
		for _, v := range out.Spec.Volumes {
			if v.Name == VolumeName {
				vols = append(vols, v)
			}
		}
		if len(vols) != 1 || vols[0].HostPath == nil || vols[0].HostPath.Path != wantHost ||
			path.Clean(wantHost) != wantHost || path.Dir(path.Dir(wantHost)) != testCfg.HostRoot {
			t.Fatalf("slipway-logs volumes %+v, want one at %s", vols, wantHost)
		}
		entries, err := ParseLogPaths(annotation)
		if err != nil {
			t.Fatalf("Mutate accepted an annotation ParseLogPaths refuses: %v", err)
		}
		added := 0
		for ci, c := range out.Spec.Containers {
			before := in.Spec.Containers[ci]
			ours := 0
			for _, m := range c.VolumeMounts {
				if m.Name != VolumeName {
					continue
				}
				ours++
				if c.Name == QueueProxyContainer {
					t.Fatalf("queue-proxy mounts %+v", m)
				}
				if !pathOK(m.MountPath) {
					t.Fatalf("mount path %q breaks the rules", m.MountPath)
				}
				name, ok := strings.CutPrefix(m.SubPathExpr, "$(SLIPWAY_POD_NAME)/")
				if !ok || len(validation.IsDNS1123Label(name)) > 0 || len(name) > MaxNameLength || m.SubPath != "" {
					t.Fatalf("mount %+v", m)
				}
				if have := path.Clean("/" + existingMount); existingMount != "" && c.Name == DefaultContainer &&
					(have == "/" || have == m.MountPath || strings.HasPrefix(m.MountPath, have+"/") || strings.HasPrefix(have, m.MountPath+"/")) {
					t.Fatalf("mount %q collides with existing %q", m.MountPath, existingMount)
				}
			}
			added += ours
			if ours > 0 && !hasPodNameEnv(c) {
				t.Fatalf("container %q mounts the volume without %s", c.Name, EnvPodName)
			}
			if c.Name == QueueProxyContainer {
				if diff := cmp.Diff(before, c); diff != "" {
					t.Fatalf("queue-proxy changed (-want,+got):\n%s", diff)
				}
			}
		}
		if added != len(entries) {
			t.Fatalf("%d mounts for %d entries", added, len(entries))
		}
		for _, c := range out.Spec.InitContainers {
			for _, m := range c.VolumeMounts {
				if m.Name == VolumeName {
					t.Fatalf("init container %q mounts the volume", c.Name)
				}
			}
		}
		again, err := Mutate(out, Namespace{Name: ns, Project: "shop", Env: "prod"}, testCfg)
		if err != nil {
			t.Fatalf("Mutate(Mutate(p)): %v", err)
		}
		if diff := cmp.Diff(out, again); diff != "" {
			t.Fatalf("Mutate not idempotent (-want,+got):\n%s", diff)
		}
	})
}

func hasPodNameEnv(c corev1.Container) bool {
	for _, e := range c.Env {
		if e.Name == EnvPodName {
			return e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.name"
		}
	}
	return false
}

func BenchmarkMutate(b *testing.B) {
	pod := knativePod(typicalLogs)
	b.ReportAllocs()
	var samples latency.Samples
	for b.Loop() {
		start := time.Now()
		_, err := Mutate(pod, testNamespace, testCfg)
		samples = append(samples, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(samples.Percentile(50).Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(samples.Percentile(99).Nanoseconds()), "p99-ns")
}
