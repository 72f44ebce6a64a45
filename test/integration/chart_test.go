//go:build integration

package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"
	networkingv1alpha1 "knative.dev/networking/pkg/apis/networking/v1alpha1"

	"github.com/slipway-dev/slipway/internal/chart"
	"github.com/slipway-dev/slipway/internal/testutil"
	"github.com/slipway-dev/slipway/pkg/audit"
	"github.com/slipway-dev/slipway/pkg/boundary"
	"github.com/slipway-dev/slipway/pkg/config"
	"github.com/slipway-dev/slipway/pkg/kube"
	"github.com/slipway-dev/slipway/pkg/logging"
	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/pipelines"
	"github.com/slipway-dev/slipway/pkg/pipelines/runs"
	"github.com/slipway-dev/slipway/pkg/podmutator"
	"github.com/slipway-dev/slipway/pkg/podsecurity"
	"github.com/slipway-dev/slipway/pkg/projects"
	"github.com/slipway-dev/slipway/pkg/server"
)

// chartDevValues are the chart values of the dev stack's own configuration (config/dev.yaml),
// so hosts the chart's platform-api computes agree with the stack's Knative.
const chartDevValues = `
config:
  cluster: dev
  domains: {default: slipway.test, base: slipway.test}
  promotion: {path: [test, prod]}
  limits:
    perUser: {rate: 100, burst: 200}
  pipelines:
    platformURL: http://slipway-platform-api.slipway-system.svc
    registry: dev.local
    images: {git: dev.local/tools/git:v1, builder: dev.local/tools/buildkit:rootless, deploy: dev.local/tools/curl:v1}
`

// chartApplier server-side applies rendered objects as helm's objects would arrive.
type chartApplier struct {
	dyn    dynamic.Interface
	mapper *restmapper.DeferredDiscoveryRESTMapper
}

func newChartApplier(t *testing.T, cfg *rest.Config) *chartApplier {
	t.Helper()
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &chartApplier{dyn: dyn, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc))}
}

// apply sends u with strict field validation: a field the real schema lacks is an error.
func (a *chartApplier) apply(ctx context.Context, u *unstructured.Unstructured, dryRun bool) error {
	gvk := u.GroupVersionKind()
	m, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return fmt.Errorf("mapping %s: %w", gvk, err)
	}
	var ri dynamic.ResourceInterface = a.dyn.Resource(m.Resource)
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		ri = a.dyn.Resource(m.Resource).Namespace(u.GetNamespace())
	}
	body, err := json.Marshal(u.Object)
	if err != nil {
		return err
	}
	opts := metav1.PatchOptions{FieldManager: "helm", Force: ptr.To(true), FieldValidation: "Strict"}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	_, err = ri.Patch(ctx, u.GetName(), types.ApplyPatchType, body, opts)
	return err
}

var chartCRDs struct {
	once sync.Once
	err  error
}

