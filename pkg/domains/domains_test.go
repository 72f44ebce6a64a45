package domains

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	netapi "knative.dev/networking/pkg/apis/networking"
	netv1alpha1 "knative.dev/networking/pkg/apis/networking/v1alpha1"
	netcfg "knative.dev/networking/pkg/config"
	"knative.dev/pkg/kmeta"
	pkgnet "knative.dev/pkg/network"
	"knative.dev/serving/pkg/apis/serving"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	routecfg "knative.dev/serving/pkg/reconciler/route/config"
	kndomains "knative.dev/serving/pkg/reconciler/route/domains"
	"knative.dev/serving/pkg/reconciler/route/resources/labels"
	knnames "knative.dev/serving/pkg/reconciler/service/resources/names"

	"github.com/slipway-dev/slipway/pkg/names"
)

var dev = Domains{Cluster: "dev", Base: "slipway.test", Default: "slipway.test"}

func TestShortDomain(t *testing.T) {
	tests := []struct {
		name string
		d    Domains
		want string
	}{
		{"dev", dev, "sls-dev.slipway.test"},
		{"other base", Domains{Cluster: "prod-eu1", Base: "apps.example.com", Default: "example.com"}, "sls-prod-eu1.apps.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.d.ShortDomain()); diff != "" {
				t.Errorf("ShortDomain() (-want,+got):\n%s", diff)
			}
		})
	}
}

func TestHosts(t *testing.T) {
	custom := Domains{Cluster: "prod", Base: "apps.example.com", Default: "example.com", ClusterDomain: "corp.internal"}
	tests := []struct {
		name             string
		d                Domains
		app, ns, tag     string
		s                Scheme
		appHost, tagHost string
		internal, intag  string
	}{
		{
			name: "default scheme", d: dev, app: "web", ns: "shop-prod", tag: "canary", s: SchemeDefault,
			appHost: "web.shop-prod.slipway.test", tagHost: "canary-web.shop-prod.slipway.test",
			internal: "web.shop-prod.svc.cluster.local", intag: "canary-web.shop-prod.svc.cluster.local",
		},
		{
			name: "short scheme", d: dev, app: "web", ns: "shop-prod", tag: "canary", s: SchemeShort,
			appHost: "web.sls-dev.slipway.test", tagHost: "canary-web.sls-dev.slipway.test",
			internal: "web.shop-prod.svc.cluster.local", intag: "canary-web.shop-prod.svc.cluster.local",
		},
		{
			name: "unknown scheme is the default", d: dev, app: "api", ns: "a-b", tag: "v2", s: Scheme("long"),
			appHost: "api.a-b.slipway.test", tagHost: "v2-api.a-b.slipway.test",
			internal: "api.a-b.svc.cluster.local", intag: "v2-api.a-b.svc.cluster.local",
		},
		{
			name: "custom cluster domain, default scheme", d: custom, app: "api", ns: "crm-staging", tag: "blue", s: SchemeDefault,
			appHost: "api.crm-staging.example.com", tagHost: "blue-api.crm-staging.example.com",
			internal: "api.crm-staging.svc.corp.internal", intag: "blue-api.crm-staging.svc.corp.internal",
		},
		{
			name: "custom cluster domain, short scheme", d: custom, app: "api", ns: "crm-staging", tag: "blue", s: SchemeShort,
			appHost: "api.sls-prod.apps.example.com", tagHost: "blue-api.sls-prod.apps.example.com",
			internal: "api.crm-staging.svc.corp.internal", intag: "blue-api.crm-staging.svc.corp.internal",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := []string{tt.appHost, tt.tagHost, tt.internal, tt.intag}
			got := []string{
				tt.d.AppHost(tt.app, tt.ns, tt.s),
				tt.d.TagHost(tt.tag, tt.app, tt.ns, tt.s),
				tt.d.InternalHost(tt.app, tt.ns),
				tt.d.InternalTagHost(tt.tag, tt.app, tt.ns),
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("[AppHost TagHost InternalHost InternalTagHost] (-want,+got):\n%s", diff)
			}
		})
	}
}

