package pipelines

import (
	"strings"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	"github.com/slipway-dev/slipway/pkg/environments"
	"github.com/slipway-dev/slipway/pkg/names"
)

var testConfig = Config{
	PlatformURL: "http://slipway-platform-api.slipway-system.svc",
	Registry:    "dev.local",
	Images:      Images{Git: "dev.local/tools/git:v1", Builder: "dev.local/tools/buildkit:rootless", Deploy: "dev.local/tools/curl:v1"},
	KeepRuns:    metav1.Duration{Duration: 48 * time.Hour}, ResyncEvery: metav1.Duration{Duration: time.Minute},
}

var testTarget = Target{Project: "shop", App: "web", Env: "test", Namespace: "shop-test"}

func container(image string, args ...string) Template {
	return TemplateOf(&wfv1.Template{Container: &corev1.Container{Image: image, Args: args}})
}

func TestStandardTemplateIsValid(t *testing.T) {
	tmpl := StandardTemplate("shop", testConfig)
	if err := ValidateStandard(tmpl); err != nil {
		t.Fatalf("Argo refuses the standard template: %v", err)
	}
	if tmpl.Name != names.StandardTemplate || tmpl.Namespace != "shop-build" || tmpl.Spec.ServiceAccountName != names.PipelineAccount {
		t.Errorf("template %s/%s runs as %q", tmpl.Namespace, tmpl.Name, tmpl.Spec.ServiceAccountName)
	}
	// Parameters reach scripts only through the environment.
	var templates []string
	for _, tp := range tmpl.Spec.Templates {
		templates = append(templates, tp.Name)
		if tp.Script != nil && strings.Contains(tp.Script.Source, "{{") {
			t.Errorf("template %s splices a parameter into its script", tp.Name)
		}
	}
	if diff := cmp.Diff([]string{"pipeline", "clone", "build", "deploy", "promote"}, templates); diff != "" {
		t.Errorf("templates (-want,+got):\n%s", diff)
	}
}

// The promote step asks platform-api for the promotion as the deploy step deploys: the run's
// token, the values from the environment, a 201 its only success.
func TestStandardPromoteStep(t *testing.T) {
	tmpl := StandardTemplate("shop", testConfig)
	var deploy, promote *wfv1.Template
	for i := range tmpl.Spec.Templates {
		switch tmpl.Spec.Templates[i].Name {
		case stepDeploy:
			deploy = &tmpl.Spec.Templates[i]
		case stepPromote:
			promote = &tmpl.Spec.Templates[i]
		}
	}
	if deploy == nil || promote == nil {
		t.Fatal("no deploy or promote template")
	}
	if out := deploy.Outputs.Parameters; len(out) != 1 || out[0].Name != OutputRevision || out[0].ValueFrom.Path != "/tmp/revision" || out[0].ValueFrom.Default == nil {
		t.Errorf("deploy outputs %+v, want the revision it made (empty by default)", out)
	}
	var inputs []string
	for _, p := range promote.Inputs.Parameters {
		inputs = append(inputs, p.Name)
	}
	if diff := cmp.Diff([]string{InputTo, OutputRevision}, inputs); diff != "" {
		t.Errorf("promote inputs (-want,+got):\n%s", diff)
	}
	env := map[string]string{}
	for _, e := range promote.Script.Env {
		env[e.Name] = e.Value
	}
	want := map[string]string{
		"PLATFORM": testConfig.PlatformURL, "RUN": "{{workflow.name}}", "PROJECT": "{{workflow.parameters.project}}",
		"APP": "{{workflow.parameters.app}}", "ENV": "{{workflow.parameters.env}}",
		"TO": "{{inputs.parameters.to}}", "REVISION": "{{inputs.parameters.revision}}",
	}
	if diff := cmp.Diff(want, env); diff != "" {
		t.Errorf("promote env (-want,+got):\n%s", diff)
	}
	if promote.Script.Image != testConfig.Images.Deploy || promote.ServiceAccountName != "" {
		t.Errorf("promote runs %s as %q", promote.Script.Image, promote.ServiceAccountName)
	}
	for _, part := range []string{
		`"from":"%s","to":"%s","revision":"%s","message":"pipeline run %s"}' "$ENV" "$TO" "$REVISION" "$RUN"`,
		`/var/run/secrets/kubernetes.io/serviceaccount/token`,
		`"$PLATFORM/api/v1/projects/$PROJECT/apps/$APP/promotions"`,
		`201) cat /tmp/answer; echo; exit 0 ;;`,
		`cat /tmp/answer >&2`,
	} {
		if !strings.Contains(promote.Script.Source, part) {
			t.Errorf("promote script lacks %q:\n%s", part, promote.Script.Source)
		}
	}
}

