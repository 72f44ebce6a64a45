package releases

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/slipway-dev/slipway/pkg/environments"
	"github.com/slipway-dev/slipway/pkg/logging"
	"github.com/slipway-dev/slipway/pkg/revisions"
)

const digest = "sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945"

var (
	at   = time.Date(2026, time.March, 4, 12, 30, 15, 0, time.UTC)
	test = environments.Environment{Name: "test"}
	prod = environments.Environment{Name: "prod", MinScale: 1, DeployVia: environments.DeployPromotion,
		Env: []environments.EnvVar{{Name: "SLIPWAY_TIER", Value: "production"}}}
)

// template is a revision template as the deploy writes it in env: the request's variables,
// then env's overlays.
func template(env environments.Environment) revisions.Template {
	t := revisions.Template{
		RevisionName: "web-00003",
		Image:        "registry.test:5000/shop/web:1.4",
		Port:         8080,
		Env: []corev1.EnvVar{
			{Name: "GREETING", Value: "hello"},
			{Name: "DB_PASSWORD", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: "db"}, Key: "password"}}},
			{Name: "EMPTY"},
		},
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")},
		},
		MinScale:   ptr.To[int32](1),
		MaxScale:   ptr.To[int32](5),
		Target:     ptr.To[int32](50),
		DeployedBy: "ada",
		DeployedAt: at,
		Message:    "new greeting",
		LogPaths:   []logging.LogPath{{Path: "/var/log/web", Container: logging.DefaultContainer, Name: "web"}},
		Source:     &revisions.Source{PipelineRun: "web-run-7", Commit: "0123456789abcdef0123456789abcdef01234567"},
	}
	for _, v := range env.Env {
		t.Env = append(t.Env, corev1.EnvVar{Name: v.Name, Value: v.Value})
	}
	return t
}

func TestFromTemplate(t *testing.T) {
	got := FromTemplate("shop", "web", prod, template(prod), "", at.Add(500*time.Millisecond).In(time.FixedZone("CET", 3600)))
	want := Release{
		Name: got.Name, Project: "shop", App: "web",
		Image:    "registry.test:5000/shop/web:1.4",
		Unpinned: true,
		Spec: Spec{
			Port: 8080,
			// Without the environment's overlay (SLIPWAY_TIER) and the variable from a Secret.
			Env:       []revisions.EnvVar{{Name: "GREETING", Value: "hello"}, {Name: "EMPTY", Value: ""}},
			Resources: template(prod).Resources,
			MinScale:  ptr.To[int32](1), MaxScale: ptr.To[int32](5), Target: ptr.To[int32](50),
			LogPaths: []logging.LogPath{{Path: "/var/log/web", Container: logging.DefaultContainer, Name: "web"}},
		},
		Source:   &revisions.Source{PipelineRun: "web-run-7", Commit: "0123456789abcdef0123456789abcdef01234567"},
		Recorded: Recorded{Env: "prod", Revision: "web-00003", At: at},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FromTemplate (-want,+got):\n%s", diff)
	}
	if got.Recorded.At.Location() != time.UTC {
		t.Errorf("recorded at %s, want UTC", got.Recorded.At)
	}
	if !regexp.MustCompile(`^web-[0-9a-f]{10}$`).MatchString(got.Name) {
		t.Errorf("name %q is not {app}-{10 hex}", got.Name)
	}
	// The same variables in an environment without overlays are the same release.
	if other := FromTemplate("shop", "web", test, template(test), "", at); other.Name != got.Name {
		t.Errorf("without the overlay: %s, want %s", other.Name, got.Name)
	}
}

