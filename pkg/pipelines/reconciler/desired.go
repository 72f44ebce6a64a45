package reconciler

import (
	"encoding/json"
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/pipelines"
)

// Project is a project whose apps have pipelines, and the environments they have them in.
type Project struct {
	Name string
	// Envs are sorted, each once.
	Envs []string
}

// Projects are the projects that need pipeline objects: those where an app has a pipeline
// (stored in the platform's namespace, labelled with the app's project and env), sorted by
// name, with the environments of those pipelines and those they promote to
// (Pipeline.DeployerEnvs).
func Projects(stored []*corev1.ConfigMap) []Project {
	envs := map[string]map[string]bool{}
	for _, cm := range stored {
		p, e := cm.Labels[names.LabelProject], cm.Labels[names.LabelEnv]
		if envs[p] == nil {
			envs[p] = map[string]bool{}
		}
		var pl pipelines.Pipeline
		// A record that does not read is still a pipeline in its own environment.
		_ = json.Unmarshal([]byte(cm.Data[pipelines.PipelineKey]), &pl)
		for _, env := range pl.DeployerEnvs(e) {
			envs[p][env] = true
		}
	}
	out := make([]Project, 0, len(envs))
	for p, set := range envs {
		pr := Project{Name: p}
		for e := range set {
			pr.Envs = append(pr.Envs, e)
		}
		sort.Strings(pr.Envs)
		out = append(out, pr)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Objects are what a project's runs need, in the order they are applied: in its build
// namespace the runs' ServiceAccount, the executor's Role and its binding; in each of envs
// (where the project's pipelines are, and where they promote to) the runs' deployer binding; and last the build namespace's standard WorkflowTemplate (its
// presence says the rest was written).
func Objects(project string, envs []string, cfg pipelines.Config) []runtime.Object {
	objects := []runtime.Object{pipelines.ServiceAccount(project), pipelines.ExecutorRole(project), pipelines.ExecutorBinding(project)}
	for _, env := range envs {
		objects = append(objects, pipelines.DeployerBinding(project, env))
	}
	return append(objects, pipelines.StandardTemplate(project, cfg))
}
