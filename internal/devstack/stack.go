// Package devstack starts Slipway's development cluster on this machine: etcd, the real
// kube-apiserver, controller-manager and scheduler, Knative Serving's own controller, webhook
// and HPA autoscaler, Knative Eventing's PingSource reconciler and webhook, kwok for fake
// nodes and pods, and one simulation (kingresssim) for the status net-istio would write. Every server listens on 127.0.0.1 where its flags allow; no
// component dials a host outside this machine. It is used by `make run` and by integration
// tests, and is never linked into a production binary.
package devstack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	networkingclient "knative.dev/networking/pkg/client/clientset/versioned"

	"github.com/slipway-dev/slipway/internal/devstack/kingresssim"
	"github.com/slipway-dev/slipway/internal/testutil"
	"github.com/slipway-dev/slipway/pkg/config"
	"github.com/slipway-dev/slipway/pkg/domains"
	"github.com/slipway-dev/slipway/pkg/identity"
)

const (
	crdTimeout       = 60 * time.Second
	componentTimeout = 90 * time.Second

	// DevRegistry is the image registry name Knative never resolves tags for in the dev
	// stack (it is in Knative's default skip list too). Deploy images as dev.local/... or
	// by digest; anything else would need the network and fails instead.
	DevRegistry = "dev.local"
	// FakeNodeName is the kwok-managed node that simulated pods run on.
	FakeNodeName = "kwok-node-0"

	publicGatewayHost  = "istio-ingressgateway.istio-system.svc.cluster.local"
	privateGatewayHost = "knative-local-gateway.istio-system.svc.cluster.local"
	knativeNamespace   = "knative-serving"
	eventingNamespace  = "knative-eventing"
)

// Options shape a stack.
type Options struct {
	// Dir holds everything the stack writes: kubeconfig, tokens, certificates, logs, etcd data.
	Dir string
	// BinDir holds the binaries hack/build-tools.sh built.
	BinDir string
	// APIServerPort is fixed when non-zero (make run); tests take a free port.
	APIServerPort int
	// WithoutKnativeControllers starts only the apiserver, CRDs and Knative's webhook; for
	// benchmarks that create thousands of objects Knative would otherwise reconcile.
	WithoutKnativeControllers bool
	// Domains are written into Knative's config-domain and config-network, so Knative's
	// hosts follow the same schemes platform-api computes.
	Domains domains.Domains
	// Platform is platform-api's configuration: the stack grants platform-api's identity
	// the chart's RBAC rendered for it. Nil: platform-api's identity has no rights.
	Platform *config.Config
	// ExtraWriters are usernames the boundary policies let write Slipway's objects besides
	// the stack's platform-api (tests running the chart's ServiceAccount).
	ExtraWriters []string
	Logger       *slog.Logger
}

// Stack is a running dev cluster.
type Stack struct {
	Options
	// Kubeconfig is the path of the people's kubeconfig: contexts admin (the current one),
	// break-glass and user.
	Kubeconfig string
	// Config is the break-glass identity's REST config: the stack's own installs and the
	// tests' direct changes. ConfigFor gives every other identity's.
	Config *rest.Config
	// AdminToken is a cluster admin's (not exempt from the boundary policies); UserToken
	// is dev-user's.
	AdminToken string
	UserToken  string

	tokens map[string]string
	// apiserver and its flags, for RestartAPIServer.
	apiserver     *process
	apiserverArgs []string

	caPEM  []byte
	procs  []*process
	cancel context.CancelFunc
	simErr chan error
	// stopBackground ends the stack's in-process helpers other than the simulator.
	stopBackground []func()
}

