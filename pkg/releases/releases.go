// Package releases holds what a revision runs, as an immutable snapshot: the image (by
// digest where one is known), the container spec and Slipway's settings, minus what the
// environment adds (overlays), and where it came from. A release is named from a hash of
// that content, so the same content is the same release in every environment, and it is
// kept as an immutable ConfigMap in the platform's namespace. Nothing here talks to a cluster.
package releases

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/slipway-dev/slipway/pkg/environments"
	"github.com/slipway-dev/slipway/pkg/logging"
	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/revisions"
)

// Release is an immutable snapshot of what one revision runs.
type Release struct {
	// Name is {app}-{hash}: the hash of Image, Digest, Spec and Source.
	Name    string `json:"name"`
	Project string `json:"project"`
	App     string `json:"app"`
	// Image is the image exactly as deployed.
	Image string `json:"image"`
	// Digest is the image's sha256 digest: the one it was deployed by, or the one Knative
	// resolved. Empty when nothing resolved a tag (Unpinned).
	Digest string `json:"digest,omitempty"`
	// Unpinned: known only by a tag that nothing resolved; a promotion deploys the tag as is.
	Unpinned bool `json:"unpinned,omitempty"`
	Spec     Spec `json:"spec"`
	// Source is the pipeline run and commit that built it, if a run did.
	Source *revisions.Source `json:"source,omitempty"`
	// Recorded says where and when the release was first seen (not part of its name).
	Recorded Recorded `json:"recorded"`
}

// Spec is the container and Slipway settings a release carries.
type Spec struct {
	Port      int32                       `json:"port,omitempty"`
	Env       []revisions.EnvVar          `json:"env,omitempty"`
	Resources corev1.ResourceRequirements `json:"resources,omitzero"`
	MinScale  *int32                      `json:"minScale,omitempty"`
	MaxScale  *int32                      `json:"maxScale,omitempty"`
	Target    *int32                      `json:"target,omitempty"`
	LogPaths  []logging.LogPath           `json:"logPaths,omitempty"`
	// The other autoscaling knobs (revisions.Scaling); omitted when unset, so releases
	// recorded before they existed keep their names.
	InitialScale         *int32 `json:"initialScale,omitempty"`
	Metric               string `json:"metric,omitempty"`
	TargetUtilization    *int32 `json:"targetUtilization,omitempty"`
	ScaleDownDelay       string `json:"scaleDownDelay,omitempty"`
	Window               string `json:"window,omitempty"`
	ContainerConcurrency *int64 `json:"containerConcurrency,omitempty"`
}

// Recorded is where a release was first recorded.
type Recorded struct {
	Env string `json:"env"`
	// Revision is the revision it was read from, when it was (a promotion pins a release
	// Knative resolved); a deploy records its release before the revision is named.
	Revision string    `json:"revision,omitempty"`
	At       time.Time `json:"at"`
}

// DataKey holds the release's JSON in its ConfigMap.
const DataKey = "release.json"

// FromTemplate is the release a revision template runs in env: its image and settings
// without env's overlays. digest is what Knative resolved for the image ("" if nothing did).
func FromTemplate(project, app string, env environments.Environment, t revisions.Template, digest string, at time.Time) Release {
	r := Release{
		Project: project, App: app, Image: t.Image,
		Spec: Spec{
			Port: t.Port, Resources: t.Resources, LogPaths: t.LogPaths,
			MinScale: t.MinScale, MaxScale: t.MaxScale, Target: t.Target,
			InitialScale: t.InitialScale, Metric: t.Metric, TargetUtilization: t.TargetUtilization,
			ScaleDownDelay: t.ScaleDownDelay, Window: t.Window,
		},
		Source:   t.Source,
		Recorded: Recorded{Env: env.Name, Revision: t.RevisionName, At: at.UTC().Truncate(time.Second)},
	}
	if c := t.ContainerConcurrency; c != nil && *c > 0 {
		// 0 is what Knative's defaulting writes on every stored template (no limit): kept
		// out, so a release read from a revision and one from its deploy are one release.
		r.Spec.ContainerConcurrency = c
	}
	for _, v := range t.Env {
		if _, overlay := env.Overlay(v.Name); overlay || v.ValueFrom != nil {
			continue
		}
		r.Spec.Env = append(r.Spec.Env, revisions.EnvVar{Name: v.Name, Value: v.Value})
	}
	switch {
	case imageDigest(t.Image) != "":
		r.Digest = imageDigest(t.Image)
	case strings.HasPrefix(digest, "sha256:"):
		r.Digest = digest
	case strings.Contains(digest, "@sha256:"):
		r.Digest = imageDigest(digest)
	default:
		r.Unpinned = true
	}
	r.Name = app + "-" + r.hash()
	return r
}

