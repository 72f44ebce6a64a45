package kube

import (
	"context"
	"encoding/json"
	"fmt"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/slipway-dev/slipway/pkg/names"
)

// ApplyOptions are the options of every server-side apply Slipway makes: its field
// manager, taking over fields another manager set (Slipway's builders are the truth).
func ApplyOptions() metav1.PatchOptions {
	return metav1.PatchOptions{FieldManager: names.FieldManager, Force: ptr.To(true)}
}

// Apply server-side applies an object built by a pure function (kinds Slipway keeps in its
// own or in project namespaces), and returns the apiserver's refusal as an API problem.
func (c *Clients) Apply(ctx context.Context, o runtime.Object) error {
	body, err := json.Marshal(o)
	if err != nil {
		return err
	}
	opts := ApplyOptions()
	switch o := o.(type) {
	case *corev1.Namespace:
		_, err = c.Kube.CoreV1().Namespaces().Patch(ctx, o.Name, types.ApplyPatchType, body, opts)
	case *corev1.ConfigMap:
		_, err = c.Kube.CoreV1().ConfigMaps(o.Namespace).Patch(ctx, o.Name, types.ApplyPatchType, body, opts)
	case *corev1.Secret:
		_, err = c.Kube.CoreV1().Secrets(o.Namespace).Patch(ctx, o.Name, types.ApplyPatchType, body, opts)
	case *corev1.ServiceAccount:
		_, err = c.Kube.CoreV1().ServiceAccounts(o.Namespace).Patch(ctx, o.Name, types.ApplyPatchType, body, opts)
	case *rbacv1.Role:
		_, err = c.Kube.RbacV1().Roles(o.Namespace).Patch(ctx, o.Name, types.ApplyPatchType, body, opts)
	case *rbacv1.ClusterRole:
		_, err = c.Kube.RbacV1().ClusterRoles().Patch(ctx, o.Name, types.ApplyPatchType, body, opts)
	case *rbacv1.RoleBinding:
		_, err = c.Kube.RbacV1().RoleBindings(o.Namespace).Patch(ctx, o.Name, types.ApplyPatchType, body, opts)
	case *metav1.PartialObjectMetadata:
		// Metadata only, of a kind whose spec Slipway may not change: a Revision's
		// annotations (the scaling reconciler's min-scale).
		if o.APIVersion != "serving.knative.dev/v1" || o.Kind != "Revision" {
			return fmt.Errorf("apply: unsupported metadata of %s %s", o.APIVersion, o.Kind)
		}
		_, err = c.Serving.ServingV1().Revisions(o.Namespace).Patch(ctx, o.Name, types.ApplyPatchType, body, opts)
	case *wfv1.WorkflowTemplate:
		_, err = c.Argo.ArgoprojV1alpha1().WorkflowTemplates(o.Namespace).Patch(ctx, o.Name, types.ApplyPatchType, body, opts)
	default:
		return fmt.Errorf("apply: unsupported %T", o)
	}
	return WriteError(err)
}
