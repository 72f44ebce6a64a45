// Package podsecurity is what Slipway asks of the pods in the namespaces it creates: the Pod
// Security admission labels of environment and build namespaces, and the
// ValidatingAdmissionPolicy (in-tree CEL, no webhook) that enforces the restricted profile
// in environment namespaces, less one thing: the pod-mutator's log volume.
//
// Why not Pod Security admission's own enforce label on environment namespaces: it judges a
// pod after mutation, and the hostPath volume the pod-mutator adds for log files
// (logging.Mutate) is forbidden by baseline and restricted alike. So environment namespaces
// carry warn and audit at restricted (users see what the profile thinks; the audit log
// records it) and the Policy enforces the restricted rules with exactly one hostPath
// admitted: {hostRoot}/{namespace}/{app}, named and typed as Mutate writes it.
//
// Build namespaces run rootless BuildKit, which needs seccompProfile and appArmorProfile
// Unconfined: baseline forbids both, so the least level that lets it run is privileged.
// Only platform-api writes Workflows there; warn at baseline shows anything beyond that.
//
// Everything here is pure.
package podsecurity

import (
	"fmt"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/slipway-dev/slipway/pkg/logging"
	"github.com/slipway-dev/slipway/pkg/names"
)

// Pod Security admission's namespace labels (pod-security.kubernetes.io/{mode}[-version]).
const (
	labelPrefix  = "pod-security.kubernetes.io/"
	LabelEnforce = labelPrefix + "enforce"
	LabelWarn    = labelPrefix + "warn"
	LabelAudit   = labelPrefix + "audit"
	// Versions: "latest", so a cluster upgrade brings the profile's newest rules.
	LabelEnforceVersion = LabelEnforce + "-version"
	LabelWarnVersion    = LabelWarn + "-version"
	LabelAuditVersion   = LabelAudit + "-version"
	latest              = "latest"
)

// EnvNamespaceLabels are the Pod Security labels of an environment namespace: warn and audit
// at restricted, no enforce (the Policy enforces; see the package documentation).
func EnvNamespaceLabels() map[string]string {
	return map[string]string{
		LabelWarn: "restricted", LabelWarnVersion: latest,
		LabelAudit: "restricted", LabelAuditVersion: latest,
	}
}

// BuildNamespaceLabels are the Pod Security labels of a build namespace: enforce privileged,
// the least level rootless BuildKit runs at (baseline forbids its Unconfined seccomp and
// AppArmor profiles); warn and audit at baseline say what goes beyond baseline.
func BuildNamespaceLabels() map[string]string {
	return map[string]string{
		LabelEnforce: "privileged", LabelEnforceVersion: latest,
		LabelWarn: "baseline", LabelWarnVersion: latest,
		LabelAudit: "baseline", LabelAuditVersion: latest,
	}
}

// Binding binds the Policy to every namespace with the environment label, denying (and
// auditing) what it refuses.
func Binding() *admissionregistrationv1.ValidatingAdmissionPolicyBinding {
	return &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingAdmissionPolicyBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: names.PodSecurityPolicyBinding, Labels: managedLabels()},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName: names.PodSecurityPolicy,
			MatchResources: &admissionregistrationv1.MatchResources{
				NamespaceSelector: envNamespaces(),
			},
			ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny, admissionregistrationv1.Audit},
		},
	}
}

func envNamespaces() *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: names.LabelEnv, Operator: metav1.LabelSelectorOpExists}}}
}

func managedLabels() map[string]string {
	return map[string]string{names.LabelManagedBy: names.ManagedBy}
}

