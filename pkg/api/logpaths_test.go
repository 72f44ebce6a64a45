package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	k8stesting "k8s.io/client-go/testing"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"

	"github.com/slipway-dev/slipway/pkg/apps"
	"github.com/slipway-dev/slipway/pkg/logging"
	"github.com/slipway-dev/slipway/pkg/names"
)

// TestDeployLogPaths follows logPaths through deploys and a rollback: the
// template carries the opt-in label and annotation only for a deploy that asks
// for them (a deploy body is the whole spec of the new revision), the views
// read them back, and a rollback routes to a revision that keeps its own.
func TestDeployLogPaths(t *testing.T) {
	s := newStack(t, stackOptions{})
	ctx := context.Background()
	// The fake clientset merges an apply into the stored object; the apiserver
	// drops what Slipway applied before and leaves out now (Slipway owns its
	// whole record, see apps' write), and this reactor stands for that.
	s.serving.PrependReactor("patch", "services", func(a k8stesting.Action) (bool, runtime.Object, error) {
		pa := a.(k8stesting.PatchAction)
		if pa.GetPatchType() != types.ApplyPatchType {
			return false, nil, nil
		}
		gvr := servingv1.SchemeGroupVersion.WithResource("services")
		old, err := s.serving.Tracker().Get(gvr, pa.GetNamespace(), pa.GetName())
		if err != nil {
			return true, nil, err
		}
		var svc servingv1.Service
		if err := json.Unmarshal(pa.GetPatch(), &svc); err != nil {
			return true, nil, err
		}
		svc.ObjectMeta.ResourceVersion = old.(*servingv1.Service).ResourceVersion
		svc.Status = old.(*servingv1.Service).Status
		return true, &svc, s.serving.Tracker().Update(gvr, &svc, pa.GetNamespace())
	})
	const wantAnnotation = `[{"path":"/app/logs","container":"user-container","name":"app"},{"path":"/var/log/nginx","container":"user-container","name":"nginx"}]`
	wantPaths := []logging.LogPath{{Path: "/app/logs", Container: "user-container", Name: "app"}, {Path: "/var/log/nginx", Container: "user-container", Name: "nginx"}}

	template := func() servingv1.RevisionTemplateSpec {
		t.Helper()
		svc, err := s.serving.ServingV1().Services(testNS).Get(ctx, app, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return svc.Spec.Template
	}
	// status waits until the cache has the template naming rev.
	status := func(rev string) apps.AppStatus {
		t.Helper()
		var st apps.AppStatus
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			r := s.do(t, http.MethodGet, testPath, "", "")
			if r.status != http.StatusOK {
				t.Fatalf("GET %s: %d %s", testPath, r.status, r.body)
			}
			st = apps.AppStatus{}
			if err := json.Unmarshal(r.body, &st); err != nil {
				t.Fatal(err)
			}
			if st.LatestCreatedRevision == rev || time.Now().After(deadline) {
				return st
			}
		}
	}
	deploy := func(body, wantRev string) {
		t.Helper()
		r := s.do(t, http.MethodPost, testPath+"/deployments", "", body)
		if r.status != http.StatusCreated {
			t.Fatalf("deploy %s: %d %s", body, r.status, r.body)
		}
		var got struct{ Revision string }
		if err := json.Unmarshal(r.body, &got); err != nil || got.Revision != wantRev {
			t.Fatalf("deploy %s: revision %q (%v), want %s", body, got.Revision, err, wantRev)
		}
		// Knative would report the new revision as created; the fake does not.
		svc, err := s.serving.ServingV1().Services(testNS).Get(ctx, app, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		svc.Status.LatestCreatedRevisionName = wantRev
		if _, err := s.serving.ServingV1().Services(testNS).UpdateStatus(ctx, svc, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	// Deploy with logPaths: label, annotation with defaults applied, and the app view.
	deploy(`{"image":"dev.local/x/y:v3","logPaths":[{"path":"/app/logs","name":"app"},{"path":"/var/log/nginx"}]}`, "hello-00003")
	tmpl := template()
	if tmpl.Labels[names.LabelLogCollect] != "true" || tmpl.Annotations[names.AnnoLogPaths] != wantAnnotation {
		t.Errorf("template labels %v, annotations %v; want %s=true and %s=%s", tmpl.Labels, tmpl.Annotations,
			names.LabelLogCollect, names.AnnoLogPaths, wantAnnotation)
	}
	if diff := cmp.Diff(wantPaths, status("hello-00003").LogPaths); diff != "" {
		t.Errorf("app status logPaths (-want,+got):\n%s", diff)
	}

	// Knative derives the revision from the template; it becomes Ready.
	rev := &servingv1.Revision{
		ObjectMeta: *tmpl.ObjectMeta.DeepCopy(),
		Spec:       *tmpl.Spec.DeepCopy(),
		Status: servingv1.RevisionStatus{Status: duckv1.Status{ObservedGeneration: 1,
			Conditions: duckv1.Conditions{{Type: apis.ConditionReady, Status: corev1.ConditionTrue}}}},
	}
	rev.Namespace = testNS
	rev.Labels["serving.knative.dev/service"] = app
	if _, err := s.serving.ServingV1().Revisions(testNS).Create(ctx, rev, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	revisionLogPaths := func(name string) []logging.LogPath {
		t.Helper()
		var v apps.Revision
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			r := s.do(t, http.MethodGet, testPath+"/revisions/"+name, "", "")
			if r.status == http.StatusOK {
				if err := json.Unmarshal(r.body, &v); err != nil {
					t.Fatal(err)
				}
				return v.LogPaths
			}
			if r.status != http.StatusNotFound || time.Now().After(deadline) {
				t.Fatalf("GET revision %s: %d %s", name, r.status, r.body)
			}
		}
	}
	if diff := cmp.Diff(wantPaths, revisionLogPaths("hello-00003")); diff != "" {
		t.Errorf("revision logPaths (-want,+got):\n%s", diff)
	}

	// A deploy without logPaths is a revision without them, like one without env.
	deploy(`{"image":"dev.local/x/y:v4"}`, "hello-00004")
	tmpl = template()
	if _, ok := tmpl.Labels[names.LabelLogCollect]; ok {
		t.Errorf("template labels %v still opt in", tmpl.Labels)
	}
	if _, ok := tmpl.Annotations[names.AnnoLogPaths]; ok {
		t.Errorf("template annotations %v still list log paths", tmpl.Annotations)
	}
	if got := status("hello-00004").LogPaths; got != nil {
		t.Errorf("app status logPaths = %v, want none", got)
	}
	if got := revisionLogPaths("hello-00001"); got != nil {
		t.Errorf("hello-00001 logPaths = %v, want none", got)
	}

	// Rollback routes everything to hello-00003, whose pods keep its log paths;
	// the template is written back unchanged.
	r := s.do(t, http.MethodPost, testPath+"/rollback", "", `{"revision":"hello-00003"}`)
	if r.status != http.StatusOK {
		t.Fatalf("rollback: %d %s", r.status, r.body)
	}
	if diff := cmp.Diff(tmpl, template()); diff != "" {
		t.Errorf("template after rollback (-before,+after):\n%s", diff)
	}
	if diff := cmp.Diff(wantPaths, revisionLogPaths("hello-00003")); diff != "" {
		t.Errorf("revision logPaths after rollback (-want,+got):\n%s", diff)
	}
}
