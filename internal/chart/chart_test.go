package chart

import (
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/google/go-cmp/cmp"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/slipway-dev/slipway/internal/golden"
	"github.com/slipway-dev/slipway/pkg/boundary"
	"github.com/slipway-dev/slipway/pkg/config"
	"github.com/slipway-dev/slipway/pkg/domains"
	"github.com/slipway-dev/slipway/pkg/identity"
	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/podmutator"
	"github.com/slipway-dev/slipway/pkg/podsecurity"
)

// minimal is what an operator must set: the chart has no cluster name or domains to guess.
const minimal = `
config:
  cluster: dev
  domains: {default: slipway.test, base: slipway.test}
`

var defaultRelease = Release{Name: "slipway", Namespace: "slipway-system"}

func render(t *testing.T, rel Release, valuesYAML string) Objects {
	t.Helper()
	v, err := ParseValues(valuesYAML)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := Render(rel, v)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	return objs
}

func into[T any](t *testing.T, u *unstructured.Unstructured) *T {
	t.Helper()
	out := new(T)
	if err := Into(u, out); err != nil {
		t.Fatalf("%s %s: %v", u.GetKind(), u.GetName(), err)
	}
	return out
}

// loadConfig writes the rendered configuration file and reads it as platform-api does.
func loadConfig(t *testing.T, objs Objects, namespace string) *config.Config {
	t.Helper()
	raw, err := objs.ConfigFile(namespace)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("config.Load of the rendered file: %v\n%s", err, raw)
	}
	return cfg
}

