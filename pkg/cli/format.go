package cli

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/slipway-dev/slipway/pkg/client"
)

// Values as table cells.

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// latestName is how a split names Knative's latest ready revision, in tables and in
// traffic set's arguments.
const latestName = "@latest"

// formatTargets is a split as rev=percent pairs, with a target's tag after a colon.
func formatTargets(ts []client.Target) string {
	parts := make([]string, 0, len(ts))
	for _, t := range ts {
		name := t.Revision
		if t.Latest {
			name = latestName
		}
		s := name + "=" + strconv.FormatInt(t.Percent, 10)
		if t.Tag != "" {
			s += " (" + t.Tag + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

func formatServed(ts []client.ServedTarget) string {
	parts := make([]string, 0, len(ts))
	for _, t := range ts {
		s := t.Revision + "=" + strconv.FormatInt(t.Percent, 10)
		if t.Tag != "" {
			s += " (" + t.Tag + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

// formatMatch is a rule's match: header=value (exact), header^=prefix, header~=regex,
// cookie name=value, or the lane.
func formatMatch(m client.Match, lane string) string {
	if lane != "" {
		return "lane " + lane
	}
	keys := make([]string, 0, len(m.Headers))
	for k := range m.Headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		sm := m.Headers[k]
		switch {
		case sm.Exact != "":
			parts = append(parts, k+"="+sm.Exact)
		case sm.Prefix != "":
			parts = append(parts, k+"^="+sm.Prefix)
		case sm.Regex != "":
			parts = append(parts, k+"~="+sm.Regex)
		}
	}
	if m.Cookie.Name != "" {
		parts = append(parts, fmt.Sprintf("cookie %s=%s", m.Cookie.Name, m.Cookie.Value))
	}
	return strings.Join(parts, " and ")
}

// rulesBlock is the rules of a split, numbered as rule rm takes them.
func rulesBlock(rules []client.Rule) block {
	b := block{title: "Rules", header: []string{"INDEX", "MATCH", "REVISION"}}
	for i, r := range rules {
		b.rows = append(b.rows, []string{strconv.Itoa(i), formatMatch(r.Match, r.Lane), r.Revision})
	}
	return b
}

// targetsBlock is a split, one target a row.
func targetsBlock(title string, ts []client.Target) block {
	b := block{title: title, header: []string{"REVISION", "PERCENT", "TAG"}}
	for _, t := range ts {
		name := t.Revision
		if t.Latest {
			name = latestName
		}
		b.rows = append(b.rows, []string{name, strconv.FormatInt(t.Percent, 10), t.Tag})
	}
	return b
}

// targetNames are a split's revisions, for -o name.
func targetNames(ts []client.Target) []string {
	var out []string
	for _, t := range ts {
		if t.Latest {
			out = append(out, latestName)
		} else {
			out = append(out, t.Revision)
		}
	}
	return out
}
