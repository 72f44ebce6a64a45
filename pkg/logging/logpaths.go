package logging

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/slipway-dev/slipway/pkg/names"
)

// A pod opts in to log collection with names.LabelLogCollect=true; names.AnnoLogPaths
// holds the JSON array of its LogPath entries.

// Limits of the log-path annotation.
const (
	// MaxLogPaths is the largest number of entries in the annotation.
	MaxLogPaths = 8
	// MaxPathLength is the longest log path, in bytes.
	MaxPathLength = 256
	// MaxNameLength is the longest entry name.
	MaxNameLength = 40
	// MaxAnnotationLength is the longest annotation value, in bytes. Eight
	// entries at the other limits fit with room for JSON escapes.
	MaxAnnotationLength = 16 << 10
)

// Container names with a meaning to Knative.
const (
	// DefaultContainer is the container a LogPath without a container targets:
	// the name Knative gives the app's container.
	DefaultContainer = "user-container"
	// QueueProxyContainer is Knative's sidecar. Log paths never target it.
	QueueProxyContainer = "queue-proxy"
)

// systemDirs are the directories a log path must neither be, be under, nor
// contain: mounting over them would hide what the container (or its runtime)
// relies on, or expose it to the host directory.
var systemDirs = []string{
	"/proc", "/sys", "/dev", "/etc", "/run", "/var/run",
	"/bin", "/sbin", "/lib", "/lib64", "/usr", "/boot",
}

// LogPath is one entry of the log-path annotation: a directory inside a
// container whose files the collector picks up.
type LogPath struct {
	// Path is the absolute directory in the container.
	Path string `json:"path"`
	// Container is the container that writes there; DefaultContainer when
	// empty in the annotation.
	Container string `json:"container,omitempty"`
	// Name names the directory on the node, under the pod's directory. When
	// empty in the annotation it is derived from the last element of Path.
	Name string `json:"name,omitempty"`
}

// ParseLogPaths parses and validates the value of AnnotationLogPaths.
//
// The value must be a JSON array of 1 to MaxLogPaths objects with only the
// fields "path" (required), "container" and "name", all strings, each at most
// once, and nothing after the array. The returned entries have their defaults
// applied: Container is DefaultContainer when it was empty, and Name is
// derived from the path when it was empty (last element, lowercased, runs of
// other characters than [a-z0-9] turned into '-', cut to MaxNameLength, "log"
// if nothing is left, and "-{index}" appended if the name is taken).
//
// Every error names the entry by its index, e.g.
// `log-paths[2].path "/etc/x": under a system directory /etc`.
func ParseLogPaths(annotation string) ([]LogPath, error) {
	if annotation == "" {
		return nil, errors.New(`log-paths: empty; want a JSON array such as [{"path":"/app/logs"}]`)
	}
	if len(annotation) > MaxAnnotationLength {
		return nil, fmt.Errorf("log-paths: %d bytes, at most %d allowed", len(annotation), MaxAnnotationLength)
	}
	if !utf8.ValidString(annotation) {
		return nil, errors.New("log-paths: not valid UTF-8")
	}
	entries, err := decodeLogPaths(annotation)
	if err != nil {
		return nil, err
	}
	if err := validateLogPaths(entries); err != nil {
		return nil, err
	}
	return entries, nil
}

// FormatLogPaths validates entries as ParseLogPaths would and renders them as
// the value of AnnotationLogPaths.
func FormatLogPaths(entries []LogPath) (string, error) {
	b, err := json.Marshal(entries)
	if err != nil {
		return "", fmt.Errorf("log-paths: %w", err)
	}
	s := string(b)
	if _, err := ParseLogPaths(s); err != nil {
		return "", err
	}
	return s, nil
}

// decodeLogPaths reads the annotation token by token, so that it can refuse
// what encoding/json would accept: duplicate keys, keys in another case,
// null or non-string values, and trailing data. It stops at the first
// problem, and after MaxLogPaths entries, without reading the rest.
func decodeLogPaths(annotation string) ([]LogPath, error) {
	dec := json.NewDecoder(strings.NewReader(annotation))
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("log-paths: malformed JSON: %v", jsonError(err))
	}
	if tok != json.Delim('[') {
		return nil, fmt.Errorf("log-paths: must be a JSON array of objects, not %s", describeToken(tok))
	}
	var out []LogPath
	for dec.More() {
		i := len(out)
		if i == MaxLogPaths {
			return nil, fmt.Errorf("log-paths: more than %d entries", MaxLogPaths)
		}
		e, err := decodeEntry(dec, i)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if _, err := dec.Token(); err != nil { // the closing ']'
		return nil, fmt.Errorf("log-paths: malformed JSON: %v", jsonError(err))
	}
	if tok, err := dec.Token(); err != io.EOF {
		if err != nil {
			return nil, fmt.Errorf("log-paths: trailing data after the array: %v", err)
		}
		return nil, fmt.Errorf("log-paths: trailing data after the array: %s", describeToken(tok))
	}
	if len(out) == 0 {
		return nil, errors.New("log-paths: no entries; remove the label " + names.LabelLogCollect + " instead")
	}
	return out, nil
}