func chartNamespace(t *testing.T, name string) {
	t.Helper()
	_, err := env.clients.Kube.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

func renderChart(t *testing.T, rel chart.Release, values string) chart.Objects {
	t.Helper()
	v, err := chart.ParseValues(values)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := chart.Render(rel, v)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// TestChartDryRun: `helm install`'s objects, for the defaults and for every optional part
// switched on, are accepted by the real apiserver with the real CRDs (server-side apply,
// dry run, strict field validation).
func TestChartDryRun(t *testing.T) {
	ctx := context.Background()
	chartCRDs.once.Do(func() { chartCRDs.err = env.stack.InstallExtraCRDs(ctx) })
	if chartCRDs.err != nil {
		t.Fatal(chartCRDs.err)
	}
	applier := newChartApplier(t, env.stack.Config)
	chartNamespace(t, "chart-dry")
	chartNamespace(t, "chart-dry-defaults")
	for _, tc := range []struct {
		name   string
		rel    chart.Release
		values string
		kinds  []string // kinds that must be among the objects, so each case tests what it says
	}{
		// Not slipway-system: the dev stack's own pod-mutator Service there (an ExternalName
		// on another port) would merge with the chart's into an invalid object.
		{"defaults", chart.Release{Name: "slipway", Namespace: "chart-dry-defaults"}, chartDevValues,
			[]string{"Deployment", "MutatingWebhookConfiguration", "Secret", "ClusterRole", "PodDisruptionBudget",
				"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"}},
		{"everything on, chart's CA", chart.Release{Name: "sw", Namespace: "chart-dry"}, chartDevValues + `
podMutator: {name: sw-pod-mutator, certificates: certManager}
knative: {domains: {enabled: true}, features: {enabled: true}}
serviceMonitor: {enabled: true, labels: {release: prometheus}}
networkPolicy:
  enabled: true
  apiFrom: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ingress}}}]
  metricsFrom: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]
`, []string{"Certificate", "Issuer", "ServiceMonitor", "NetworkPolicy", "ConfigMap"}},
		{"operator's ClusterIssuer", chart.Release{Name: "sw2", Namespace: "chart-dry"}, chartDevValues + `
podMutator: {name: sw2-pod-mutator, certificates: certManager, certManager: {issuerRef: {name: corp, kind: ClusterIssuer}}}
`, []string{"Certificate"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs := renderChart(t, tc.rel, tc.values)
			for _, k := range tc.kinds {
				if len(objs.OfKind(k)) == 0 {
					t.Fatalf("no %s rendered", k)
				}
			}
			for _, u := range objs {
				if err := applier.apply(ctx, u, true); err != nil {
					t.Errorf("%s %s/%s refused: %v", u.GetKind(), u.GetNamespace(), u.GetName(), err)
				}
			}
		})
	}
	// The namespaces platform-api makes, with their Pod Security labels, which the
	// apiserver's Pod Security admission checks (a level it does not know is refused).
	bogus := projects.BuildBuildNamespace("chartdry")
	bogus.Labels[podsecurity.LabelEnforce] = "lenient"
	for _, tc := range []struct {
		ns   *corev1.Namespace
		want string
	}{
		{projects.BuildNamespace("chartdry", "test"), ""},
		{projects.BuildBuildNamespace("chartdry"), ""},
		{bogus, "lenient"},
	} {
		obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(tc.ns)
		if err != nil {
			t.Fatal(err)
		}
		err = applier.apply(ctx, &unstructured.Unstructured{Object: obj}, true)
		if tc.want == "" && err != nil {
			t.Errorf("namespace %s refused: %v", tc.ns.Name, err)
		}
		if tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("namespace %s with enforce %q: err = %v, want it refused", tc.ns.Name, tc.want, err)
		}
	}
	// The check has teeth: a field the schema lacks is refused, in a built-in and a CRD kind.
	objs := renderChart(t, chart.Release{Name: "sw", Namespace: "chart-dry"}, chartDevValues+"podMutator: {certificates: certManager}\nserviceMonitor: {enabled: true}\n")
	for _, kind := range []string{"Deployment", "Certificate", "ServiceMonitor"} {
		u := objs.OfKind(kind)[0].DeepCopy()
		if err := unstructured.SetNestedField(u.Object, int64(2), "spec", "replicaz"); err != nil {
			t.Fatal(err)
		}
		if err := applier.apply(ctx, u, true); err == nil || !strings.Contains(err.Error(), "replicaz") {
			t.Errorf("%s with an unknown field: err = %v, want it refused naming the field", kind, err)
		}
	}
}

// chartRequests records what a component asked the apiserver, as RBAC sees it
// ("verb resource.group"), and every Forbidden answer.
type chartRequests struct {
	mu        sync.Mutex
	used      map[string]bool
	forbidden []string
}

func (r *chartRequests) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		resp, err := rt.RoundTrip(req)
		if err != nil {
			return resp, err
		}
		key, ok := rbacKey(req.Method, req.URL)
		r.mu.Lock()
		defer r.mu.Unlock()
		if resp.StatusCode == http.StatusForbidden {
			r.forbidden = append(r.forbidden, req.Method+" "+req.URL.Path)
		} else if ok {
			r.used[key] = true
			// An apply that creates the object answers 201 and was authorized as create.
			if req.Method == http.MethodPatch && resp.StatusCode == http.StatusCreated {
				r.used["create "+strings.TrimPrefix(key, "patch ")] = true
			}
			// client-go's informers list by a watch that streams the initial state; against
			// an apiserver without it they send a plain list, which is what "list" is for.
			if req.URL.Query().Get("sendInitialEvents") == "true" {
				r.used["streamed "+strings.TrimPrefix(key, "watch ")] = true
			}
		}
		return resp, err
	})
}