// expectedConfig is config.Parse of the values' config section plus what the chart sets
// itself, so the chart is held to passing the operator's settings through untouched.
func expectedConfig(t *testing.T, valuesYAML string, rel Release, lease, auditNS string) *config.Config {
	t.Helper()
	ch, err := ParseValues(valuesYAML)
	if err != nil {
		t.Fatal(err)
	}
	defaults, err := os.ReadFile(filepath.Join(Dir(), "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	base, err := ParseValues(string(defaults))
	if err != nil {
		t.Fatal(err)
	}
	c := mergeMaps(base["config"].(map[string]any), asMap(ch["config"]))
	c["listen"] = ":8080"
	c["leaderElection"] = map[string]any{"namespace": rel.Namespace, "name": lease}
	c["audit"].(map[string]any)["namespace"] = auditNS
	// Pipelines are kept in the release namespace unless the values say otherwise.
	pipelines, _ := c["pipelines"].(map[string]any)
	if pipelines == nil {
		pipelines = map[string]any{}
	}
	if pipelines["namespace"] == nil {
		pipelines["namespace"] = rel.Namespace
	}
	c["pipelines"] = pipelines
	raw, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// mergeMaps is Helm's value coalescing for maps: b over a, lists replaced whole.
func mergeMaps(a, b map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if am, ok := out[k].(map[string]any); ok {
			if bm, ok := v.(map[string]any); ok {
				out[k] = mergeMaps(am, bm)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// TestBuildersAndChartAgree holds the chart's objects that Slipway also builds in Go to be
// the same objects, for the default and a non-default release.
func TestBuildersAndChartAgree(t *testing.T) {
	for _, tc := range []struct {
		name   string
		rel    Release
		values string
		reg    podmutator.Registration
	}{
		{"defaults", defaultRelease, minimal, podmutator.DefaultRegistration()},
		{"own namespace and name", Release{Name: "sw", Namespace: "platform"}, minimal + "  logging: {hostRoot: /srv/logs}\npodMutator: {name: logs-webhook}\n",
			podmutator.Registration{Name: "logs-webhook", Namespace: "platform", Port: 443}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs := render(t, tc.rel, tc.values)
			got := into[admissionregistrationv1.MutatingWebhookConfiguration](t, objs.Find("MutatingWebhookConfiguration", "", tc.reg.Name))
			if diff := cmp.Diff(podmutator.WebhookConfiguration(tc.reg), got); diff != "" {
				t.Errorf("MutatingWebhookConfiguration (-want,+got):\n%s", diff)
			}
			secret := into[corev1.Secret](t, objs.Find("Secret", tc.reg.Namespace, tc.reg.SecretName()))
			if diff := cmp.Diff(podmutator.CertSecret(tc.reg), secret); diff != "" {
				t.Errorf("certificate Secret (-want,+got):\n%s", diff)
			}
			for _, want := range identity.ClusterRoles() {
				got := into[rbacv1.ClusterRole](t, objs.Find("ClusterRole", "", want.Name))
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("ClusterRole %s (-want,+got):\n%s", want.Name, diff)
				}
			}
			ids := boundary.Identities{
				Writers:          []string{boundary.ServiceAccount(tc.rel.Namespace, "slipway-platform-api")},
				Controllers:      boundary.DefaultControllers,
				BreakGlassGroups: []string{boundary.DefaultBreakGlassGroup},
			}
			for _, want := range boundary.Objects(ids) {
				m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(want)
				if err != nil {
					t.Fatal(err)
				}
				w := &unstructured.Unstructured{Object: m}
				got := objs.Find(w.GetKind(), "", w.GetName())
				if got == nil {
					t.Errorf("chart renders no %s %s", w.GetKind(), w.GetName())
					continue
				}
				unstructured.RemoveNestedField(w.Object, "metadata", "creationTimestamp")
				unstructured.RemoveNestedField(w.Object, "status")
				if diff := cmp.Diff(w.Object, got.Object); diff != "" {
					t.Errorf("%s %s (-want,+got):\n%s", w.GetKind(), w.GetName(), diff)
				}
			}
			// Pod Security: the same Policy (with the values' host root) and binding.
			cfg := loadConfig(t, objs, tc.rel.Namespace)
			policy := into[admissionregistrationv1.ValidatingAdmissionPolicy](t, objs.Find("ValidatingAdmissionPolicy", "", names.PodSecurityPolicy))
			if diff := cmp.Diff(podsecurity.Policy(cfg.Logging), policy); diff != "" {
				t.Errorf("ValidatingAdmissionPolicy (-want,+got):\n%s", diff)
			}
			binding := into[admissionregistrationv1.ValidatingAdmissionPolicyBinding](t, objs.Find("ValidatingAdmissionPolicyBinding", "", names.PodSecurityPolicyBinding))
			if diff := cmp.Diff(podsecurity.Binding(), binding); diff != "" {
				t.Errorf("ValidatingAdmissionPolicyBinding (-want,+got):\n%s", diff)
			}
			// The Service the webhook configuration calls exists with that port.
			svc := into[corev1.Service](t, objs.Find("Service", tc.reg.Namespace, tc.reg.Name))
			if !slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return p.Port == tc.reg.Port }) {
				t.Errorf("Service %s has no port %d: %+v", svc.Name, tc.reg.Port, svc.Spec.Ports)
			}
		})
	}
}

// TestRenderedWorkloads checks the Deployments' production shape and that every selector
// of the chart's Services, PDBs, ServiceMonitors and NetworkPolicies selects its pods.
func TestRenderedWorkloads(t *testing.T) {
	objs := render(t, defaultRelease, minimal+"serviceMonitor: {enabled: true}\nnetworkPolicy: {enabled: true}\n")
	cfg := loadConfig(t, objs, defaultRelease.Namespace)
	deployments := map[string]*appsv1.Deployment{}
	for _, u := range objs.OfKind("Deployment") {
		d := into[appsv1.Deployment](t, u)
		deployments[d.Name] = d
	}
	api, mutator := deployments["slipway-platform-api"], deployments["slipway-pod-mutator"]
	if api == nil || mutator == nil || len(deployments) != 2 {
		t.Fatalf("deployments: %v", slices.Collect(maps.Keys(deployments)))
	}
	for _, d := range deployments {
		if *d.Spec.Replicas < 2 {
			t.Errorf("%s: replicas %d", d.Name, *d.Spec.Replicas)
		}
		ps := d.Spec.Template.Spec
		if ps.SecurityContext == nil || ps.SecurityContext.RunAsNonRoot == nil || !*ps.SecurityContext.RunAsNonRoot {
			t.Errorf("%s: pod may run as root", d.Name)
		}
		if !labels.SelectorFromSet(d.Spec.Selector.MatchLabels).Matches(labels.Set(d.Spec.Template.Labels)) {
			t.Errorf("%s: selector does not select its pods", d.Name)
		}
		c := ps.Containers[0]
		sc := c.SecurityContext
		if sc == nil || !*sc.ReadOnlyRootFilesystem || *sc.AllowPrivilegeEscalation || !slices.Contains(sc.Capabilities.Drop, "ALL") {
			t.Errorf("%s: container security context %+v", d.Name, sc)
		}
		if c.Resources.Requests.Cpu().IsZero() || c.Resources.Limits.Memory().IsZero() {
			t.Errorf("%s: resources %+v", d.Name, c.Resources)
		}
		for _, p := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe} {
			if p == nil || p.HTTPGet == nil || !slices.ContainsFunc(c.Ports, func(cp corev1.ContainerPort) bool { return cp.Name == p.HTTPGet.Port.StrVal }) {
				t.Errorf("%s: probe %+v does not name a container port", d.Name, p)
			}
		}
		if !slices.Contains(c.Args, "--config=/etc/slipway/config.yaml") ||
			!slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.MountPath == "/etc/slipway" }) {
			t.Errorf("%s: configuration file not passed: args %v, mounts %v", d.Name, c.Args, c.VolumeMounts)
		}
	}
	probes := api.Spec.Template.Spec.Containers[0]
	if probes.LivenessProbe.HTTPGet.Path != "/healthz" || probes.ReadinessProbe.HTTPGet.Path != "/readyz" {
		t.Errorf("platform-api probes %s, %s", probes.LivenessProbe.HTTPGet.Path, probes.ReadinessProbe.HTTPGet.Path)
	}
	if port := probes.Ports[0].ContainerPort; cfg.Listen != ":"+strconv.Itoa(int(port)) {
		t.Errorf("platform-api listens on %q, its container port is %d", cfg.Listen, port)
	}
	if sa := api.Spec.Template.Spec.ServiceAccountName; objs.Find("ServiceAccount", defaultRelease.Namespace, sa) == nil {
		t.Errorf("ServiceAccount %s not rendered", sa)
	}
	reg := podmutator.DefaultRegistration()
	wantArgs := []string{"--name=" + reg.Name, "--namespace=" + reg.Namespace, "--certs=self", "--cert-dir=/etc/slipway/webhook-certs"}
	for _, a := range wantArgs {
		if !slices.Contains(mutator.Spec.Template.Spec.Containers[0].Args, a) {
			t.Errorf("pod-mutator args %v lack %s", mutator.Spec.Template.Spec.Containers[0].Args, a)
		}
	}
	if v := mutator.Spec.Template.Spec.Volumes[1]; v.Secret == nil || v.Secret.SecretName != reg.SecretName() {
		t.Errorf("pod-mutator certificate volume %+v", v)
	}

	podsOf := func(sel map[string]string) []string {
		var names []string
		for _, d := range deployments {
			if len(sel) > 0 && labels.SelectorFromSet(sel).Matches(labels.Set(d.Spec.Template.Labels)) {
				names = append(names, d.Name)
			}
		}
		return names
	}
	selected := map[string][]string{}
	for _, u := range objs.OfKind("Service") {
		s := into[corev1.Service](t, u)
		selected["Service/"+s.Name] = podsOf(s.Spec.Selector)
	}
	for _, u := range objs.OfKind("PodDisruptionBudget") {
		p := into[policyv1.PodDisruptionBudget](t, u)
		selected["PDB/"+p.Name] = podsOf(p.Spec.Selector.MatchLabels)
	}
	for _, u := range objs.OfKind("NetworkPolicy") {
		p := into[networkingv1.NetworkPolicy](t, u)
		selected["NetworkPolicy/"+p.Name] = podsOf(p.Spec.PodSelector.MatchLabels)
	}
	for _, u := range objs.OfKind("ServiceMonitor") {
		sel, _, _ := unstructured.NestedStringMap(u.Object, "spec", "selector", "matchLabels")
		port, _, _ := unstructured.NestedSlice(u.Object, "spec", "endpoints")
		// A ServiceMonitor selects Services: the one it selects must have the named port.
		var svcs []string
		for _, su := range objs.OfKind("Service") {
			s := into[corev1.Service](t, su)
			if labels.SelectorFromSet(sel).Matches(labels.Set(s.Labels)) &&
				slices.ContainsFunc(s.Spec.Ports, func(p corev1.ServicePort) bool { return p.Name == port[0].(map[string]any)["port"] }) {
				svcs = append(svcs, s.Name)
			}
		}
		selected["ServiceMonitor/"+u.GetName()] = svcs
	}
	for what, got := range selected {
		name := what[strings.Index(what, "/")+1:]
		if len(got) != 1 || got[0] != name {
			t.Errorf("%s selects %v, want [%s]", what, got, name)
		}
	}
	if len(selected) != 8 {
		t.Errorf("checked %d selectors, want 8 (2 Services, PDBs, NetworkPolicies, ServiceMonitors): %v", len(selected), selected)
	}
}