func TestDigest(t *testing.T) {
	const repo = "registry.test/shop/web"
	for _, tc := range []struct {
		name, image, resolved string
		digest                string
	}{
		{"deployed by digest", repo + "@" + digest, "", digest},
		{"deployed by tag and digest", repo + ":1.4@" + digest, "", digest},
		{"the deployed digest wins", repo + "@" + digest, "sha256:" + strings.Repeat("0", 64), digest},
		{"resolved digest", repo + ":1.4", digest, digest},
		{"resolved reference", repo + ":1.4", repo + "@" + digest, digest},
		{"resolved reference with a port", "registry.test:5000/web:1.4", "registry.test:5000/web@" + digest, digest},
		{"unresolved tag", repo + ":1.4", "", ""},
		{"unresolved latest", "web", "", ""},
		{"not a digest", repo + ":1.4", "1.4", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmpl := template(test)
			tmpl.Image = tc.image
			r := FromTemplate("shop", "web", test, tmpl, tc.resolved, at)
			if r.Digest != tc.digest || r.Unpinned != (tc.digest == "") {
				t.Errorf("digest %q, unpinned %v; want %q", r.Digest, r.Unpinned, tc.digest)
			}
			if r.Image != tc.image {
				t.Errorf("image %q, want it as deployed: %q", r.Image, tc.image)
			}
		})
	}
}

func TestName(t *testing.T) {
	base := FromTemplate("shop", "web", test, template(test), digest, at)
	t.Run("equal content", func(t *testing.T) {
		for name, change := range map[string]func(*revisions.Template){
			"another revision":      func(tt *revisions.Template) { tt.RevisionName = "web-00009" },
			"another deployer":      func(tt *revisions.Template) { tt.DeployedBy, tt.Message = "grace", "again" },
			"another deploy time":   func(tt *revisions.Template) { tt.DeployedAt = at.Add(time.Hour) },
			"a variable from a ref": func(tt *revisions.Template) { tt.Env[1].ValueFrom.SecretKeyRef.Key = "other" },
		} {
			tmpl := template(test)
			change(&tmpl)
			if r := FromTemplate("shop", "web", test, tmpl, digest, at.Add(24*time.Hour)); r.Name != base.Name {
				t.Errorf("%s: %s, want %s", name, r.Name, base.Name)
			}
		}
		again := base
		again.Recorded = Recorded{Env: "prod", Revision: "web-00001", At: at.Add(-time.Hour)}
		if again.hash() != base.hash() {
			t.Error("the name depends on Recorded")
		}
		// Recorded in prod (its overlay set), the same request is the same release.
		if r := FromTemplate("shop", "web", prod, template(prod), digest, at); r.Name != base.Name {
			t.Errorf("recorded in prod: %s, want %s", r.Name, base.Name)
		}
	})
	seen := map[string]string{base.Name: "base"}
	for name, change := range map[string]func(*Release){
		"image":           func(r *Release) { r.Image = "registry.test/shop/web:1.5" },
		"digest":          func(r *Release) { r.Digest = "sha256:" + strings.Repeat("1", 64) },
		"no digest":       func(r *Release) { r.Digest, r.Unpinned = "", true },
		"port":            func(r *Release) { r.Spec.Port = 9000 },
		"a value":         func(r *Release) { r.Spec.Env[0].Value = "hi" },
		"a variable name": func(r *Release) { r.Spec.Env[0].Name = "SALUTATION" },
		"variable order":  func(r *Release) { r.Spec.Env[0], r.Spec.Env[1] = r.Spec.Env[1], r.Spec.Env[0] },
		"one more variable": func(r *Release) {
			r.Spec.Env = append(r.Spec.Env, revisions.EnvVar{Name: "MORE", Value: "1"})
		},
		"no variables": func(r *Release) { r.Spec.Env = nil },
		"a request":    func(r *Release) { r.Spec.Resources.Requests[corev1.ResourceCPU] = resource.MustParse("200m") },
		"a limit":      func(r *Release) { r.Spec.Resources.Limits[corev1.ResourceCPU] = resource.MustParse("1") },
		"no resources": func(r *Release) { r.Spec.Resources = corev1.ResourceRequirements{} },
		"min scale":    func(r *Release) { r.Spec.MinScale = ptr.To[int32](2) },
		"no min scale": func(r *Release) { r.Spec.MinScale = nil },
		"max scale":    func(r *Release) { r.Spec.MaxScale = ptr.To[int32](6) },
		"target":       func(r *Release) { r.Spec.Target = ptr.To[int32](100) },
		"log paths":    func(r *Release) { r.Spec.LogPaths = nil },
		"a log path": func(r *Release) {
			r.Spec.LogPaths = []logging.LogPath{{Path: "/logs", Container: "user-container", Name: "logs"}}
		},
		"source run": func(r *Release) { r.Source = &revisions.Source{PipelineRun: "web-run-8", Commit: base.Source.Commit} },
		"source commit": func(r *Release) {
			r.Source = &revisions.Source{PipelineRun: base.Source.PipelineRun, Commit: strings.Repeat("f", 40)}
		},
		"no source": func(r *Release) { r.Source = nil },
	} {
		r := FromTemplate("shop", "web", test, template(test), digest, at) // fresh maps and slices
		change(&r)
		h := "web-" + r.hash()
		if other, ok := seen[h]; ok {
			t.Errorf("%s: name %s, the same as %s's", name, h, other)
		}
		seen[h] = name
	}
	if other := FromTemplate("shop", "api", test, template(test), digest, at); !strings.HasPrefix(other.Name, "api-") {
		t.Errorf("app api's release is %s", other.Name)
	}
}

