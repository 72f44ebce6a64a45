package pipelines

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"path"
	"sort"
	"strings"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/slipway-dev/slipway/pkg/environments"
)

// Config is the operator's pipelines configuration (pkg/config reads it from the `pipelines`
// section of the platform configuration).
type Config struct {
	// Namespace is where apps' pipelines (ConfigMaps) and hook credentials (Secrets) are
	// kept: platform-api's own, so it needs no right to other namespaces' Secrets.
	Namespace string `json:"namespace"`
	// PlatformURL is where deploy steps reach platform-api from inside the cluster; without
	// it pipelines are off.
	PlatformURL string `json:"platformURL"`
	// Registry is the prefix built images are pushed under: {registry}/{project}/{app}.
	Registry string `json:"registry"`
	// Images run the standard steps; operators point them at their own mirrors.
	Images Images `json:"images"`
	// KeepRuns is how long a finished run is kept (at least MinKeepRuns: hook deliveries
	// are refused as replays for as long as their run exists).
	KeepRuns metav1.Duration `json:"keepRuns"`
	// ResyncEvery is how often every project namespace with a pipeline is checked against
	// the standard template this configuration builds (and upgraded when it differs).
	ResyncEvery metav1.Duration `json:"resyncEvery"`
}

// Enabled reports whether runs may be started on this platform.
func (c Config) Enabled() bool { return c.PlatformURL != "" }

// SetDefaults fills in what the operator left out.
func (c *Config) SetDefaults() {
	if c.Namespace == "" {
		c.Namespace = DefaultNamespace
	}
	if c.ResyncEvery.Duration == 0 {
		c.ResyncEvery.Duration = 5 * time.Minute
	}
	if c.KeepRuns.Duration == 0 {
		c.KeepRuns.Duration = DefaultKeepRuns
	}
}

// DefaultNamespace is platform-api's own namespace, where it keeps its records.
const DefaultNamespace = "slipway-system"

// Images of the standard steps.
type Images struct {
	// Git clones the repository (needs git and sh).
	Git string `json:"git"`
	// Builder builds and pushes without privileges (BuildKit's rootless image:
	// buildctl-daemonless.sh).
	Builder string `json:"builder"`
	// Deploy calls platform-api (needs curl and sh).
	Deploy string `json:"deploy"`
}

// MinKeepRuns is the shortest KeepRuns: the replay window of hook deliveries.
const MinKeepRuns = 24 * time.Hour

// DefaultKeepRuns is KeepRuns when the operator sets none.
const DefaultKeepRuns = 7 * 24 * time.Hour

// Validate checks the configuration; path is the section's place in the file.
func (c Config) Validate(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if u, err := url.Parse(c.PlatformURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, field.Invalid(path.Child("platformURL"), c.PlatformURL, "must be an http(s) URL"))
	}
	if c.Registry == "" || strings.Contains(c.Registry, "://") || strings.HasSuffix(c.Registry, "/") {
		errs = append(errs, field.Invalid(path.Child("registry"), c.Registry, "must be an image name prefix such as registry.example/team"))
	}
	for _, image := range []struct{ name, ref string }{{"git", c.Images.Git}, {"builder", c.Images.Builder}, {"deploy", c.Images.Deploy}} {
		if image.ref == "" {
			errs = append(errs, field.Required(path.Child("images", image.name), "the image of the standard "+image.name+" step"))
		}
	}
	if c.KeepRuns.Duration < MinKeepRuns {
		errs = append(errs, field.Invalid(path.Child("keepRuns"), c.KeepRuns.Duration.String(), "must be at least 24h (the replay window of hook deliveries)"))
	}
	if c.ResyncEvery.Duration < time.Second {
		errs = append(errs, field.Invalid(path.Child("resyncEvery"), c.ResyncEvery.Duration.String(), "must be at least 1s"))
	}
	return errs
}

