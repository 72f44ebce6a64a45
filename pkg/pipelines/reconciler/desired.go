package reconciler

import (
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/pipelines"
)

// Namespaces are the project namespaces that need pipeline objects: those where an app has
// a pipeline (stored in the platform's namespace, labelled with the app's project and env),
// sorted, each once.
func Namespaces(stored []*corev1.ConfigMap) []string {
	seen := map[string]bool{}
	var out []string
	for _, cm := range stored {
		ns := names.Namespace(cm.Labels[names.LabelProject], cm.Labels[names.LabelEnv])
		if !seen[ns] {
			seen[ns] = true
			out = append(out, ns)
		}
	}
	sort.Strings(out)
	return out
}

// Objects are what runs in namespace need, in the order they are applied: the runs'
// ServiceAccount, the executor's Role, their RoleBindings, and last the standard
// WorkflowTemplate (its presence says the rest was written).
func Objects(namespace string, cfg pipelines.Config) []runtime.Object {
	objects := []runtime.Object{pipelines.ServiceAccount(namespace), pipelines.ExecutorRole(namespace)}
	for _, rb := range pipelines.RoleBindings(namespace) {
		objects = append(objects, rb)
	}
	return append(objects, pipelines.StandardTemplate(namespace, cfg))
}
