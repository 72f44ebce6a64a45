//go:build integration

package integration

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/utils/ptr"

	"github.com/slipway-dev/slipway/internal/devstack"
	"github.com/slipway-dev/slipway/internal/latency"
	"github.com/slipway-dev/slipway/internal/testutil"
	"github.com/slipway-dev/slipway/pkg/apps"
	"github.com/slipway-dev/slipway/pkg/logging"
	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/podmutator"
)

// labelledPod is a pod as Knative would make it for Service app (meeting the restricted
// profile, as Knative's secure-pod-defaults make it), opted in to log collection with the
// given annotation (none when empty).
func labelledPod(app, logPaths string) *corev1.Pod {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: app + "-00001-deployment-",
			Labels:       map[string]string{names.LabelLogCollect: "true", logging.LabelKnativeService: app},
			Annotations:  map[string]string{},
		},
		Spec: corev1.PodSpec{Containers: []corev1.Container{
			{Name: "user-container", Image: "dev.local/logs/app:v1"},
			{Name: "queue-proxy", Image: "dev.local/knative/queue:v1"},
		}},
	}
	if logPaths != "" {
		pod.Annotations[names.AnnoLogPaths] = logPaths
	}
	return meetRestricted(pod)
}

func hasLogVolume(pod *corev1.Pod) bool {
	for _, v := range pod.Spec.Volumes {
		if v.Name == logging.VolumeName {
			return true
		}
	}
	for _, m := range pod.Spec.Containers[0].VolumeMounts {
		if m.Name == logging.VolumeName {
			return true
		}
	}
	return false
}

// mutatorMetrics scrapes the pod-mutator's /metrics.
func mutatorMetrics(t testing.TB) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + env.mutator.MetricsAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return families
}

// admissionSeconds sums the pod-mutator's latency histogram per outcome.
func admissionSeconds(t testing.TB) (seconds, count map[string]float64) {
	seconds, count = map[string]float64{}, map[string]float64{}
	if f, ok := mutatorMetrics(t)["slipway_pod_mutator_admission_duration_seconds"]; ok {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "outcome" {
					seconds[l.GetValue()] += m.GetHistogram().GetSampleSum()
					count[l.GetValue()] += float64(m.GetHistogram().GetSampleCount())
				}
			}
		}
	}
	return seconds, count
}

// decisions reads the pod-mutator's decision counters from its /metrics.
func decisions(t testing.TB) map[string]float64 {
	t.Helper()
	families := mutatorMetrics(t)
	out := map[string]float64{}
	if f, ok := families["slipway_pod_mutator_decisions_total"]; ok {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "outcome" {
					out[l.GetValue()] = m.GetCounter().GetValue()
				}
			}
		}
	}
	if _, ok := families["slipway_pod_mutator_admission_duration_seconds"]; !ok && len(out) > 0 {
		t.Errorf("/metrics has decisions but no admission latency histogram")
	}
	return out
}

func sum(m map[string]float64) float64 {
	var s float64
	for _, v := range m {
		s += v
	}
	return s
}

// waitServiceAccount waits for the controller-manager to give ns its default
// ServiceAccount, without which the apiserver refuses every pod.
func waitServiceAccount(t *testing.T, ns string) {
	t.Helper()
	eventually(t, 30*time.Second, "ServiceAccount default in "+ns, func() error {
		_, err := env.clients.Kube.CoreV1().ServiceAccounts(ns).Get(context.Background(), "default", metav1.GetOptions{})
		return err
	})
}

// projectPods creates a project and returns its test namespace and pods,
// once pods can be created there.
func projectPods(t *testing.T, project string) (string, typedcorev1.PodInterface) {
	t.Helper()
	createProject(t, project)
	ns := names.Namespace(project, "test")
	waitServiceAccount(t, ns)
	return ns, env.clients.Kube.CoreV1().Pods(ns)
}