func stepNames(wf *wfv1.Workflow) []string { return plannedSteps(wf) }

func TestBuildRun(t *testing.T) {
	gate := Stage{Name: "approve", At: BeforeDeploy, Approval: true}
	cases := []struct {
		name      string
		pipeline  Pipeline
		request   RunRequest
		wantSteps []string
		// wantDigestFrom is the step whose digest output the deploy step takes.
		wantDigestFrom string
		wantRevision   string
	}{
		{"standard", Pipeline{Repo: "https://git.example/shop/web"}, RunRequest{},
			[]string{"clone", "build", "deploy"}, "build", "main"},
		{"a commit", Pipeline{Repo: "https://git.example/shop/web", Branch: "release"}, RunRequest{Commit: strings.Repeat("a", 40)},
			[]string{"clone", "build", "deploy"}, "build", strings.Repeat("a", 40)},
		{"another branch", Pipeline{Repo: "https://git.example/shop/web", Branch: "release"}, RunRequest{Branch: "hotfix/1"},
			[]string{"clone", "build", "deploy"}, "build", "hotfix/1"},
		{"stages at every point", Pipeline{Repo: "https://git.example/shop/web", Stages: []Stage{
			{Name: "smoke", At: AfterDeploy, Template: container("dev.local/t/smoke:v1")},
			{Name: "unit", At: BeforeBuild, Template: container("dev.local/t/go:v1", "test", "./...")},
			{Name: "scan", At: AfterBuild, Template: container("dev.local/t/scan:v1")},
			gate,
		}}, RunRequest{}, []string{"clone", "unit", "build", "scan", "approve", "deploy", "smoke"}, "build", "main"},
		{"promoting", Pipeline{Repo: "https://git.example/shop/web", Promote: &Promote{To: "prod"}, Stages: []Stage{
			{Name: "smoke", At: AfterDeploy, Template: container("dev.local/t/smoke:v1")}, gate,
		}}, RunRequest{}, []string{"clone", "build", "approve", "deploy", "smoke", "promote"}, "build", "main"},
		{"build replaced", Pipeline{Repo: "https://git.example/shop/web", Stages: []Stage{
			{Name: "bazel", At: ReplaceBuild, Template: TemplateOf(&wfv1.Template{Script: &wfv1.ScriptTemplate{
				Container: corev1.Container{Image: "dev.local/t/bazel:v1"}, Source: "bazel run //:push > /tmp/digest"}})},
		}}, RunRequest{}, []string{"clone", "bazel", "deploy"}, "bazel", "main"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if errs := tc.pipeline.Validate(); len(errs) > 0 {
				t.Fatalf("pipeline invalid: %v", errs)
			}
			wf, err := BuildRun(Start{Target: testTarget, Pipeline: tc.pipeline, Request: tc.request, Trigger: TriggerManual, StartedBy: "ann"}, testConfig)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.wantSteps, stepNames(wf)); diff != "" {
				t.Errorf("steps (-want,+got):\n%s", diff)
			}
			if got := param(wf, ParamRevision); got != tc.wantRevision {
				t.Errorf("revision %q, want %q", got, tc.wantRevision)
			}
			if got := param(wf, ParamImage); got != "dev.local/shop/web" {
				t.Errorf("image %q", got)
			}
			var deploy *wfv1.WorkflowStep
			for _, g := range wf.Spec.Templates[0].Steps {
				if g.Steps[0].Name == stepDeploy {
					deploy = &g.Steps[0]
				}
			}
			if deploy == nil || deploy.Arguments.GetParameterByName(OutputDigest).Value.String() != stepOutput(tc.wantDigestFrom, OutputDigest) {
				t.Errorf("deploy step %+v does not take %s's digest", deploy, tc.wantDigestFrom)
			}
			var promote *wfv1.WorkflowStep
			for _, g := range wf.Spec.Templates[0].Steps {
				if g.Steps[0].Name == stepPromote {
					promote = &g.Steps[0]
				}
			}
			switch {
			case tc.pipeline.Promote == nil && promote != nil:
				t.Errorf("a pipeline without promote has a promote step %+v", promote)
			case tc.pipeline.Promote != nil && (promote == nil || promote.TemplateRef == nil || promote.TemplateRef.Template != stepPromote ||
				promote.Arguments.GetParameterByName(InputTo).Value.String() != tc.pipeline.Promote.To ||
				promote.Arguments.GetParameterByName(OutputRevision).Value.String() != stepOutput(stepDeploy, OutputRevision)):
				t.Errorf("promote step %+v does not promote the deploy's revision to %s", promote, tc.pipeline.Promote.To)
			}
			for _, p := range wf.Spec.Arguments.Parameters {
				if p.Name == InputTo {
					t.Errorf("promote's target is a run parameter")
				}
			}
			for k, want := range map[string]string{names.LabelProject: "shop", names.LabelApp: "web", names.LabelEnv: "test", names.LabelTrigger: TriggerManual} {
				if wf.Labels[k] != want {
					t.Errorf("label %s = %q, want %q", k, wf.Labels[k], want)
				}
			}
			if wf.GenerateName != "web-run-" || wf.Name != "" || wf.Namespace != "shop-build" {
				t.Errorf("name %q, generateName %q, namespace %q", wf.Name, wf.GenerateName, wf.Namespace)
			}
			if got := *wf.Spec.TTLStrategy.SecondsAfterCompletion; got != int32((48 * time.Hour).Seconds()) {
				t.Errorf("kept for %ds after completion", got)
			}
		})
	}
}