// TestRenderedConfig: the configuration file, loaded with config.Load, is the values'
// config section plus the chart's listen address, Lease and audit namespace.
func TestRenderedConfig(t *testing.T) {
	for _, tc := range []struct {
		name           string
		rel            Release
		values         string
		lease, auditNS string
	}{
		{"defaults", defaultRelease, minimal, "slipway-reconcilers", "slipway-system"},
		{"everything set", Release{Name: "sw", Namespace: "platform"}, `
config:
  cluster: eu-west-1
  environments:
    - {name: dev, minScale: 0, maxScale: 3}
    - {name: staging, minScale: 1}
    - {name: live, minScale: 2, maxScale: 50, description: Customers.}
  domains: {default: apps.example.com, base: example.com, clusterDomain: corp.local}
  routing:
    ingressGateway: gateways/public
    localGatewayHost: local-gw.gateways.svc.corp.local
    timeout: 45s
    retries: {attempts: 3, perTryTimeout: 2s, retryOn: 5xx}
  auth: {cacheTTL: 30s}
  limits: {perUser: {rate: 5.5, burst: 10}, hooks: {rate: 2, burst: 4}}
  breaker: {failures: 3, openFor: 1m, writeTimeout: 2s}
  audit: {namespace: audit, maxRecords: 500}
  historyLimit: 80
  shutdownGrace: 25s
  logging: {hostRoot: /data/logs}
platformApi: {leaseName: sw-leader}
`, "sw-leader", "audit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs := render(t, tc.rel, tc.values)
			got := loadConfig(t, objs, tc.rel.Namespace)
			want := expectedConfig(t, tc.values, tc.rel, tc.lease, tc.auditNS)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("config (-want,+got):\n%s", diff)
			}
			// The RBAC that lets platform-api write there sits in the same namespaces.
			if objs.Find("Role", tc.auditNS, "slipway-platform-api-audit") == nil {
				t.Errorf("no audit Role in %s", tc.auditNS)
			}
			leader := into[rbacv1.Role](t, objs.Find("Role", tc.rel.Namespace, "slipway-platform-api-leader"))
			if !slices.ContainsFunc(leader.Rules, func(r rbacv1.PolicyRule) bool { return slices.Equal(r.ResourceNames, []string{tc.lease}) }) {
				t.Errorf("leader Role does not name Lease %s: %+v", tc.lease, leader.Rules)
			}
		})
	}
}