// TestLogPathsDeploy: logPaths through platform-api reach the Knative
// template, and the pod the apiserver stores (after calling the webhook over
// TLS) has the hostPath volume, the mounts and the collector's labels.
func TestLogPathsDeploy(t *testing.T) {
	const project, app = "logs", "web"
	createProject(t, project)
	ns := names.Namespace(project, "test")
	body := map[string]any{
		"image":    "dev.local/logs/web:v1",
		"logPaths": []map[string]string{{"path": "/app/logs", "name": "app"}, {"path": "/var/log/nginx"}},
	}
	mustCall(t, http.StatusCreated, http.MethodPost, appPath(project, app, "test")+"/deployments", body, nil)

	ksvc, err := env.clients.Serving.ServingV1().Services(ns).Get(context.Background(), app, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tmpl := ksvc.Spec.Template
	if tmpl.Labels[names.LabelLogCollect] != "true" {
		t.Errorf("template labels = %v, want %s=true", tmpl.Labels, names.LabelLogCollect)
	}
	const wantAnnotation = `[{"path":"/app/logs","container":"user-container","name":"app"},{"path":"/var/log/nginx","container":"user-container","name":"nginx"}]`
	if got := tmpl.Annotations[names.AnnoLogPaths]; got != wantAnnotation {
		t.Errorf("template annotation %s = %s, want %s", names.AnnoLogPaths, got, wantAnnotation)
	}

	var pod corev1.Pod
	eventually(t, readyTimeout, "a pod of "+app, func() error {
		pods, err := env.clients.Kube.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: logging.LabelKnativeService + "=" + app})
		if err != nil {
			return err
		}
		if len(pods.Items) == 0 {
			return fmt.Errorf("no pod yet")
		}
		pod = pods.Items[0]
		return nil
	})
	wantDir := env.cfg.Logging.HostRoot + "/" + ns + "/" + app
	var volume *corev1.Volume
	for i := range pod.Spec.Volumes {
		if pod.Spec.Volumes[i].Name == logging.VolumeName {
			volume = &pod.Spec.Volumes[i]
		}
	}
	if volume == nil || volume.HostPath == nil || volume.HostPath.Path != wantDir ||
		volume.HostPath.Type == nil || *volume.HostPath.Type != corev1.HostPathDirectoryOrCreate {
		t.Fatalf("stored pod's volume %s = %+v, want hostPath %s DirectoryOrCreate", logging.VolumeName, volume, wantDir)
	}
	for _, c := range pod.Spec.Containers {
		var mounts []string
		for _, m := range c.VolumeMounts {
			if m.Name == logging.VolumeName {
				mounts = append(mounts, m.MountPath+"->"+m.SubPathExpr)
			}
		}
		want := ""
		if c.Name == "user-container" {
			want = "/app/logs->$(SLIPWAY_POD_NAME)/app /var/log/nginx->$(SLIPWAY_POD_NAME)/nginx"
		}
		if got := strings.Join(mounts, " "); got != want {
			t.Errorf("container %s mounts %q, want %q", c.Name, got, want)
		}
	}
	for key, want := range map[string]string{names.KeyLogProject: project, names.KeyLogApp: app, names.KeyLogEnv: "test"} {
		if pod.Labels[key] != want || pod.Annotations[key] != want {
			t.Errorf("pod %s: label %q, annotation %q, want %q", key, pod.Labels[key], pod.Annotations[key], want)
		}
	}
	waitRevisionReady(t, ns, app+"-00001", "dev.local/logs/web:v1")
	var rev apps.Revision
	mustCall(t, http.StatusOK, http.MethodGet, appPath(project, app, "test")+"/revisions/"+app+"-00001", nil, &rev)
	want := []logging.LogPath{{Path: "/app/logs", Container: "user-container", Name: "app"}, {Path: "/var/log/nginx", Container: "user-container", Name: "nginx"}}
	if diff := cmp.Diff(want, rev.LogPaths); diff != "" {
		t.Errorf("revision logPaths (-want,+got):\n%s", diff)
	}

	// A deploy without logPaths is a revision without them: the apiserver's
	// server-side apply drops the label and annotation the first deploy (a
	// create) wrote, and the pods of the new revision are not sent to the webhook.
	mustCall(t, http.StatusCreated, http.MethodPost, appPath(project, app, "test")+"/deployments", map[string]any{"image": "dev.local/logs/web:v2"}, nil)
	ksvc, err = env.clients.Serving.ServingV1().Services(ns).Get(context.Background(), app, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := ksvc.Spec.Template.Name; got != app+"-00002" {
		t.Fatalf("template %s, want %s-00002", got, app)
	}
	if v, ok := ksvc.Spec.Template.Labels[names.LabelLogCollect]; ok {
		t.Errorf("second template still has %s=%s", names.LabelLogCollect, v)
	}
	if v, ok := ksvc.Spec.Template.Annotations[names.AnnoLogPaths]; ok {
		t.Errorf("second template still has %s=%s", names.AnnoLogPaths, v)
	}
	waitRevisionReady(t, ns, app+"-00002", "dev.local/logs/web:v2")
	var second apps.Revision
	mustCall(t, http.StatusOK, http.MethodGet, appPath(project, app, "test")+"/revisions/"+app+"-00002", nil, &second)
	if second.Name != app+"-00002" || second.LogPaths != nil {
		t.Errorf("revision %s logPaths = %v, want %s-00002 without any", second.Name, second.LogPaths, app)
	}
}