func decodeEntry(dec *json.Decoder, i int) (LogPath, error) {
	var e LogPath
	tok, err := dec.Token()
	if err != nil {
		return e, fmt.Errorf("log-paths[%d]: malformed JSON: %v", i, jsonError(err))
	}
	if tok != json.Delim('{') {
		return e, fmt.Errorf("log-paths[%d]: must be an object, not %s", i, describeToken(tok))
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return e, fmt.Errorf("log-paths[%d]: malformed JSON: %v", i, jsonError(err))
		}
		key, _ := tok.(string) // object keys are always strings
		var field *string
		switch key {
		case "path":
			field = &e.Path
		case "container":
			field = &e.Container
		case "name":
			field = &e.Name
		default:
			return e, fmt.Errorf("log-paths[%d]: unknown field %s (want path, container, name)", i, quote(key))
		}
		if seen[key] {
			return e, fmt.Errorf("log-paths[%d]: duplicate field %q", i, key)
		}
		seen[key] = true
		tok, err = dec.Token()
		if err != nil {
			return e, fmt.Errorf("log-paths[%d].%s: malformed JSON: %v", i, key, jsonError(err))
		}
		s, ok := tok.(string)
		if !ok {
			return e, fmt.Errorf("log-paths[%d].%s: must be a string, not %s", i, key, describeToken(tok))
		}
		*field = s
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return e, fmt.Errorf("log-paths[%d]: malformed JSON: %v", i, jsonError(err))
	}
	return e, nil
}

// jsonError words the end of the input as such rather than as "EOF".
func jsonError(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return errors.New("unexpected end of input")
	}
	return err
}

func describeToken(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '[':
			return "an array"
		case '{':
			return "an object"
		}
		return fmt.Sprintf("%q", string(t))
	case string:
		return "a string"
	case float64, json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", tok)
}

// EntryError is what is wrong with one entry of a list of log paths. The
// annotation parser and platform-api's request validation report the same
// rules through it, as text and as a field error respectively.
type EntryError struct {
	// Index is the entry's position.
	Index int
	// Field is "path", "container" or "name".
	Field string
	// Value is the offending value; empty for a missing one.
	Value string
	// Problem says what is wrong.
	Problem string
}

func (e *EntryError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("log-paths[%d].%s: %s", e.Index, e.Field, e.Problem)
	}
	return fmt.Sprintf("log-paths[%d].%s %s: %s", e.Index, e.Field, quote(e.Value), e.Problem)
}

// ValidateLogPaths checks entries as ParseLogPaths checks the annotation's,
// and returns them with the defaults applied (a copy: entries is not
// modified). The error is an *EntryError, or an error about the count.
func ValidateLogPaths(entries []LogPath) ([]LogPath, error) {
	if len(entries) > MaxLogPaths {
		return nil, fmt.Errorf("log-paths: %d entries, at most %d allowed", len(entries), MaxLogPaths)
	}
	out := append([]LogPath(nil), entries...)
	if err := validateLogPaths(out); err != nil {
		return nil, err
	}
	return out, nil
}

// validateLogPaths checks every entry and applies the defaults in place.
func validateLogPaths(entries []LogPath) error {
	names := make(map[string]int, len(entries))
	for i := range entries {
		e := &entries[i]
		if e.Path == "" {
			return &EntryError{Index: i, Field: "path", Problem: "required"}
		}
		if problem := checkPath(e.Path); problem != "" {
			return &EntryError{Index: i, Field: "path", Value: e.Path, Problem: problem}
		}
		for j := range i {
			other := entries[j].Path
			switch {
			case other == e.Path:
				return &EntryError{Index: i, Field: "path", Value: e.Path, Problem: fmt.Sprintf("duplicate of log-paths[%d].path", j)}
			case isUnder(e.Path, other):
				return &EntryError{Index: i, Field: "path", Value: e.Path, Problem: fmt.Sprintf("under log-paths[%d].path %s", j, quote(other))}
			case isUnder(other, e.Path):
				return &EntryError{Index: i, Field: "path", Value: e.Path, Problem: fmt.Sprintf("contains log-paths[%d].path %s", j, quote(other))}
			}
		}
		if e.Container == "" {
			e.Container = DefaultContainer
		} else if problem := checkDNSLabel(e.Container, 63); problem != "" {
			return &EntryError{Index: i, Field: "container", Value: e.Container, Problem: problem}
		}
		if e.Container == QueueProxyContainer {
			return &EntryError{Index: i, Field: "container", Value: e.Container, Problem: "Knative's sidecar cannot be a log source"}
		}
		if e.Name == "" {
			continue
		}
		if problem := checkDNSLabel(e.Name, MaxNameLength); problem != "" {
			return &EntryError{Index: i, Field: "name", Value: e.Name, Problem: problem}
		}
		if j, dup := names[e.Name]; dup {
			return &EntryError{Index: i, Field: "name", Value: e.Name, Problem: fmt.Sprintf("duplicate of log-paths[%d].name", j)}
		}
		names[e.Name] = i
	}
	// Derived names come second, so that an explicit name always keeps its
	// value and a derived one moves aside.
	for i := range entries {
		e := &entries[i]
		if e.Name != "" {
			continue
		}
		name := deriveName(e.Path)
		if _, taken := names[name]; taken {
			name = withSuffix(name, i)
			if j, taken := names[name]; taken {
				return &EntryError{Index: i, Field: "name", Problem: fmt.Sprintf("derived name %q is taken by log-paths[%d]; set a name", name, j)}
			}
		}
		e.Name = name
		names[name] = i
	}
	return nil
}

