package records

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	k8stesting "k8s.io/client-go/testing"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	servingfake "knative.dev/serving/pkg/client/clientset/versioned/fake"

	"github.com/slipway-dev/slipway/pkg/kube"
	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/revisions"
)

// A Service that Create wrote holds its fields under an Update entry of
// Slipway's field manager, where an Apply cannot remove them; write hands them
// to the Apply entry first, so a later deploy can leave out the first one's
// log-collect label (or message, or scaling). The fake clientset does not
// implement server-side apply, so this checks the requests.
func TestWriteUpgradesCreatedFields(t *testing.T) {
	entry := func(op metav1.ManagedFieldsOperationType, fields string) metav1.ManagedFieldsEntry {
		return metav1.ManagedFieldsEntry{Manager: names.FieldManager, Operation: op, APIVersion: "serving.knative.dev/v1",
			FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(fields)}}
	}
	const created = `{"f:spec":{"f:template":{"f:metadata":{"f:labels":{".":{},"f:slipway.dev/log-collect":{}}}}}}`
	cases := map[string]struct {
		managed     []metav1.ManagedFieldsEntry
		wantUpgrade []metav1.ManagedFieldsEntry // nil: no upgrade patch
	}{
		"created, never applied": {
			managed:     []metav1.ManagedFieldsEntry{entry(metav1.ManagedFieldsOperationUpdate, created)},
			wantUpgrade: []metav1.ManagedFieldsEntry{entry(metav1.ManagedFieldsOperationApply, created)},
		},
		"already applied": {
			managed: []metav1.ManagedFieldsEntry{entry(metav1.ManagedFieldsOperationApply, created)},
		},
		"no managed fields": {},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			current := revisions.BuildService(revisions.App{Project: "demo", Name: "web", Env: "test", Namespace: "demo-test",
				Template: revisions.Template{RevisionName: "web-00001", Image: "dev.local/x/y:v1"}})
			current.ResourceVersion = "5"
			current.ManagedFields = tc.managed
			sc := servingfake.NewSimpleClientset(current.DeepCopy())
			var patches []k8stesting.PatchAction
			sc.PrependReactor("patch", "services", func(a k8stesting.Action) (bool, runtime.Object, error) {
				patches = append(patches, a.(k8stesting.PatchAction))
				return false, nil, nil
			})
			s := &Store{clients: &kube.Clients{Serving: sc}}
			desired := revisions.BuildService(revisions.App{Project: "demo", Name: "web", Env: "test", Namespace: "demo-test",
				Template: revisions.Template{RevisionName: "web-00002", Image: "dev.local/x/y:v2"}})
			if _, err := s.write(context.Background(), current, desired); err != nil {
				t.Fatal(err)
			}
			var got []types.PatchType
			for _, pa := range patches {
				got = append(got, pa.GetPatchType())
			}
			want := []types.PatchType{types.ApplyPatchType}
			if tc.wantUpgrade != nil {
				want = []types.PatchType{types.JSONPatchType, types.ApplyPatchType}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("patches (-want,+got):\n%s", diff)
			}
			if tc.wantUpgrade == nil {
				return
			}
			var ops []struct {
				Op, Path string
				Value    json.RawMessage
			}
			if err := json.Unmarshal(patches[0].GetPatch(), &ops); err != nil {
				t.Fatal(err)
			}
			var gotManaged []metav1.ManagedFieldsEntry
			var gotRV string
			for _, op := range ops {
				switch op.Path {
				case "/metadata/managedFields":
					if err := json.Unmarshal(op.Value, &gotManaged); err != nil {
						t.Fatal(err)
					}
				case "/metadata/resourceVersion":
					if err := json.Unmarshal(op.Value, &gotRV); err != nil {
						t.Fatal(err)
					}
				}
			}
			if diff := cmp.Diff(tc.wantUpgrade, gotManaged); diff != "" {
				t.Errorf("upgraded managedFields (-want,+got):\n%s", diff)
			}
			if gotRV != "5" {
				t.Errorf("upgrade patch resourceVersion = %q, want the read's, 5", gotRV)
			}
			var applied servingv1.Service
			if err := json.Unmarshal(patches[1].GetPatch(), &applied); err != nil {
				t.Fatal(err)
			}
			if applied.Spec.Template.Name != "web-00002" || applied.ResourceVersion == "" {
				t.Errorf("applied template %q at resourceVersion %q", applied.Spec.Template.Name, applied.ResourceVersion)
			}
		})
	}
}