// TestKnativeDomains: the optional config-domain and config-network entries are what
// pkg/domains renders for the same cluster and domains.
func TestKnativeDomains(t *testing.T) {
	for _, d := range []domains.Domains{
		{Cluster: "dev", Base: "slipway.test", Default: "slipway.test"},
		{Cluster: "eu-west-1", Base: "example.com", Default: "apps.example.com", ClusterDomain: "corp.local"},
	} {
		t.Run(d.Cluster, func(t *testing.T) {
			values := "config: {cluster: " + d.Cluster + ", domains: {default: " + d.Default + ", base: " + d.Base + "}}\n" +
				"knative: {domains: {enabled: true, namespace: kn}}\n"
			objs := render(t, defaultRelease, values)
			for name, want := range map[string]map[string]string{
				"config-domain":  d.ConfigDomain(),
				"config-network": domains.ConfigNetwork(),
			} {
				cm := into[corev1.ConfigMap](t, objs.Find("ConfigMap", "kn", name))
				if diff := cmp.Diff(want, cm.Data); diff != "" {
					t.Errorf("%s (-want,+got):\n%s", name, diff)
				}
			}
		})
	}
	if objs := render(t, defaultRelease, minimal); objs.Find("ConfigMap", "knative-serving", "config-domain") != nil {
		t.Error("Knative's ConfigMaps rendered without knative.domains.enabled")
	}
}