// Pipeline is an app's pipeline in one environment: where its source is and which stages
// the project adds to the standard ones.
type Pipeline struct {
	// Repo is the Git repository, an https URL.
	Repo string `json:"repo"`
	// Branch is built by default and is the only branch push hooks start runs for.
	Branch string `json:"branch,omitempty"`
	// ContextDir is the build context, relative to the repository root.
	ContextDir string `json:"contextDir,omitempty"`
	// Dockerfile is relative to ContextDir.
	Dockerfile string `json:"dockerfile,omitempty"`
	// Stages are the project's own steps and approval gates.
	Stages []Stage `json:"stages,omitempty"`
	// Promote ends the run by asking for the promotion of what it deployed into the next
	// environment of the promotion path, which then follows that environment's policy.
	Promote *Promote `json:"promote,omitempty"`
}

// Promote is a pipeline's last step: a promotion request from the pipeline's environment.
type Promote struct {
	// To is the environment after the pipeline's on the promotion path.
	To string `json:"to"`
}

// DeployerEnvs are the environments where the runs of the pipeline in env call platform-api
// as the deployer: env, and the environment it promotes to (sorted, each once).
func (p Pipeline) DeployerEnvs(env string) []string {
	if p.Promote == nil || p.Promote.To == "" || p.Promote.To == env {
		return []string{env}
	}
	out := []string{env, p.Promote.To}
	sort.Strings(out)
	return out
}

// Point is where a stage runs.
type Point string

// Stage points: around the standard build and deploy steps, or instead of the build.
const (
	BeforeBuild  Point = "before-build"
	AfterBuild   Point = "after-build"
	BeforeDeploy Point = "before-deploy"
	AfterDeploy  Point = "after-deploy"
	ReplaceBuild Point = "replace-build"
)

var points = []Point{BeforeBuild, AfterBuild, BeforeDeploy, AfterDeploy, ReplaceBuild}

// Stage is a step of the project's: an approval gate, or an Argo template of its own.
type Stage struct {
	// Name is the step's name in the run, a DNS label.
	Name string `json:"name"`
	At   Point  `json:"at"`
	// Approval makes the stage a gate (an Argo suspend) that someone allowed to deploy
	// must approve before the run goes on.
	Approval bool `json:"approval,omitempty"`
	// Template is an Argo template (container or script) run as the step. A replace-build
	// stage must write the built image's digest to /tmp/digest.
	Template Template `json:"template,omitempty"`
}

// Template is an Argo template as JSON, in Argo's own schema (argoproj.io/v1alpha1
// Template); Argo's validator checks it as part of the run.
type Template map[string]any

// Argo decodes t strictly: a misspelt field is an error, not a field Argo ignores.
func (t Template) Argo() (*wfv1.Template, error) {
	raw, err := json.Marshal(t)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var out wfv1.Template
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("not an Argo template: %w", err)
	}
	return &out, nil
}

// TemplateOf is the JSON form of an Argo template.
func TemplateOf(t *wfv1.Template) Template {
	raw, err := json.Marshal(t)
	if err != nil {
		panic(err) // Argo's types always marshal
	}
	var out Template
	if err := json.Unmarshal(raw, &out); err != nil {
		panic(err)
	}
	return out
}

// Defaults of an app's pipeline.
const (
	DefaultBranch     = "main"
	DefaultDockerfile = "Dockerfile"
	// MaxStages bounds a pipeline's own stages.
	MaxStages = 20
)

// WithDefaults returns p with the defaults filled in.
func (p Pipeline) WithDefaults() Pipeline {
	if p.Branch == "" {
		p.Branch = DefaultBranch
	}
	if p.Dockerfile == "" {
		p.Dockerfile = DefaultDockerfile
	}
	return p
}

// reservedSteps are the standard steps' names, which stages may not take.
var reservedSteps = map[string]bool{stepClone: true, stepBuild: true, stepDeploy: true, stepPromote: true, entrypoint: true}