func (r *chartRequests) snapshot() (used map[string]bool, forbidden []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	used = map[string]bool{}
	for k := range r.used {
		used[k] = true
	}
	return used, slices.Clone(r.forbidden)
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// rbacKey maps a request to the verb and resource an RBAC rule names; discovery and
// other non-resource requests are not resources.
func rbacKey(method string, u *url.URL) (string, bool) {
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	var group string
	switch {
	case len(segs) >= 3 && segs[0] == "api":
		segs = segs[2:]
	case len(segs) >= 4 && segs[0] == "apis":
		group, segs = segs[1], segs[3:]
	default:
		return "", false
	}
	var resource, name, sub string
	if segs[0] == "namespaces" && len(segs) >= 3 {
		segs = segs[2:]
	}
	resource = segs[0]
	if len(segs) > 1 {
		name = segs[1]
	}
	if len(segs) > 2 {
		sub = segs[2]
	}
	verb := map[string]string{http.MethodPost: "create", http.MethodPut: "update", http.MethodPatch: "patch", http.MethodDelete: "delete"}[method]
	if method == http.MethodGet {
		switch {
		case u.Query().Get("watch") == "true" || u.Query().Get("watch") == "1":
			verb = "watch"
		case name == "":
			verb = "list"
		default:
			verb = "get"
		}
	}
	if method == http.MethodDelete && name == "" {
		verb = "deletecollection"
	}
	if sub != "" {
		resource += "/" + sub
	}
	return rbacName(verb, resource, group), true
}

func rbacName(verb, resource, group string) string {
	if group != "" {
		resource += "." + group
	}
	return verb + " " + resource
}

// granted lists what the rules allow as rbacKey names.
func granted(rules []rbacv1.PolicyRule) []string {
	var out []string
	for _, r := range rules {
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				for _, v := range r.Verbs {
					out = append(out, rbacName(v, res, g))
				}
			}
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// applyChartRBAC applies the chart's ServiceAccounts, roles and bindings for real and
// returns the rules granted to the ServiceAccount sa.
func applyChartRBAC(t *testing.T, objs chart.Objects, namespace, sa string) []rbacv1.PolicyRule {
	t.Helper()
	ctx := context.Background()
	applier := newChartApplier(t, env.stack.Config)
	var rules []rbacv1.PolicyRule
	roles := map[string][]rbacv1.PolicyRule{}
	for _, u := range objs.OfKind("ServiceAccount", "ClusterRole", "Role", "ClusterRoleBinding", "RoleBinding") {
		if u.GetKind() == "ClusterRoleBinding" {
			// The dev stack's platform-api holds the binding of the chart's name (a second
			// release in one cluster would collide the same way); this one binds beside it.
			u = u.DeepCopy()
			u.SetName(u.GetName() + "-" + namespace)
		}
		if err := applier.apply(ctx, u, false); err != nil {
			t.Fatalf("applying %s %s: %v", u.GetKind(), u.GetName(), err)
		}
		switch u.GetKind() {
		case "ClusterRole", "Role":
			var r rbacv1.ClusterRole
			if err := chart.Into(u, &r); err != nil {
				t.Fatal(err)
			}
			roles[u.GetKind()+"/"+u.GetNamespace()+"/"+u.GetName()] = r.Rules
		}
	}
	for _, u := range objs.OfKind("ClusterRoleBinding", "RoleBinding") {
		var b rbacv1.RoleBinding
		if err := chart.Into(u, &b); err != nil {
			t.Fatal(err)
		}
		for _, s := range b.Subjects {
			if s.Kind == "ServiceAccount" && s.Name == sa && s.Namespace == namespace {
				ns := b.Namespace
				if b.RoleRef.Kind == "ClusterRole" {
					ns = ""
				}
				rules = append(rules, roles[b.RoleRef.Kind+"/"+ns+"/"+b.RoleRef.Name]...)
			}
		}
	}
	if len(rules) == 0 {
		t.Fatalf("the chart grants %s/%s nothing", namespace, sa)
	}
	return rules
}

// impersonating is the admin's config acting as the ServiceAccount, as it would in-cluster.
func impersonating(namespace, sa string, rec *chartRequests) *rest.Config {
	cfg := rest.CopyConfig(env.stack.Config)
	cfg.Impersonate = rest.ImpersonationConfig{
		UserName: "system:serviceaccount:" + namespace + ":" + sa,
		Groups:   saGroups(namespace),
	}
	cfg.WrapTransport = rec.wrap
	return cfg
}

// checkExactRBAC fails on every Forbidden answer and on every permission granted that the
// component never used, but those in notExercised (each with its reason).
func checkExactRBAC(t *testing.T, rec *chartRequests, rules []rbacv1.PolicyRule, notExercised map[string]string) {
	t.Helper()
	used, forbidden := rec.snapshot()
	for _, f := range forbidden {
		t.Errorf("Forbidden: %s", f)
	}
	for _, g := range granted(rules) {
		if res, ok := strings.CutPrefix(g, "list "); ok && used["streamed "+res] {
			continue
		}
		if !used[g] && notExercised[g] == "" {
			t.Errorf("granted but never used: %s", g)
		}
	}
	t.Logf("used: %v", slices.Sorted(maps.Keys(used)))
}

// chartCall is call against another platform-api as the admin, failing unless the status is want.
func chartCall(t *testing.T, base string, want int, method, path string, body, out any) []byte {
	t.Helper()
	code, raw := callAt(t, base, env.stack.AdminToken, method, path, body, out)
	if code != want {
		t.Fatalf("%s %s = %d, want %d: %s", method, path, code, want, raw)
	}
	return raw
}

// TestChartRBACPlatformAPI runs platform-api as the chart's ServiceAccount through every
// kind of write it makes: nothing may be Forbidden, and nothing granted may go unused.
// chartWriters are the chart's ServiceAccount the RBAC test runs platform-api as: the dev
// stack's boundary policies let it write Slipway's objects, as the chart's own policies
// would for its release.
var chartWriters = []string{boundary.ServiceAccount("chart-rbac", "slipway-platform-api")}

func TestChartRBACPlatformAPI(t *testing.T) {
	ctx := context.Background()
	const ns, sa, lease = "chart-rbac", "slipway-platform-api", "chart-rbac-reconcilers"
	chartNamespace(t, ns)
	objs := renderChart(t, chart.Release{Name: "slipway", Namespace: ns}, chartDevValues+
		"  audit: {maxRecords: 100}\nplatformApi: {leaseName: "+lease+"}\n")
	rules := applyChartRBAC(t, objs, ns, sa)
	raw, err := objs.ConfigFile(ns)
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfgPath, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	// Records past maxRecords (+5%) make the first audit write prune: the delete verb.
	for i := range 110 {
		cm := audit.Build(ns, audit.Record{ID: fmt.Sprintf("old%03d", i), Time: time.Unix(int64(i), 0), User: "someone",
			Action: "deploy", Method: http.MethodPost, Path: "/", Status: http.StatusCreated, Result: audit.ResultOK})
		if _, err := env.clients.Kube.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	// A claim left by an app that is gone: deploying an app of that name takes it over (update).
	const project = "chartrbac"
	appNS := names.Namespace(project, "test")
	stale := cfg.Domains.AppHost("chartstale", appNS, "short")
	if _, err := env.clients.Networking.NetworkingV1alpha1().ClusterDomainClaims().Create(ctx, &networkingv1alpha1.ClusterDomainClaim{
		ObjectMeta: metav1.ObjectMeta{Name: stale}, Spec: networkingv1alpha1.ClusterDomainClaimSpec{Namespace: "gone-test"},
	}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}

	rec := &chartRequests{used: map[string]bool{}}
	clients, err := kube.NewClients(impersonating(ns, sa, rec), cfg.Breaker)
	if err != nil {
		t.Fatal(err)
	}
	var logs testutil.Buffer
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("platform-api's log:\n%s", logs.String())
		}
	})
	srv, err := server.New(cfg, clients, slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	// Start waits for the caches, which never sync while a list or watch is Forbidden.
	started := make(chan error, 1)
	go func() { started <- srv.Start(runCtx) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("starting as %s: %v", sa, err)
		}
	case <-time.After(60 * time.Second):
		_, forbidden := rec.snapshot()
		t.Fatalf("platform-api not started as %s after 60s; Forbidden: %v", sa, slices.Compact(slices.Sorted(slices.Values(forbidden))))
	}
	api := httptest.NewServer(srv.Handler)
	t.Cleanup(api.Close)

	chartCall(t, api.URL, http.StatusCreated, http.MethodPost, "/api/v1/projects", map[string]string{"name": project}, nil)
	eventually(t, 10*time.Second, "project listed", func() error {
		var ps []projects.Project
		chartCall(t, api.URL, http.StatusOK, http.MethodGet, "/api/v1/projects", nil, &ps)
		if slices.ContainsFunc(ps, func(p projects.Project) bool { return p.Name == project && len(p.Namespaces) == 2 }) {
			return nil
		}
		return fmt.Errorf("projects %+v", ps)
	})
	base := "/api/v1/projects/" + project + "/apps/chartweb/envs/test"
	image := func(tag string) string { return "dev.local/" + project + "/chartweb:" + tag }
	chartCall(t, api.URL, http.StatusCreated, http.MethodPost, base+"/deployments", map[string]any{"image": image("v1"), "domain": "short"}, nil)
	waitRevisionReady(t, appNS, "chartweb-00001", image("v1"))
	chartCall(t, api.URL, http.StatusCreated, http.MethodPost, base+"/deployments",
		map[string]any{"image": image("v2"), "domain": "short", "strategy": map[string]any{"type": "canary", "percent": 20}}, nil)
	waitRevisionReady(t, appNS, "chartweb-00002", image("v2"))
	chartCall(t, api.URL, http.StatusOK, http.MethodPut, base+"/traffic", map[string]any{
		"targets": []map[string]any{{"revision": "chartweb-00001", "percent": 100}},
		"rules":   []map[string]any{{"match": map[string]any{"headers": map[string]any{"x-user-group": map[string]string{"exact": "beta"}}}, "revision": "chartweb-00002"}},
	}, nil)
	// The reconciler runs as the chart's ServiceAccount too: its VirtualService write is
	// what is asked for, not merely the object (the main platform-api also reconciles).
	eventually(t, 30*time.Second, "VirtualService applied as "+sa, func() error {
		if used, _ := rec.snapshot(); !used["patch virtualservices.networking.istio.io"] {
			return fmt.Errorf("no VirtualService apply yet; requests so far: %v", slices.Sorted(maps.Keys(used)))
		}
		list, err := env.clients.Istio.NetworkingV1().VirtualServices(appNS).List(ctx, metav1.ListOptions{LabelSelector: names.LabelApp + "=chartweb"})
		if err == nil && len(list.Items) != 1 {
			err = fmt.Errorf("%d VirtualServices, want 1", len(list.Items))
		}
		return err
	})
	// Scaling windows: the scaling reconciler applies the routed Revisions' min-scale (patch).
	// TestMain's platform-api reconciles the same app; opening and closing the window again
	// gives this one another chance to write first.
	windowOpen := false
	eventually(t, 60*time.Second, "Revision min-scale applied as "+sa, func() error {
		if used, _ := rec.snapshot(); used["patch revisions.serving.knative.dev"] {
			return nil
		}
		windows := []any{}
		if windowOpen = !windowOpen; windowOpen {
			windows = []any{map[string]any{"name": "now", "start": "* * * * *", "duration": "2m", "minScale": 2}}
		}
		chartCall(t, api.URL, http.StatusOK, http.MethodPut, base+"/scaling/schedules", map[string]any{"windows": windows}, nil)
		time.Sleep(time.Second)
		return fmt.Errorf("no Revision patch yet")
	})
	chartCall(t, api.URL, http.StatusOK, http.MethodPut, base+"/scaling/schedules", map[string]any{"windows": []any{}}, nil)
	// Not dev-user: other tests count the projects dev-user sees.
	chartCall(t, api.URL, http.StatusCreated, http.MethodPost, "/api/v1/projects/"+project+"/members", map[string]string{"name": "chart-user", "role": "developer"}, nil)
	var members []map[string]any
	chartCall(t, api.URL, http.StatusOK, http.MethodGet, "/api/v1/projects/"+project+"/members", nil, &members)
	if got := fmt.Sprint(members); !strings.Contains(got, "name:chart-user role:developer") {
		t.Errorf("members %v, want chart-user as developer", got)
	}
	chartCall(t, api.URL, http.StatusOK, http.MethodPost, base+"/rollback", map[string]string{"revision": "chartweb-00001", "message": "chart RBAC"}, nil)
	// A promotion's record is created, then updated as it deploys (break-glass: no approval).
	chartCall(t, api.URL, http.StatusCreated, http.MethodPost, "/api/v1/projects/"+project+"/apps/chartweb/promotions",
		map[string]any{"from": "test", "to": "prod", "breakGlass": map[string]string{"reason": "chart RBAC"}}, nil)
	// A schedule: the reconciler's PingSource (create, or patch when TestMain's platform-api,
	// which reconciles the same Services, made it first), edited by hand (patch), paused (delete).
	chartCall(t, api.URL, http.StatusOK, http.MethodPut, base+"/schedules", []map[string]any{{"name": "nightly", "cron": "0 2 * * *"}}, nil)
	pings := env.clients.Eventing.SourcesV1().PingSources(appNS)
	eventually(t, 60*time.Second, "PingSource written as "+sa, func() error {
		if used, _ := rec.snapshot(); !used["create pingsources.sources.knative.dev"] && !used["patch pingsources.sources.knative.dev"] {
			return fmt.Errorf("no PingSource write yet")
		}
		_, err := pings.Get(ctx, names.PingSource("chartweb", "nightly"), metav1.GetOptions{})
		return err
	})
	if ps, err := pings.Get(ctx, names.PingSource("chartweb", "nightly"), metav1.GetOptions{}); err == nil {
		ps.Spec.Schedule = "* * * * *"
		if _, err := pings.Update(ctx, ps, metav1.UpdateOptions{}); err != nil && !apierrors.IsConflict(err) {
			t.Fatal(err)
		}
	}
	chartCall(t, api.URL, http.StatusOK, http.MethodPut, base+"/schedules", []map[string]any{{"name": "nightly", "cron": "0 2 * * *", "enabled": false}}, nil)
	eventually(t, 60*time.Second, "paused schedule's PingSource deleted", func() error {
		_, err := pings.Get(ctx, names.PingSource("chartweb", "nightly"), metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("still there (err %v)", err)
	})
	chartPipelineFlow(t, api.URL, base, appNS)
	// Without rules the reconciler deletes the VirtualService.
	chartCall(t, api.URL, http.StatusOK, http.MethodPut, base+"/traffic", map[string]any{
		"targets": []map[string]any{{"revision": "chartweb-00001", "percent": 100}},
	}, nil)
	eventually(t, 30*time.Second, "VirtualService deleted as "+sa, func() error {
		if used, _ := rec.snapshot(); !used["delete virtualservices.networking.istio.io"] {
			return fmt.Errorf("no VirtualService delete yet")
		}
		return nil
	})
	// The short host whose claim was stale.
	chartCall(t, api.URL, http.StatusCreated, http.MethodPost, "/api/v1/projects/"+project+"/apps/chartstale/envs/test/deployments",
		map[string]any{"image": "dev.local/" + project + "/chartstale:v1", "domain": "short"}, nil)
	claim, err := env.clients.Networking.NetworkingV1alpha1().ClusterDomainClaims().Get(ctx, stale, metav1.GetOptions{})
	if err != nil || claim.Spec.Namespace != appNS {
		t.Errorf("stale claim %s not taken over: %+v, %v", stale, claim, err)
	}
	chartCall(t, api.URL, http.StatusNoContent, http.MethodDelete, base, nil, nil)
	chartCall(t, api.URL, http.StatusNoContent, http.MethodDelete, "/api/v1/projects/"+project+"/apps/chartstale/envs/test", nil, nil)
	var records []audit.Record
	chartCall(t, api.URL, http.StatusOK, http.MethodGet, "/api/v1/audit?project="+project, nil, &records)
	if len(records) < 8 {
		t.Errorf("%d audit records for %s, want one per write", len(records), project)
	}
	eventually(t, 10*time.Second, "old audit records pruned", func() error {
		list, err := env.clients.Kube.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{LabelSelector: names.LabelAuditRecord + "=true"})
		if err != nil {
			return err
		}
		if n := len(list.Items); n > cfg.Audit.MaxRecords+cfg.Audit.MaxRecords/20 {
			return fmt.Errorf("%d records, want at most %d", n, cfg.Audit.MaxRecords+cfg.Audit.MaxRecords/20)
		}
		return nil
	})
	// Leadership is renewed every 2 s; one renewal proves update on the Lease.
	eventually(t, 10*time.Second, "Lease renewed", func() error {
		if used, _ := rec.snapshot(); !used["update leases.coordination.k8s.io"] {
			return fmt.Errorf("Lease %s/%s never updated", ns, lease)
		}
		return nil
	})
	cancel()

	excused := map[string]string{
		"bind clusterroles.rbac.authorization.k8s.io":     "not a request: the RoleBinding applies above passed RBAC's escalation check with it",
		"escalate clusterroles.rbac.authorization.k8s.io": "not a request: the project roles' apply at start passed the escalation check with it",
		"create clusterroles.rbac.authorization.k8s.io":   "the dev stack made the roles first; an apply that creates one is authorized as create",
		"bind roles.rbac.authorization.k8s.io":            "not a request: the runs' RoleBinding to the executor Role passed the escalation check with it",
		"escalate roles.rbac.authorization.k8s.io":        "not a request: the executor Role's apply passed the escalation check with it",
	}
	// No step pods run on the dev stack (and no log may be fetched from its fake node).
	excused["get pods/log"] = "no workflow pods run on the dev stack; the unit test TestRunLogs reads their output"
	// A run is read live only when the cache has not seen it yet.
	if used, _ := rec.snapshot(); !used["get workflows.argoproj.io"] {
		excused["get workflows.argoproj.io"] = "every run was already in the cache when read"
	}
	// A Service is read live only by a write that lost an optimistic-concurrency race or
	// whose cached copy lagged; the flow may meet neither.
	if used, _ := rec.snapshot(); !used["get services.serving.knative.dev"] {
		excused["get services.serving.knative.dev"] = "no write lost a race or met a lagging cache"
	}
	// TestMain's platform-api reconciles the same Services; when its apply creates the
	// VirtualService first, this one's apply is an update (authorized as patch only).
	if used, _ := rec.snapshot(); !used["create virtualservices.networking.istio.io"] {
		excused["create virtualservices.networking.istio.io"] = "the other platform-api created it first"
		t.Log("the VirtualService was created by TestMain's platform-api; create not exercised in this run")
	}
	// TestMain's platform-api reconciles the same schedules: it may create, rewrite or delete
	// the PingSource before this one does.
	for _, verb := range []string{"create", "patch", "delete"} {
		if used, _ := rec.snapshot(); !used[verb+" pingsources.sources.knative.dev"] {
			excused[verb+" pingsources.sources.knative.dev"] = "the other platform-api reconciled the PingSource first"
			t.Logf("PingSource %s not exercised as %s in this run: the other platform-api did it first", verb, sa)
		}
	}
	checkExactRBAC(t, rec, rules, excused)
	if l := strings.ToLower(logs.String()); strings.Contains(l, "forbidden") {
		t.Errorf("platform-api logged a Forbidden:\n%s", logs.String())
	}
}