// TestCertManager: with cert-manager the chart leaves the Secret and the caBundle to it,
// and the pod-mutator gets neither the rights nor the flag for self-managed certificates.
func TestCertManager(t *testing.T) {
	reg := podmutator.DefaultRegistration()
	for _, tc := range []struct {
		name, values              string
		issuer                    string
		issuers, certificatesWant int
	}{
		{"chart's own CA", minimal + "podMutator: {certificates: certManager}\n", reg.Name + "-ca", 2, 2},
		{"operator's issuer", minimal + "podMutator: {certificates: certManager, certManager: {issuerRef: {name: corp-ca, kind: ClusterIssuer}}}\n", "corp-ca", 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs := render(t, defaultRelease, tc.values)
			if objs.Find("Secret", reg.Namespace, reg.SecretName()) != nil {
				t.Error("the chart renders the Secret cert-manager owns")
			}
			if n := len(objs.OfKind("Issuer")); n != tc.issuers {
				t.Errorf("%d Issuers, want %d", n, tc.issuers)
			}
			if n := len(objs.OfKind("Certificate")); n != tc.certificatesWant {
				t.Errorf("%d Certificates, want %d", n, tc.certificatesWant)
			}
			cert := objs.Find("Certificate", reg.Namespace, reg.Name)
			spec, _, _ := unstructured.NestedMap(cert.Object, "spec")
			if spec["secretName"] != reg.SecretName() || spec["issuerRef"].(map[string]any)["name"] != tc.issuer ||
				!slices.Contains(spec["dnsNames"].([]any), any(reg.DNSName())) {
				t.Errorf("serving Certificate spec %v", spec)
			}
			// Everything else is the builder's configuration; the annotation asks cainjector for the caBundle.
			wh := into[admissionregistrationv1.MutatingWebhookConfiguration](t, objs.Find("MutatingWebhookConfiguration", "", reg.Name))
			want := podmutator.WebhookConfiguration(reg)
			want.Annotations = map[string]string{"cert-manager.io/inject-ca-from": reg.Namespace + "/" + reg.Name}
			if diff := cmp.Diff(want, wh); diff != "" {
				t.Errorf("MutatingWebhookConfiguration (-want,+got):\n%s", diff)
			}
			d := into[appsv1.Deployment](t, objs.Find("Deployment", reg.Namespace, reg.Name))
			if !slices.Contains(d.Spec.Template.Spec.Containers[0].Args, "--certs=files") {
				t.Errorf("pod-mutator args %v", d.Spec.Template.Spec.Containers[0].Args)
			}
			if objs.Find("Role", reg.Namespace, reg.Name) != nil {
				t.Error("pod-mutator keeps Secret rights it no longer needs")
			}
			cr := into[rbacv1.ClusterRole](t, objs.Find("ClusterRole", "", reg.Name))
			for _, r := range cr.Rules {
				if slices.Contains(r.Resources, "mutatingwebhookconfigurations") {
					t.Errorf("pod-mutator keeps webhook rights it no longer needs: %+v", r)
				}
			}
		})
	}
}