// Start brings the whole stack up and returns once Knative can reconcile a Service.
func Start(ctx context.Context, opts Options) (_ *Stack, err error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	abs, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	opts.Dir = abs
	if opts.BinDir, err = filepath.Abs(opts.BinDir); err != nil {
		return nil, err
	}
	s := &Stack{Options: opts, Kubeconfig: filepath.Join(abs, "kubeconfig"), simErr: make(chan error, 1)}
	defer func() {
		if err != nil {
			s.Stop()
		}
	}()
	// Each start is a new cluster: stale etcd data would carry objects from older runs.
	for _, d := range []string{"etcd", "logs"} {
		if err := os.RemoveAll(filepath.Join(abs, d)); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(filepath.Join(abs, "logs"), 0o755); err != nil {
		return nil, err
	}
	if err := s.writeSecrets(); err != nil {
		return nil, err
	}
	if err := s.startControlPlane(ctx); err != nil {
		return nil, err
	}
	if err := s.installPlatform(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Stack) bin(name string) string { return filepath.Join(s.BinDir, name) }

func (s *Stack) startControlPlane(ctx context.Context) error {
	ports, err := testutil.FreePorts(2)
	if err != nil {
		return err
	}
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	peerURL := "http://127.0.0.1:" + strconv.Itoa(ports[1])
	etcd, err := s.start("etcd", nil, s.bin("etcd"),
		"--name=dev", "--data-dir="+filepath.Join(s.Dir, "etcd"),
		"--listen-client-urls="+etcdURL, "--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=dev="+peerURL,
		// A throwaway dev cluster: durability is not worth the fsync latency.
		"--unsafe-no-fsync", "--log-level=warn")
	if err != nil {
		return err
	}
	if err := waitFor(ctx, "etcd", componentTimeout, etcd, func(ctx context.Context) error {
		return httpOK(ctx, etcdURL+"/health", "")
	}); err != nil {
		return err
	}

	apiPort := s.APIServerPort
	if apiPort == 0 {
		if apiPort, err = testutil.FreePort(); err != nil {
			return err
		}
	}
	pki := filepath.Join(s.Dir, "pki")
	s.apiserverArgs = []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--secure-port=" + strconv.Itoa(apiPort),
		"--tls-cert-file=" + filepath.Join(pki, "apiserver.crt"), "--tls-private-key-file=" + filepath.Join(pki, "apiserver.key"),
		"--token-auth-file=" + filepath.Join(pki, "tokens.csv"),
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + filepath.Join(pki, "sa.pub"),
		"--service-account-signing-key-file=" + filepath.Join(pki, "sa.key"),
		"--service-cluster-ip-range=10.96.0.0/16",
		"--allow-privileged=true",
		"--enable-priority-and-fairness=false",
		"--endpoint-reconciler-type=none",
		"--v=1"}
	apiserver, err := s.start("kube-apiserver", nil, s.bin("kube-apiserver"), s.apiserverArgs...)
	if err != nil {
		return err
	}
	s.apiserver = apiserver
	s.Config = &rest.Config{
		Host:            "https://127.0.0.1:" + strconv.Itoa(apiPort),
		BearerToken:     s.tokens[IdentityBreakGlass],
		TLSClientConfig: rest.TLSClientConfig{CAData: s.caPEM},
		QPS:             200,
		WarningHandler:  rest.NoWarnings{},
		Burst:           400,
	}
	if err := waitFor(ctx, "kube-apiserver", componentTimeout, apiserver, func(ctx context.Context) error {
		return s.apiserverReady(ctx)
	}); err != nil {
		return err
	}
	return s.writeKubeconfigs()
}

func (s *Stack) apiserverReady(ctx context.Context) error {
	client, err := kubernetes.NewForConfig(s.Config)
	if err != nil {
		return err
	}
	body, err := client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
	if err != nil {
		return fmt.Errorf("%w: %s", err, body)
	}
	return nil
}

func (s *Stack) installPlatform(ctx context.Context) error {
	client, err := kubernetes.NewForConfig(s.Config)
	if err != nil {
		return err
	}
	objs, err := loadManifests(ctx)
	if err != nil {
		return err
	}
	// Ports: each Knative webhook's, then the profiling port of every Knative process.
	ports, err := testutil.FreePorts(7)
	if err != nil {
		return err
	}
	webhookPort, eventingWebhookPort := ports[0], ports[4]
	webhookPorts := map[string]int64{knativeNamespace: int64(webhookPort), eventingNamespace: int64(eventingWebhookPort)}
	for _, o := range objs {
		if err := setConversionPort(o, webhookPorts); err != nil {
			return err
		}
	}
	if err := installCRDs(ctx, s.Config, objs); err != nil {
		return err
	}
	// slipway-system holds platform-api's leader-election Lease.
	for _, ns := range []string{knativeNamespace, "istio-system", eventingNamespace, "slipway-system"} {
		if err := ensure(client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})); err != nil {
			return err
		}
	}
	// The project roles platform-api grants (the Helm chart installs the same objects).
	for _, role := range identity.ClusterRoles() {
		if err := ensure(client.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{})); err != nil {
			return err
		}
	}
	if err := s.grantPlatformRBAC(ctx); err != nil {
		return err
	}
	if err := s.installBoundary(ctx); err != nil {
		return err
	}
	if err := s.installPodSecurity(ctx, client); err != nil {
		return err
	}
	overrides := knativeConfig(s.Domains)
	if err := applyObjects(ctx, s.Config, objs, func(o *unstructured.Unstructured) error {
		if err := setConfigMapData(o, knativeNamespace, overrides); err != nil {
			return err
		}
		if err := setDevImages(o); err != nil {
			return err
		}
		return setWebhookPort(o, webhookPorts)
	}); err != nil {
		return err
	}
	if err := s.createStandIns(ctx, client, webhookPort, eventingWebhookPort); err != nil {
		return err
	}

	knEnv := func(name string, profilingPort int) []string {
		return []string{
			"SYSTEM_NAMESPACE=" + knativeNamespace,
			"POD_NAME=" + name,
			"CONFIG_LOGGING_NAME=config-logging",
			"CONFIG_OBSERVABILITY_NAME=config-observability",
			"METRICS_DOMAIN=knative.dev/serving",
			"PROFILING_PORT=" + strconv.Itoa(profilingPort),
			"WEBHOOK_NAME=webhook",
			"WEBHOOK_PORT=" + strconv.Itoa(webhookPort),
		}
	}
	// Eventing's processes get the environment its config/core Deployments set.
	evEnv := func(name string, profilingPort int) []string {
		return []string{
			"SYSTEM_NAMESPACE=" + eventingNamespace,
			"POD_NAME=" + name,
			"CONFIG_LOGGING_NAME=config-logging",
			"CONFIG_OBSERVABILITY_NAME=config-observability",
			"METRICS_DOMAIN=knative.dev/eventing",
			"PROFILING_PORT=" + strconv.Itoa(profilingPort),
			"WEBHOOK_NAME=eventing-webhook",
			"WEBHOOK_PORT=" + strconv.Itoa(eventingWebhookPort),
		}
	}
	// Both webhooks start before either is waited for: they come up side by side.
	webhook, err := s.start("knative-webhook", knEnv("webhook", ports[1]), s.bin("knative-webhook"), "--kubeconfig="+s.KubeconfigFor("knative-webhook"))
	if err != nil {
		return err
	}
	eventingWebhook, err := s.start("knative-eventing-webhook", evEnv("eventing-webhook", ports[5]), s.bin("knative-eventing-webhook"),
		"--kubeconfig="+s.KubeconfigFor("knative-eventing-webhook"))
	if err != nil {
		return err
	}
	if err := waitFor(ctx, "Knative's webhook", componentTimeout, webhook, func(ctx context.Context) error {
		return s.webhookServing(ctx)
	}); err != nil {
		return err
	}
	// Eventing's webhook is waited for last: nothing before needs it.
	eventingWebhookReady := func() error {
		return waitFor(ctx, "Knative Eventing's webhook", componentTimeout, eventingWebhook, s.eventingWebhookServing)
	}
	if s.WithoutKnativeControllers {
		return eventingWebhookReady()
	}

	kubeconfigFlag := func(identity string) string { return "--kubeconfig=" + s.KubeconfigFor(identity) }
	if _, err := s.start("kube-controller-manager", nil, s.bin("kube-controller-manager"), kubeconfigFlag("kube-controller-manager"),
		"--controllers=*,-serviceaccount-token,-nodeipam", "--use-service-account-credentials=false",
		"--secure-port=0", "--leader-elect=false", "--root-ca-file="+filepath.Join(s.Dir, "pki", "apiserver.crt"),
		"--service-cluster-ip-range=10.96.0.0/16", "--concurrent-deployment-syncs=10", "--concurrent-replicaset-syncs=10"); err != nil {
		return err
	}
	if _, err := s.start("kube-scheduler", nil, s.bin("kube-scheduler"), kubeconfigFlag("kube-scheduler"), "--leader-elect=false", "--secure-port=0"); err != nil {
		return err
	}
	stages, err := kwokStages(ctx)
	if err != nil {
		return err
	}
	kwokArgs := []string{kubeconfigFlag("kwok"), "--manage-all-nodes=false",
		"--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake", "--node-lease-duration-seconds=40"}
	for _, st := range stages {
		kwokArgs = append(kwokArgs, "--config="+st)
	}
	if _, err := s.start("kwok", nil, s.bin("kwok"), kwokArgs...); err != nil {
		return err
	}
	if _, err := s.start("knative-controller", knEnv("controller", ports[2]), s.bin("knative-controller"), kubeconfigFlag("knative-controller")); err != nil {
		return err
	}
	if _, err := s.start("knative-autoscaler-hpa", knEnv("autoscaler-hpa", ports[3]), s.bin("knative-autoscaler-hpa"), kubeconfigFlag("knative-autoscaler-hpa")); err != nil {
		return err
	}
	if _, err := s.start("knative-eventing-controller", evEnv("eventing-controller", ports[6]), s.bin("knative-eventing-controller"),
		kubeconfigFlag("knative-eventing-controller")); err != nil {
		return err
	}
	netClient, err := networkingclient.NewForConfig(s.ConfigFor("kingresssim"))
	if err != nil {
		return err
	}
	simCtx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go func() {
		s.simErr <- kingresssim.Run(simCtx, netClient, kingresssim.Options{
			PublicGatewayHost: publicGatewayHost, PrivateGatewayHost: privateGatewayHost,
			Logger: s.Logger.With("component", "kingresssim"),
		})
	}()
	if err := eventingWebhookReady(); err != nil {
		return err
	}
	return waitFor(ctx, "fake node Ready", componentTimeout, nil, func(ctx context.Context) error {
		n, err := client.CoreV1().Nodes().Get(ctx, FakeNodeName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
				return nil
			}
		}
		return errors.New("node not Ready")
	})
}

