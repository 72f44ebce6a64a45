package devstack

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/slipway-dev/slipway/pkg/logging"
	"github.com/slipway-dev/slipway/pkg/podsecurity"
)

// installPodSecurity installs the Pod Security Policy and its binding for environment
// namespaces (the chart installs the same objects), with the pod-mutator's host root from
// the platform's configuration.
func (s *Stack) installPodSecurity(ctx context.Context, client kubernetes.Interface) error {
	var cfg logging.Config
	if s.Platform != nil {
		cfg = s.Platform.Logging
	}
	if cfg.HostRoot == "" {
		cfg.HostRoot = logging.DefaultHostRoot
	}
	if err := ensure(client.AdmissionregistrationV1().ValidatingAdmissionPolicies().Create(ctx, podsecurity.Policy(cfg), metav1.CreateOptions{})); err != nil {
		return err
	}
	return ensure(client.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings().Create(ctx, podsecurity.Binding(), metav1.CreateOptions{}))
}
