package pipelines

import (
	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/slipway-dev/slipway/pkg/names"
)

// Names of the standard steps (the objects' names are in package names).
const (
	entrypoint = "pipeline"
	stepClone  = "clone"
	stepBuild  = "build"
	stepDeploy = "deploy"
	// stepPromote asks for the promotion of what the deploy step deployed.
	stepPromote = "promote"
	workVolume  = "work"
	workDir     = "/work"
)

// Parameters of a run, as Workflow arguments.
const (
	ParamRepo       = "repo"
	ParamRevision   = "revision"
	ParamContextDir = "context-dir"
	ParamDockerfile = "dockerfile"
	ParamImage      = "image"
	ParamProject    = "project"
	ParamApp        = "app"
	ParamEnv        = "env"
	// Step outputs.
	OutputCommit = "commit"
	OutputDigest = "digest"
	// OutputRevision is the revision the deploy step made (the promote step's input).
	OutputRevision = "revision"
	// InputTo is the promote step's input: the environment it promotes to.
	InputTo = "to"
)

var runParams = []string{ParamRepo, ParamRevision, ParamContextDir, ParamDockerfile, ParamImage, ParamProject, ParamApp, ParamEnv}

// labels every object of the package carries.
func managedLabels() map[string]string {
	return map[string]string{names.LabelManagedBy: names.ManagedBy, "app.kubernetes.io/component": "pipelines"}
}

