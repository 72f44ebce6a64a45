package promotions

import (
	"testing"
	"time"
)

func TestNewIDSortsByTime(t *testing.T) {
	at := time.Date(2026, 12, 2, 14, 30, 5, 7_000_000, time.UTC)
	for _, c := range []struct {
		name           string
		earlier, later string
	}{
		{"within one second", NewID("web", at, "ffff"), NewID("web", at.Add(2*time.Millisecond), "0000")},
		{"across seconds", NewID("web", at.Add(990*time.Millisecond), "ffff"), NewID("web", at.Add(time.Second), "0000")},
	} {
		if !(c.earlier < c.later) {
			t.Errorf("%s: %s sorts after %s", c.name, c.earlier, c.later)
		}
	}
	if got, want := NewID("web", at, "AB12"), "web-20261202143005007-ab12"; got != want {
		t.Errorf("NewID = %s, want %s", got, want)
	}
	long := "a234567890123456789012345678901234567890" // the longest app name (40)
	if id := NewID(long, at, "ab12"); len(id) > 63 {
		t.Errorf("%s is %d characters, more than a DNS label", id, len(id))
	}
}
