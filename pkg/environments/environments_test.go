package environments

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		list List
		want []string // "field: message fragment"
	}{
		{"fine", List{{Name: "test"}, {Name: "prod", MinScale: 1}}, nil},
		{"none", List{}, []string{"environments: at least one"}},
		{"reserved build", List{{Name: "test"}, {Name: "build"}}, []string{"environments[1].name: is reserved"}},
		{"duplicate", List{{Name: "test"}, {Name: "test"}}, []string{"environments[1].name: Duplicate"}},
		{"not a label", List{{Name: "Prod"}}, []string{"environments[0].name: a lowercase RFC 1123 label"}},
		{"scales", List{{Name: "prod", MinScale: 2, MaxScale: 1}, {Name: "test", MinScale: -1}},
			[]string{"environments[0].maxScale: must be >= minScale", "environments[1].minScale: must be >= 0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := tc.list.Validate(field.NewPath("environments"))
			if len(errs) != len(tc.want) {
				t.Fatalf("errors %v, want %v", errs, tc.want)
			}
			for i, e := range errs {
				f, msg, _ := strings.Cut(tc.want[i], ": ")
				if e.Field != f || !strings.Contains(e.Error(), msg) {
					t.Errorf("error %d = %v, want field %s with %q", i, e, f, msg)
				}
			}
		})
	}
}