// TestChartRBACPodMutator runs cmd/pod-mutator (self-managed certificates) as the chart's
// ServiceAccount: it rotates the certificates into its Secret, injects the caBundle and
// admits a labelled pod, with nothing Forbidden and nothing granted unused. It runs as a
// process, not through podmutator.Run in this one: TestMain's pod-mutator already holds
// controller-runtime's process-wide controller name "cert-rotator".
func TestChartRBACPodMutator(t *testing.T) {
	ctx := context.Background()
	const ns, name = "chart-rbac", "chart-pod-mutator"
	chartNamespace(t, ns)
	objs := renderChart(t, chart.Release{Name: "slipway", Namespace: ns}, chartDevValues+"podMutator: {name: "+name+"}\n")
	rules := applyChartRBAC(t, objs, ns, name)
	// The chart's Service, Secret and webhook configuration are the builders' (unit test);
	// the stack makes them with an ExternalName Service to this process on 127.0.0.1.
	mutator, err := env.stack.SetUpPodMutator(ctx, podmutator.Registration{Name: name, Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "pod-mutator")
	build := exec.Command("go", "build", "-o", bin, "./cmd/pod-mutator")
	build.Dir = repoPath("")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building cmd/pod-mutator: %v\n%s", err, out)
	}
	raw, err := objs.ConfigFile(ns)
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(tmp, "config.yaml")
	if err := os.WriteFile(cfgPath, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	rec := &chartRequests{used: map[string]bool{}}
	kubeconfig := rec.impersonatingKubeconfig(t, ns, name, filepath.Join(tmp, "kubeconfig"))

	logPath := filepath.Join(tmp, "pod-mutator.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(bin, mutator.Args(cfgPath, kubeconfig)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(10 * time.Second):
				_ = cmd.Process.Kill()
				<-exited
			}
		}
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("pod-mutator's log:\n%s", b)
		}
	})
	// Registered last, so it runs first: no labelled pod may meet a webhook whose server is gone.
	unregister := func() {
		_ = env.clients.Kube.AdmissionregistrationV1().MutatingWebhookConfigurations().Delete(context.Background(), name, metav1.DeleteOptions{})
	}
	t.Cleanup(unregister)
	eventually(t, 60*time.Second, "pod-mutator ready as "+name, func() error {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("pod-mutator exited: %v", err)
		default:
		}
		resp, err := http.Get("http://" + mutator.HealthAddr() + "/readyz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("/readyz %s", resp.Status)
		}
		return nil
	})
	secret, err := env.clients.Kube.CoreV1().Secrets(ns).Get(ctx, mutator.Registration.SecretName(), metav1.GetOptions{})
	if err != nil || len(secret.Data["tls.crt"]) == 0 || len(secret.Data["ca.crt"]) == 0 {
		t.Fatalf("certificates not in Secret: %v %v", err, keysOf(secret))
	}
	eventually(t, 30*time.Second, "caBundle injected", func() error {
		wh, err := env.clients.Kube.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if !bytes.Equal(wh.Webhooks[0].ClientConfig.CABundle, secret.Data["ca.crt"]) {
			return fmt.Errorf("caBundle is not the Secret's CA")
		}
		return nil
	})

	podNS := projects.BuildNamespace("chartpm", "test")
	if _, err := env.clients.Kube.CoreV1().Namespaces().Create(ctx, podNS, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "ServiceAccount default in "+podNS.Name, func() error {
		_, err := env.clients.Kube.CoreV1().ServiceAccounts(podNS.Name).Get(ctx, "default", metav1.GetOptions{})
		return err
	})
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: "web-00001-deployment-",
			Labels:       map[string]string{names.LabelLogCollect: "true", logging.LabelKnativeService: "web"},
			Annotations:  map[string]string{names.AnnoLogPaths: `[{"path":"/app/logs"}]`},
		},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "user-container", Image: "dev.local/chartpm/web:v1"}}},
	}
	created, err := env.clients.Kube.CoreV1().Pods(podNS.Name).Create(ctx, meetRestricted(pod), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("labelled pod refused: %v", err)
	}
	if !slices.ContainsFunc(created.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == logging.VolumeName }) {
		t.Errorf("labelled pod has no log volume: %+v", created.Spec.Volumes)
	}
	eventually(t, 10*time.Second, "this pod-mutator mutated the pod", func() error {
		resp, err := http.Get("http://" + mutator.MetricsAddr() + "/metrics")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		// Other tests' ReplicaSets may create labelled pods meanwhile: at least this one.
		for _, line := range strings.Split(string(body), "\n") {
			if v, ok := strings.CutPrefix(line, `slipway_pod_mutator_decisions_total{outcome="mutated"} `); ok && v != "0" {
				return nil
			}
		}
		return fmt.Errorf("no mutated decision in its metrics")
	})
	unregister()
	stop()
	checkExactRBAC(t, rec, rules, map[string]string{
		"get namespaces": "only when the informer has not yet seen a namespace created a moment ago (a race)",
	})
}