// TestBadValuesRefused: helm install stops with a message naming the value.
func TestBadValuesRefused(t *testing.T) {
	for _, tc := range []struct {
		name, values string
		want         []string
	}{
		{"chart defaults alone", ``, []string{"/config", "cluster"}},
		{"cluster not a DNS label", strings.Replace(minimal, "cluster: dev", "cluster: Dev_1", 1), []string{"/config/cluster", "does not match pattern"}},
		{"cluster too long for sls-{cluster}", strings.Replace(minimal, "cluster: dev", "cluster: "+strings.Repeat("a", 60), 1), []string{"/config/cluster", "maxLength"}},
		{"no default domain", strings.Replace(minimal, "default: slipway.test, ", "", 1), []string{"/config/domains", "default"}},
		{"unknown config key", minimal + "  colour: blue\n", []string{"/config", "colour"}},
		{"listen is the chart's", minimal + "  listen: 0.0.0.0:9\n", []string{"/config", "listen"}},
		{"unknown top-level key", minimal + "platformAPI: {replicas: 3}\n", []string{"platformAPI"}},
		{"one platform-api replica", minimal + "platformApi: {replicas: 1}\n", []string{"/platformApi/replicas", "minimum"}},
		{"one pod-mutator replica", minimal + "podMutator: {replicas: 1}\n", []string{"/podMutator/replicas", "minimum"}},
		{"unknown certificate source", minimal + "podMutator: {certificates: acme}\n", []string{"/podMutator/certificates", "self", "certManager"}},
		{"duration without unit", minimal + "  auth: {cacheTTL: \"10\"}\n", []string{"/config/auth/cacheTTL", "does not match pattern"}},
		{"duration as a number", minimal + "  shutdownGrace: 20\n", []string{"/config/shutdownGrace", "string"}},
		{"no environments", minimal + "  environments: []\n", []string{"/config/environments", "minItems"}},
		{"environment without name", minimal + "  environments: [{minScale: 1}]\n", []string{"/config/environments/0", "name"}},
		{"negative minScale", minimal + "  environments: [{name: test, minScale: -1}]\n", []string{"/config/environments/0/minScale", "minimum"}},
		{"relative host root", minimal + "  logging: {hostRoot: var/log}\n", []string{"/config/logging/hostRoot"}},
		{"too few audit records", minimal + "  audit: {maxRecords: 10}\n", []string{"/config/audit/maxRecords", "minimum"}},
		{"duplicate environment", minimal + "  environments: [{name: test}, {name: test}]\n", []string{"config.environments[1].name", "duplicate"}},
		{"maxScale below minScale", minimal + "  environments: [{name: prod, minScale: 3, maxScale: 2}]\n", []string{"config.environments[0].maxScale", "minScale"}},
		{"short domain is the default", strings.Replace(minimal, "default: slipway.test", "default: sls-dev.slipway.test", 1), []string{"config.domains.default", "short domain"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := ParseValues(tc.values)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Render(defaultRelease, v)
			if err == nil {
				t.Fatal("rendered; want refused")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

// TestSchemaMirrorsConfig: values.schema.json's config section has exactly the keys
// pkg/config decodes (minus those the chart sets), so no setting is out of the chart's
// reach and none the binary would refuse gets past the schema.
func TestSchemaMirrorsConfig(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(Dir(), "values.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(raw, &schema); err != nil {
		t.Fatal(err)
	}
	cfgSchema := schema["properties"].(map[string]any)["config"].(map[string]any)
	chartOwned := map[string]bool{"listen": true, "leaderElection": true}
	var walk func(path string, typ reflect.Type, s map[string]any)
	walk = func(path string, typ reflect.Type, s map[string]any) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
			typ = typ.Elem()
			if items, ok := s["items"].(map[string]any); ok {
				s = items
			}
		}
		if typ.Kind() != reflect.Struct || typ == reflect.TypeOf(metav1.Duration{}) {
			return
		}
		props, _ := s["properties"].(map[string]any)
		if s["additionalProperties"] != false {
			t.Errorf("%s: schema allows unknown keys, which config.Load refuses", path)
		}
		want := map[string]bool{}
		for i := range typ.NumField() {
			f := typ.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" || (path == "config" && chartOwned[name]) {
				continue
			}
			want[name] = true
			sub, ok := props[name].(map[string]any)
			if !ok {
				t.Errorf("%s.%s: in pkg/config, not in values.schema.json", path, name)
				continue
			}
			walk(path+"."+name, f.Type, sub)
		}
		for name := range props {
			if !want[name] {
				t.Errorf("%s.%s: in values.schema.json, not in pkg/config", path, name)
			}
		}
	}
	walk("config", reflect.TypeOf(config.Config{}), cfgSchema)
}

// TestBinariesDoNotImportHelm: the SDK is for tests; the binaries stay as they were.
func TestBinariesDoNotImportHelm(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", "github.com/slipway-dev/slipway/cmd/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "helm.sh/") || strings.HasSuffix(pkg, "/internal/chart") || strings.HasSuffix(pkg, "/internal/devstack") {
			t.Errorf("a binary imports %s", pkg)
		}
	}
}

// TestPodSecurityRules: the chart's copy of the Policy's rules is the builder's (`go test
// ./internal/chart -update` rewrites it).
func TestPodSecurityRules(t *testing.T) {
	raw, err := yaml.Marshal(map[string]any{
		"matchConditions": podsecurity.MatchConditions(),
		"variables":       podsecurity.Variables(),
		"validations":     podsecurity.Validations(),
	})
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join(Dir(), "files", "pod-security-rules.yaml"), raw)
}

// TestPodSecurityOptional: without podSecurity the chart renders neither object, and
// knative.features renders Knative's secure-pod-defaults.
func TestPodSecurityOptional(t *testing.T) {
	objs := render(t, defaultRelease, minimal+"podSecurity: {enabled: false}\nknative: {features: {enabled: true}}\n")
	if objs.Find("ValidatingAdmissionPolicy", "", names.PodSecurityPolicy) != nil || objs.Find("ValidatingAdmissionPolicyBinding", "", names.PodSecurityPolicyBinding) != nil {
		t.Error("Pod Security objects rendered with podSecurity.enabled false")
	}
	cm := into[corev1.ConfigMap](t, objs.Find("ConfigMap", "knative-serving", "config-features"))
	if diff := cmp.Diff(map[string]string{"secure-pod-defaults": "enabled"}, cm.Data); diff != "" {
		t.Errorf("config-features (-want,+got):\n%s", diff)
	}
	if objs := render(t, defaultRelease, minimal); objs.Find("ConfigMap", "knative-serving", "config-features") != nil {
		t.Error("config-features rendered by default (it belongs to Knative's installation)")
	}
}