func TestSchemeFromLabels(t *testing.T) {
	tests := []struct {
		name   string
		labels map[string]string
		want   Scheme
	}{
		{"nil", nil, SchemeDefault},
		{"other labels", map[string]string{"app": "web"}, SchemeDefault},
		{"short", map[string]string{names.LabelDomainScheme: "short"}, SchemeShort},
		{"unknown value", map[string]string{names.LabelDomainScheme: "Short"}, SchemeDefault},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, SchemeFromLabels(tt.labels)); diff != "" {
				t.Errorf("SchemeFromLabels (-want,+got):\n%s", diff)
			}
		})
	}
}

func TestRenderedConfig(t *testing.T) {
	wantNetwork := map[string]string{
		"domain-template": `{{if eq (index .Labels "slipway.dev/domain-scheme") "short"}}{{.Name}}.{{.Domain}}{{else}}{{.Name}}.{{.Namespace}}.{{.Domain}}{{end}}`,
	}
	if diff := cmp.Diff(wantNetwork, ConfigNetwork()); diff != "" {
		t.Errorf("ConfigNetwork() (-want,+got):\n%s", diff)
	}
	if diff := cmp.Diff(netcfg.DomainTemplateKey, DomainTemplateKey); diff != "" {
		t.Errorf("DomainTemplateKey (-want,+got):\n%s", diff)
	}
	wantDomain := map[string]string{
		"slipway.test":         "",
		"sls-dev.slipway.test": "selector:\n  slipway.dev/domain-scheme: \"short\"\n",
	}
	if diff := cmp.Diff(wantDomain, dev.ConfigDomain()); diff != "" {
		t.Errorf("ConfigDomain() (-want,+got):\n%s", diff)
	}
}

// TestKnativeAcceptsConfig feeds the rendered ConfigMap data to Knative's own
// parsers.
func TestKnativeAcceptsConfig(t *testing.T) {
	nc, err := netcfg.NewConfigFromMap(ConfigNetwork())
	if err != nil {
		t.Fatalf("netcfg.NewConfigFromMap(ConfigNetwork()): %v", err)
	}
	type templates struct{ Domain, Tag string }
	if diff := cmp.Diff(templates{DomainTemplate, netcfg.DefaultTagTemplate}, templates{nc.DomainTemplate, nc.TagTemplate}); diff != "" {
		t.Errorf("parsed templates (-want,+got):\n%s", diff)
	}

	tests := []struct {
		name string
		d    Domains
	}{
		{"dev", dev},
		{"prod", Domains{Cluster: "prod", Base: "apps.example.com", Default: "example.com", ClusterDomain: "corp.internal"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dom, err := routecfg.NewDomainFromConfigMap(&corev1.ConfigMap{Data: tt.d.ConfigDomain()})
			if err != nil {
				t.Fatalf("NewDomainFromConfigMap(ConfigDomain()): %v", err)
			}
			want := &routecfg.Domain{Domains: map[string]routecfg.DomainConfig{
				tt.d.Default: {Selector: &routecfg.LabelSelector{}, Type: routecfg.DomainTypeWildcard},
				tt.d.ShortDomain(): {Selector: &routecfg.LabelSelector{
					Selector: map[string]string{names.LabelDomainScheme: string(SchemeShort)},
				}},
			}}
			if diff := cmp.Diff(want, dom); diff != "" {
				t.Errorf("parsed config-domain (-want,+got):\n%s", diff)
			}
		})
	}
}

// knativeCtx returns a context carrying the route reconciler configuration
// Knative builds from the given config-domain and config-network data.
func knativeCtx(t *testing.T, domainData, networkData map[string]string) context.Context {
	t.Helper()
	nc, err := netcfg.NewConfigFromMap(networkData)
	if err != nil {
		t.Fatalf("netcfg.NewConfigFromMap: %v", err)
	}
	dom, err := routecfg.NewDomainFromConfigMap(&corev1.ConfigMap{Data: domainData})
	if err != nil {
		t.Fatalf("NewDomainFromConfigMap: %v", err)
	}
	return routecfg.ToContext(context.Background(), &routecfg.Config{Domain: dom, Network: nc})
}

// knativeRoute is the Route metadata Knative's service reconciler makes for
// the Knative Service {app} in ns with the given labels. It mirrors
// knative.dev/serving/pkg/reconciler/service/resources.MakeRoute (which this
// module cannot import without new go.sum entries): same name, namespace, and
// the Service's labels plus serving.knative.dev/service.
func knativeRoute(app, ns string, lbls map[string]string) *servingv1.Route {
	svc := &servingv1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: app, Namespace: ns, Labels: lbls},
	}
	return &servingv1.Route{ObjectMeta: metav1.ObjectMeta{
		Name:      knnames.Route(svc),
		Namespace: svc.Namespace,
		Labels: kmeta.UnionMaps(svc.GetLabels(), map[string]string{
			serving.ServiceLabelKey: svc.Name,
		}),
	}}
}