// Validate checks an app's pipeline; field paths are the request body's.
func (p Pipeline) Validate() field.ErrorList {
	var errs field.ErrorList
	if u, err := url.Parse(p.Repo); p.Repo == "" {
		errs = append(errs, field.Required(field.NewPath("repo"), "the Git repository's https URL"))
	} else if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		errs = append(errs, field.Invalid(field.NewPath("repo"), p.Repo, "must be an https URL without credentials"))
	}
	if p.Branch != "" {
		if msg := checkBranch(p.Branch); msg != "" {
			errs = append(errs, field.Invalid(field.NewPath("branch"), p.Branch, msg))
		}
	}
	for name, v := range map[string]string{"contextDir": p.ContextDir, "dockerfile": p.Dockerfile} {
		if msg := checkRelativePath(v); msg != "" {
			errs = append(errs, field.Invalid(field.NewPath(name), v, msg))
		}
	}
	stages := field.NewPath("stages")
	if len(p.Stages) > MaxStages {
		errs = append(errs, field.TooMany(stages, len(p.Stages), MaxStages))
	}
	seen := map[string]bool{}
	replaced := false
	for i, s := range p.Stages {
		at := stages.Index(i)
		if msgs := validation.IsDNS1123Label(s.Name); len(msgs) > 0 {
			errs = append(errs, field.Invalid(at.Child("name"), s.Name, strings.Join(msgs, "; ")))
		} else if reservedSteps[s.Name] {
			errs = append(errs, field.Invalid(at.Child("name"), s.Name, "is a standard step's name"))
		} else if seen[s.Name] {
			errs = append(errs, field.Duplicate(at.Child("name"), s.Name))
		}
		seen[s.Name] = true
		if !containsPoint(s.At) {
			errs = append(errs, field.NotSupported(at.Child("at"), s.At, pointNames()))
		}
		if s.At == ReplaceBuild {
			if replaced {
				errs = append(errs, field.Invalid(at.Child("at"), s.At, "only one stage may replace the build"))
			}
			replaced = true
		}
		switch {
		case s.Approval && s.Template != nil:
			errs = append(errs, field.Invalid(at.Child("template"), "", "an approval gate has no template"))
		case s.Approval && s.At == ReplaceBuild:
			errs = append(errs, field.Invalid(at.Child("approval"), true, "an approval gate cannot replace the build"))
		case !s.Approval && s.Template == nil:
			errs = append(errs, field.Required(at.Child("template"), "an Argo container or script template, or approval: true"))
		case s.Template != nil:
			t, err := s.Template.Argo()
			if err != nil {
				errs = append(errs, field.Invalid(at.Child("template"), "", err.Error()))
				break
			}
			errs = append(errs, checkTemplate(at.Child("template"), t)...)
		}
	}
	if p.Promote != nil {
		to := field.NewPath("promote", "to")
		if p.Promote.To == "" {
			errs = append(errs, field.Required(to, "the environment to promote to, the next on the promotion path"))
		} else if msgs := validation.IsDNS1123Label(p.Promote.To); len(msgs) > 0 {
			errs = append(errs, field.Invalid(to, p.Promote.To, strings.Join(msgs, "; ")))
		}
	}
	return errs
}

// ValidateIn checks what of the pipeline depends on the platform's configuration, for the
// pipeline of environment env: promote.to must be a configured environment, the one after
// env on the promotion path. Field paths are the request body's.
func (p Pipeline) ValidateIn(env string, envs environments.List, path environments.Promotion) field.ErrorList {
	if p.Promote == nil || p.Promote.To == "" {
		return nil
	}
	to := field.NewPath("promote", "to")
	if _, ok := envs.Find(p.Promote.To); !ok {
		return field.ErrorList{field.NotFound(to, p.Promote.To)}
	}
	next, ok := path.Next(env)
	switch {
	case !ok:
		return field.ErrorList{field.Invalid(to, p.Promote.To, fmt.Sprintf("environment %q has no next step on the promotion path %v", env, path.Path))}
	case next != p.Promote.To:
		return field.ErrorList{field.Invalid(to, p.Promote.To, fmt.Sprintf("must be %q, the step after %q on the promotion path", next, env))}
	}
	return nil
}