// A stage Argo refuses is refused with Argo's own message.
func TestBuildRunArgoRefusals(t *testing.T) {
	cases := map[string]struct {
		template *wfv1.Template
		want     string
	}{
		"unknown parameter": {&wfv1.Template{Script: &wfv1.ScriptTemplate{Container: corev1.Container{Image: "dev.local/t/x:v1"}, Source: "echo {{inputs.parameters.nope}}"}},
			"failed to resolve {{inputs.parameters.nope}}"},
		"unknown output": {&wfv1.Template{Container: &corev1.Container{Image: "dev.local/t/x:v1", Args: []string{"{{steps.nowhere.outputs.result}}"}}},
			"failed to resolve {{steps.nowhere.outputs.result}}"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p := Pipeline{Repo: "https://git.example/shop/web", Stages: []Stage{{Name: "check", At: AfterBuild, Template: TemplateOf(tc.template)}}}
			if errs := p.Validate(); len(errs) > 0 {
				t.Fatalf("refused before Argo: %v", errs)
			}
			_, err := BuildRun(Start{Target: testTarget, Pipeline: p, Trigger: TriggerManual}, testConfig)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want Argo's %q", err, tc.want)
			}
		})
	}
}

func TestPipelineValidate(t *testing.T) {
	repo := "https://git.example/shop/web"
	ok := container("dev.local/t/x:v1")
	okContainer := &corev1.Container{Image: "dev.local/t/x:v1"}
	cases := map[string]struct {
		p    Pipeline
		want []string
	}{
		"minimal":            {Pipeline{Repo: repo}, nil},
		"everything":         {Pipeline{Repo: repo, Branch: "release/1.2", ContextDir: "services/web", Dockerfile: "build/Dockerfile", Stages: []Stage{{Name: "gate", At: BeforeDeploy, Approval: true}}}, nil},
		"no repo":            {Pipeline{}, []string{"repo"}},
		"http repo":          {Pipeline{Repo: "http://git.example/x"}, []string{"repo"}},
		"credentials in url": {Pipeline{Repo: "https://me:secret@git.example/x"}, []string{"repo"}},
		"ssh repo":           {Pipeline{Repo: "git@git.example:x.git"}, []string{"repo"}},
		"bad branch":         {Pipeline{Repo: repo, Branch: "a..b"}, []string{"branch"}},
		"shell in branch":    {Pipeline{Repo: repo, Branch: "main;rm"}, []string{"branch"}},
		"escaping context":   {Pipeline{Repo: repo, ContextDir: "../etc"}, []string{"contextDir"}},
		"absolute file":      {Pipeline{Repo: repo, Dockerfile: "/Dockerfile"}, []string{"dockerfile"}},
		"stage name":         {Pipeline{Repo: repo, Stages: []Stage{{Name: "Unit_Tests", At: BeforeBuild, Template: ok}}}, []string{"stages[0].name"}},
		"reserved name":      {Pipeline{Repo: repo, Stages: []Stage{{Name: "build", At: BeforeBuild, Template: ok}}}, []string{"stages[0].name"}},
		"duplicate name": {Pipeline{Repo: repo, Stages: []Stage{{Name: "t", At: BeforeBuild, Template: ok}, {Name: "t", At: AfterBuild, Template: ok}}},
			[]string{"stages[1].name"}},
		"unknown point":     {Pipeline{Repo: repo, Stages: []Stage{{Name: "t", At: "during-build", Template: ok}}}, []string{"stages[0].at"}},
		"two replacements":  {Pipeline{Repo: repo, Stages: []Stage{{Name: "a", At: ReplaceBuild, Template: ok}, {Name: "b", At: ReplaceBuild, Template: ok}}}, []string{"stages[1].at"}},
		"gate with a body":  {Pipeline{Repo: repo, Stages: []Stage{{Name: "g", At: BeforeDeploy, Approval: true, Template: ok}}}, []string{"stages[0].template"}},
		"gate as the build": {Pipeline{Repo: repo, Stages: []Stage{{Name: "g", At: ReplaceBuild, Approval: true}}}, []string{"stages[0].approval"}},
		"no template":       {Pipeline{Repo: repo, Stages: []Stage{{Name: "t", At: BeforeBuild}}}, []string{"stages[0].template"}},
		"resource template": {Pipeline{Repo: repo, Stages: []Stage{{Name: "t", At: BeforeBuild, Template: TemplateOf(&wfv1.Template{Resource: &wfv1.ResourceTemplate{Action: "create"}})}}},
			[]string{"stages[0].template", "stages[0].template.resource"}},
		"own service account": {Pipeline{Repo: repo, Stages: []Stage{{Name: "t", At: BeforeBuild, Template: TemplateOf(&wfv1.Template{Container: okContainer, ServiceAccountName: "admin"})}}},
			[]string{"stages[0].template.serviceAccountName"}},
		"host path": {Pipeline{Repo: repo, Stages: []Stage{{Name: "t", At: BeforeBuild, Template: TemplateOf(&wfv1.Template{Container: okContainer,
			Volumes: []corev1.Volume{{Name: "root", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}}})}}},
			[]string{"stages[0].template.volumes[0]"}},
		"secret volume": {Pipeline{Repo: repo, Stages: []Stage{{Name: "t", At: BeforeBuild, Template: TemplateOf(&wfv1.Template{Container: okContainer,
			Volumes: []corev1.Volume{{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "db"}}}}})}}},
			[]string{"stages[0].template.volumes[0]"}},
		"scratch volume": {Pipeline{Repo: repo, Stages: []Stage{{Name: "t", At: BeforeBuild, Template: TemplateOf(&wfv1.Template{Container: okContainer,
			Volumes: []corev1.Volume{{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}})}}},
			nil},
		"privileged container": {Pipeline{Repo: repo, Stages: []Stage{{Name: "t", At: BeforeBuild, Template: TemplateOf(&wfv1.Template{
			Container: &corev1.Container{Image: "dev.local/t/x:v1", SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)}}})}}},
			[]string{"stages[0].template.container.securityContext"}},
		"sidecar": {Pipeline{Repo: repo, Stages: []Stage{{Name: "t", At: BeforeBuild, Template: TemplateOf(&wfv1.Template{Container: okContainer,
			Sidecars: []wfv1.UserContainer{{Container: corev1.Container{Name: "s", Image: "dev.local/t/x:v1"}}}})}}},
			[]string{"stages[0].template.sidecars"}},
		"pod spec patch": {Pipeline{Repo: repo, Stages: []Stage{{Name: "t", At: BeforeBuild, Template: TemplateOf(&wfv1.Template{Container: okContainer, PodSpecPatch: "{}"})}}},
			[]string{"stages[0].template.podSpecPatch"}},
		"promote":            {Pipeline{Repo: repo, Promote: &Promote{To: "prod"}}, nil},
		"promote nowhere":    {Pipeline{Repo: repo, Promote: &Promote{}}, []string{"promote.to"}},
		"promote to a shape": {Pipeline{Repo: repo, Promote: &Promote{To: "Prod;rm"}}, []string{"promote.to"}},
		"stage named promote": {Pipeline{Repo: repo, Promote: &Promote{To: "prod"}, Stages: []Stage{{Name: "promote", At: AfterDeploy, Template: ok}}},
			[]string{"stages[0].name"}},
		"misspelt field": {Pipeline{Repo: repo, Stages: []Stage{{Name: "t", At: BeforeBuild, Template: Template{"contianer": map[string]any{"image": "x"}}}}},
			[]string{"stages[0].template"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var got []string
			for _, e := range tc.p.Validate() {
				got = append(got, e.Field)
			}
			if diff := cmp.Diff(tc.want, got, sortStrings); diff != "" {
				t.Errorf("error fields (-want,+got):\n%s", diff)
			}
		})
	}
}