// knativeConfig is the dev stack's Knative configuration, applied over the shipped ConfigMaps.
func knativeConfig(d domains.Domains) map[string]map[string]string {
	return map[string]map[string]string{
		"config-deployment": {
			// Tag resolution would contact a registry: only skipped registries and digests work.
			"registries-skipping-tag-resolving": "kind.local,ko.local," + DevRegistry,
			// Never pulled (pods are simulated), but Knative requires a queue-proxy image.
			"queue-sidecar-image": DevRegistry + "/knative/queue@sha256:" + zeroDigest,
		},
		// KPA scrapes pod IPs; kwok's are fake. HPA class needs no scraping.
		"config-autoscaler": {"pod-autoscaler-class": "hpa.autoscaling.knative.dev"},
		"config-domain":     d.ConfigDomain(),
		"config-network":    domains.ConfigNetwork(),
		// Pods meet Pod Security's restricted profile (the Pod Security Policy enforces it).
		"config-features": {"secure-pod-defaults": "enabled"},
	}
}

const zeroDigest = "0000000000000000000000000000000000000000000000000000000000000000"

// createStandIns writes the objects that stand for processes that do not run here: the
// webhook Services (ExternalNames to localhost, so the apiserver reaches Knative's webhooks
// on loopback with TLS verified against webhook.knative-serving.svc and
// eventing-webhook.knative-eventing.svc), the activator's Service and Endpoints (the
// ServerlessService reconciler requires them; the address is a documentation-range
// placeholder that nothing dials), and the kwok node.
func (s *Stack) createStandIns(ctx context.Context, client kubernetes.Interface, webhookPort, eventingWebhookPort int) error {
	for _, w := range []struct {
		namespace, name string
		port            int
	}{{knativeNamespace, "webhook", webhookPort}, {eventingNamespace, "eventing-webhook", eventingWebhookPort}} {
		webhookSvc := &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: w.name, Namespace: w.namespace},
			Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "localhost",
				Ports: []corev1.ServicePort{{Name: "https-webhook", Port: int32(w.port), TargetPort: intstr.FromInt32(int32(w.port))}}},
		}
		if err := ensure(client.CoreV1().Services(w.namespace).Create(ctx, webhookSvc, metav1.CreateOptions{})); err != nil {
			return err
		}
	}
	activatorPorts := []corev1.ServicePort{
		{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8012)},
		{Name: "http2", Port: 81, TargetPort: intstr.FromInt32(8013)},
		{Name: "https", Port: 443, TargetPort: intstr.FromInt32(8112)},
	}
	activator := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "activator-service", Namespace: knativeNamespace},
		Spec:       corev1.ServiceSpec{Ports: activatorPorts},
	}
	if err := ensure(client.CoreV1().Services(knativeNamespace).Create(ctx, activator, metav1.CreateOptions{})); err != nil {
		return err
	}
	var epPorts []corev1.EndpointPort
	for _, p := range activatorPorts {
		epPorts = append(epPorts, corev1.EndpointPort{Name: p.Name, Port: p.TargetPort.IntVal})
	}
	//nolint:staticcheck // Knative's ServerlessService reconciler reads Endpoints.
	endpoints := &corev1.Endpoints{
		ObjectMeta: metav1.ObjectMeta{Name: "activator-service", Namespace: knativeNamespace},
		Subsets:    []corev1.EndpointSubset{{Addresses: []corev1.EndpointAddress{{IP: "192.0.2.1"}}, Ports: epPorts}},
	}
	if err := ensure(client.CoreV1().Endpoints(knativeNamespace).Create(ctx, endpoints, metav1.CreateOptions{})); err != nil {
		return err
	}
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        FakeNodeName,
			Annotations: map[string]string{"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
			Labels:      map[string]string{"type": "kwok", "kubernetes.io/hostname": FakeNodeName, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"},
		},
	}
	return ensure(client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}))
}

