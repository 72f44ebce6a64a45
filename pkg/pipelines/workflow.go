package pipelines

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"github.com/argoproj/argo-workflows/v3/workflow/templateresolution"
	"github.com/argoproj/argo-workflows/v3/workflow/validate"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	"github.com/slipway-dev/slipway/pkg/names"
)

// Triggers say what started a run.
const (
	TriggerManual = "manual"
	TriggerHook   = "hook"
	TriggerRetry  = "retry"
)

// Target is the app and environment a run builds and deploys; Namespace is the
// environment's (the run itself executes in names.BuildNamespace(Project)).
type Target struct {
	Project, App, Env, Namespace string
}

// RunRequest starts a run: a commit, or the head of a branch (the pipeline's by default).
type RunRequest struct {
	Commit string `json:"commit,omitempty"`
	Branch string `json:"branch,omitempty"`
}

// Start is everything a run is made from.
type Start struct {
	Target   Target
	Pipeline Pipeline
	Request  RunRequest
	// Trigger, StartedBy: what and who started it.
	Trigger, StartedBy string
	// Delivery is a hook delivery's ID: the run's name is derived from it, so the apiserver
	// refuses a replay as a name conflict, for as long as the run is kept.
	Delivery string
	// RetryOf names the run this one repeats.
	RetryOf string
}

// BuildRun is the Workflow of one run, in the project's build namespace, labelled with the
// app and environment it is for: the standard steps by reference to the build namespace's
// StandardTemplate, with the project's stages around them, checked with Argo's own
// validator. The error of an invalid run is Argo's message.
func BuildRun(s Start, cfg Config) (*wfv1.Workflow, error) {
	p := s.Pipeline.WithDefaults()
	revision := s.Request.Commit
	branch := s.Request.Branch
	if branch == "" {
		branch = p.Branch
	}
	if revision == "" {
		revision = branch
	}
	t := s.Target
	labels := managedLabels()
	labels[names.LabelProject], labels[names.LabelApp], labels[names.LabelEnv], labels[names.LabelTrigger] = t.Project, t.App, t.Env, s.Trigger
	meta := metav1.ObjectMeta{
		Namespace:   names.BuildNamespace(t.Project),
		Labels:      labels,
		Annotations: map[string]string{names.AnnoStartedBy: s.StartedBy, names.AnnoBranch: branch},
	}
	if s.Delivery != "" {
		meta.Name = DeliveryRunName(t.App, t.Env, s.Delivery)
		labels[names.LabelDelivery] = meta.Name[len(meta.Name)-deliveryHashLen:]
	} else {
		meta.GenerateName = runPrefix(t.App)
	}
	if s.RetryOf != "" {
		meta.Annotations[names.AnnoRetryOf] = s.RetryOf
	}
	values := map[string]string{
		ParamRepo: p.Repo, ParamRevision: revision, ParamContextDir: p.ContextDir, ParamDockerfile: p.Dockerfile,
		ParamImage: ImageName(cfg, t), ParamProject: t.Project, ParamApp: t.App, ParamEnv: t.Env,
	}
	var params []wfv1.Parameter
	for _, name := range runParams {
		params = append(params, wfv1.Parameter{Name: name, Value: wfv1.AnyStringPtr(values[name])})
	}
	steps, templates := plan(p)
	wf := &wfv1.Workflow{
		TypeMeta:   metav1.TypeMeta{APIVersion: "argoproj.io/v1alpha1", Kind: "Workflow"},
		ObjectMeta: meta,
		Spec: wfv1.WorkflowSpec{
			Entrypoint:           entrypoint,
			Arguments:            wfv1.Arguments{Parameters: params},
			ServiceAccountName:   names.PipelineAccount,
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{workClaim()},
			Templates:            append([]wfv1.Template{{Name: entrypoint, Steps: steps}}, templates...),
			TTLStrategy:          &wfv1.TTLStrategy{SecondsAfterCompletion: ptr.To(int32(cfg.KeepRuns.Duration.Seconds()))},
			// Every run's pods are labelled like the run, for log streaming.
			PodMetadata: &wfv1.Metadata{Labels: map[string]string{names.LabelProject: t.Project, names.LabelApp: t.App, names.LabelEnv: t.Env}},
		},
	}
	if err := Validate(wf, StandardTemplate(t.Project, cfg)); err != nil {
		return nil, err
	}
	return wf, nil
}

// Validate runs Argo's validator on a run, resolving its references to standard.
func Validate(wf *wfv1.Workflow, standard *wfv1.WorkflowTemplate) error {
	getter := templateGetter{standard}
	check := wf.DeepCopy()
	if check.Name == "" {
		// The validator wants a name; generateName is the apiserver's to fill in.
		check.Name = check.GenerateName + "xxxxx"
	}
	return validate.ValidateWorkflow(getter, &templateresolution.NullClusterWorkflowTemplateGetter{}, check, nil, validate.ValidateOpts{})
}

