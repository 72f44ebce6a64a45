package logging

import (
	"errors"
	"fmt"
	"path"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"

	"github.com/slipway-dev/slipway/pkg/names"
)

// Names Mutate adds to a pod.
const (
	// VolumeName is the hostPath volume Mutate adds.
	VolumeName = "slipway-logs"
	// EnvPodName is the env var, set from the downward API metadata.name,
	// that the mounts' subPathExpr expands to the pod's name.
	EnvPodName = "SLIPWAY_POD_NAME"
)

// The collector indexes by names.KeyLogProject, KeyLogApp and KeyLogEnv. Mutate sets each
// as both a pod label and a pod annotation, never from the pod's own labels (anyone who
// may create a pod may write those): project and env come from the namespace, app from
// Knative's label (LabelKnativeService), the same one the host directory uses.

// LabelKnativeService is the label Knative puts on a Service's pods, naming
// the Service: the app.
const LabelKnativeService = "serving.knative.dev/service"

// Namespace is what the cluster says about the namespace of the pod under
// admission: its name from the admission request, project and environment from
// the labels platform-api put on the namespace (empty for other namespaces).
type Namespace struct {
	Name    string
	Project string
	Env     string
}

// DefaultHostRoot is HostRoot when the operator sets none.
const DefaultHostRoot = "/var/log/slipway"

// Config is the logging section of platform-api's configuration (the pod-mutator reads it).
type Config struct {
	// HostRoot is the directory on every node under which pods' log
	// directories are made, e.g. /var/log/slipway. It must be absolute,
	// clean, and neither the root nor a system directory, under one, or a
	// parent of one (the same rules as a log path).
	HostRoot string `json:"hostRoot"`
}

// Validate reports what is wrong with c.
func (c Config) Validate() error {
	if problem := checkPath(c.HostRoot); problem != "" {
		return fmt.Errorf("logging config: hostRoot %s: %s", quote(c.HostRoot), problem)
	}
	return nil
}

// HostDir returns the node directory of an app's logs:
// {cfg.HostRoot}/{namespace}/{app}. namespace and app must be DNS-1123 labels.
func HostDir(cfg Config, namespace, app string) (string, error) {
	if err := cfg.Validate(); err != nil {
		return "", err
	}
	if problem := checkDNSLabel(namespace, 63); problem != "" {
		return "", fmt.Errorf("namespace %s: %s", quote(namespace), problem)
	}
	if problem := checkDNSLabel(app, 63); problem != "" {
		return "", fmt.Errorf("pod label %s %s: %s", LabelKnativeService, quote(app), problem)
	}
	return cfg.HostRoot + "/" + namespace + "/" + app, nil
}

// plannedMount is the mount Mutate wants for log-paths[entry].
type plannedMount struct {
	entry int
	mount corev1.VolumeMount
}