// webhookServing succeeds once the apiserver reaches Knative's webhook: an invalid Service
// created in dry-run mode must be refused by Knative's own validation.
func (s *Stack) webhookServing(ctx context.Context) error {
	client, err := discoveryFor(s.Config)
	if err != nil {
		return err
	}
	body := []byte(`{"apiVersion":"serving.knative.dev/v1","kind":"Service","metadata":{"name":"probe","namespace":"default"},` +
		`"spec":{"template":{"spec":{"containerConcurrency":-5,"containers":[{"image":"dev.local/probe/app:v1"}]}}}}`)
	err = client.RESTClient().Post().AbsPath("/apis/serving.knative.dev/v1/namespaces/default/services").
		Param("dryRun", "All").Body(body).SetHeader("Content-Type", "application/json").Do(ctx).Error()
	if apierrors.IsBadRequest(err) || apierrors.IsInvalid(err) {
		if msg := err.Error(); containsAll(msg, "containerConcurrency") {
			return nil
		}
	}
	if err == nil {
		return errors.New("webhook not yet enforcing validation")
	}
	return err
}

// eventingWebhookServing succeeds once the apiserver reaches Eventing's webhook: a
// PingSource with an invalid schedule created in dry-run mode must be refused by
// Eventing's own validation.
func (s *Stack) eventingWebhookServing(ctx context.Context) error {
	client, err := discoveryFor(s.Config)
	if err != nil {
		return err
	}
	body := []byte(`{"apiVersion":"sources.knative.dev/v1","kind":"PingSource","metadata":{"name":"probe","namespace":"default"},` +
		`"spec":{"schedule":"not a cron","sink":{"uri":"http://probe.default.svc.cluster.local"}}}`)
	err = client.RESTClient().Post().AbsPath("/apis/sources.knative.dev/v1/namespaces/default/pingsources").
		Param("dryRun", "All").Body(body).SetHeader("Content-Type", "application/json").Do(ctx).Error()
	if apierrors.IsBadRequest(err) || apierrors.IsInvalid(err) {
		if msg := err.Error(); containsAll(msg, "schedule") {
			return nil
		}
	}
	if err == nil {
		return errors.New("eventing webhook not yet enforcing validation")
	}
	return err
}

