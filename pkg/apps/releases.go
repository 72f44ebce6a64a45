package apps

import (
	"context"
	"sort"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/slipway-dev/slipway/pkg/apierror"
	"github.com/slipway-dev/slipway/pkg/kube"
	"github.com/slipway-dev/slipway/pkg/logging"
	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/releases"
	"github.com/slipway-dev/slipway/pkg/revisions"
)

// ReleaseView is a release as the API shows it: environment variables by name only (their
// values may be secrets), and where it runs now.
type ReleaseView struct {
	Name     string             `json:"name"`
	Image    string             `json:"image"`
	Digest   string             `json:"digest,omitempty"`
	Unpinned bool               `json:"unpinned,omitempty"`
	Port     int32              `json:"port,omitempty"`
	EnvNames []string           `json:"envNames,omitempty"`
	Scaling  *revisions.Scaling `json:"scaling,omitempty"`
	LogPaths []logging.LogPath  `json:"logPaths,omitempty"`
	Source   *revisions.Source  `json:"source,omitempty"`
	Recorded releases.Recorded  `json:"recorded"`
	// Environments are where a revision running the release serves traffic now.
	Environments []ReleaseEnvironment `json:"environments"`
}

// ReleaseEnvironment is one environment a release serves in.
type ReleaseEnvironment struct {
	Env      string `json:"env"`
	Revision string `json:"revision"`
	Percent  int64  `json:"percent"`
}

func releaseView(r releases.Release) ReleaseView {
	v := ReleaseView{Name: r.Name, Image: r.Image, Digest: r.Digest, Unpinned: r.Unpinned, Port: r.Spec.Port,
		LogPaths: r.Spec.LogPaths, Source: r.Source, Recorded: r.Recorded, Environments: []ReleaseEnvironment{}}
	for _, e := range r.Spec.Env {
		v.EnvNames = append(v.EnvNames, e.Name)
	}
	if s := r.Spec; s.MinScale != nil || s.MaxScale != nil || s.Target != nil {
		v.Scaling = &revisions.Scaling{MinScale: s.MinScale, MaxScale: s.MaxScale, Target: s.Target}
	}
	return v
}

// RecordRelease keeps r; a release of the same content already kept is the same release.
func (p *Platform) RecordRelease(ctx context.Context, r releases.Release) error {
	if _, err := p.releaseConfigMap(r.Project, r.Name); err == nil {
		return nil
	}
	_, err := p.clients.Kube.CoreV1().ConfigMaps(p.store).Create(ctx, releases.ConfigMap(p.store, r), metav1.CreateOptions{FieldManager: names.FieldManager})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return kube.WriteError(err)
	}
	return nil
}

func (p *Platform) releaseConfigMap(project, name string) (releases.Release, error) {
	cm, err := p.cache.ConfigMaps.ConfigMaps(p.store).Get(names.ReleaseConfigMap(project, name))
	if err != nil {
		return releases.Release{}, err
	}
	return releases.FromConfigMap(cm)
}

// Release reads one of the app's releases.
func (p *Platform) Release(ctx context.Context, project, app, name string) (releases.Release, error) {
	r, err := p.releaseConfigMap(project, name)
	if apierrors.IsNotFound(err) {
		// Just written by another replica, not in this one's cache yet.
		cm, gerr := p.clients.Kube.CoreV1().ConfigMaps(p.store).Get(ctx, names.ReleaseConfigMap(project, name), metav1.GetOptions{})
		if apierrors.IsNotFound(gerr) {
			return releases.Release{}, apierror.NotFound("release %q of app %q does not exist", name, app)
		}
		if gerr != nil {
			return releases.Release{}, kube.WriteError(gerr)
		}
		return releases.FromConfigMap(cm)
	}
	if err == nil && r.App != app {
		return releases.Release{}, apierror.NotFound("release %q of app %q does not exist", name, app)
	}
	return r, err
}

// ListReleases lists an app's releases, newest first, with the environments each serves in.
func (p *Platform) ListReleases(project, app string) ([]ReleaseView, error) {
	if err := p.records.AppExists(project, app); err != nil {
		return nil, err
	}
	cms, err := p.cache.ConfigMaps.ConfigMaps(p.store).List(labels.SelectorFromSet(labels.Set{
		names.LabelKind: names.KindRelease, names.LabelProject: project, names.LabelApp: app}))
	if err != nil {
		return nil, err
	}
	serving := map[string][]ReleaseEnvironment{}
	for _, env := range p.records.Environments() {
		t := Target{Project: project, App: app, Env: env.Name}
		svc := p.records.CachedService(t)
		if svc == nil {
			continue
		}
		for _, tt := range svc.Status.Traffic {
			if tt.Percent == nil || *tt.Percent == 0 {
				continue
			}
			rev, err := p.records.Revision(t, tt.RevisionName)
			if err != nil {
				continue
			}
			if name := rev.Labels[names.LabelRelease]; name != "" {
				serving[name] = append(serving[name], ReleaseEnvironment{Env: env.Name, Revision: rev.Name, Percent: *tt.Percent})
			}
		}
	}
	out := make([]ReleaseView, 0, len(cms))
	for _, cm := range cms {
		r, err := releases.FromConfigMap(cm)
		if err != nil {
			continue // unreadable: not Slipway's writing
		}
		v := releaseView(r)
		if envs := serving[r.Name]; envs != nil {
			v.Environments = envs
		}
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Recorded.At.Equal(out[j].Recorded.At) {
			return out[i].Recorded.At.After(out[j].Recorded.At)
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}