// knativeHost mirrors Knative's route reconciler (traffic.computeURL and
// updateRouteStatusURL): tag template, visibility label, domain template.
func knativeHost(t *testing.T, ctx context.Context, r *servingv1.Route, tag string, clusterLocal bool) string {
	t.Helper()
	meta := r.ObjectMeta.DeepCopy()
	hostname, err := kndomains.HostnameFromTemplate(ctx, meta.Name, tag)
	if err != nil {
		t.Fatalf("HostnameFromTemplate(%q, %q): %v", meta.Name, tag, err)
	}
	labels.SetVisibility(meta, clusterLocal)
	host, err := kndomains.DomainNameFromTemplate(ctx, *meta, hostname)
	if err != nil {
		t.Fatalf("DomainNameFromTemplate(%q): %v", hostname, err)
	}
	return host
}

// TestCrossCheckKnative proves that Slipway computes the hosts Knative itself
// computes from the rendered configuration, for both schemes, apps and tags,
// external and cluster-local.
func TestCrossCheckKnative(t *testing.T) {
	// Knative's cluster-local domain is svc.{pkgnet.GetClusterDomainName()}
	// (CLUSTER_DOMAIN or /etc/resolv.conf, "cluster.local" by default); use
	// the same in Slipway's Domains.
	cd := pkgnet.GetClusterDomainName()
	tests := []struct {
		name   string
		d      Domains
		app    string
		ns     string
		tags   []string
		labels map[string]string
		scheme Scheme
	}{
		{name: "no label", d: dev, app: "web", ns: "shop-prod", tags: []string{"canary", "v2"},
			labels: map[string]string{"app.kubernetes.io/name": "web"}, scheme: SchemeDefault},
		{name: "nil labels", d: dev, app: "web", ns: "shop-prod", tags: []string{"canary"},
			labels: nil, scheme: SchemeDefault},
		{name: "short", d: dev, app: "web", ns: "shop-prod", tags: []string{"canary", "v2"},
			labels: map[string]string{names.LabelDomainScheme: string(SchemeShort), "app.kubernetes.io/name": "web"}, scheme: SchemeShort},
		{name: "unknown label value", d: dev, app: "web", ns: "shop-prod", tags: []string{"canary"},
			labels: map[string]string{names.LabelDomainScheme: "long"}, scheme: SchemeDefault},
		{name: "empty label value", d: dev, app: "web", ns: "shop-prod", tags: []string{"canary"},
			labels: map[string]string{names.LabelDomainScheme: ""}, scheme: SchemeDefault},
		{name: "other domains, short", d: Domains{Cluster: "prod-eu1", Base: "apps.example.com", Default: "example.com"},
			app: "billing-api", ns: "crm-staging", tags: []string{"blue"},
			labels: map[string]string{names.LabelDomainScheme: string(SchemeShort)}, scheme: SchemeShort},
		{name: "other domains, default", d: Domains{Cluster: "prod-eu1", Base: "apps.example.com", Default: "example.com"},
			app: "billing-api", ns: "crm-staging", tags: []string{"blue"}, scheme: SchemeDefault},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.d
			d.ClusterDomain = cd
			ctx := knativeCtx(t, d.ConfigDomain(), ConfigNetwork())
			r := knativeRoute(tt.app, tt.ns, tt.labels)

			if diff := cmp.Diff(tt.scheme, SchemeFromLabels(r.Labels)); diff != "" {
				t.Errorf("SchemeFromLabels(route labels) (-want,+got):\n%s", diff)
			}
			wantDomain := d.Default
			if tt.scheme == SchemeShort {
				wantDomain = d.ShortDomain()
			}
			if diff := cmp.Diff(wantDomain, routecfg.FromContext(ctx).Domain.LookupDomainForLabels(r.Labels)); diff != "" {
				t.Errorf("LookupDomainForLabels (-want,+got):\n%s", diff)
			}

			// Main route URL, external and cluster-local.
			if diff := cmp.Diff(d.AppHost(tt.app, tt.ns, tt.scheme), knativeHost(t, ctx, r, "", false)); diff != "" {
				t.Errorf("external app host (-want Slipway,+got Knative):\n%s", diff)
			}
			if diff := cmp.Diff(d.InternalHost(tt.app, tt.ns), knativeHost(t, ctx, r, "", true)); diff != "" {
				t.Errorf("cluster-local app host (-want Slipway,+got Knative):\n%s", diff)
			}

			// Tag URLs, external and cluster-local.
			for _, tag := range tt.tags {
				if diff := cmp.Diff(d.TagHost(tag, tt.app, tt.ns, tt.scheme), knativeHost(t, ctx, r, tag, false)); diff != "" {
					t.Errorf("external host of tag %q (-want Slipway,+got Knative):\n%s", tag, diff)
				}
				if diff := cmp.Diff(d.InternalTagHost(tag, tt.app, tt.ns), knativeHost(t, ctx, r, tag, true)); diff != "" {
					t.Errorf("cluster-local host of tag %q (-want Slipway,+got Knative):\n%s", tag, diff)
				}
			}

			// The ingress path: GetDomainsForVisibility for each target.
			for _, target := range append([]string{""}, tt.tags...) {
				wantExt, wantLocal := d.AppHost(tt.app, tt.ns, tt.scheme), d.InternalHost(tt.app, tt.ns)
				if target != "" {
					wantExt, wantLocal = d.TagHost(target, tt.app, tt.ns, tt.scheme), d.InternalTagHost(target, tt.app, tt.ns)
				}
				ext, err := kndomains.GetDomainsForVisibility(ctx, target, r, netv1alpha1.IngressVisibilityExternalIP)
				if err != nil {
					t.Fatalf("GetDomainsForVisibility(%q, external): %v", target, err)
				}
				local, err := kndomains.GetDomainsForVisibility(ctx, target, r, netv1alpha1.IngressVisibilityClusterLocal)
				if err != nil {
					t.Fatalf("GetDomainsForVisibility(%q, cluster-local): %v", target, err)
				}
				if diff := cmp.Diff([]string{wantExt, wantLocal}, []string{ext.Primary, local.Primary}); diff != "" {
					t.Errorf("GetDomainsForVisibility(%q) [external cluster-local] (-want Slipway,+got Knative):\n%s", target, diff)
				}
			}

			// GetAllDomainsAndTags with every target external.
			names := append([]string{""}, tt.tags...)
			got, err := kndomains.GetAllDomainsAndTags(ctx, r, names, map[string]netv1alpha1.IngressVisibility{})
			if err != nil {
				t.Fatalf("GetAllDomainsAndTags: %v", err)
			}
			want := map[string]string{d.AppHost(tt.app, tt.ns, tt.scheme): ""}
			for _, tag := range tt.tags {
				want[d.TagHost(tag, tt.app, tt.ns, tt.scheme)] = tag
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("GetAllDomainsAndTags (-want Slipway,+got Knative):\n%s", diff)
			}
		})
	}
}

