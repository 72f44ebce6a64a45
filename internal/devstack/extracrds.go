package devstack

import (
	"context"
	"fmt"
	"path/filepath"
)

// extraCRDSources are the CRDs of integrations the Helm chart renders objects for when
// enabled (cert-manager's Certificate and Issuer, Prometheus Operator's ServiceMonitor).
// Like the platform's own, they are read from the projects' Go modules, never copied.
var extraCRDSources = []struct {
	module string
	files  []string
}{
	{"github.com/cert-manager/cert-manager@v1.21.2", []string{
		"deploy/crds/cert-manager.io_certificates.yaml", "deploy/crds/cert-manager.io_issuers.yaml",
		"deploy/crds/cert-manager.io_clusterissuers.yaml",
	}},
	{"github.com/prometheus-operator/prometheus-operator@v0.85.0", []string{
		"example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml",
	}},
}

// InstallExtraCRDs installs the optional integrations' CRDs, so objects of those kinds
// can be validated by the apiserver (e.g. in a dry run). Nothing reconciles them here.
func (s *Stack) InstallExtraCRDs(ctx context.Context) error {
	for _, src := range extraCRDSources {
		dir, err := moduleDir(ctx, src.module)
		if err != nil {
			return err
		}
		for _, f := range src.files {
			objs, err := readObjects(filepath.Join(dir, f))
			if err != nil {
				return err
			}
			if len(objs) == 0 {
				return fmt.Errorf("%s: no CRD in %s", src.module, f)
			}
			if err := installCRDs(ctx, s.Config, objs); err != nil {
				return err
			}
		}
	}
	return nil
}