// Policy is the restricted profile (Pod Security Standards, latest) as CEL, for pods
// created, and pods whose spec changes (ephemeral containers), in environment namespaces.
// The one exception is logging's volume: a hostPath named logging.VolumeName, type
// DirectoryOrCreate, at exactly {cfg.HostRoot}/{namespace}/{app}, with the namespace from
// the admission request and app from Knative's service label (a DNS-1123 label, so it
// cannot climb out of the namespace's directory), on a pod that opted in to log collection
// — what logging.Mutate writes and nothing wider. The host root is a variable, so the chart
// renders the same validations with its own.
//
// Stricter than the profile in one respect: pods in a user namespace (hostUsers: false) get
// no relaxation of runAsNonRoot, runAsUser and procMount.
func Policy(cfg logging.Config) *admissionregistrationv1.ValidatingAdmissionPolicy {
	return &admissionregistrationv1.ValidatingAdmissionPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingAdmissionPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: names.PodSecurityPolicy, Labels: managedLabels()},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: ptr.To(admissionregistrationv1.Fail),
			MatchConstraints: &admissionregistrationv1.MatchResources{
				NamespaceSelector: envNamespaces(),
				ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
					RuleWithOperations: admissionregistrationv1.RuleWithOperations{
						Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
						Rule: admissionregistrationv1.Rule{
							APIGroups: []string{""}, APIVersions: []string{"v1"},
							Resources: []string{"pods", "pods/ephemeralcontainers"},
						},
					},
				}},
			},
			MatchConditions: MatchConditions(),
			Variables:       append([]admissionregistrationv1.Variable{{Name: VarHostRoot, Expression: CELString(cfg.HostRoot)}}, Variables()...),
			Validations:     Validations(),
		},
	}
}

// MatchConditions: as Pod Security admission does, an update that leaves the spec alone
// (labels, annotations) is not judged again.
func MatchConditions() []admissionregistrationv1.MatchCondition {
	return []admissionregistrationv1.MatchCondition{{
		Name:       "spec-created-or-changed",
		Expression: "request.operation == 'CREATE' || object.spec != oldObject.spec",
	}}
}

// VarHostRoot is the Policy's variable holding logging's host root.
const VarHostRoot = "hostRoot"

