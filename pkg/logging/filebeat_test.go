package logging

import (
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/slipway-dev/slipway/internal/golden"
)

func TestRenderFilebeatInputsGolden(t *testing.T) {
	cases := map[string][]FilebeatSource{
		"one-namespace": {{Project: "shop", Env: "prod", Namespace: "shop-prod"}},
		"projects-and-pattern": {
			{Project: "shop", Env: "test", Namespace: "shop-test"},
			{Project: "legacy", Env: "prod", Namespace: "legacy-*"},
			{Project: "bank", Env: "prod", Namespace: "bank-prod"},
		},
	}
	for name, sources := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := RenderFilebeatInputs(testCfg, sources)
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", "filebeat-"+name+".golden.yaml"), got)
		})
	}
}

// Whatever the sources, every input has a unique id, reads only under the
// host root or the container log directory, and carries project and env.
func TestRenderFilebeatInputsShape(t *testing.T) {
	sources := []FilebeatSource{
		{Project: "a", Env: "test", Namespace: "a-test"},
		{Project: "a", Env: "prod", Namespace: "a-prod"},
		{Project: "b", Env: "prod", Namespace: "b-*"},
	}
	out, err := RenderFilebeatInputs(testCfg, sources)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Inputs []struct {
			Type   string   `json:"type"`
			ID     string   `json:"id"`
			Paths  []string `json:"paths"`
			Fields struct {
				Slipway map[string]string `json:"slipway"`
			} `json:"fields"`
		} `json:"filebeat.inputs"`
	}
	if err := yaml.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Inputs) != 2*len(sources) {
		t.Fatalf("%d inputs, want %d", len(doc.Inputs), 2*len(sources))
	}
	ids := map[string]bool{}
	for _, in := range doc.Inputs {
		if in.Type != "filestream" || in.ID == "" || ids[in.ID] {
			t.Errorf("input %q: type %q, id repeated or empty", in.ID, in.Type)
		}
		ids[in.ID] = true
		for _, p := range in.Paths {
			if !strings.HasPrefix(p, testCfg.HostRoot+"/") && !strings.HasPrefix(p, ContainerLogDir+"/") || strings.Contains(p, "..") {
				t.Errorf("input %s reads %s", in.ID, p)
			}
		}
		if in.Fields.Slipway["project"] == "" || in.Fields.Slipway["env"] == "" {
			t.Errorf("input %s: fields %v", in.ID, in.Fields.Slipway)
		}
	}
}

func TestRenderFilebeatInputsRefuses(t *testing.T) {
	ok := FilebeatSource{Project: "shop", Env: "prod", Namespace: "shop-prod"}
	with := func(f func(*FilebeatSource)) []FilebeatSource {
		s := ok
		f(&s)
		return []FilebeatSource{s}
	}
	cases := map[string]struct {
		cfg     Config
		sources []FilebeatSource
		want    string
	}{
		"relative host root":  {Config{HostRoot: "var/log"}, []FilebeatSource{ok}, "hostRoot"},
		"host root in /etc":   {Config{HostRoot: "/etc/logs"}, []FilebeatSource{ok}, "hostRoot"},
		"no source":           {testCfg, nil, "no source"},
		"overlapping pattern": {testCfg, []FilebeatSource{ok, {Project: "x", Env: "prod", Namespace: "*-prod"}}, "also matches"},
		"duplicate namespace": {testCfg, []FilebeatSource{ok, ok}, "appears twice"},
		"slash":               {testCfg, with(func(s *FilebeatSource) { s.Namespace = "a/b" }), "only a-z"},
		"dot dot":             {testCfg, with(func(s *FilebeatSource) { s.Namespace = ".." }), "only a-z"},
		"underscore":          {testCfg, with(func(s *FilebeatSource) { s.Namespace = "a_b" }), "only a-z"},
		"underscore glob":     {testCfg, with(func(s *FilebeatSource) { s.Namespace = "*_*" }), "only a-z"},
		"only a star":         {testCfg, with(func(s *FilebeatSource) { s.Namespace = "*" }), "besides '*'"},
		"empty namespace":     {testCfg, with(func(s *FilebeatSource) { s.Namespace = "" }), "namespace: required"},
		"uppercase":           {testCfg, with(func(s *FilebeatSource) { s.Namespace = "Shop-prod" }), "only a-z"},
		"leading dash":        {testCfg, with(func(s *FilebeatSource) { s.Namespace = "-prod" }), "start or end"},
		"too long":            {testCfg, with(func(s *FilebeatSource) { s.Namespace = strings.Repeat("a", 64) }), "63"},
		"bad project":         {testCfg, with(func(s *FilebeatSource) { s.Project = "Shop" }), "project"},
		"bad env":             {testCfg, with(func(s *FilebeatSource) { s.Env = "" }), "env"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			out, err := RenderFilebeatInputs(tc.cfg, tc.sources)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want it to mention %q (output %s)", err, tc.want, out)
			}
		})
	}
}
