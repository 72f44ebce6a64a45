// Package domains computes the hosts under which Knative serves a Slipway app
// and renders the Knative configuration that makes Knative agree.
//
// Every app runs as a Knative Service named {app} in namespace
// {project}-{env}. Knative's default host is {name}.{namespace}.{domain}
// (config-network "domain-template" = "{{.Name}}.{{.Namespace}}.{{.Domain}}",
// tags via "tag-template" = "{{.Tag}}-{{.Name}}"). Apps that opt in to the short
// scheme, by carrying the label LabelScheme=SchemeShort on their Service
// (Knative copies Service labels onto the Route), are served at
// {app}.sls-{cluster}.{base} instead:
//
//   - config-domain (ConfigDomain) maps sls-{cluster}.{base} to the label
//     selector {LabelScheme: SchemeShort} and keeps the default domain as the
//     entry with an empty value;
//   - config-network (ConfigNetwork) sets a domain-template that drops the
//     namespace only when the Route carries that label; for every other Route
//     it renders exactly Knative's default template, so existing Services keep
//     {name}.{namespace}.{domain}.
//
// Cluster-local Routes ignore both: Knative always gives them the domain
// svc.{cluster-domain} and its built-in default template, i.e.
// {name}.{namespace}.svc.{cluster-domain}.
package domains

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/slipway-dev/slipway/pkg/names"
)

// Scheme is a domain scheme: the value of names.LabelDomainScheme.
type Scheme string

const (
	// SchemeDefault is Knative's {name}.{namespace}.{domain}. It is what a
	// Service without the label (or with any value other than SchemeShort)
	// gets.
	SchemeDefault Scheme = ""
	// SchemeShort is {name}.sls-{cluster}.{base}.
	SchemeShort Scheme = "short"
)

// SchemeFromLabels returns the scheme Knative will apply to a Service or Route
// with the given labels: SchemeShort only for the exact label value.
func SchemeFromLabels(labels map[string]string) Scheme {
	if Scheme(labels[names.LabelDomainScheme]) == SchemeShort {
		return SchemeShort
	}
	return SchemeDefault
}

// DefaultClusterDomain is the Kubernetes cluster domain used when
// Domains.ClusterDomain is empty.
const DefaultClusterDomain = "cluster.local"

// DomainTemplateKey is the config-network key Slipway sets (the same as
// knative.dev/networking/pkg/config.DomainTemplateKey).
const DomainTemplateKey = "domain-template"

// DomainTemplate is the config-network domain-template: the short form
// {{.Name}}.{{.Domain}} when the Route carries LabelScheme=SchemeShort, and
// otherwise Knative's default {{.Name}}.{{.Namespace}}.{{.Domain}}.
//
// Knative evaluates it with networking's DomainTemplateValues (Name,
// Namespace, Domain, Annotations, Labels); Labels are the Route's labels and
// may be nil, for which index yields "".
const DomainTemplate = `{{if eq (index .Labels ` + `"` + names.LabelDomainScheme + `"` + `) ` +
	`"` + string(SchemeShort) + `"` + `}}{{.Name}}.{{.Domain}}` +
	`{{else}}{{.Name}}.{{.Namespace}}.{{.Domain}}{{end}}`

// Domains describes the domains of one cluster.
// It is the domains section of platform-api's configuration; Cluster comes from the file's
// top-level cluster name.
type Domains struct {
	Cluster       string `json:"-"`             // cluster name, e.g. "dev"
	Base          string `json:"base"`          // base of the short domain, e.g. "slipway.test" -> sls-dev.slipway.test
	Default       string `json:"default"`       // Knative's default domain, e.g. "slipway.test"
	ClusterDomain string `json:"clusterDomain"` // Kubernetes cluster domain; DefaultClusterDomain when empty
}

// ShortDomain returns "sls-{cluster}.{base}".
func (d Domains) ShortDomain() string {
	return "sls-" + d.Cluster + "." + d.Base
}

func (d Domains) clusterDomain() string {
	if d.ClusterDomain == "" {
		return DefaultClusterDomain
	}
	return d.ClusterDomain
}

// host renders what Knative's domain-template yields for the Route name
// (the app, or the tag template's output for a tag).
func (d Domains) host(name, namespace string, s Scheme) string {
	if s == SchemeShort {
		return name + "." + d.ShortDomain()
	}
	return name + "." + namespace + "." + d.Default
}

