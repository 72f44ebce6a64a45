package windows_test

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"

	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/scaling/windows"
)

// The audit trail's summary says the windows, so a change's before and after differ.
func TestSummary(t *testing.T) {
	svc := func(raw string) *servingv1.Service {
		return &servingv1.Service{ObjectMeta: metav1.ObjectMeta{Name: "hello", Annotations: map[string]string{names.AnnoScalingSchedules: raw}}}
	}
	for _, tc := range []struct{ raw, want string }{
		{"", "no scaling windows"},
		{`[{"name":"office","start":"0 9 * * 1-5","end":"0 18 * * 1-5","timezone":"Europe/Berlin","minScale":3}]`,
			"scaling windows: office (0 9 * * 1-5 until 0 18 * * 1-5 Europe/Berlin, min 3)"},
		{`[{"name":"sale","start":"0 20 24 11 *","duration":"4h","minScale":10}]`, "sale (0 20 24 11 * for 4h UTC, min 10)"},
		{"not json", "unreadable scaling windows"},
	} {
		if got := windows.Summary(svc(tc.raw)); !strings.Contains(got, tc.want) {
			t.Errorf("Summary(%q) = %q, want it to contain %q", tc.raw, got, tc.want)
		}
	}
}