// TestPodMutatorRefusals: a labelled pod with a hostile annotation, created
// straight at the apiserver, is denied with the webhook's reason; unlabelled
// pods and pods outside Slipway's namespaces never reach the webhook.
func TestPodMutatorRefusals(t *testing.T) {
	ns, pods := projectPods(t, "hostile")
	ctx := context.Background()

	withDataVolume := func(p *corev1.Pod) {
		p.Spec.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
		p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "data", MountPath: "/app/data"}}
	}
	waitServiceAccount(t, "default")
	hostile := map[string]struct {
		annotation, want string
		edit             func(*corev1.Pod)
	}{
		"traversal":         {`[{"path":"/app/../etc"}]`, `".."`, nil},
		"system directory":  {`[{"path":"/proc/self"}]`, "/proc", nil},
		"relative":          {`[{"path":"logs"}]`, "absolute", nil},
		"malformed JSON":    {`[{"path":"/app/logs"`, "malformed JSON", nil},
		"unknown container": {`[{"path":"/app/logs","container":"sidecar"}]`, "no such container", nil},
		"queue-proxy":       {`[{"path":"/app/logs","container":"queue-proxy"}]`, "sidecar", nil},
		"service account":   {`[{"path":"/var/run/secrets/kubernetes.io"}]`, "/var/run", nil},
		"existing mount":    {`[{"path":"/app/data/logs"}]`, `collides with the mount of volume "data"`, withDataVolume},
		"no annotation":     {"", "required", nil},
		"duplicate":         {`[{"path":"/a"},{"path":"/a"}]`, "duplicate", nil},
		"nine paths":        {`[{"path":"/a1"},{"path":"/a2"},{"path":"/a3"},{"path":"/a4"},{"path":"/a5"},{"path":"/a6"},{"path":"/a7"},{"path":"/a8"},{"path":"/a9"}]`, "more than 8", nil},
	}
	before := decisions(t)
	for name, tc := range hostile {
		t.Run(name, func(t *testing.T) {
			// One real create; the rest in server-side dry-run, which runs
			// the same admission chain and stores nothing.
			opts := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}
			if name == "traversal" {
				opts = metav1.CreateOptions{}
			}
			pod := labelledPod("web", tc.annotation)
			if tc.edit != nil {
				tc.edit(pod)
			}
			_, err := pods.Create(ctx, pod, opts)
			if err == nil {
				t.Fatal("the apiserver stored a pod with a hostile log-path annotation")
			}
			if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "denied the request") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want a webhook denial mentioning %q", err, tc.want)
			}
		})
	}
	if got, want := decisions(t)["denied"]-before["denied"], float64(len(hostile)); got != want {
		t.Errorf("denied decisions grew by %v, want %v", got, want)
	}
	if list, err := pods.List(ctx, metav1.ListOptions{}); err != nil || len(list.Items) != 0 {
		t.Errorf("pods stored after refusals: %v, %v", list, err)
	}

	// Pods the selectors leave out: the webhook never hears of them.
	before = decisions(t)
	unlabelled := labelledPod("web", `[{"path":"/app/../etc"}]`)
	delete(unlabelled.Labels, names.LabelLogCollect)
	outside := labelledPod("web", `[{"path":"/app/logs"}]`)
	for name, c := range map[string]struct {
		ns  string
		pod *corev1.Pod
	}{
		"unlabelled pod in a project namespace": {ns, unlabelled},
		"labelled pod outside Slipway's":        {"default", outside},
	} {
		created, err := env.clients.Kube.CoreV1().Pods(c.ns).Create(ctx, c.pod, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if hasLogVolume(created) || len(created.Spec.Containers[0].Env) != 0 {
			t.Errorf("%s: changed: volumes %v, env %v", name, created.Spec.Volumes, created.Spec.Containers[0].Env)
		}
		for k := range created.Labels {
			if strings.HasPrefix(k, "slipway.dev/log-") && k != names.LabelLogCollect {
				t.Errorf("%s: label %s added", name, k)
			}
		}
		_ = env.clients.Kube.CoreV1().Pods(c.ns).Delete(ctx, created.Name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To(int64(0))})
	}
	if got := sum(decisions(t)) - sum(before); got != 0 {
		t.Errorf("the webhook decided %v requests for pods its selectors exclude", got)
	}
}