// CELString is s as a CEL string literal.
func CELString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`).Replace(s) + "'"
}

// containerLists are the pod's three kinds of container, each judged alike.
var containerLists = []string{"containers", "initContainers", "ephemeralContainers"}

// containerCheck is one rule judged on every container c of every list.
type containerCheck struct {
	// bad is a CEL predicate on c (a container) and the Policy's variables.
	bad string
	// must says what a container must do, after "containers a, b must".
	must string
}

// sc(field) is "c has securityContext.field".
func sc(f string) string { return "has(c.securityContext) && has(c.securityContext." + f + ")" }

var containerChecks = []containerCheck{
	{bad: sc("privileged") + " && c.securityContext.privileged",
		must: "not set securityContext.privileged to true"},
	{bad: "!(" + sc("allowPrivilegeEscalation") + " && c.securityContext.allowPrivilegeEscalation == false)",
		must: "set securityContext.allowPrivilegeEscalation to false"},
	{bad: "!(" + sc("capabilities") + " && has(c.securityContext.capabilities.drop) && c.securityContext.capabilities.drop.exists(d, d == 'ALL'))",
		must: "set securityContext.capabilities.drop to include \"ALL\""},
	{bad: sc("capabilities") + " && has(c.securityContext.capabilities.add) && c.securityContext.capabilities.add.exists(a, a != 'NET_BIND_SERVICE')",
		must: "not add capabilities other than \"NET_BIND_SERVICE\" (securityContext.capabilities.add)"},
	{bad: sc("runAsNonRoot") + " ? !c.securityContext.runAsNonRoot : !variables.podRunAsNonRoot",
		must: "set securityContext.runAsNonRoot to true (on the container or the pod)"},
	{bad: sc("runAsUser") + " && c.securityContext.runAsUser == 0",
		must: "not set securityContext.runAsUser to 0"},
	{bad: sc("seccompProfile") + " ? !(c.securityContext.seccompProfile.type in ['RuntimeDefault', 'Localhost']) : !variables.podSeccomp",
		must: "set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\" (on the container or the pod)"},
	{bad: sc("appArmorProfile") + " && !(c.securityContext.appArmorProfile.type in ['RuntimeDefault', 'Localhost'])",
		must: "set securityContext.appArmorProfile.type to \"RuntimeDefault\" or \"Localhost\", or leave it unset"},
	{bad: sc("seLinuxOptions") + " && " + badSELinux("c.securityContext.seLinuxOptions"),
		must: "set securityContext.seLinuxOptions.type only to " + selinuxTypesText + ", and not set its user or role"},
	{bad: sc("procMount") + " && c.securityContext.procMount != 'Default'",
		must: "not set securityContext.procMount other than to \"Default\""},
	{bad: sc("windowsOptions") + " && has(c.securityContext.windowsOptions.hostProcess) && c.securityContext.windowsOptions.hostProcess",
		must: "not set securityContext.windowsOptions.hostProcess to true"},
	{bad: "has(c.ports) && c.ports.exists(p, has(p.hostPort) && p.hostPort != 0)",
		must: "not set ports[*].hostPort"},
	{bad: hostSet("c", "livenessProbe") + " || " + hostSet("c", "readinessProbe") + " || " + hostSet("c", "startupProbe") + " || " +
		"(has(c.lifecycle) && (" + hostSet("c.lifecycle", "postStart") + " || " + hostSet("c.lifecycle", "preStop") + "))",
		must: "not set a host in probes or lifecycle handlers (httpGet.host, tcpSocket.host)"},
}

// hostSet is "o.handler is set and names a host" (a probe or lifecycle handler).
func hostSet(o, handler string) string {
	h := o + "." + handler
	return "(has(" + h + ") && ((has(" + h + ".httpGet) && has(" + h + ".httpGet.host) && " + h + ".httpGet.host != '') || " +
		"(has(" + h + ".tcpSocket) && has(" + h + ".tcpSocket.host) && " + h + ".tcpSocket.host != '')))"
}

// Variables are what several rules read: whether the pod's own security context makes
// containers non-root or sets an allowed seccomp profile, the app's name (Knative's label)
// and whether the pod opted in to log collection.
func Variables() []admissionregistrationv1.Variable {
	label := func(key string) string {
		return "has(object.metadata.labels) && " + CELString(key) + " in object.metadata.labels ? object.metadata.labels[" + CELString(key) + "] : ''"
	}
	return []admissionregistrationv1.Variable{
		{Name: "podRunAsNonRoot", Expression: podSC("runAsNonRoot") + " && object.spec.securityContext.runAsNonRoot"},
		{Name: "podSeccomp", Expression: podSC("seccompProfile") + " && object.spec.securityContext.seccompProfile.type in ['RuntimeDefault', 'Localhost']"},
		{Name: "app", Expression: label(logging.LabelKnativeService)},
		{Name: "logCollect", Expression: "(" + label(names.LabelLogCollect) + ") == 'true'"},
	}
}

// podSC(field) is "the pod has spec.securityContext.field".
func podSC(f string) string {
	return "has(object.spec.securityContext) && has(object.spec.securityContext." + f + ")"
}

// SELinux types the profile allows (an empty type is allowed too).
const (
	selinuxTypes     = "['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']"
	selinuxTypesText = `"container_t", "container_init_t", "container_kvm_t" or "container_engine_t"`
)

func badSELinux(o string) string {
	return "((has(" + o + ".type) && !(" + o + ".type in " + selinuxTypes + ")) || (has(" + o + ".user) && " + o + ".user != '') || (has(" + o + ".role) && " + o + ".role != ''))"
}

// Sysctls the profile allows.
var safeSysctls = []string{
	"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_local_reserved_ports",
	"net.ipv4.ip_unprivileged_port_start", "net.ipv4.ping_group_range", "net.ipv4.tcp_fin_timeout",
	"net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_keepalive_time",
	"net.ipv4.tcp_rmem", "net.ipv4.tcp_syncookies", "net.ipv4.tcp_wmem",
}

// Volume types the profile allows.
var restrictedVolumes = []string{"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image", "persistentVolumeClaim", "projected", "secret"}

func celList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = CELString(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// logVolume is a CEL predicate on v: the pod-mutator's volume, where it puts it. The
// namespace is the request's; the app must be a DNS-1123 label, so no value climbs out of
// the namespace's directory.
func logVolume() string {
	return "v.name == " + CELString(logging.VolumeName) +
		" && has(v.hostPath) && has(v.hostPath.type) && v.hostPath.type == 'DirectoryOrCreate'" +
		" && variables.logCollect && variables.app.matches('^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$')" +
		" && v.hostPath.path == variables." + VarHostRoot + " + '/' + namespaceObject.metadata.name + '/' + variables.app"
}

// Validations are the Policy's rules, each with a message naming the field and, where it
// is a container's, the containers.
func Validations() []admissionregistrationv1.Validation {
	var out []admissionregistrationv1.Validation
	pod := func(expr, msg string) {
		out = append(out, admissionregistrationv1.Validation{
			Expression: expr, Message: msg, Reason: ptr.To(metav1.StatusReasonForbidden),
		})
	}
	pod("!(has(object.spec.hostNetwork) && object.spec.hostNetwork) && !(has(object.spec.hostPID) && object.spec.hostPID) && !(has(object.spec.hostIPC) && object.spec.hostIPC)",
		"pod must not set spec.hostNetwork, spec.hostPID or spec.hostIPC to true")
	const psc = "object.spec.securityContext"
	notSet := func(f string) string { return "!(" + podSC(f) + ") || " }
	pod(notSet("runAsNonRoot")+psc+".runAsNonRoot",
		"pod must not set spec.securityContext.runAsNonRoot to false")
	pod(notSet("runAsUser")+psc+".runAsUser != 0",
		"pod must not set spec.securityContext.runAsUser to 0")
	pod(notSet("seccompProfile")+psc+".seccompProfile.type in ['RuntimeDefault', 'Localhost']",
		`pod must set spec.securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost", or leave it unset`)
	pod(notSet("appArmorProfile")+psc+".appArmorProfile.type in ['RuntimeDefault', 'Localhost']",
		`pod must set spec.securityContext.appArmorProfile.type to "RuntimeDefault" or "Localhost", or leave it unset`)
	pod(notSet("seLinuxOptions")+"!"+badSELinux(psc+".seLinuxOptions"),
		"pod must set spec.securityContext.seLinuxOptions.type only to "+selinuxTypesText+", and not set its user or role")
	pod(notSet("windowsOptions")+"!has("+psc+".windowsOptions.hostProcess) || !"+psc+".windowsOptions.hostProcess",
		"pod must not set spec.securityContext.windowsOptions.hostProcess to true")
	pod(notSet("sysctls")+psc+".sysctls.all(s, s.name in "+celList(safeSysctls)+")",
		"pod must set in spec.securityContext.sysctls only "+strings.Join(safeSysctls, ", "))
	pod("!has(object.metadata.annotations) || object.metadata.annotations.all(k, !k.startsWith('container.apparmor.security.beta.kubernetes.io/') ||"+
		" object.metadata.annotations[k] == 'runtime/default' || object.metadata.annotations[k].startsWith('localhost/'))",
		`pod must set container.apparmor.security.beta.kubernetes.io/* annotations only to "runtime/default" or "localhost/*"`)

	allowed := "v." + strings.Join(restrictedVolumes, ") || has(v.")
	volumeOK := "has(" + allowed + ") || (" + logVolume() + ")"
	out = append(out, admissionregistrationv1.Validation{
		Expression: "!has(object.spec.volumes) || object.spec.volumes.all(v, " + volumeOK + ")",
		MessageExpression: "'spec.volumes: ' + object.spec.volumes.filter(v, !(" + volumeOK + ")).map(v, v.name).join(', ') +" +
			" ' may not be used: only " + strings.Join(restrictedVolumes, ", ") + " volumes are allowed, and one hostPath, " +
			logging.VolumeName + " at {hostRoot}/{namespace}/{app} as the pod-mutator writes it'",
		Reason: ptr.To(metav1.StatusReasonForbidden),
	})

	for _, list := range containerLists {
		for _, ch := range containerChecks {
			l := "object.spec." + list
			out = append(out, admissionregistrationv1.Validation{
				Expression:        fmt.Sprintf("!has(%s) || %s.all(c, !(%s))", l, l, ch.bad),
				MessageExpression: fmt.Sprintf("'spec.%s: ' + %s.filter(c, %s).map(c, c.name).join(', ') + ' must %s'", list, l, ch.bad, strings.ReplaceAll(ch.must, "'", `\'`)),
				Reason:            ptr.To(metav1.StatusReasonForbidden),
			})
		}
	}
	return out
}