func TestPinnedImage(t *testing.T) {
	for _, tc := range []struct {
		image, digest, want string
	}{
		{"shop/web:1.4", digest, "shop/web@" + digest},
		{"registry.test/shop/web:1.4", digest, "registry.test/shop/web@" + digest},
		{"registry.test:5000/shop/web:1.4", digest, "registry.test:5000/shop/web@" + digest},
		{"registry.test:5000/shop/web", digest, "registry.test:5000/shop/web@" + digest},
		{"web", digest, "web@" + digest},
		{"web:latest", digest, "web@" + digest},
		{"registry.test/shop/web@" + digest, digest, "registry.test/shop/web@" + digest},
		{"registry.test/shop/web:1.4@" + digest, digest, "registry.test/shop/web:1.4@" + digest},
		// Unpinned: the tag as deployed.
		{"registry.test:5000/shop/web:1.4", "", "registry.test:5000/shop/web:1.4"},
		{"web", "", "web"},
	} {
		r := Release{Image: tc.image, Digest: tc.digest, Unpinned: tc.digest == ""}
		if got := r.PinnedImage(); got != tc.want {
			t.Errorf("PinnedImage(%s, %q) = %s, want %s", tc.image, tc.digest, got, tc.want)
		}
	}
}

func TestDeployRequest(t *testing.T) {
	// A deploy into test, as the API receives it.
	asked := revisions.DeployRequest{
		Image: "registry.test:5000/shop/web:1.4",
		Port:  8080,
		Env:   []revisions.EnvVar{{Name: "GREETING", Value: "hello"}, {Name: "SLIPWAY_TIER", Value: "staging"}, {Name: "EMPTY"}},
		Resources: &revisions.ResourcesSpec{
			Requests: map[string]string{"cpu": "100m", "memory": "128Mi"},
			Limits:   map[string]string{"memory": "256Mi"},
		},
		Scaling: &revisions.Scaling{MinScale: ptr.To[int32](1), MaxScale: ptr.To[int32](5), Target: ptr.To[int32](50),
			InitialScale: ptr.To[int32](2), Metric: revisions.MetricRPS, TargetUtilization: ptr.To[int32](70),
			ScaleDownDelay: "1m30s", Window: "2m0s", ContainerConcurrency: ptr.To[int64](10)},
		LogPaths: []logging.LogPath{{Path: "/var/log/web"}},
	}
	if errs := asked.Validate(test); len(errs) > 0 {
		t.Fatal(errs)
	}
	tmpl := asked.TemplateFor(test, "web-00003", "ada", func() time.Time { return at })
	r := FromTemplate("shop", "web", test, tmpl, digest, at)

	canary := &revisions.Strategy{Type: revisions.StrategyCanary, Percent: ptr.To[int64](10)}
	got := r.DeployRequest(prod, canary, "promoted from test")
	want := asked
	want.Image = "registry.test:5000/shop/web@" + digest
	// prod sets SLIPWAY_TIER itself (and refuses a request that does).
	want.Env = []revisions.EnvVar{{Name: "GREETING", Value: "hello"}, {Name: "EMPTY"}}
	want.LogPaths = []logging.LogPath{{Path: "/var/log/web", Container: logging.DefaultContainer, Name: "web"}}
	want.Strategy, want.Message = canary, "promoted from test"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DeployRequest (-want,+got):\n%s", diff)
	}
	if errs := got.Validate(prod); len(errs) > 0 {
		t.Errorf("the promotion's deploy is refused in prod: %v", errs)
	}
	// Into test (no overlays) every variable comes back.
	if got := r.DeployRequest(test, nil, ""); !cmp.Equal(got.Env, r.Spec.Env) {
		t.Errorf("env in test: %v, want %v", got.Env, r.Spec.Env)
	}
	// Nothing set is nothing asked.
	bare := Release{Name: "web-0123456789", App: "web", Image: "web", Unpinned: true}
	if diff := cmp.Diff(revisions.DeployRequest{Image: "web"}, bare.DeployRequest(test, nil, "")); diff != "" {
		t.Errorf("a bare release's deploy (-want,+got):\n%s", diff)
	}
	// The request is a copy: changing it leaves the release alone.
	got.LogPaths[0].Path = "/elsewhere"
	*got.Scaling.MaxScale = 99
	if r.Spec.LogPaths[0].Path != "/var/log/web" || *r.Spec.MaxScale != 5 {
		t.Error("DeployRequest shares the release's log paths or scaling")
	}
}