// TestPodMutatorCertificateRenewal: the serving certificate is renewed (every
// 30 s in these tests) under the CA the apiserver trusts, and pod creations
// made meanwhile all succeed.
func TestPodMutatorCertificateRenewal(t *testing.T) {
	_, pods := projectPods(t, "renewal")
	ctx := context.Background()
	reg := env.mutator.Registration

	served := func() (string, error) {
		mwc, err := env.clients.Kube.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(ctx, reg.Name, metav1.GetOptions{})
		if err != nil {
			return "", err
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(mwc.Webhooks[0].ClientConfig.CABundle) {
			return "", fmt.Errorf("no CA in the webhook configuration's caBundle")
		}
		// Verified as the apiserver verifies it: against the caBundle, for the Service's name.
		return servedCertificate(int(reg.Port), roots, reg.DNSName())
	}

	seen := map[string]bool{}
	creates := 0
	deadline := time.Now().Add(testServerCertDuration)
	for len(seen) < 2 || creates < 20 {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %d distinct serving certificates seen, %d creates", testServerCertDuration, len(seen), creates)
		}
		fp, err := served()
		if err != nil {
			t.Fatalf("the served certificate does not verify against the caBundle: %v", err)
		}
		seen[fp] = true
		pod, err := pods.Create(ctx, labelledPod("web", `[{"path":"/app/logs"}]`), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if err != nil {
			t.Fatalf("create %d (certificates seen: %d): %v", creates, len(seen), err)
		}
		if !hasLogVolume(pod) {
			t.Fatalf("create %d: not mutated: %v", creates, pod.Spec.Volumes)
		}
		creates++
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("%d creates across %d serving certificates, none failed", creates, len(seen))
}

// BenchmarkPodAdmissionWithLogVolume: what the pod-mutator adds to a pod
// creation, three paths interleaved in server-side dry-run:
//   - Slipway: a labelled pod; the apiserver calls the pod-mutator over TLS and
//     applies its patch;
//   - no-op webhook: the same pod, labelled for a second registration that
//     points at the same pod-mutator Service (same server, TLS, connection pool)
//     but not for log collection, so the handler decodes it and admits it
//     unchanged: the cost of any webhook on this apiserver;
//   - no webhook: the same pod with neither label, which no webhook sees.
//
// The ratio is Slipway against the no-op webhook.
func BenchmarkPodAdmissionWithLogVolume(b *testing.B) {
	ensureBenchProject(b)
	ctx := context.Background()
	ns := names.Namespace("bench", "test")
	pods := env.clients.Kube.CoreV1().Pods(ns)
	// Benchmarks run without the controller-manager, which would make it.
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: ns}}
	if _, err := env.clients.Kube.CoreV1().ServiceAccounts(ns).Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		b.Fatal(err)
	}
	const noopLabel = "bench.slipway.dev/noop-webhook"
	registerNoopWebhook(b, noopLabel)
	dryRun := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}
	labelled := labelledPod("web", `[{"path":"/app/logs","name":"app"},{"path":"/var/log/nginx"}]`)
	bare := labelled.DeepCopy()
	delete(bare.Labels, names.LabelLogCollect)
	noop := bare.DeepCopy()
	noop.Labels[noopLabel] = "true"
	// Warm up both registrations: the first request starts the webhook's
	// namespace informer, and the apiserver learns of the second registration
	// a moment after it is created.
	if _, err := pods.Create(ctx, labelled, dryRun); err != nil {
		b.Fatal(err)
	}
	eventually(b, 30*time.Second, "the no-op registration in use", func() error {
		before := decisions(b)[podmutator.OutcomeSkipped]
		if _, err := pods.Create(ctx, noop, dryRun); err != nil {
			return err
		}
		if decisions(b)[podmutator.OutcomeSkipped] == before {
			return fmt.Errorf("the pod-mutator did not see the no-op pod")
		}
		return nil
	})
	var ours, viaNoop, plain latency.Samples
	sum0, n0 := admissionSeconds(b)
	for b.Loop() {
		start := time.Now()
		got, err := pods.Create(ctx, labelled, dryRun)
		ours = append(ours, time.Since(start))
		if err != nil || !hasLogVolume(got) {
			b.Fatalf("labelled pod: %v (volumes %v)", err, got.Spec.Volumes)
		}
		start = time.Now()
		got, err = pods.Create(ctx, noop, dryRun)
		viaNoop = append(viaNoop, time.Since(start))
		if err != nil || hasLogVolume(got) {
			b.Fatalf("no-op pod: %v (volumes %v)", err, got.Spec.Volumes)
		}
		start = time.Now()
		if _, err := pods.Create(ctx, bare, dryRun); err != nil {
			b.Fatal(err)
		}
		plain = append(plain, time.Since(start))
	}
	report(b, ours, viaNoop)
	b.ReportMetric(float64(plain.Mean().Microseconds()), "no-webhook-µs/op")
	b.ReportMetric(float64(plain.Percentile(99).Microseconds()), "no-webhook-p99-µs")
	b.ReportMetric(float64(ours.Mean())/float64(plain.Mean()), "ratio-to-no-webhook")
	// The webhook's own time per decision, from its histogram: mutations
	// (Slipway's path) and pass-throughs (the no-op path).
	sum1, n1 := admissionSeconds(b)
	for outcome, unit := range map[string]string{podmutator.OutcomeMutated: "webhook-mutate-µs/op", podmutator.OutcomeSkipped: "webhook-noop-µs/op"} {
		if n := n1[outcome] - n0[outcome]; n > 0 {
			b.ReportMetric((sum1[outcome]-sum0[outcome])/n*1e6, unit)
		}
	}
}