// checkTemplate keeps a stage's template to what a step of the project's may be: one
// container or script, under the run's ServiceAccount. What Argo itself refuses is left to
// its validator, which sees the whole run.
func checkTemplate(at *field.Path, t *wfv1.Template) field.ErrorList {
	var errs field.ErrorList
	if t.Container == nil && t.Script == nil {
		errs = append(errs, field.Required(at, "a container or a script"))
	}
	for name, set := range map[string]bool{
		"steps": t.Steps != nil, "dag": t.DAG != nil, "resource": t.Resource != nil, "suspend": t.Suspend != nil,
		"http": t.HTTP != nil, "plugin": t.Plugin != nil, "containerSet": t.ContainerSet != nil, "data": t.Data != nil,
		// The run's ServiceAccount and pod shape are the platform's.
		"serviceAccountName": t.ServiceAccountName != "", "automountServiceAccountToken": t.AutomountServiceAccountToken != nil,
		"podSpecPatch": t.PodSpecPatch != "", "securityContext": t.SecurityContext != nil, "hostAliases": len(t.HostAliases) > 0,
		// Extra containers would escape the checks on the step's own.
		"initContainers": len(t.InitContainers) > 0, "sidecars": len(t.Sidecars) > 0,
		"container.securityContext": t.Container != nil && t.Container.SecurityContext != nil,
		"script.securityContext":    t.Script != nil && t.Script.SecurityContext != nil,
	} {
		if set {
			errs = append(errs, field.Forbidden(at.Child(name), "not allowed in a stage's template"))
		}
	}
	// Only scratch space: a Secret, a host path or a claim would reach past what the run's
	// ServiceAccount may read.
	for i, v := range t.Volumes {
		if v.EmptyDir == nil {
			errs = append(errs, field.Forbidden(at.Child("volumes").Index(i), "a stage's template may only use emptyDir volumes"))
		}
	}
	return errs
}

// checkBranch applies Git's ref-name rules that matter in a URL, a label and a shell.
func checkBranch(b string) string {
	switch {
	case len(b) > 200:
		return "must be at most 200 characters"
	case strings.HasPrefix(b, "-") || strings.HasPrefix(b, "/") || strings.HasSuffix(b, "/") || strings.HasSuffix(b, ".lock"):
		return "is not a valid Git branch name"
	case strings.Contains(b, "..") || strings.Contains(b, "//") || strings.Contains(b, "@{"):
		return "is not a valid Git branch name"
	}
	for _, r := range b {
		if r <= ' ' || r == 0x7f || strings.ContainsRune("~^:?*[\\'\"`$;&|<>(){}", r) {
			return fmt.Sprintf("must not contain %q", r)
		}
	}
	return ""
}

// checkRelativePath allows "" or a clean path inside the repository.
func checkRelativePath(p string) string {
	switch {
	case p == "":
		return ""
	case len(p) > 255:
		return "must be at most 255 characters"
	case path.IsAbs(p) || path.Clean(p) != p || p == ".." || strings.HasPrefix(p, "../"):
		return "must be a clean path inside the repository"
	}
	for _, r := range p {
		if r < ' ' || strings.ContainsRune("'\"`$;&|<>\\", r) {
			return fmt.Sprintf("must not contain %q", r)
		}
	}
	return ""
}

func containsPoint(p Point) bool {
	for _, q := range points {
		if p == q {
			return true
		}
	}
	return false
}

func pointNames() []string {
	names := make([]string, len(points))
	for i, p := range points {
		names[i] = string(p)
	}
	return names
}
