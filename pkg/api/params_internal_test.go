package api

import (
	"regexp"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// A route whose path has a parameter without a rule does not start.
func TestCheckPathParamsRefusesUnknownParameters(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for :lane, which has no rule")
		}
	}()
	checkPathParams("/api/v1/projects/:project/lanes/:lane")
}

// The document's pattern and length limits say exactly what each rule lets through.
func TestPathParamSchemasMatchRules(t *testing.T) {
	values := []string{"", "a", "demo", "hello-00001", "web-run-abcde", "a.b", "a.b.", "1", "1a", "-a", "a-", "UPPER", "a_b",
		"x/y", "x%2Fy", "..", ".", "\x00", "ünï", strings.Repeat("a", 30), strings.Repeat("a", 31), strings.Repeat("a", 40),
		strings.Repeat("a", 41), strings.Repeat("a", 63), strings.Repeat("a", 64), strings.Repeat("a", 253), strings.Repeat("a", 254),
		strings.Repeat("a.", 126) + "a", "0123456789abcdef0123456789abcdef", "0123456789ABCDEF0123456789ABCDEF"}
	for name, r := range pathParams {
		sch := r.schema(&Server{})
		if sch.Pattern == "" {
			continue // env: an enum of the configured environments
		}
		re := regexp.MustCompile(sch.Pattern)
		for _, v := range values {
			documented := re.MatchString(v) && (sch.MaxLength == nil || uint64(len(v)) <= *sch.MaxLength) && uint64(len(v)) >= sch.MinLength
			var accepted bool
			switch {
			case r.invalid != nil:
				accepted = len(r.invalid(field.NewPath(name), v)) == 0
			case r.unknown != nil:
				accepted = r.unknown(&Server{}, v) == nil
			}
			if documented != accepted {
				t.Errorf("%s %.40q: the document says valid=%v, the rule %v", name, v, documented, accepted)
			}
		}
	}
}

// A problem quotes at most 64 characters of a value, and never splits a character.
func TestShown(t *testing.T) {
	if got := shown(strings.Repeat("a", 10000)); len(got) > 64+len("…") {
		t.Errorf("shown of 10,000 characters is %d bytes", len(got))
	}
	if got := shown(strings.Repeat("a", 63) + "ü" + "b"); got != strings.Repeat("a", 63)+"…" {
		t.Errorf("shown = %q", got)
	}
}