// registerNoopWebhook registers the dev stack's pod-mutator a second time, for
// pods labelled label=true instead of for log collection, with the caBundle
// its certificate manager injected into the real registration.
func registerNoopWebhook(b *testing.B, label string) {
	b.Helper()
	ctx := context.Background()
	hooks := env.clients.Kube.AdmissionregistrationV1().MutatingWebhookConfigurations()
	reg := env.mutator.Registration
	var caBundle []byte
	eventually(b, 30*time.Second, "caBundle injected", func() error {
		live, err := hooks.Get(ctx, reg.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if caBundle = live.Webhooks[0].ClientConfig.CABundle; len(caBundle) == 0 {
			return fmt.Errorf("no caBundle yet")
		}
		return nil
	})
	noop := podmutator.WebhookConfiguration(reg)
	noop.Name = "slipway-bench-noop"
	noop.Webhooks[0].Name = "noop.bench.slipway.dev"
	noop.Webhooks[0].ObjectSelector = &metav1.LabelSelector{MatchLabels: map[string]string{label: "true"}}
	noop.Webhooks[0].ClientConfig.CABundle = caBundle
	if _, err := hooks.Create(ctx, noop, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = hooks.Delete(context.Background(), noop.Name, metav1.DeleteOptions{}) })
}

// servedCertificate is the fingerprint of the certificate served on port, verified against
// roots for serverName.
func servedCertificate(port int, roots *x509.CertPool, serverName string) (string, error) {
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		&tls.Config{RootCAs: roots, ServerName: serverName})
	if err != nil {
		return "", err
	}
	defer conn.Close()
	sum := sha256.Sum256(conn.ConnectionState().PeerCertificates[0].Raw)
	return fmt.Sprintf("%x", sum[:8]), nil
}

