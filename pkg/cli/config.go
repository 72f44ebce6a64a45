package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"sigs.k8s.io/yaml"
)

// Config is the CLI's config file: kubeconfig-like contexts, each a server, the token
// file to call it with, and the default project and environment.
type Config struct {
	CurrentContext string    `json:"current-context,omitempty"`
	Contexts       []Context `json:"contexts"`
}

// Context is one named place to work.
type Context struct {
	Name        string `json:"name"`
	Server      string `json:"server"`
	Project     string `json:"project,omitempty"`
	Environment string `json:"environment,omitempty"`
	TokenFile   string `json:"token-file,omitempty"`
}

// Find returns the named context, or nil.
func (cfg *Config) Find(name string) *Context {
	i := slices.IndexFunc(cfg.Contexts, func(c Context) bool { return c.Name == name })
	if i < 0 {
		return nil
	}
	return &cfg.Contexts[i]
}

// Upsert returns the named context, adding an empty one if there is none.
func (cfg *Config) Upsert(name string) *Context {
	if ctx := cfg.Find(name); ctx != nil {
		return ctx
	}
	cfg.Contexts = append(cfg.Contexts, Context{Name: name})
	return &cfg.Contexts[len(cfg.Contexts)-1]
}

// configPath is $SLIPWAY_CONFIG, else $XDG_CONFIG_HOME/slipway/config.yaml, else
// ~/.config/slipway/config.yaml (the XDG default).
func (c *cli) configPath() (string, error) {
	if p := c.io.Getenv("SLIPWAY_CONFIG"); p != "" {
		return p, nil
	}
	if d := c.io.Getenv("XDG_CONFIG_HOME"); d != "" {
		return filepath.Join(d, "slipway", "config.yaml"), nil
	}
	home := c.io.Getenv("HOME")
	if home == "" {
		return "", errors.New("cannot find the config file: set HOME, XDG_CONFIG_HOME or SLIPWAY_CONFIG")
	}
	return filepath.Join(home, ".config", "slipway", "config.yaml"), nil
}

// loadConfig reads the config file; a missing one is an empty config.
func (c *cli) loadConfig() (*Config, string, error) {
	path, err := c.configPath()
	if err != nil {
		return nil, "", err
	}
	cfg := &Config{}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return cfg, path, nil
	}
	if err != nil {
		return nil, "", err
	}
	// Strict, so a misspelt key is an error rather than a setting silently ignored.
	if err := yaml.UnmarshalStrict(b, cfg); err != nil {
		return nil, "", fmt.Errorf("config file %s: %w", path, err)
	}
	return cfg, path, nil
}

// saveConfig writes the config file, readable by its owner only like the token files it
// names.
func saveConfig(path string, cfg *Config) error {
	b, err := yaml.Marshal(cfg)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return writeFileAtomic(path, b, 0o600)
}

// writeFileAtomic replaces path with data, so a reader never sees half a file.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// settings are what a call uses: the context's values with the global flags over them.
type settings struct {
	context     string // the context's name ("" when none applies)
	server      string
	tokenFile   string
	project     string
	environment string
}

// resolve merges the context (--context, else current-context) with the global flags.
func (c *cli) resolve() (settings, error) {
	cfg, path, err := c.loadConfig()
	if err != nil {
		return settings{}, err
	}
	var s settings
	name := c.configContext
	if name == "" {
		name = cfg.CurrentContext
	}
	if name != "" {
		ctx := cfg.Find(name)
		switch {
		case ctx != nil:
			s = settings{context: ctx.Name, server: ctx.Server, tokenFile: ctx.TokenFile, project: ctx.Project, environment: ctx.Environment}
		case c.configContext != "":
			return settings{}, usagef("no context %q in %s", name, path)
		}
	}
	for _, o := range []struct{ flag, into *string }{
		{&c.server, &s.server}, {&c.tokenFile, &s.tokenFile}, {&c.project, &s.project}, {&c.environment, &s.environment},
	} {
		if *o.flag != "" {
			*o.into = *o.flag
		}
	}
	return s, nil
}