// TestCrossCheckClusterLocalService covers a Service labelled cluster-local
// (networking.knative.dev/visibility=cluster-local), with and without the
// short scheme: Knative ignores the domain-template and config-domain.
func TestCrossCheckClusterLocalService(t *testing.T) {
	d := dev
	d.ClusterDomain = pkgnet.GetClusterDomainName()
	ctx := knativeCtx(t, d.ConfigDomain(), ConfigNetwork())
	tests := []struct {
		name   string
		labels map[string]string
	}{
		{"default scheme", map[string]string{netapi.VisibilityLabelKey: serving.VisibilityClusterLocal}},
		{"short scheme", map[string]string{netapi.VisibilityLabelKey: serving.VisibilityClusterLocal, names.LabelDomainScheme: string(SchemeShort)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := knativeRoute("worker", "jobs-dev", tt.labels)
			host, err := kndomains.DomainNameFromTemplate(ctx, r.ObjectMeta, r.Name)
			if err != nil {
				t.Fatalf("DomainNameFromTemplate: %v", err)
			}
			tagName, err := kndomains.HostnameFromTemplate(ctx, r.Name, "v2")
			if err != nil {
				t.Fatalf("HostnameFromTemplate: %v", err)
			}
			tagHost, err := kndomains.DomainNameFromTemplate(ctx, r.ObjectMeta, tagName)
			if err != nil {
				t.Fatalf("DomainNameFromTemplate(tag): %v", err)
			}
			want := []string{d.InternalHost("worker", "jobs-dev"), d.InternalTagHost("v2", "worker", "jobs-dev")}
			if diff := cmp.Diff(want, []string{host, tagHost}); diff != "" {
				t.Errorf("cluster-local hosts (-want Slipway,+got Knative):\n%s", diff)
			}
			if !kndomains.IsClusterLocal(host) {
				t.Errorf("Knative does not consider %q cluster-local", host)
			}
		})
	}
}