// Mutate returns a deep copy of pod with log collection set up as the
// package documentation describes. ns is the namespace of the admission
// request (the pod's Namespace may still be empty at admission).
//
// A pod without LabelCollect = "true" is returned unchanged. Otherwise
// Mutate refuses the pod when:
//   - LabelKnativeService is missing or not a DNS-1123 label, or namespace is
//     not one, or cfg is invalid;
//   - AnnotationLogPaths is missing or invalid (see ParseLogPaths);
//   - an entry names a container the pod does not have (init and ephemeral
//     containers are not log sources);
//   - a log path equals, contains or is under the path of another mount or a
//     volume device in its container;
//   - the pod already has a VolumeName volume, or a mount of it, or an
//     EnvPodName env var in a target container, other than exactly what
//     Mutate adds.
//
// Mutate(Mutate(p)) equals Mutate(p).
func Mutate(pod *corev1.Pod, ns Namespace, cfg Config) (*corev1.Pod, error) {
	if pod == nil {
		return nil, errors.New("no pod")
	}
	out := pod.DeepCopy()
	if out.Labels[names.LabelLogCollect] != "true" {
		return out, nil
	}

	// The host directory comes from trusted inputs only: the operator's
	// config, the request's namespace and Knative's label.
	app, ok := out.Labels[LabelKnativeService]
	if !ok {
		return nil, fmt.Errorf("pod label %s: required on a pod with %s=true", LabelKnativeService, names.LabelLogCollect)
	}
	hostDir, err := HostDir(cfg, ns.Name, app)
	if err != nil {
		return nil, err
	}
	raw, ok := out.Annotations[names.AnnoLogPaths]
	if !ok {
		return nil, fmt.Errorf("pod annotation %s: required on a pod with %s=true", names.AnnoLogPaths, names.LabelLogCollect)
	}
	entries, err := ParseLogPaths(raw)
	if err != nil {
		return nil, err
	}

	spec := &out.Spec
	volume := hostVolume(hostDir)
	haveVolume := false
	for _, v := range spec.Volumes {
		if v.Name != VolumeName {
			continue
		}
		if haveVolume || !equality.Semantic.DeepEqual(v, volume) {
			return nil, fmt.Errorf("pod volume %s: already present, and not the hostPath volume at %s that Slipway adds", VolumeName, hostDir)
		}
		haveVolume = true
	}

	index := make(map[string]int, len(spec.Containers))
	for i := range spec.Containers {
		if _, dup := index[spec.Containers[i].Name]; !dup {
			index[spec.Containers[i].Name] = i
		}
	}
	planned := make([][]plannedMount, len(spec.Containers))
	for i, e := range entries {
		ci, ok := index[e.Container]
		if !ok {
			return nil, fmt.Errorf("log-paths[%d].container %q: no such container in the pod", i, e.Container)
		}
		planned[ci] = append(planned[ci], plannedMount{entry: i, mount: logMount(e)})
	}

	// Every mount of the volume already in the pod must be one Mutate plans.
	for _, c := range spec.InitContainers {
		if err := checkForeignMounts("init container", c.Name, c.VolumeMounts, c.VolumeDevices, nil); err != nil {
			return nil, err
		}
	}
	for _, c := range spec.EphemeralContainers {
		if err := checkForeignMounts("ephemeral container", c.Name, c.VolumeMounts, c.VolumeDevices, nil); err != nil {
			return nil, err
		}
	}
	for ci, c := range spec.Containers {
		if err := checkForeignMounts("container", c.Name, c.VolumeMounts, c.VolumeDevices, planned[ci]); err != nil {
			return nil, err
		}
	}

	env := podNameEnv()
	for ci := range spec.Containers {
		if len(planned[ci]) == 0 {
			continue
		}
		c := &spec.Containers[ci]
		var add []corev1.VolumeMount
		for _, p := range planned[ci] {
			present := false
			for _, have := range c.VolumeMounts {
				if equality.Semantic.DeepEqual(have, p.mount) {
					present = true
					continue
				}
				if overlaps(have.MountPath, p.mount.MountPath) {
					return nil, fmt.Errorf("log-paths[%d].path %s: collides with the mount of volume %q at %s in container %q",
						p.entry, quote(p.mount.MountPath), have.Name, quote(have.MountPath), c.Name)
				}
			}
			for _, d := range c.VolumeDevices {
				if overlaps(d.DevicePath, p.mount.MountPath) {
					return nil, fmt.Errorf("log-paths[%d].path %s: collides with volume device %q at %s in container %q",
						p.entry, quote(p.mount.MountPath), d.Name, quote(d.DevicePath), c.Name)
				}
			}
			if !present {
				add = append(add, p.mount)
			}
		}
		haveEnv := false
		for _, e := range c.Env {
			if e.Name != EnvPodName {
				continue
			}
			if !equality.Semantic.DeepEqual(e, env) {
				return nil, fmt.Errorf("container %q: env %s is already set, and not to the pod's name (metadata.name)", c.Name, EnvPodName)
			}
			haveEnv = true
		}
		c.VolumeMounts = append(c.VolumeMounts, add...)
		if !haveEnv {
			c.Env = append(c.Env, env)
		}
	}
	if !haveVolume {
		spec.Volumes = append(spec.Volumes, volume)
	}

	setMeta(out, names.KeyLogProject, ns.Project)
	setMeta(out, names.KeyLogApp, app)
	setMeta(out, names.KeyLogEnv, ns.Env)
	return out, nil
}

// checkForeignMounts refuses mounts of VolumeName other than the planned
// ones, and any volume device named VolumeName.
func checkForeignMounts(kind, name string, mounts []corev1.VolumeMount, devices []corev1.VolumeDevice, planned []plannedMount) error {
	for _, m := range mounts {
		if m.Name != VolumeName {
			continue
		}
		ours := false
		for _, p := range planned {
			if equality.Semantic.DeepEqual(m, p.mount) {
				ours = true
				break
			}
		}
		if !ours {
			return fmt.Errorf("%s %q: already mounts volume %s at %s, which is not from %s", kind, name, VolumeName, quote(m.MountPath), names.AnnoLogPaths)
		}
	}
	for _, d := range devices {
		if d.Name == VolumeName {
			return fmt.Errorf("%s %q: already uses volume %s as a device", kind, name, VolumeName)
		}
	}
	return nil
}

// overlaps reports whether an existing mount at have (as written in the pod,
// perhaps not clean) and a log path p are the same directory or one contains
// the other.
func overlaps(have, p string) bool {
	have = path.Clean("/" + have)
	return have == p || isUnder(have, p) || isUnder(p, have)
}

// setMeta sets key to value as a label and an annotation, or removes both when
// value is empty, so that only Mutate decides them.
func setMeta(pod *corev1.Pod, key, value string) {
	if value == "" {
		delete(pod.Labels, key)
		delete(pod.Annotations, key)
		return
	}
	pod.Labels[key] = value
	pod.Annotations[key] = value
}

func hostVolume(dir string) corev1.Volume {
	t := corev1.HostPathDirectoryOrCreate
	return corev1.Volume{
		Name: VolumeName,
		VolumeSource: corev1.VolumeSource{
			HostPath: &corev1.HostPathVolumeSource{Path: dir, Type: &t},
		},
	}
}

func logMount(e LogPath) corev1.VolumeMount {
	return corev1.VolumeMount{
		Name:        VolumeName,
		MountPath:   e.Path,
		SubPathExpr: "$(" + EnvPodName + ")/" + e.Name,
	}
}

func podNameEnv() corev1.EnvVar {
	return corev1.EnvVar{
		Name: EnvPodName,
		ValueFrom: &corev1.EnvVarSource{
			FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.name"},
		},
	}
}
