//go:build integration

package integration

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipway-dev/slipway/pkg/apps"
	"github.com/slipway-dev/slipway/pkg/revisions"
)

// TestHeaderDeployAndDelete: a header deploy tags the new revision at 0% (Knative gives the
// tag its own URL) and records the rule; deleting the app removes the Service.
func TestHeaderDeployAndDelete(t *testing.T) {
	createProject(t, "lanes")
	// prod is reached only by promotion (config/dev.yaml); the test deploys there directly,
	// breaking glass as the admin, to see prod's own policy (min-scale) on the revision.
	base := appPath("lanes", "web", "prod")
	breakGlass := map[string]string{"reason": "integration test: header deploys under prod's policy"}
	mustCall(t, http.StatusCreated, http.MethodPost, base+"/deployments", map[string]any{"image": "dev.local/lanes/web:v1", "breakGlass": breakGlass}, nil)
	headerDeploy := map[string]any{
		"image": "dev.local/lanes/web:v2", "message": "beta users only", "breakGlass": breakGlass,
		"strategy": map[string]any{"type": "header", "match": map[string]any{"headers": map[string]any{"x-user-group": map[string]string{"exact": "beta"}}}},
	}
	// Until v1 exists a header deploy would pin traffic to a revision Knative may never
	// create (it creates only the latest template's): refused with 409, not accepted and
	// broken. Knative may also be quick enough for the first try to pass.
	var res apps.DeployResult
	switch code, body := call(t, http.MethodPost, base+"/deployments", headerDeploy, &res); code {
	case http.StatusCreated:
	case http.StatusConflict:
		if !strings.Contains(string(body), "web-00001") {
			t.Fatalf("409 does not name the missing revision: %s", body)
		}
		waitRevisionReady(t, "lanes-prod", "web-00001", "dev.local/lanes/web:v1")
		mustCall(t, http.StatusCreated, http.MethodPost, base+"/deployments", headerDeploy, &res)
	default:
		t.Fatalf("header deploy right after the first = %d %s", code, body)
	}
	wantRules := []revisions.Rule{{Match: revisions.Match{Headers: map[string]revisions.StringMatch{"x-user-group": {Exact: "beta"}}}, Revision: "web-00002"}}
	if fmt.Sprint(res.Rules) != fmt.Sprint(wantRules) {
		t.Fatalf("rules = %+v, want %+v", res.Rules, wantRules)
	}
	waitRouteTraffic(t, "lanes-prod", "web", "web-00001=100")

	// Knative reports the tag's own host for the 0% target; with a rule the Service is
	// cluster-local, so it is the in-cluster host Slipway's VirtualService rewrites to.
	eventually(t, readyTimeout, "tag URL in Route status", func() error {
		var st apps.AppStatus
		mustCall(t, http.StatusOK, http.MethodGet, base, nil, &st)
		for _, s := range st.ServedTraffic {
			if s.Tag == "r00002" && s.Revision == "web-00002" && s.URL == "http://r00002-web.lanes-prod.svc.cluster.local" {
				return nil
			}
		}
		return fmt.Errorf("served traffic %+v", st.ServedTraffic)
	})

	// prod's policy: at least one warm pod, written as Knative's min-scale annotation.
	rev, err := env.clients.Serving.ServingV1().Revisions("lanes-prod").Get(context.Background(), "web-00002", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := rev.Annotations["autoscaling.knative.dev/min-scale"]; got != "1" {
		t.Errorf("min-scale = %q, want 1 (prod policy)", got)
	}

	mustCall(t, http.StatusNoContent, http.MethodDelete, base, nil, nil)
	eventually(t, 10*time.Second, "app gone", func() error {
		if code, body := call(t, http.MethodGet, base, nil, nil); code != http.StatusNotFound {
			return fmt.Errorf("GET after delete = %d %s", code, body)
		}
		return nil
	})
}