func discoveryFor(cfg *rest.Config) (*discovery.DiscoveryClient, error) {
	return discovery.NewDiscoveryClientForConfig(cfg)
}

// kwokStages lists the stage files kwok ships for fast nodes with lease heartbeats and
// fast pods (Pending → Running → Ready, and deletion).
func kwokStages(ctx context.Context) ([]string, error) {
	dir, err := moduleDir(ctx, "sigs.k8s.io/kwok@v0.8.0")
	if err != nil {
		return nil, err
	}
	var files []string
	for _, g := range []string{"kustomize/stage/node/fast/node-initialize.yaml", "kustomize/stage/node/heartbeat-with-lease/*.yaml", "kustomize/stage/pod/fast/pod-*.yaml"} {
		m, _ := filepath.Glob(filepath.Join(dir, g))
		if len(m) == 0 {
			return nil, fmt.Errorf("kwok module has no %s", g)
		}
		files = append(files, m...)
	}
	return files, nil
}

// Stop ends every process the stack started, newest first.
func (s *Stack) Stop() {
	for _, stop := range s.stopBackground {
		stop()
	}
	s.stopBackground = nil
	if s.cancel != nil {
		s.cancel()
		<-s.simErr
	}
	for i := len(s.procs) - 1; i >= 0; i-- {
		s.procs[i].stop(10 * time.Second)
	}
	s.procs = nil
}

