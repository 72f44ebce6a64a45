package audit

import (
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Config is the audit section of platform-api's configuration: where the trail is kept.
type Config struct {
	// Namespace holds the records (ConfigMaps).
	Namespace string `json:"namespace"`
	// MaxRecords is how many are kept; the oldest go first.
	MaxRecords int `json:"maxRecords"`
}

// SetDefaults fills in what the operator left out.
func (c *Config) SetDefaults() {
	if c.Namespace == "" {
		c.Namespace = "slipway-system"
	}
	if c.MaxRecords == 0 {
		c.MaxRecords = 10000
	}
}

// Validate checks the section; path is its place in the configuration file.
func (c Config) Validate(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if c.MaxRecords < 100 {
		errs = append(errs, field.Invalid(path.Child("maxRecords"), c.MaxRecords, "must be >= 100"))
	}
	if msgs := validation.IsDNS1123Label(c.Namespace); len(msgs) > 0 {
		errs = append(errs, field.Invalid(path.Child("namespace"), c.Namespace, msgs[0]))
	}
	return errs
}