// checkPath returns what is wrong with p as a log path (or a host root), or
// "" if nothing is.
func checkPath(p string) string {
	if p == "" {
		return "required"
	}
	if len(p) > MaxPathLength {
		return fmt.Sprintf("%d bytes long, at most %d allowed", len(p), MaxPathLength)
	}
	if !utf8.ValidString(p) {
		return "not valid UTF-8"
	}
	for _, r := range p {
		if r == 0 {
			return "contains a NUL character"
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return fmt.Sprintf("contains the control character %U", r)
		}
	}
	if !strings.HasPrefix(p, "/") {
		return "must be absolute"
	}
	if clean := path.Clean(p); clean != p {
		for _, elem := range strings.Split(p, "/") {
			if elem == ".." {
				return `must not contain ".."`
			}
		}
		switch {
		case strings.Contains(p, "//"):
			return `must not contain "//"`
		case strings.HasSuffix(p, "/"):
			return `must not end in "/"`
		}
		return fmt.Sprintf("must be in clean form (%q)", clean)
	}
	if p == "/" {
		return "must not be the root directory"
	}
	for _, dir := range systemDirs {
		switch {
		case p == dir:
			return "is the system directory " + dir
		case isUnder(p, dir):
			return "under a system directory " + dir
		case isUnder(dir, p):
			return "contains the system directory " + dir
		}
	}
	return ""
}

// isUnder reports whether the clean absolute path p is strictly below dir.
func isUnder(p, dir string) bool {
	if dir == "/" {
		return p != "/"
	}
	return len(p) > len(dir) && p[len(dir)] == '/' && strings.HasPrefix(p, dir)
}

// checkDNSLabel returns what is wrong with s as an RFC 1123 label of at most
// max characters, or "" if nothing is. It agrees with
// k8s.io/apimachinery/pkg/util/validation.IsDNS1123Label for max = 63.
func checkDNSLabel(s string, max int) string {
	const want = "lowercase letters, digits and '-', starting and ending with a letter or digit"
	if s == "" {
		return "required"
	}
	if len(s) > max {
		return fmt.Sprintf("%d characters long, at most %d allowed", len(s), max)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !alnum && (c != '-' || i == 0 || i == len(s)-1) {
			return "not a DNS-1123 label (" + want + ")"
		}
	}
	return ""
}

// deriveName turns the last element of a valid log path into a name.
func deriveName(p string) string {
	base := path.Base(p)
	b := make([]byte, 0, min(len(base), MaxNameLength))
	dash := false
	for _, r := range strings.ToLower(base) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b = append(b, byte(r))
			dash = false
		case len(b) > 0 && !dash:
			b = append(b, '-')
			dash = true
		}
		if len(b) >= MaxNameLength {
			break
		}
	}
	name := strings.TrimRight(string(b[:min(len(b), MaxNameLength)]), "-")
	if name == "" {
		return "log"
	}
	return name
}

// withSuffix appends "-{i}" to name, shortening name to keep within
// MaxNameLength.
func withSuffix(name string, i int) string {
	suffix := "-" + strconv.Itoa(i)
	if len(name)+len(suffix) > MaxNameLength {
		name = strings.TrimRight(name[:MaxNameLength-len(suffix)], "-")
	}
	return name + suffix
}

// quote quotes s for an error message, cutting long values short.
func quote(s string) string {
	const keep = 64
	if len(s) <= keep {
		return strconv.Quote(s)
	}
	return strconv.Quote(s[:keep]) + fmt.Sprintf("... (%d bytes)", len(s))
}