func TestConfigMap(t *testing.T) {
	tmpl := template(test)
	tmpl.Image = "registry.test/shop/web:1.4"
	r := FromTemplate("shop", "web", test, tmpl, digest, at)
	got := ConfigMap("slipway-system", r)
	want := &corev1.ConfigMap{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: "release.shop." + r.Name, Namespace: "slipway-system",
			Labels: map[string]string{
				"app.kubernetes.io/managed-by": "slipway", "slipway.dev/project": "shop", "slipway.dev/app": "web",
				"slipway.dev/kind": "release", "slipway.dev/release": r.Name,
			}},
		Immutable: ptr.To(true),
		// The stored form: what older and newer replicas read back.
		Data: map[string]string{"release.json": `{"name":"` + r.Name + `","project":"shop","app":"web",` +
			`"image":"registry.test/shop/web:1.4","digest":"` + digest + `",` +
			`"spec":{"port":8080,"env":[{"name":"GREETING","value":"hello"},{"name":"EMPTY","value":""}],` +
			`"resources":{"limits":{"memory":"256Mi"},"requests":{"cpu":"100m","memory":"128Mi"}},` +
			`"minScale":1,"maxScale":5,"target":50,"logPaths":[{"path":"/var/log/web","container":"user-container","name":"web"}]},` +
			`"source":{"pipelineRun":"web-run-7","commit":"0123456789abcdef0123456789abcdef01234567"},` +
			`"recorded":{"env":"test","revision":"web-00003","at":"2026-03-04T12:30:15Z"}}`},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ConfigMap (-want,+got):\n%s", diff)
	}
	// The name is the content's: a change to how releases are hashed renames every release.
	if r.Name != "web-8f965d337c" {
		t.Errorf("release name %s, want web-8f965d337c", r.Name)
	}

	back, err := FromConfigMap(got)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r, back); diff != "" {
		t.Errorf("FromConfigMap(ConfigMap(r)) (-r,+read):\n%s", diff)
	}
	if back.hash() != r.hash() {
		t.Error("the release read back hashes to another name")
	}
	unpinned := FromTemplate("shop", "web", test, template(test), "", at)
	if back, err := FromConfigMap(ConfigMap("slipway-system", unpinned)); err != nil || !cmp.Equal(unpinned, back) {
		t.Errorf("unpinned release read back: %+v, %v", back, err)
	}

	broken := got.DeepCopy()
	broken.Data[DataKey] = "{"
	if _, err := FromConfigMap(broken); err == nil || !strings.Contains(err.Error(), "slipway-system/release.shop.") {
		t.Errorf("unreadable release: %v", err)
	}
}