// writeCertFiles writes a fresh CA-signed serving certificate for dnsName
// into dir as tls.crt and tls.key, the way cert-manager's Secret is mounted,
// and returns the leaf's fingerprint.
func writeCertFiles(t *testing.T, dir, dnsName string, ca *x509.Certificate, caKey *ecdsa.PrivateKey) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: dnsName}, DNSNames: []string{dnsName},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	// Each file replaced whole; the watcher only swaps in a pair that matches.
	for _, f := range []struct {
		name  string
		block *pem.Block
	}{{"tls.key", &pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}}, {"tls.crt", &pem.Block{Type: "CERTIFICATE", Bytes: der}}} {
		name := f.name
		tmp := filepath.Join(dir, "."+name)
		if err := os.WriteFile(tmp, pem.EncodeToMemory(f.block), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	sum := sha256.Sum256(der)
	return fmt.Sprintf("%x", sum[:8])
}

// TestPodMutatorServesCertFiles: with --certs=files the pod-mutator serves
// whatever certificate is mounted (cert-manager's), and a renewed one
// replaces it without a restart.
func TestPodMutatorServesCertFiles(t *testing.T) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test-ca"}, IsCA: true, BasicConstraintsValid: true,
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)

	reg := podmutator.Registration{Name: "files-mutator", Namespace: "slipway-system"}
	dir := t.TempDir()
	first := writeCertFiles(t, dir, reg.DNSName(), ca, caKey)
	ports, err := testutil.FreePorts(3)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() {
		runErr <- podmutator.Run(ctx, env.stack.ConfigFor(devstack.IdentityPodMutator), podmutator.Options{
			Registration: reg, Logging: env.cfg.Logging, Host: "127.0.0.1", Port: ports[0], CertDir: dir, Certs: podmutator.CertsFromFiles,
			MetricsAddr: "127.0.0.1:" + strconv.Itoa(ports[1]), HealthAddr: "127.0.0.1:" + strconv.Itoa(ports[2]),
			Logger: slog.New(slog.DiscardHandler),
		})
	}()
	defer func() {
		cancel()
		if err := <-runErr; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	served := func() (string, error) { return servedCertificate(ports[0], roots, reg.DNSName()) }
	eventually(t, 30*time.Second, "the mounted certificate served", func() error {
		got, err := served()
		if err == nil && got != first {
			err = fmt.Errorf("serving %s, want %s", got, first)
		}
		return err
	})
	second := writeCertFiles(t, dir, reg.DNSName(), ca, caKey)
	// controller-runtime's certwatcher reacts to file events and polls every 10 s.
	eventually(t, 30*time.Second, "the renewed certificate served", func() error {
		got, err := served()
		if err == nil && got != second {
			err = fmt.Errorf("serving %s, want %s", got, second)
		}
		return err
	})
}