// TestExistingServicesUnaffected checks that, for a Service without the label,
// Slipway's configuration yields the same hosts as Knative's stock
// configuration (default domain-template, config-domain with only the
// default domain): {name}.{namespace}.{domain}.
func TestExistingServicesUnaffected(t *testing.T) {
	stock := knativeCtx(t, map[string]string{dev.Default: ""}, nil)
	slipway := knativeCtx(t, dev.ConfigDomain(), ConfigNetwork())
	tests := []struct {
		name, app, ns, tag string
		labels             map[string]string
	}{
		{name: "plain", app: "web", ns: "shop-prod"},
		{name: "tag", app: "web", ns: "shop-prod", tag: "canary"},
		{name: "unrelated labels", app: "legacy", ns: "default", labels: map[string]string{"team": "core"}},
		{name: "unrelated labels, tag", app: "legacy", ns: "default", tag: "v1", labels: map[string]string{"team": "core"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := knativeRoute(tt.app, tt.ns, tt.labels)
			want := tt.app + "." + tt.ns + "." + dev.Default
			if tt.tag != "" {
				want = tt.tag + "-" + want
			}
			got := []string{knativeHost(t, stock, r, tt.tag, false), knativeHost(t, slipway, r, tt.tag, false)}
			if diff := cmp.Diff([]string{want, want}, got); diff != "" {
				t.Errorf("[stock Knative, Slipway config] hosts (-want,+got):\n%s", diff)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		d       Domains
		wantErr []string // substrings of the error; nil means valid
	}{
		{name: "dev", d: dev},
		{name: "cluster domain set", d: Domains{Cluster: "prod-eu1", Base: "apps.example.com", Default: "example.com", ClusterDomain: "corp.internal"}},
		{name: "empty", d: Domains{}, wantErr: []string{"cluster: must not be empty", "base: must not be empty", "default: must not be empty"}},
		{name: "upper-case cluster", d: Domains{Cluster: "Dev", Base: "slipway.test", Default: "slipway.test"}, wantErr: []string{`cluster "Dev"`}},
		{name: "dotted cluster", d: Domains{Cluster: "a.b", Base: "slipway.test", Default: "slipway.test"}, wantErr: []string{`cluster "a.b"`}},
		{name: "cluster too long with prefix", d: Domains{Cluster: strings.Repeat("c", 60), Base: "slipway.test", Default: "slipway.test"}, wantErr: []string{`label "sls-ccc`}},
		{name: "bad base", d: Domains{Cluster: "dev", Base: "-slipway.test", Default: "slipway.test"}, wantErr: []string{`base "-slipway.test"`}},
		{name: "base with underscore", d: Domains{Cluster: "dev", Base: "slip_way.test", Default: "slipway.test"}, wantErr: []string{`base "slip_way.test"`}},
		{name: "base label too long", d: Domains{Cluster: "dev", Base: strings.Repeat("b", 64) + ".test", Default: "slipway.test"}, wantErr: []string{"base", "label"}},
		{name: "bad default", d: Domains{Cluster: "dev", Base: "slipway.test", Default: "Slipway.Test"}, wantErr: []string{`default "Slipway.Test"`}},
		{name: "bad cluster domain", d: Domains{Cluster: "dev", Base: "slipway.test", Default: "slipway.test", ClusterDomain: "cluster..local"}, wantErr: []string{`cluster domain "cluster..local"`}},
		{name: "default equals short", d: Domains{Cluster: "dev", Base: "slipway.test", Default: "sls-dev.slipway.test"}, wantErr: []string{"must differ"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.d.Validate()
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want error containing %q", tt.wantErr)
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("Validate() = %q, want it to contain %q", err, s)
				}
			}
		})
	}
}
