package devstack

import (
	"context"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/slipway-dev/slipway/internal/chart"
	"github.com/slipway-dev/slipway/pkg/boundary"
)

// grantPlatformRBAC gives platform-api's identity exactly the chart's RBAC: the chart is
// rendered for the stack's configuration (release "slipway" in PlatformNamespace, as an
// operator would install it) and its platform-api roles and bindings are applied. Every
// integration test that goes through platform-api then also tests the chart's RBAC.
func (s *Stack) grantPlatformRBAC(ctx context.Context) error {
	cfg := s.Platform
	if cfg == nil {
		return nil
	}
	if cfg.LeaderElection.Namespace != PlatformNamespace {
		return fmt.Errorf("leaderElection.namespace %q: the dev stack's platform-api lives in %s", cfg.LeaderElection.Namespace, PlatformNamespace)
	}
	pl := cfg.Pipelines
	values := map[string]any{
		"config": map[string]any{
			"cluster": cfg.Cluster,
			"domains": map[string]any{"default": cfg.Domains.Default, "base": cfg.Domains.Base},
			"audit":   map[string]any{"namespace": cfg.Audit.Namespace},
			"pipelines": map[string]any{
				"namespace": pl.Namespace, "platformURL": pl.PlatformURL, "registry": pl.Registry,
				"images": map[string]any{"git": pl.Images.Git, "builder": pl.Images.Builder, "deploy": pl.Images.Deploy},
			},
		},
		"platformApi": map[string]any{"leaseName": cfg.LeaderElection.Name},
	}
	objs, err := chart.Render(chart.Release{Name: "slipway", Namespace: PlatformNamespace}, values)
	if err != nil {
		return fmt.Errorf("rendering the chart's RBAC: %w", err)
	}
	var rbac []*unstructured.Unstructured
	for _, o := range objs.OfKind("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding") {
		if strings.HasPrefix(o.GetName(), PlatformAPIAccount) {
			rbac = append(rbac, o)
		}
	}
	if len(rbac) == 0 {
		return fmt.Errorf("the chart renders no RBAC named %s*", PlatformAPIAccount)
	}
	return applyObjects(ctx, s.Config, rbac, nil)
}

// installBoundary installs the policies that refuse direct writes of Slipway's objects
// (pkg/boundary), as the chart does.
func (s *Stack) installBoundary(ctx context.Context) error {
	var objs []*unstructured.Unstructured
	for _, o := range boundary.Objects(s.boundaryIdentities()) {
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
		if err != nil {
			return err
		}
		objs = append(objs, &unstructured.Unstructured{Object: m})
	}
	return applyObjects(ctx, s.Config, objs, nil)
}