// Healthy reports the first process that died.
func (s *Stack) Healthy() error {
	for _, p := range s.procs {
		if err := p.exited(); err != nil {
			return err
		}
	}
	return nil
}

func ensure[T any](_ T, err error) error {
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	return nil
}

func httpOK(ctx context.Context, url, token string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	return nil
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// StartProcess runs another program under the stack's lifecycle: its output goes to
// logs/{name}.log and Stop ends it with the rest.
func (s *Stack) StartProcess(name string, env []string, bin string, args ...string) error {
	_, err := s.start(name, env, bin, args...)
	return err
}

// RestartAPIServer stops the kube-apiserver, keeps it down for down, then starts it again
// with the same flags, port and etcd data and waits until it is ready: a fault every client
// of the stack must ride out.
func (s *Stack) RestartAPIServer(ctx context.Context, down time.Duration) error {
	s.apiserver.stop(10 * time.Second)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(down):
	}
	p, err := s.start("kube-apiserver-restarted", nil, s.bin("kube-apiserver"), s.apiserverArgs...)
	if err != nil {
		return err
	}
	for i, q := range s.procs {
		if q == s.apiserver {
			s.procs = append(s.procs[:i], s.procs[i+1:]...)
			break
		}
	}
	s.apiserver = p
	return waitFor(ctx, "kube-apiserver after its restart", componentTimeout, p, s.apiserverReady)
}