// tagName renders Knative's default tag-template {{.Tag}}-{{.Name}}.
func tagName(tag, app string) string {
	return tag + "-" + app
}

// AppHost returns the external host of app in namespace under scheme s:
// {app}.sls-{cluster}.{base} for SchemeShort, {app}.{namespace}.{default}
// otherwise.
func (d Domains) AppHost(app, namespace string, s Scheme) string {
	return d.host(app, namespace, s)
}

// TagHost returns the external host of a traffic tag of app:
// {tag}-{app}.sls-{cluster}.{base} for SchemeShort,
// {tag}-{app}.{namespace}.{default} otherwise.
func (d Domains) TagHost(tag, app, namespace string, s Scheme) string {
	return d.host(tagName(tag, app), namespace, s)
}

// InternalHost returns the cluster-local host of app:
// {app}.{namespace}.svc.{cluster-domain}, whatever the scheme.
func (d Domains) InternalHost(app, namespace string) string {
	return app + "." + namespace + ".svc." + d.clusterDomain()
}

// InternalTagHost returns the cluster-local host of a tag of app:
// {tag}-{app}.{namespace}.svc.{cluster-domain}, whatever the scheme.
func (d Domains) InternalTagHost(tag, app, namespace string) string {
	return tagName(tag, app) + "." + namespace + ".svc." + d.clusterDomain()
}

// ConfigDomain returns the data of knative-serving/config-domain: the short
// domain selected by LabelScheme=SchemeShort, and Default as the default
// domain (empty value). It replaces the whole ConfigMap data.
func (d Domains) ConfigDomain() map[string]string {
	return map[string]string{
		d.Default: "",
		d.ShortDomain(): "selector:\n  " + names.LabelDomainScheme + ": " +
			strconv.Quote(string(SchemeShort)) + "\n",
	}
}

// ConfigNetwork returns the knative-serving/config-network keys Slipway sets:
// only domain-template. Other keys (tag-template included) keep Knative's
// defaults or whatever the cluster configures.
func ConfigNetwork() map[string]string {
	return map[string]string{DomainTemplateKey: DomainTemplate}
}

// Validate checks that every piece is set and a valid DNS name, and that the
// short and default domains differ.
func (d Domains) Validate() error {
	var errs []error
	if d.Cluster == "" {
		errs = append(errs, errors.New("cluster: must not be empty"))
	} else if msgs := validation.IsDNS1123Label(d.Cluster); len(msgs) > 0 {
		errs = append(errs, fmt.Errorf("cluster %q: %s", d.Cluster, strings.Join(msgs, "; ")))
	} else if msgs := validation.IsDNS1123Label("sls-" + d.Cluster); len(msgs) > 0 {
		errs = append(errs, fmt.Errorf("cluster %q: label %q: %s", d.Cluster, "sls-"+d.Cluster, strings.Join(msgs, "; ")))
	}
	errs = append(errs, checkDomain("base", d.Base, true))
	errs = append(errs, checkDomain("default", d.Default, true))
	errs = append(errs, checkDomain("cluster domain", d.ClusterDomain, false))
	if d.Cluster != "" && d.Base != "" {
		errs = append(errs, checkDomain("short domain", d.ShortDomain(), true))
		if d.ShortDomain() == d.Default {
			errs = append(errs, fmt.Errorf("short domain %q: must differ from the default domain", d.ShortDomain()))
		}
	}
	return errors.Join(errs...)
}

// checkDomain checks that v is a DNS-1123 subdomain made of DNS-1123 labels.
func checkDomain(what, v string, required bool) error {
	if v == "" {
		if required {
			return fmt.Errorf("%s: must not be empty", what)
		}
		return nil
	}
	if msgs := validation.IsDNS1123Subdomain(v); len(msgs) > 0 {
		return fmt.Errorf("%s %q: %s", what, v, strings.Join(msgs, "; "))
	}
	for label := range strings.SplitSeq(v, ".") {
		if msgs := validation.IsDNS1123Label(label); len(msgs) > 0 {
			return fmt.Errorf("%s %q: label %q: %s", what, v, label, strings.Join(msgs, "; "))
		}
	}
	return nil
}