// impersonatingKubeconfig writes a kubeconfig that reaches the apiserver as the
// ServiceAccount through a proxy recording each request into r, for a component that runs
// as its own process.
func (r *chartRequests) impersonatingKubeconfig(t *testing.T, namespace, sa, path string) string {
	t.Helper()
	target, err := url.Parse(env.stack.Config.Host)
	if err != nil {
		t.Fatal(err)
	}
	// TLS to the apiserver only: the component's own Authorization and Impersonate-*
	// headers pass through.
	upstream, err := rest.TransportFor(&rest.Config{Host: env.stack.Config.Host, TLSClientConfig: env.stack.Config.TLSClientConfig})
	if err != nil {
		t.Fatal(err)
	}
	proxy := httptest.NewTLSServer(&httputil.ReverseProxy{
		Rewrite:       func(pr *httputil.ProxyRequest) { pr.SetURL(target) },
		Transport:     r.wrap(upstream),
		FlushInterval: -1, // watches stream
	})
	t.Cleanup(proxy.Close)
	kc := clientcmdapi.NewConfig()
	kc.Clusters["dev"] = &clientcmdapi.Cluster{Server: proxy.URL,
		CertificateAuthorityData: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: proxy.Certificate().Raw})}
	kc.AuthInfos["sa"] = &clientcmdapi.AuthInfo{Token: env.stack.AdminToken,
		Impersonate: "system:serviceaccount:" + namespace + ":" + sa, ImpersonateGroups: saGroups(namespace)}
	kc.Contexts["dev"] = &clientcmdapi.Context{Cluster: "dev", AuthInfo: "sa"}
	kc.CurrentContext = "dev"
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatal(err)
	}
	return path
}