// ValidateIn holds promote.to to the next step after the pipeline's environment on the
// promotion path.
func TestPipelineValidateIn(t *testing.T) {
	envs := environments.List{{Name: "dev"}, {Name: "test"}, {Name: "prod"}, {Name: "sandbox"}}
	path := environments.Promotion{Path: []string{"dev", "test", "prod"}}
	promote := func(to string) Pipeline {
		return Pipeline{Repo: "https://git.example/shop/web", Promote: &Promote{To: to}}
	}
	cases := []struct {
		name     string
		p        Pipeline
		env      string
		path     environments.Promotion
		wantType field.ErrorType
		wantText string
	}{
		{"no promote", Pipeline{Repo: "https://git.example/shop/web"}, "test", path, "", ""},
		{"the next step", promote("test"), "dev", path, "", ""},
		{"the last step", promote("prod"), "test", path, "", ""},
		{"unknown environment", promote("staging"), "test", path, field.ErrorTypeNotFound, ""},
		{"skips a step", promote("prod"), "dev", path, field.ErrorTypeInvalid, `must be "test", the step after "dev"`},
		{"backwards", promote("dev"), "test", path, field.ErrorTypeInvalid, `must be "prod"`},
		{"itself", promote("test"), "test", path, field.ErrorTypeInvalid, `must be "prod"`},
		{"from the end", promote("dev"), "prod", path, field.ErrorTypeInvalid, `"prod" has no next step`},
		{"off the path", promote("prod"), "sandbox", path, field.ErrorTypeInvalid, `"sandbox" has no next step`},
		{"no path", promote("prod"), "test", environments.Promotion{}, field.ErrorTypeInvalid, "has no next step"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			errs := tc.p.ValidateIn(tc.env, envs, tc.path)
			if tc.wantType == "" {
				if len(errs) > 0 {
					t.Errorf("errors %v", errs)
				}
				return
			}
			if len(errs) != 1 || errs[0].Field != "promote.to" || errs[0].Type != tc.wantType || !strings.Contains(errs[0].Detail, tc.wantText) {
				t.Errorf("errors %v, want one %s on promote.to saying %q", errs, tc.wantType, tc.wantText)
			}
		})
	}
}

