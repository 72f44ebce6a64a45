package records

import (
	"crypto/sha256"
	"encoding/base64"
)

// Version identifies the content of one of an app's record annotations (its schedules, its
// scaling windows) as a strong entity tag: the ETag a read answers with and the If-Match a
// read-modify-write sends back, so a change made in between is refused (412), not lost.
func Version(raw string) string {
	sum := sha256.Sum256([]byte(raw))
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
}
