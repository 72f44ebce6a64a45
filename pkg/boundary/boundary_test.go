package boundary

import (
	"path/filepath"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"sigs.k8s.io/yaml"

	"github.com/slipway-dev/slipway/internal/golden"
)

var testIdentities = Identities{
	Writers:          []string{ServiceAccount("slipway-system", "slipway-platform-api")},
	Controllers:      []string{ServiceAccount("kube-system", "generic-garbage-collector"), ServiceAccount("argo", "argo")},
	BreakGlassGroups: []string{"slipway:break-glass"},
}

func TestObjectsGolden(t *testing.T) {
	var docs []byte
	for _, o := range Objects(testIdentities) {
		b, err := yaml.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(append(docs, "---\n"...), b...)
	}
	golden.Check(t, filepath.Join("testdata", "boundary.golden.yaml"), docs)
}

func TestNobodyExemptWithoutBreakGlassGroups(t *testing.T) {
	for _, o := range Objects(Identities{Writers: testIdentities.Writers}) {
		p, ok := o.(*admissionregistrationv1.ValidatingAdmissionPolicy)
		if !ok {
			continue
		}
		if len(p.Spec.MatchConditions) != 0 {
			t.Errorf("%s has match conditions %+v with no break-glass group", p.Name, p.Spec.MatchConditions)
		}
		expr := p.Spec.Validations[0].Expression
		if !strings.Contains(expr, `"system:serviceaccount:slipway-system:slipway-platform-api"`) || strings.Contains(expr, "argo") {
			t.Errorf("%s allows %s", p.Name, expr)
		}
	}
}
