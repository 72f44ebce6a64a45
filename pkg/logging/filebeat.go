package logging

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

// ContainerLogDir is where the kubelet links every container's stdout and
// stderr: {pod}_{namespace}_{container}-{container id}.log.
const ContainerLogDir = "/var/log/containers"

// FilebeatSource is a namespace, or a namespace pattern with "*", whose logs
// the collector reads and indexes under a project and an environment.
type FilebeatSource struct {
	Project   string `json:"project"`
	Env       string `json:"env"`
	Namespace string `json:"namespace"`
}

// RenderFilebeatInputs renders a filebeat configuration fragment,
// `filebeat.inputs: [...]`, with two filestream inputs per source:
//
//   - the files the pod-mutator's mounts collect, {HostRoot}/{namespace}/{app}/{pod}/{log name}/{file};
//     app, pod and log name are cut from the file's path;
//   - the stdout and stderr of every container in the namespace, for workloads
//     that write no files (mount-free collection), with the app taken from the
//     pod's Knative label by add_kubernetes_metadata.
//
// Every event carries slipway.project and slipway.env (static per source) and
// slipway.app. Sources are sorted, so the output is stable.
func RenderFilebeatInputs(cfg Config, sources []FilebeatSource) ([]byte, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(sources) == 0 {
		return nil, fmt.Errorf("filebeat: no source; want at least one {project, env, namespace}")
	}
	sorted := slices.Clone(sources)
	slices.SortFunc(sorted, func(a, b FilebeatSource) int { return strings.Compare(a.Namespace, b.Namespace) })
	inputs := make([]any, 0, 2*len(sorted))
	for i, s := range sorted {
		if err := s.validate(); err != nil {
			return nil, fmt.Errorf("filebeat: source %d: %w", i, err)
		}
		if i > 0 && sorted[i-1].Namespace == s.Namespace {
			return nil, fmt.Errorf("filebeat: namespace %q appears twice", s.Namespace)
		}
		inputs = append(inputs, fileInput(cfg, s), containerInput(s))
	}
	// Overlapping sources would ship the same lines twice, under two projects.
	for _, a := range sorted {
		for _, b := range sorted {
			if a.Namespace != b.Namespace && strings.Contains(a.Namespace, "*") {
				if m, _ := path.Match(a.Namespace, b.Namespace); m {
					return nil, fmt.Errorf("filebeat: pattern %q also matches namespace %q", a.Namespace, b.Namespace)
				}
			}
		}
	}
	return yaml.Marshal(map[string]any{"filebeat.inputs": inputs})
}

func (s FilebeatSource) validate() error {
	if problem := checkDNSLabel(s.Project, 63); problem != "" {
		return fmt.Errorf("project %s: %s", quote(s.Project), problem)
	}
	if problem := checkDNSLabel(s.Env, 63); problem != "" {
		return fmt.Errorf("env %s: %s", quote(s.Env), problem)
	}
	return checkNamespacePattern(s.Namespace)
}

// checkNamespacePattern allows a DNS-1123 label in which "*" may stand for
// any run of characters: nothing that could leave the directory ("/", "..")
// or cross the "_" separators of container log file names.
func checkNamespacePattern(p string) error {
	if p == "" {
		return fmt.Errorf("namespace: required")
	}
	if len(p) > 63 {
		return fmt.Errorf("namespace %s: longer than 63 characters", quote(p))
	}
	for _, r := range p {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' && r != '*' {
			return fmt.Errorf("namespace %s: only a-z, 0-9, '-' and '*' allowed", quote(p))
		}
	}
	if strings.Trim(p, "*") == "" {
		return fmt.Errorf("namespace %s: a pattern must name something besides '*'", quote(p))
	}
	if p[0] == '-' || p[len(p)-1] == '-' {
		return fmt.Errorf("namespace %s: must not start or end with '-'", quote(p))
	}
	return nil
}

func staticFields(s FilebeatSource) map[string]any {
	return map[string]any{"slipway": map[string]any{"project": s.Project, "env": s.Env}}
}

func inputID(kind string, s FilebeatSource) string {
	return "slipway-" + kind + "-" + strings.ReplaceAll(s.Namespace, "*", "_any_")
}

func fileInput(cfg Config, s FilebeatSource) map[string]any {
	root := cfg.HostRoot + "/" + s.Namespace
	return map[string]any{
		"type":              "filestream",
		"id":                inputID("files", s),
		"paths":             []string{root + "/*/*/*/*"},
		"fields_under_root": true,
		"fields":            staticFields(s),
		"processors": []any{
			// Keys at the root with dotted names, because the static fields
			// already hold "slipway" (dissect refuses to write into an
			// existing target); %{?x} skips a part.
			map[string]any{"dissect": map[string]any{
				"field":          "log.file.path",
				"tokenizer":      cfg.HostRoot + "/%{?namespace}/%{slipway.app}/%{slipway.pod}/%{slipway.log}/%{?file}",
				"target_prefix":  "",
				"ignore_failure": true,
			}},
		},
	}
}

func containerInput(s FilebeatSource) map[string]any {
	return map[string]any{
		"type":              "filestream",
		"id":                inputID("containers", s),
		"paths":             []string{ContainerLogDir + "/*_" + s.Namespace + "_*.log"},
		"parsers":           []any{map[string]any{"container": map[string]any{}}},
		"fields_under_root": true,
		"fields":            staticFields(s),
		"processors": []any{
			map[string]any{"dissect": map[string]any{
				"field":          "log.file.path",
				"tokenizer":      ContainerLogDir + "/%{slipway.pod}_%{?namespace}_%{?container}.log",
				"target_prefix":  "",
				"ignore_failure": true,
			}},
			map[string]any{"add_kubernetes_metadata": map[string]any{
				"matchers": []any{map[string]any{"logs_path": map[string]any{"logs_path": ContainerLogDir + "/"}}},
			}},
			map[string]any{"copy_fields": map[string]any{
				"fields":         []any{map[string]any{"from": "kubernetes.labels.serving_knative_dev/service", "to": "slipway.app"}},
				"ignore_missing": true,
				"fail_on_error":  false,
			}},
		},
	}
}
