package devstack

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/slipway-dev/slipway/pkg/boundary"
)

// The dev stack's identities: every component talks to the apiserver as a user of its own
// (a static token each), so the boundary policies can tell platform-api from Knative, the
// controller-manager from a person. platform-api runs with exactly the chart's RBAC; the
// other components are in system:masters (their own RBAC is their projects' business).
const (
	// IdentityAdmin is a cluster admin: all of RBAC, but not exempt from the boundary
	// policies (the default context of the stack's kubeconfig).
	IdentityAdmin = "admin"
	// IdentityBreakGlass is a cluster admin in the break-glass group: the stack's own
	// installs, and the tests' hands when they damage or inspect Slipway's objects directly.
	IdentityBreakGlass = "break-glass"
	// IdentityPlatformAPI is platform-api's ServiceAccount as the chart names it.
	IdentityPlatformAPI = "platform-api"
	// IdentityPodMutator is the pod-mutator's ServiceAccount as the chart names it.
	IdentityPodMutator = "pod-mutator"
	// IdentityDevUser is a person with no role anywhere until a project grants one.
	IdentityDevUser = "user"

	// BreakGlassGroup is the dev stack's (and the chart's default) break-glass group.
	BreakGlassGroup = "slipway:break-glass"
	// PlatformNamespace is where the chart would be installed: platform-api's Lease and
	// ServiceAccount.
	PlatformNamespace = "slipway-system"
	// PlatformAPIAccount and PodMutatorAccount are the chart's ServiceAccount names.
	PlatformAPIAccount = "slipway-platform-api"
	PodMutatorAccount  = "slipway-pod-mutator"

	controllerManagerUser = "system:kube-controller-manager"
)

type stackIdentity struct {
	name, user string
	groups     []string
}

var masters = []string{"system:masters"}

func serviceAccountGroups(namespace string) []string {
	return []string{"system:serviceaccounts", "system:serviceaccounts:" + namespace}
}

var identities = []stackIdentity{
	{IdentityAdmin, "admin", masters},
	{IdentityBreakGlass, "break-glass", append(masters, BreakGlassGroup)},
	{IdentityPlatformAPI, boundary.ServiceAccount(PlatformNamespace, PlatformAPIAccount), serviceAccountGroups(PlatformNamespace)},
	{IdentityPodMutator, boundary.ServiceAccount(PlatformNamespace, PodMutatorAccount), append(masters, serviceAccountGroups(PlatformNamespace)...)},
	{IdentityDevUser, "dev-user", nil},
	{"kube-controller-manager", controllerManagerUser, masters},
	{"kube-scheduler", "system:kube-scheduler", masters},
	{"kwok", boundary.ServiceAccount("kube-system", "kwok-controller"), masters},
	{"knative-controller", boundary.ServiceAccount(knativeNamespace, "controller"), masters},
	{"knative-webhook", boundary.ServiceAccount(knativeNamespace, "webhook"), masters},
	{"knative-autoscaler-hpa", boundary.ServiceAccount(knativeNamespace, "autoscaler-hpa"), masters},
	// Eventing's ServiceAccounts as its config/core names them (pkg/boundary's default
	// controllers list the controller's).
	{"knative-eventing-controller", boundary.ServiceAccount(eventingNamespace, "eventing-controller"), masters},
	{"knative-eventing-webhook", boundary.ServiceAccount(eventingNamespace, "eventing-webhook"), masters},
	{"kingresssim", boundary.ServiceAccount("istio-system", "net-istio-controller"), masters},
}

// Username is the user an identity authenticates as.
func Username(identity string) string {
	for _, id := range identities {
		if id.name == identity {
			return id.user
		}
	}
	panic("devstack: no identity " + identity)
}

// boundaryIdentities are whom the dev stack's boundary policies let through: its
// platform-api, its controller-manager (garbage collection, namespace
// deletion, default ServiceAccounts; it runs without per-controller credentials), and the
// break-glass group. Extra writers are the tests' other platform-api identities.
func (s *Stack) boundaryIdentities() boundary.Identities {
	return boundary.Identities{
		Writers: append([]string{Username(IdentityPlatformAPI)}, s.ExtraWriters...),
		// Knative's controller as on a cluster, where net-istio (not run here) writes Routes'
		// VirtualServices under its ServiceAccount; Eventing's controller adds and removes
		// its finalizer on PingSources.
		Controllers:      []string{controllerManagerUser, Username("knative-controller"), Username("knative-eventing-controller")},
		BreakGlassGroups: []string{BreakGlassGroup},
	}
}

// writeTokens writes the apiserver's static token file and each identity's token.
func (s *Stack) writeTokens() map[string][]byte {
	s.tokens = map[string]string{}
	var csv strings.Builder
	files := map[string][]byte{}
	for _, id := range identities {
		tok := randomToken()
		s.tokens[id.name] = tok
		fmt.Fprintf(&csv, "%s,%s,%s-uid", tok, id.user, id.name)
		if len(id.groups) > 0 {
			fmt.Fprintf(&csv, ",\"%s\"", strings.Join(id.groups, ","))
		}
		csv.WriteString("\n")
		files["tokens/"+id.name] = []byte(tok + "\n")
	}
	files["pki/tokens.csv"] = []byte(csv.String())
	s.AdminToken, s.UserToken = s.tokens[IdentityAdmin], s.tokens[IdentityDevUser]
	return files
}

// ConfigFor is a REST config that authenticates as identity.
func (s *Stack) ConfigFor(identity string) *rest.Config {
	cfg := rest.CopyConfig(s.Config)
	cfg.BearerToken = s.tokens[identity]
	if cfg.BearerToken == "" {
		panic("devstack: no identity " + identity)
	}
	return cfg
}

// KubeconfigFor is the path of a kubeconfig that authenticates as identity.
func (s *Stack) KubeconfigFor(identity string) string {
	return filepath.Join(s.Dir, "kubeconfigs", identity)
}

// writeKubeconfigs writes the default kubeconfig (the admin, with a break-glass context
// beside it) and one per identity for the components.
func (s *Stack) writeKubeconfigs() error {
	write := func(path string, current string, contexts ...string) error {
		cfg := clientcmdapi.NewConfig()
		cfg.Clusters["slipway-dev"] = &clientcmdapi.Cluster{Server: s.Config.Host, CertificateAuthorityData: s.caPEM}
		for _, name := range contexts {
			cfg.AuthInfos[name] = &clientcmdapi.AuthInfo{Token: s.tokens[name]}
			cfg.Contexts[name] = &clientcmdapi.Context{Cluster: "slipway-dev", AuthInfo: name}
		}
		cfg.CurrentContext = current
		return clientcmd.WriteToFile(*cfg, path)
	}
	if err := write(s.Kubeconfig, IdentityAdmin, IdentityAdmin, IdentityBreakGlass, IdentityDevUser); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(s.Dir, "kubeconfigs"), 0o700); err != nil {
		return err
	}
	for _, id := range identities {
		if err := write(s.KubeconfigFor(id.name), id.name, id.name); err != nil {
			return err
		}
	}
	return nil
}
