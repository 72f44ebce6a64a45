package revisions

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// RevisionName is the platform-chosen name of an app's n-th revision.
func RevisionName(app string, n int) string { return fmt.Sprintf("%s-%05d", app, n) }

// NextRevisionName picks one past the highest number among existing, so names never repeat
// even after revisions are garbage collected out of the middle.
func NextRevisionName(app string, existing []string) string {
	highest := 0
	for _, name := range existing {
		suffix, ok := strings.CutPrefix(name, app+"-")
		if !ok {
			continue
		}
		if n, err := strconv.Atoi(suffix); err == nil && n > highest {
			highest = n
		}
	}
	return RevisionName(app, highest+1)
}

// DefaultTag is the tag a header deploy gives its revision when none is asked for.
func DefaultTag(revisionName string) string {
	return "r" + revisionName[strings.LastIndex(revisionName, "-")+1:]
}

// PlanDeploy moves traffic for a new revision. serving is the current split with Latest
// resolved to a revision name (see Resolve); for a first deploy it is empty and the new
// revision gets everything whatever the strategy. A header deploy's default tag is made
// unique among the tags in use; an explicit tag another target holds moves to the new
// revision (callers that would rather refuse a tag in use check before planning).
func PlanDeploy(serving []Target, rules []Rule, newRevision string, s *Strategy) ([]Target, []Rule) {
	kind := StrategyReplace
	if s != nil && s.Type != "" {
		kind = s.Type
	}
	if totalPercent(serving) == 0 {
		return tagRuleRevisions(append([]Target{{Revision: newRevision, Percent: 100}}, tagsOnly(serving)...), rules), rules
	}
	switch kind {
	case StrategyCanary:
		scaled := scale(serving, 100-*s.Percent)
		return tagRuleRevisions(append(scaled, Target{Revision: newRevision, Percent: *s.Percent}), rules), rules
	case StrategyHeader:
		tag := s.Tag
		if tag == "" {
			tag = freeTag(DefaultTag(newRevision), usedTags(serving))
		}
		// Knative refuses two targets with one tag, so an explicit tag moves: a 0% target
		// that held it goes, a share keeps its percent untagged.
		out := make([]Target, 0, len(serving)+1)
		for _, t := range serving {
			if t.Tag == tag {
				if t.Percent == 0 {
					continue
				}
				t.Tag = ""
			}
			out = append(out, t)
		}
		out = append(out, Target{Revision: newRevision, Tag: tag, Percent: 0})
		rule := Rule{Lane: s.Lane, Revision: newRevision}
		if s.Match != nil {
			rule.Match = *s.Match
		}
		rules = append(append([]Rule(nil), rules...), rule.expand())
		return tagRuleRevisions(out, rules), rules
	default:
		return tagRuleRevisions(append([]Target{{Revision: newRevision, Percent: 100}}, tagsOnly(serving)...), rules), rules
	}
}

// PlanTraffic applies a validated traffic request. Revisions named by rules get a 0% tagged
// target when the request gives them none, because rules route to tag hosts.
func PlanTraffic(req TrafficRequest) ([]Target, []Rule) {
	rules := expandAll(req.Rules)
	return tagRuleRevisions(clone(req.Targets), rules), rules
}

// tagRuleRevisions appends a 0% tagged target for each revision named by rules that has
// none. Rules route to tag hosts, and only 0% tags outlive later deploys and rollbacks (a
// tag on a share is dropped when the share is), so a tag on a share does not count. The tag
// is DefaultTag of the revision, made unique among the tags in use.
func tagRuleRevisions(targets []Target, rules []Rule) []Target {
	used := usedTags(targets)
	tagged := map[string]bool{}
	for _, t := range targets {
		if t.Tag != "" && t.Revision != "" && t.Percent == 0 {
			tagged[t.Revision] = true
		}
	}
	for _, r := range rules {
		if tagged[r.Revision] {
			continue
		}
		tag := freeTag(DefaultTag(r.Revision), used)
		targets = append(targets, Target{Revision: r.Revision, Tag: tag})
		used[tag], tagged[r.Revision] = true, true
	}
	return targets
}

func usedTags(targets []Target) map[string]bool {
	used := map[string]bool{}
	for _, t := range targets {
		if t.Tag != "" {
			used[t.Tag] = true
		}
	}
	return used
}

// freeTag is base, or base-2, base-3 … when base is in use.
func freeTag(base string, used map[string]bool) string {
	tag := base
	for i := 2; used[tag]; i++ {
		tag = fmt.Sprintf("%s-%d", base, i)
	}
	return tag
}

// PlanRollback sends all traffic to revision, keeping the 0% tags that rules still use.
func PlanRollback(serving []Target, revision string) []Target {
	return append([]Target{{Revision: revision, Percent: 100}}, tagsOnly(serving)...)
}

// Resolve replaces Latest targets with the revision they follow now.
func Resolve(targets []Target, latestReady string) []Target {
	out := clone(targets)
	for i := range out {
		if out[i].Latest {
			out[i].Latest, out[i].Revision = false, latestReady
		}
	}
	return out
}

// tagsOnly keeps the 0% tagged targets: they address revisions by tag host and are not part
// of the percentage split.
func tagsOnly(targets []Target) []Target {
	var out []Target
	for _, t := range targets {
		if t.Tag != "" && t.Percent == 0 {
			out = append(out, t)
		}
	}
	return out
}

// scale shrinks the percentage targets to total, merging repeats of a revision and keeping
// the sum exact with the largest-remainder method.
func scale(targets []Target, total int64) []Target {
	type share struct {
		Target
		floor int64
		rem   int64
	}
	var shares []*share
	byRev := map[string]*share{}
	var sum int64
	for _, t := range targets {
		if t.Percent == 0 {
			continue
		}
		sum += t.Percent
		if s, ok := byRev[t.Revision]; ok && t.Tag == "" && s.Tag == "" {
			s.Percent += t.Percent
			continue
		}
		s := &share{Target: t}
		shares = append(shares, s)
		if t.Tag == "" {
			byRev[t.Revision] = s
		}
	}
	var given int64
	for _, s := range shares {
		s.floor = s.Percent * total / sum
		s.rem = s.Percent * total % sum
		given += s.floor
	}
	order := make([]*share, len(shares))
	copy(order, shares)
	sort.SliceStable(order, func(i, j int) bool { return order[i].rem > order[j].rem })
	for i := 0; given < total; i++ {
		order[i%len(order)].floor++
		given++
	}
	out := make([]Target, 0, len(shares))
	for _, s := range shares {
		if s.floor > 0 || s.Tag != "" {
			t := s.Target
			t.Percent = s.floor
			out = append(out, t)
		}
	}
	return append(out, tagsOnly(targets)...)
}

func totalPercent(targets []Target) int64 {
	var sum int64
	for _, t := range targets {
		sum += t.Percent
	}
	return sum
}

func clone(targets []Target) []Target { return append([]Target(nil), targets...) }

// TrafficSummary renders a split as "a-00001=90,a-00002=10" for logs and history views.
func TrafficSummary(targets []Target) string {
	parts := make([]string, 0, len(targets))
	for _, t := range targets {
		name := t.Revision
		if t.Latest {
			name = "latest"
		}
		if t.Tag != "" {
			name += "#" + t.Tag
		}
		parts = append(parts, fmt.Sprintf("%s=%d", name, t.Percent))
	}
	return strings.Join(parts, ",")
}