func saGroups(namespace string) []string {
	return []string{"system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated"}
}

func keysOf(s *corev1.Secret) []string {
	if s == nil {
		return nil
	}
	var out []string
	for k := range s.Data {
		out = append(out, k)
	}
	return out
}

// chartPipelineFlow drives every pipeline write platform-api makes: a pipeline (with the
// namespace's ServiceAccount, Roles and template), a run through its approval gate with
// Argo's part played by argoRun, the deploy step's provenance, a retry and a cancel, a hook
// made and a signed delivery to it.
func chartPipelineFlow(t *testing.T, api, base, appNS string) {
	t.Helper()
	chartCall(t, api, http.StatusNotFound, http.MethodGet, base+"/pipeline", nil, nil)
	chartCall(t, api, http.StatusOK, http.MethodPut, base+"/pipeline", map[string]any{"repo": "https://git.example/chart/web",
		"stages": []map[string]any{{"name": "approve", "at": "before-deploy", "approval": true}}}, nil)
	var run pipelines.Run
	chartCall(t, api, http.StatusCreated, http.MethodPost, base+"/runs", map[string]any{}, &run)
	runPath := base + "/runs/" + run.Name
	argo := argoRun{t: t, namespace: names.BuildNamespace("chartrbac"), name: run.Name}
	argo.start()
	argo.step(0, "clone", wfv1.NodeTypePod, wfv1.NodeSucceeded, map[string]string{pipelines.OutputCommit: pipelineCommit})
	argo.step(1, "build", wfv1.NodeTypePod, wfv1.NodeSucceeded, map[string]string{pipelines.OutputDigest: "sha256:" + strings.Repeat("cd", 32)})
	argo.step(2, "approve", wfv1.NodeTypeSuspend, wfv1.NodeRunning, nil)
	eventually(t, 15*time.Second, "run at its gate", func() error {
		var r pipelines.Run
		chartCall(t, api, http.StatusOK, http.MethodGet, runPath, nil, &r)
		if r.AwaitingApproval == "" {
			return fmt.Errorf("steps %+v", r.Steps)
		}
		return nil
	})
	chartCall(t, api, http.StatusOK, http.MethodPost, runPath+"/approve", nil, nil)
	argo.step(3, "deploy", wfv1.NodeTypePod, wfv1.NodeRunning, nil)
	chartCall(t, api, http.StatusCreated, http.MethodPost, base+"/deployments",
		map[string]any{"image": "dev.local/chartrbac/chartweb@sha256:" + strings.Repeat("cd", 32), "pipelineRun": run.Name}, nil)
	argo.finish(wfv1.WorkflowSucceeded)
	var retry pipelines.Run
	eventually(t, 15*time.Second, "retry of the finished run", func() error {
		var r pipelines.Run
		chartCall(t, api, http.StatusOK, http.MethodGet, runPath, nil, &r)
		if r.Phase != "Succeeded" {
			return fmt.Errorf("phase %s", r.Phase)
		}
		return nil
	})
	// The finished run's log stream: its steps and end (no step pods exist here).
	if raw := chartCall(t, api, http.StatusOK, http.MethodGet, runPath+"/logs", nil, nil); !strings.Contains(string(raw), "event: end") {
		t.Errorf("run log stream: %s", raw)
	}
	chartCall(t, api, http.StatusCreated, http.MethodPost, runPath+"/retry", nil, &retry)
	chartCall(t, api, http.StatusOK, http.MethodPost, base+"/runs/"+retry.Name+"/cancel", nil, nil)
	var templates []runs.Template
	chartCall(t, api, http.StatusOK, http.MethodGet, "/api/v1/projects/chartrbac/pipelines/templates", nil, &templates)
	if len(templates) != 1 || !templates[0].Standard || templates[0].Namespace != names.BuildNamespace("chartrbac") {
		t.Errorf("templates %+v, want the standard one in the build namespace", templates)
	}
	var hook runs.Hook
	chartCall(t, api, http.StatusOK, http.MethodPost, base+"/pipeline/hook/rotate", nil, &hook)
	push := githubPush("main", pipelineCommit)
	eventually(t, 15*time.Second, "signed delivery accepted", func() error {
		code, raw := hookPostTo(t, api, hook.URL, push, map[string]string{"X-GitHub-Event": "push", "X-GitHub-Delivery": "chart-1",
			"X-Hub-Signature-256": hubSignature(hook.Secret, push)})
		if code != http.StatusAccepted {
			return fmt.Errorf("%d %s", code, raw)
		}
		return nil
	})
}