// StandardTemplate is the WorkflowTemplate of every project's build namespace: the clone,
// build, deploy and promote steps that runs reference, and an entrypoint running them in order for
// anyone submitting it by hand. Parameters reach the scripts as environment variables,
// never spliced into shell text.
func StandardTemplate(project string, cfg Config) *wfv1.WorkflowTemplate {
	param := func(name string) string { return "{{workflow.parameters." + name + "}}" }
	input := func(name string) string { return "{{inputs.parameters." + name + "}}" }
	mount := []corev1.VolumeMount{{Name: workVolume, MountPath: workDir}}
	var args []wfv1.Parameter
	for _, p := range runParams {
		args = append(args, wfv1.Parameter{Name: p})
	}
	clone := wfv1.Template{
		Name: stepClone,
		Script: &wfv1.ScriptTemplate{
			Container: corev1.Container{
				Image: cfg.Images.Git, Command: []string{"sh"}, VolumeMounts: mount,
				Env: []corev1.EnvVar{{Name: "REPO", Value: param(ParamRepo)}, {Name: "REVISION", Value: param(ParamRevision)}},
			},
			Source: `set -eu
rm -rf /work/src && git init -q /work/src && cd /work/src
git remote add origin "$REPO"
git fetch -q --depth 1 origin "$REVISION"
git checkout -q FETCH_HEAD
git rev-parse HEAD > /tmp/commit
`,
		},
		Outputs: wfv1.Outputs{Parameters: []wfv1.Parameter{{Name: OutputCommit, ValueFrom: &wfv1.ValueFrom{Path: "/tmp/commit"}}}},
	}
	build := wfv1.Template{
		Name:   stepBuild,
		Inputs: wfv1.Inputs{Parameters: []wfv1.Parameter{{Name: OutputCommit}}},
		Script: &wfv1.ScriptTemplate{
			Container: corev1.Container{
				Image: cfg.Images.Builder, Command: []string{"sh"},
				VolumeMounts: append(mount, corev1.VolumeMount{Name: "registry-auth", MountPath: "/home/user/.docker", ReadOnly: true}),
				Env: []corev1.EnvVar{
					{Name: "CONTEXT", Value: param(ParamContextDir)}, {Name: "DOCKERFILE", Value: param(ParamDockerfile)},
					{Name: "IMAGE", Value: param(ParamImage)}, {Name: "COMMIT", Value: input(OutputCommit)},
					// Rootless BuildKit in an unprivileged pod.
					{Name: "BUILDKITD_FLAGS", Value: "--oci-worker-no-process-sandbox"},
				},
				SecurityContext: &corev1.SecurityContext{
					RunAsUser: ptr.To[int64](1000), RunAsGroup: ptr.To[int64](1000), RunAsNonRoot: ptr.To(true),
					SeccompProfile:  &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined},
					AppArmorProfile: &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeUnconfined},
				},
			},
			Source: `set -eu
dir="/work/src/${CONTEXT:-.}"
buildctl-daemonless.sh build --frontend dockerfile.v0 \
  --local context="$dir" --local dockerfile="$dir" --opt filename="$DOCKERFILE" \
  --output type=image,name="$IMAGE:$COMMIT",push=true --metadata-file /tmp/metadata.json
sed -n 's/.*"containerimage.digest": *"\(sha256:[0-9a-f]*\)".*/\1/p' /tmp/metadata.json > /tmp/digest
test -s /tmp/digest
`,
		},
		// Push credentials, when the namespace has them (a docker config Secret).
		Volumes: []corev1.Volume{{Name: "registry-auth", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
			SecretName: "slipway-registry", Optional: ptr.To(true),
			Items: []corev1.KeyToPath{{Key: corev1.DockerConfigJsonKey, Path: "config.json"}},
		}}}},
		Outputs: wfv1.Outputs{Parameters: []wfv1.Parameter{{Name: OutputDigest, ValueFrom: &wfv1.ValueFrom{Path: "/tmp/digest"}}}},
	}
	deploy := wfv1.Template{
		Name:   stepDeploy,
		Inputs: wfv1.Inputs{Parameters: []wfv1.Parameter{{Name: OutputDigest}, {Name: OutputCommit}}},
		Script: &wfv1.ScriptTemplate{
			Container: corev1.Container{
				Image: cfg.Images.Deploy, Command: []string{"sh"},
				Env: append(platformCall(cfg, param),
					corev1.EnvVar{Name: "IMAGE", Value: param(ParamImage)}, corev1.EnvVar{Name: "DIGEST", Value: input(OutputDigest)},
					corev1.EnvVar{Name: "COMMIT", Value: input(OutputCommit)}),
			},
			// The ServiceAccount's token may deploy in the project's environments (where it
			// has a pipeline) only, and platform-api admits only this run's app and env;
			// it reads the commit from this run's clone step, not from the message.
			// The answer starts with the revision the deploy made (apps.DeployResult's first
			// field), the revision a promote step asks to promote.
			Source: `set -eu
case "$DIGEST" in sha256:*) ;; *) echo "no image digest: $DIGEST" >&2; exit 1 ;; esac
body=$(printf '{"image":"%s@%s","pipelineRun":"%s","message":"pipeline run %s"}' "$IMAGE" "$DIGEST" "$RUN" "$RUN")
curl -sS --fail-with-body -o /tmp/deployed -X POST -H "Content-Type: application/json" \
  -H "Authorization: Bearer $(cat /var/run/secrets/kubernetes.io/serviceaccount/token)" \
  -d "$body" "$PLATFORM/api/v1/projects/$PROJECT/apps/$APP/envs/$ENV/deployments" || { cat /tmp/deployed >&2; echo >&2; exit 1; }
cat /tmp/deployed; echo
sed -n 's/^{"revision":"\([a-z0-9-]*\)".*/\1/p' /tmp/deployed > /tmp/revision
`,
		},
		Outputs: wfv1.Outputs{Parameters: []wfv1.Parameter{{Name: OutputRevision, ValueFrom: &wfv1.ValueFrom{Path: "/tmp/revision", Default: wfv1.AnyStringPtr("")}}}},
	}
	promote := wfv1.Template{
		Name:   stepPromote,
		Inputs: wfv1.Inputs{Parameters: []wfv1.Parameter{{Name: InputTo}, {Name: OutputRevision}}},
		Script: &wfv1.ScriptTemplate{
			Container: corev1.Container{
				Image: cfg.Images.Deploy, Command: []string{"sh"},
				Env: append(platformCall(cfg, param),
					corev1.EnvVar{Name: "TO", Value: input(InputTo)}, corev1.EnvVar{Name: "REVISION", Value: input(OutputRevision)}),
			},
			// A promotion that is created (201: pending on approvals, or deployed) is the
			// step's success: from then on it follows the target's policy. A revision not
			// Ready yet (409 notReady) or a busy platform is asked again for five minutes;
			// any other refusal fails the step with the problem platform-api answered.
			// platform-api admits the run's identity only for this app, from ENV, to the
			// pipeline's promote.to.
			Source: `set -eu
body=$(printf '{"from":"%s","to":"%s","revision":"%s","message":"pipeline run %s"}' "$ENV" "$TO" "$REVISION" "$RUN")
n=0
while [ "$n" -lt 30 ]; do
  n=$((n + 1))
  code=$(curl -sS -o /tmp/answer -w '%{http_code}' -X POST -H "Content-Type: application/json" \
    -H "Authorization: Bearer $(cat /var/run/secrets/kubernetes.io/serviceaccount/token)" \
    -d "$body" "$PLATFORM/api/v1/projects/$PROJECT/apps/$APP/promotions")
  case "$code" in
  201) cat /tmp/answer; echo; exit 0 ;;
  409) grep -q '"rule":"notReady"' /tmp/answer || break ;;
  429|503) ;;
  *) break ;;
  esac
  echo "promotion to $TO not accepted yet (HTTP $code); asking again in 10s"
  sleep 10
done
echo "promotion from $ENV to $TO refused (HTTP $code):" >&2
cat /tmp/answer >&2; echo >&2
exit 1
`,
		},
	}
	main := wfv1.Template{Name: entrypoint, Steps: standardSteps(stepRef(stepBuild))}
	return &wfv1.WorkflowTemplate{
		TypeMeta:   metav1.TypeMeta{APIVersion: "argoproj.io/v1alpha1", Kind: "WorkflowTemplate"},
		ObjectMeta: metav1.ObjectMeta{Name: names.StandardTemplate, Namespace: names.BuildNamespace(project), Labels: managedLabels()},
		Spec: wfv1.WorkflowSpec{
			Entrypoint:           entrypoint,
			Arguments:            wfv1.Arguments{Parameters: args},
			ServiceAccountName:   names.PipelineAccount,
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{workClaim()},
			Templates:            []wfv1.Template{main, clone, build, deploy, promote},
		},
	}
}