// imageDigest is the digest an image reference names (…@sha256:…), or "".
func imageDigest(image string) string {
	if _, d, ok := strings.Cut(image, "@"); ok {
		return d
	}
	return ""
}

// hash names the content: everything but Name and Recorded.
func (r Release) hash() string {
	content := struct {
		Image, Digest string
		Spec          Spec
		Source        *revisions.Source
	}{r.Image, r.Digest, r.Spec, r.Source}
	raw, err := json.Marshal(content)
	if err != nil {
		panic(fmt.Sprintf("hashing a release: %v", err)) // plain data only
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])[:10]
}

// PinnedImage is the reference a promotion deploys: the image by its digest when known.
func (r Release) PinnedImage() string {
	if r.Digest == "" || imageDigest(r.Image) != "" {
		return r.Image
	}
	repo := r.Image
	// Drop a tag (after the last slash, a colon), keeping a registry port.
	if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
		repo = repo[:i]
	}
	return repo + "@" + r.Digest
}

// DeployRequest is the deploy that runs the release in env: its spec plus env's overlays,
// moving traffic by strategy.
func (r Release) DeployRequest(env environments.Environment, strategy *revisions.Strategy, message string) revisions.DeployRequest {
	req := revisions.DeployRequest{Image: r.PinnedImage(), Port: r.Spec.Port, Strategy: strategy, Message: message,
		LogPaths: slices.Clone(r.Spec.LogPaths)}
	for _, v := range r.Spec.Env {
		if _, overlay := env.Overlay(v.Name); !overlay {
			req.Env = append(req.Env, v)
		}
	}
	if len(r.Spec.Resources.Requests) > 0 || len(r.Spec.Resources.Limits) > 0 {
		req.Resources = &revisions.ResourcesSpec{Requests: quantities(r.Spec.Resources.Requests), Limits: quantities(r.Spec.Resources.Limits)}
	}
	sc := revisions.Scaling{MinScale: copyInt(r.Spec.MinScale), MaxScale: copyInt(r.Spec.MaxScale), Target: copyInt(r.Spec.Target),
		InitialScale: copyInt(r.Spec.InitialScale), Metric: r.Spec.Metric, TargetUtilization: copyInt(r.Spec.TargetUtilization),
		ScaleDownDelay: r.Spec.ScaleDownDelay, Window: r.Spec.Window}
	if c := r.Spec.ContainerConcurrency; c != nil {
		sc.ContainerConcurrency = new(int64)
		*sc.ContainerConcurrency = *c
	}
	if sc != (revisions.Scaling{}) {
		req.Scaling = &sc
	}
	return req
}

func quantities(l corev1.ResourceList) map[string]string {
	if len(l) == 0 {
		return nil
	}
	out := map[string]string{}
	for k, v := range l {
		out[string(k)] = v.String()
	}
	return out
}

func copyInt(v *int32) *int32 {
	if v == nil {
		return nil
	}
	return ptr.To(*v)
}

// ConfigMap keeps the release in namespace store; it is immutable, so a release never changes.
func ConfigMap(store string, r Release) *corev1.ConfigMap {
	raw, err := json.Marshal(r)
	if err != nil {
		panic(fmt.Sprintf("marshalling release %s: %v", r.Name, err)) // plain data only
	}
	return &corev1.ConfigMap{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: names.ReleaseConfigMap(r.Project, r.Name), Namespace: store,
			Labels: map[string]string{
				names.LabelManagedBy: names.ManagedBy, names.LabelProject: r.Project, names.LabelApp: r.App,
				names.LabelKind: names.KindRelease, names.LabelRelease: r.Name,
			}},
		Immutable: ptr.To(true),
		Data:      map[string]string{DataKey: string(raw)},
	}
}

// FromConfigMap reads a release back.
func FromConfigMap(cm *corev1.ConfigMap) (Release, error) {
	var r Release
	if err := json.Unmarshal([]byte(cm.Data[DataKey]), &r); err != nil {
		return Release{}, fmt.Errorf("reading release %s/%s: %w", cm.Namespace, cm.Name, err)
	}
	return r, nil
}
