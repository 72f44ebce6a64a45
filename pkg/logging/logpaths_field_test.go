package logging

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// ValidateLogPaths (platform-api's request check) and ParseLogPaths (the
// webhook's) apply one rule set: for any list of 1 to MaxLogPaths entries the
// annotation of those entries fails with the same error, or both give the same
// entries with the same defaults.
func TestValidateLogPathsAgreesWithParse(t *testing.T) {
	lists := [][]LogPath{
		{{Path: "/app/logs"}},
		{{Path: "/app/logs", Container: "worker", Name: "w"}, {Path: "/srv/logs"}},
		{{Path: "/a/logs"}, {Path: "/b/logs"}, {Path: "/c/logs", Name: "logs"}},
		{{Path: "app/logs"}},
		{{Path: "/app/../etc"}},
		{{Path: "/app//logs"}},
		{{Path: "/app/logs/"}},
		{{Path: "/"}},
		{{Path: "/etc/x"}},
		{{Path: "/var"}},
		{{Path: "/proc"}},
		{{Path: "/app/\x00logs"}},
		{{Path: "/" + strings.Repeat("l", MaxPathLength)}},
		{{Name: "x"}},
		{{Path: "/app"}, {Path: "/app"}},
		{{Path: "/app"}, {Path: "/app/logs"}},
		{{Path: "/app/logs"}, {Path: "/app"}},
		{{Path: "/app/logs", Container: "queue-proxy"}},
		{{Path: "/app/logs", Container: "Web_1"}},
		{{Path: "/app/logs", Name: "-x"}},
		{{Path: "/a", Name: "x"}, {Path: "/b", Name: "x"}},
		{{Path: "/a/logs", Name: "logs-1"}, {Path: "/b/logs"}, {Path: "/c/logs"}},
	}
	for _, entries := range lists {
		b, err := json.Marshal(entries)
		if err != nil {
			t.Fatal(err)
		}
		wantEntries, wantErr := ParseLogPaths(string(b))
		gotEntries, gotErr := ValidateLogPaths(entries)
		if errString(gotErr) != errString(wantErr) {
			t.Errorf("%s: ValidateLogPaths error %q, ParseLogPaths error %q", b, errString(gotErr), errString(wantErr))
		}
		if diff := cmp.Diff(wantEntries, gotEntries); diff != "" {
			t.Errorf("%s: entries (-ParseLogPaths,+ValidateLogPaths):\n%s", b, diff)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// Each refusal names the entry and the field, for platform-api's field paths.
func TestValidateLogPathsEntryError(t *testing.T) {
	tests := []struct {
		name    string
		entries []LogPath
		want    EntryError
	}{
		{"relative", []LogPath{{Path: "/ok"}, {Path: "app/logs"}}, EntryError{Index: 1, Field: "path", Value: "app/logs", Problem: "must be absolute"}},
		{"missing path", []LogPath{{Name: "x"}}, EntryError{Index: 0, Field: "path", Problem: "required"}},
		{"system directory", []LogPath{{Path: "/etc/x"}}, EntryError{Index: 0, Field: "path", Value: "/etc/x", Problem: "under a system directory /etc"}},
		{"queue-proxy", []LogPath{{Path: "/app/logs", Container: "queue-proxy"}}, EntryError{Index: 0, Field: "container", Value: "queue-proxy", Problem: "Knative's sidecar cannot be a log source"}},
		{"duplicate name", []LogPath{{Path: "/a", Name: "x"}, {Path: "/b", Name: "x"}}, EntryError{Index: 1, Field: "name", Value: "x", Problem: "duplicate of log-paths[0].name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ValidateLogPaths(tt.entries)
			var got *EntryError
			if !errors.As(err, &got) {
				t.Fatalf("error %v (%T), want an *EntryError", err, err)
			}
			if diff := cmp.Diff(tt.want, *got); diff != "" {
				t.Errorf("EntryError (-want,+got):\n%s", diff)
			}
		})
	}
}

// ValidateLogPaths accepts no entries (no collection), refuses more than
// MaxLogPaths without an entry error, and leaves its argument alone.
func TestValidateLogPathsCountAndCopy(t *testing.T) {
	if got, err := ValidateLogPaths(nil); err != nil || got != nil {
		t.Errorf("ValidateLogPaths(nil) = %v, %v", got, err)
	}
	if got, err := ValidateLogPaths([]LogPath{}); err != nil || len(got) != 0 {
		t.Errorf("ValidateLogPaths([]) = %v, %v", got, err)
	}
	nine := make([]LogPath, MaxLogPaths+1)
	for i := range nine {
		nine[i] = LogPath{Path: "/logs" + string(rune('a'+i))}
	}
	_, err := ValidateLogPaths(nine)
	var entryErr *EntryError
	if err == nil || errors.As(err, &entryErr) {
		t.Errorf("ValidateLogPaths(9 entries) = %v, want a count error", err)
	}
	in := []LogPath{{Path: "/app/logs"}}
	got, err := ValidateLogPaths(in)
	if err != nil {
		t.Fatal(err)
	}
	if in[0] != (LogPath{Path: "/app/logs"}) || got[0] != (LogPath{Path: "/app/logs", Container: DefaultContainer, Name: "logs"}) {
		t.Errorf("argument %+v, result %+v", in, got)
	}
}