// ValidateStandard runs Argo's validator on the standard template itself.
func ValidateStandard(t *wfv1.WorkflowTemplate) error {
	return validate.ValidateWorkflowTemplate(templateGetter{t}, &templateresolution.NullClusterWorkflowTemplateGetter{}, t, nil, validate.ValidateOpts{})
}

type templateGetter struct{ standard *wfv1.WorkflowTemplate }

func (g templateGetter) Get(name string) (*wfv1.WorkflowTemplate, error) {
	if name == g.standard.Name {
		return g.standard, nil
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Group: "argoproj.io", Resource: "workflowtemplates"}, name)
}

// plan lays out the run's steps: clone, the before-build stages, the build (or the stage
// replacing it), after-build, before-deploy, deploy, after-deploy and, when the pipeline
// promotes, promote; one step per group, so they run in order.
func plan(p Pipeline) ([]wfv1.ParallelSteps, []wfv1.Template) {
	at := func(point Point) []Stage {
		var out []Stage
		for _, s := range p.Stages {
			if s.At == point {
				out = append(out, s)
			}
		}
		return out
	}
	var steps []wfv1.ParallelSteps
	var templates []wfv1.Template
	add := func(step wfv1.WorkflowStep) {
		steps = append(steps, wfv1.ParallelSteps{Steps: []wfv1.WorkflowStep{step}})
	}
	addStages := func(stages []Stage) {
		for _, s := range stages {
			add(wfv1.WorkflowStep{Name: s.Name, Template: s.Name})
			templates = append(templates, stageTemplate(s))
		}
	}
	add(stepRef(stepClone))
	addStages(at(BeforeBuild))
	builder := stepBuild
	if replaced := at(ReplaceBuild); len(replaced) > 0 {
		builder = replaced[0].Name
		addStages(replaced)
	} else {
		add(stepRef(stepBuild))
	}
	addStages(at(AfterBuild))
	addStages(at(BeforeDeploy))
	add(deployStep(builder))
	addStages(at(AfterDeploy))
	if p.Promote != nil {
		add(promoteStep(p.Promote.To))
	}
	return steps, templates
}

// stageTemplate is a stage as a template of the run: a suspend for a gate, the project's
// own template otherwise, named after the stage, mounting the checked-out source.
func stageTemplate(s Stage) wfv1.Template {
	if s.Approval {
		return wfv1.Template{Name: s.Name, Suspend: &wfv1.SuspendTemplate{}}
	}
	argo, err := s.Template.Argo()
	if err != nil {
		// Pipelines are validated before runs are built.
		panic(fmt.Sprintf("stage %s: %v", s.Name, err))
	}
	t := *argo
	t.Name = s.Name
	mount := corev1.VolumeMount{Name: workVolume, MountPath: workDir}
	if t.Container != nil {
		t.Container.VolumeMounts = append(t.Container.VolumeMounts, mount)
	}
	if t.Script != nil {
		t.Script.VolumeMounts = append(t.Script.VolumeMounts, mount)
	}
	if s.At == ReplaceBuild && !hasOutput(t, OutputDigest) {
		t.Outputs.Parameters = append(t.Outputs.Parameters, wfv1.Parameter{Name: OutputDigest, ValueFrom: &wfv1.ValueFrom{Path: "/tmp/digest"}})
	}
	return t
}

func hasOutput(t wfv1.Template, name string) bool {
	for _, p := range t.Outputs.Parameters {
		if p.Name == name {
			return true
		}
	}
	return false
}

// ImageName is where a run pushes the app's image: {registry}/{project}/{app}.
func ImageName(cfg Config, t Target) string {
	return cfg.Registry + "/" + t.Project + "/" + t.App
}

const deliveryHashLen = 16

// DeliveryRunName is the run name of a hook delivery: the same delivery to the same app and
// environment, the same name. Every environment's runs share the project's build namespace,
// so the environment is part of it: one push delivered to the test and the prod hook is two
// runs, not a replay.
func DeliveryRunName(app, env, delivery string) string {
	sum := sha256.Sum256([]byte(env + "\x00" + delivery))
	return runPrefix(app) + hex.EncodeToString(sum[:])[:deliveryHashLen]
}

// runPrefix keeps room in the 63 characters of a name (and Argo's pod names) for a suffix.
func runPrefix(app string) string {
	if len(app) > 30 {
		app = strings.TrimRight(app[:30], "-")
	}
	return fmt.Sprintf("%s-run-", app)
}

// Validate checks a run request; field paths are the request body's.
func (r RunRequest) Validate() field.ErrorList {
	var errs field.ErrorList
	if r.Commit != "" && !isCommit(r.Commit) {
		errs = append(errs, field.Invalid(field.NewPath("commit"), r.Commit, "must be a full commit hash (40 or 64 lowercase hex digits)"))
	}
	if r.Branch != "" {
		if msg := checkBranch(r.Branch); msg != "" {
			errs = append(errs, field.Invalid(field.NewPath("branch"), r.Branch, msg))
		}
	}
	return errs
}