// platformCall is what a step calling platform-api needs: where it is, the run, and the
// run's project, app and environment.
func platformCall(cfg Config, param func(string) string) []corev1.EnvVar {
	return []corev1.EnvVar{
		{Name: "PLATFORM", Value: cfg.PlatformURL}, {Name: "RUN", Value: "{{workflow.name}}"},
		{Name: "PROJECT", Value: param(ParamProject)}, {Name: "APP", Value: param(ParamApp)}, {Name: "ENV", Value: param(ParamEnv)},
	}
}

// workClaim is the volume the steps share: the checked-out source.
func workClaim() corev1.PersistentVolumeClaim {
	return corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: workVolume},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: mustQuantity("2Gi")}},
		},
	}
}

// stepRef is a step running one of the standard template's steps.
func stepRef(name string) wfv1.WorkflowStep {
	s := wfv1.WorkflowStep{Name: name, TemplateRef: &wfv1.TemplateRef{Name: names.StandardTemplate, Template: name}}
	switch name {
	case stepBuild:
		s.Arguments = wfv1.Arguments{Parameters: []wfv1.Parameter{{Name: OutputCommit, Value: wfv1.AnyStringPtr(stepOutput(stepClone, OutputCommit))}}}
	}
	return s
}

// deployStep deploys the digest that builder (the standard build, or the stage replacing it) wrote.
func deployStep(builder string) wfv1.WorkflowStep {
	s := stepRef(stepDeploy)
	s.Arguments = wfv1.Arguments{Parameters: []wfv1.Parameter{
		{Name: OutputDigest, Value: wfv1.AnyStringPtr(stepOutput(builder, OutputDigest))},
		{Name: OutputCommit, Value: wfv1.AnyStringPtr(stepOutput(stepClone, OutputCommit))},
	}}
	return s
}

// promoteStep asks for the promotion into to of the revision the deploy step made.
func promoteStep(to string) wfv1.WorkflowStep {
	s := stepRef(stepPromote)
	s.Arguments = wfv1.Arguments{Parameters: []wfv1.Parameter{
		{Name: InputTo, Value: wfv1.AnyStringPtr(to)},
		{Name: OutputRevision, Value: wfv1.AnyStringPtr(stepOutput(stepDeploy, OutputRevision))},
	}}
	return s
}

func stepOutput(step, param string) string {
	return "{{steps." + step + ".outputs.parameters." + param + "}}"
}

// standardSteps is clone → build → deploy, each in its own sequential group.
func standardSteps(build wfv1.WorkflowStep) []wfv1.ParallelSteps {
	return []wfv1.ParallelSteps{
		{Steps: []wfv1.WorkflowStep{stepRef(stepClone)}},
		{Steps: []wfv1.WorkflowStep{build}},
		{Steps: []wfv1.WorkflowStep{deployStep(build.Name)}},
	}
}
