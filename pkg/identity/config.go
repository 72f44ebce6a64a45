package identity

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Config is the auth section of platform-api's configuration.
type Config struct {
	// CacheTTL is how long a TokenReview or SubjectAccessReview answer is reused,
	// counted from when its review was sent (rejected tokens: a tenth of it). A
	// revoked token or role keeps working at most this long after the apiserver
	// stops accepting it. Answers in steady use are refreshed in the background
	// from half of it on; a refresh is a new review, so it never extends that bound.
	CacheTTL metav1.Duration `json:"cacheTTL"`
}

// SetDefaults fills in what the operator left out.
func (c *Config) SetDefaults() {
	if c.CacheTTL.Duration == 0 {
		c.CacheTTL.Duration = 10 * time.Second
	}
}

// Validate checks the section; path is its place in the configuration file.
func (c Config) Validate(path *field.Path) field.ErrorList {
	if c.CacheTTL.Duration < 0 || c.CacheTTL.Duration > 5*time.Minute {
		return field.ErrorList{field.Invalid(path.Child("cacheTTL"), c.CacheTTL.Duration.String(), "must be between 0 and 5m")}
	}
	return nil
}