func TestDeployerEnvs(t *testing.T) {
	for _, tc := range []struct {
		p    Pipeline
		env  string
		want []string
	}{
		{Pipeline{}, "test", []string{"test"}},
		{Pipeline{Promote: &Promote{To: "prod"}}, "test", []string{"prod", "test"}},
		{Pipeline{Promote: &Promote{To: "dev"}}, "test", []string{"dev", "test"}},
		{Pipeline{Promote: &Promote{To: "test"}}, "test", []string{"test"}},
		{Pipeline{Promote: &Promote{}}, "test", []string{"test"}},
	} {
		if diff := cmp.Diff(tc.want, tc.p.DeployerEnvs(tc.env)); diff != "" {
			t.Errorf("%+v in %s (-want,+got):\n%s", tc.p, tc.env, diff)
		}
	}
}

var sortStrings = cmp.Transformer("sort", func(in []string) []string {
	out := append([]string(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
})

func TestRunRequestValidate(t *testing.T) {
	for req, want := range map[RunRequest]int{
		{}:                                0,
		{Commit: strings.Repeat("0", 40)}: 0,
		{Commit: "abc123"}:                1,
		{Commit: strings.Repeat("A", 40)}: 1,
		{Branch: "feature/x"}:             0,
		{Branch: "-x"}:                    1,
	} {
		if got := len(req.Validate()); got != want {
			t.Errorf("%+v: %d errors, want %d", req, got, want)
		}
	}
}

// RunFromWorkflow reads the steps in plan order with the phases Argo wrote, the commit
// the clone step reported, and the gate the run waits at.
func TestRunFromWorkflow(t *testing.T) {
	p := Pipeline{Repo: "https://git.example/shop/web", Stages: []Stage{{Name: "approve", At: BeforeDeploy, Approval: true}}}
	wf, err := BuildRun(Start{Target: testTarget, Pipeline: p, Trigger: TriggerHook, StartedBy: "github:octocat"}, testConfig)
	if err != nil {
		t.Fatal(err)
	}
	wf.Name = "web-run-abcde"
	created := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	wf.CreationTimestamp = metav1.NewTime(created)
	at := func(s int) metav1.Time { return metav1.NewTime(created.Add(time.Duration(s) * time.Second)) }
	commit := strings.Repeat("c", 40)
	wf.Status = wfv1.WorkflowStatus{Phase: wfv1.WorkflowRunning, StartedAt: at(1), Nodes: wfv1.Nodes{
		"n0": {ID: "n0", Name: wf.Name, Type: wfv1.NodeTypeSteps, Phase: wfv1.NodeRunning},
		"n1": {ID: "n1", Name: StepNodeName(wf.Name, 0, "clone"), Type: wfv1.NodeTypePod, Phase: wfv1.NodeSucceeded, StartedAt: at(1), FinishedAt: at(5),
			Outputs: &wfv1.Outputs{Parameters: []wfv1.Parameter{{Name: OutputCommit, Value: wfv1.AnyStringPtr(commit)}}}},
		"n2": {ID: "n2", Name: StepNodeName(wf.Name, 1, "build"), Type: wfv1.NodeTypePod, Phase: wfv1.NodeSucceeded, StartedAt: at(6), FinishedAt: at(60)},
		"n3": {ID: "n3", Name: StepNodeName(wf.Name, 2, "approve"), Type: wfv1.NodeTypeSuspend, Phase: wfv1.NodeRunning, StartedAt: at(61)},
	}}
	got := RunFromWorkflow(wf)
	t1, t5, t6, t60, t61 := at(1).Time, at(5).Time, at(6).Time, at(60).Time, at(61).Time
	want := Run{
		Name: "web-run-abcde", Project: "shop", App: "web", Env: "test", Trigger: TriggerHook, StartedBy: "github:octocat",
		Branch: "main", Revision: "main", Commit: commit, Phase: "Running", Created: created, Started: &t1, AwaitingApproval: "approve",
		Steps: []Step{
			{Name: "clone", Kind: KindStep, Phase: "Succeeded", Started: &t1, Finished: &t5, NodeID: "n1"},
			{Name: "build", Kind: KindStep, Phase: "Succeeded", Started: &t6, Finished: &t60, NodeID: "n2"},
			{Name: "approve", Kind: KindApproval, Phase: "Running", Started: &t61, NodeID: "n3"},
			{Name: "deploy", Kind: KindStep, Phase: PhasePending},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("run (-want,+got):\n%s", diff)
	}
}

// BenchmarkBuildRun is a run's Workflow built and checked with Argo's validator: the
// in-process share of a hook delivery.
func BenchmarkBuildRun(b *testing.B) {
	p := Pipeline{Repo: "https://git.example/shop/web", Stages: []Stage{
		{Name: "unit", At: BeforeBuild, Template: container("dev.local/t/go:v1", "test", "./...")},
		{Name: "approve", At: BeforeDeploy, Approval: true},
	}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := BuildRun(Start{Target: testTarget, Pipeline: p, Trigger: TriggerHook, Delivery: "github:d-1"}, testConfig); err != nil {
			b.Fatal(err)
		}
	}
}

// One push delivered to two environments' hooks is two runs in the build namespace; the same
// delivery again is the same name (a replay).
func TestDeliveryRunNames(t *testing.T) {
	test, prod := DeliveryRunName("web", "test", "github:d-1"), DeliveryRunName("web", "prod", "github:d-1")
	if test == prod {
		t.Errorf("test and prod runs of one delivery share the name %s", test)
	}
	if again := DeliveryRunName("web", "test", "github:d-1"); again != test {
		t.Errorf("the same delivery got %s, then %s", test, again)
	}
}
