package revisions

import (
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func TestRevisionName(t *testing.T) {
	cases := []struct {
		app  string
		n    int
		want string
	}{
		{"web", 1, "web-00001"},
		{"web", 42, "web-00042"},
		{"my-app", 99999, "my-app-99999"},
		{"web", 123456, "web-123456"},
	}
	for _, tc := range cases {
		if got := RevisionName(tc.app, tc.n); got != tc.want {
			t.Errorf("RevisionName(%q, %d) = %q, want %q", tc.app, tc.n, got, tc.want)
		}
	}
}

func TestNextRevisionName(t *testing.T) {
	cases := []struct {
		name     string
		app      string
		existing []string
		want     string
	}{
		{"no revisions", "app", nil, "app-00001"},
		{"empty list", "app", []string{}, "app-00001"},
		{"one", "app", []string{"app-00001"}, "app-00002"},
		{"in order", "app", []string{"app-00001", "app-00002", "app-00003"}, "app-00004"},
		{"out of order", "app", []string{"app-00003", "app-00001", "app-00002"}, "app-00004"},
		{"gap after collection", "app", []string{"app-00001", "app-00007"}, "app-00008"},
		{"only the newest left", "app", []string{"app-00012"}, "app-00013"},
		{"foreign names ignored", "app", []string{"app-00002", "other-00009", "app", "app-", "app-latest", "app-2b"}, "app-00003"},
		{"only foreign names", "app", []string{"other-00009", "application-00005"}, "app-00001"},
		{"another app's prefix", "app", []string{"app-x-00003", "app-00001"}, "app-00002"},
		{"only another app's revisions", "app", []string{"app-x-00003"}, "app-00001"},
		{"app with a dash", "app-x", []string{"app-00005", "app-x-00002"}, "app-x-00003"},
		{"negative suffix ignored", "app", []string{"app--0004", "app-00001"}, "app-00002"},
		{"past five digits", "app", []string{"app-99999"}, "app-100000"},
		{"unpadded number", "app", []string{"app-7"}, "app-00008"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := NextRevisionName(tc.app, tc.existing); got != tc.want {
				t.Errorf("NextRevisionName(%q, %q) = %q, want %q", tc.app, tc.existing, got, tc.want)
			}
		})
	}
}

func TestDefaultTag(t *testing.T) {
	cases := []struct{ in, want string }{
		{"web-00003", "r00003"},
		{"app-x-00012", "r00012"},
		{"web-100000", "r100000"},
		{"nodash", "rnodash"},
	}
	for _, tc := range cases {
		if got := DefaultTag(tc.in); got != tc.want {
			t.Errorf("DefaultTag(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := DefaultTag(tc.in); len(validateTag(field.NewPath("tag"), got)) != 0 {
			t.Errorf("DefaultTag(%q) = %q is not a valid tag", tc.in, got)
		}
	}
}

func rev(name string, percent int64) Target { return Target{Revision: name, Percent: percent} }
func tagged(name string, percent int64, tag string) Target {
	return Target{Revision: name, Percent: percent, Tag: tag}
}

var (
	betaMatch  = Match{Headers: map[string]StringMatch{"x-user": {Exact: "beta"}}}
	qaMatch    = Match{Headers: map[string]StringMatch{"x-team": {Prefix: "qa-"}}}
	headerBeta = &Strategy{Type: StrategyHeader, Match: &betaMatch}
)

func TestPlanDeploy(t *testing.T) {
	cases := []struct {
		name        string
		serving     []Target
		rules       []Rule
		newRevision string
		strategy    *Strategy
		want        []Target
		wantRules   []Rule
	}{{
		name:        "first deploy, no strategy",
		newRevision: "a-00001",
		want:        []Target{rev("a-00001", 100)},
	}, {
		name:        "first deploy, canary gets everything",
		newRevision: "a-00001",
		strategy:    canary(10),
		want:        []Target{rev("a-00001", 100)},
	}, {
		name:        "first deploy, header gets everything and no rule",
		serving:     []Target{},
		newRevision: "a-00001",
		strategy:    headerBeta,
		want:        []Target{rev("a-00001", 100)},
	}, {
		name:        "first deploy keeps 0% tags",
		serving:     []Target{tagged("a-00001", 0, "old")},
		rules:       []Rule{{Match: betaMatch, Revision: "a-00001"}},
		newRevision: "a-00002",
		strategy:    canary(10),
		want:        []Target{rev("a-00002", 100), tagged("a-00001", 0, "old")},
		wantRules:   []Rule{{Match: betaMatch, Revision: "a-00001"}},
	}, {
		name:        "replace, no strategy",
		serving:     []Target{rev("a-00001", 100)},
		newRevision: "a-00002",
		want:        []Target{rev("a-00002", 100)},
	}, {
		name:        "replace by name",
		serving:     []Target{rev("a-00001", 100)},
		newRevision: "a-00002",
		strategy:    &Strategy{Type: StrategyReplace},
		want:        []Target{rev("a-00002", 100)},
	}, {
		name:        "empty strategy type is replace",
		serving:     []Target{rev("a-00001", 50), rev("a-00002", 50)},
		newRevision: "a-00003",
		strategy:    &Strategy{},
		want:        []Target{rev("a-00003", 100)},
	}, {
		name:        "replace keeps 0% tags and rules",
		serving:     []Target{rev("a-00001", 60), rev("a-00002", 40), tagged("a-00002", 0, "beta")},
		rules:       []Rule{{Match: betaMatch, Revision: "a-00002"}},
		newRevision: "a-00003",
		want:        []Target{rev("a-00003", 100), tagged("a-00002", 0, "beta")},
		wantRules:   []Rule{{Match: betaMatch, Revision: "a-00002"}},
	}, {
		name:        "canary 10 on 100% A",
		serving:     []Target{rev("a-00001", 100)},
		newRevision: "a-00002",
		strategy:    canary(10),
		want:        []Target{rev("a-00001", 90), rev("a-00002", 10)},
	}, {
		name:        "canary 20 on 50/50",
		serving:     []Target{rev("a-00001", 50), rev("a-00002", 50)},
		newRevision: "a-00003",
		strategy:    canary(20),
		want:        []Target{rev("a-00001", 40), rev("a-00002", 40), rev("a-00003", 20)},
	}, {
		name:        "canary 10 on 33/33/34 rounds to a sum of 100",
		serving:     []Target{rev("a-00001", 33), rev("a-00002", 33), rev("a-00003", 34)},
		newRevision: "a-00004",
		strategy:    canary(10),
		// Exact shares 29.7/29.7/30.6: floors 29/29/30 and the two points left go to the
		// largest remainders, in order.
		want: []Target{rev("a-00001", 30), rev("a-00002", 30), rev("a-00003", 30), rev("a-00004", 10)},
	}, {
		name:        "canary 50 on 33/33/34",
		serving:     []Target{rev("a-00001", 33), rev("a-00002", 33), rev("a-00003", 34)},
		newRevision: "a-00004",
		strategy:    canary(50),
		// Exact shares 16.5/16.5/17: one point left, to the first largest remainder.
		want: []Target{rev("a-00001", 17), rev("a-00002", 16), rev("a-00003", 17), rev("a-00004", 50)},
	}, {
		name:        "canary 1 on 33/33/34",
		serving:     []Target{rev("a-00001", 33), rev("a-00002", 33), rev("a-00003", 34)},
		newRevision: "a-00004",
		strategy:    canary(1),
		// Exact shares 32.67/32.67/33.66.
		want: []Target{rev("a-00001", 33), rev("a-00002", 33), rev("a-00003", 33), rev("a-00004", 1)},
	}, {
		name:        "canary 99 on 33/33/34",
		serving:     []Target{rev("a-00001", 33), rev("a-00002", 33), rev("a-00003", 34)},
		newRevision: "a-00004",
		strategy:    canary(99),
		// Exact shares 0.33/0.33/0.34: the one point goes to the largest remainder; the
		// others drop out of the split.
		want: []Target{rev("a-00003", 1), rev("a-00004", 99)},
	}, {
		name:        "canary merges repeats of a revision",
		serving:     []Target{rev("a-00001", 30), rev("a-00002", 40), rev("a-00001", 30)},
		newRevision: "a-00003",
		strategy:    canary(30),
		want:        []Target{rev("a-00001", 42), rev("a-00002", 28), rev("a-00003", 30)},
	}, {
		name:        "canary keeps 0% tags",
		serving:     []Target{rev("a-00001", 100), tagged("a-00002", 0, "beta")},
		rules:       []Rule{{Match: betaMatch, Revision: "a-00002"}},
		newRevision: "a-00003",
		strategy:    canary(10),
		want:        []Target{rev("a-00001", 90), tagged("a-00002", 0, "beta"), rev("a-00003", 10)},
		wantRules:   []Rule{{Match: betaMatch, Revision: "a-00002"}},
	}, {
		name:        "canary scales tagged shares and keeps their tags",
		serving:     []Target{tagged("a-00001", 80, "stable"), rev("a-00002", 20)},
		newRevision: "a-00003",
		strategy:    canary(50),
		want:        []Target{tagged("a-00001", 40, "stable"), rev("a-00002", 10), rev("a-00003", 50)},
	}, {
		name:        "canary keeps a tagged share that rounds to 0 at 0%",
		serving:     []Target{rev("a-00001", 99), tagged("a-00002", 1, "beta")},
		newRevision: "a-00003",
		strategy:    canary(90),
		want:        []Target{rev("a-00001", 10), tagged("a-00002", 0, "beta"), rev("a-00003", 90)},
	}, {
		name:        "canary does not merge a tagged and an untagged share",
		serving:     []Target{rev("a-00001", 50), tagged("a-00001", 50, "stable")},
		newRevision: "a-00002",
		strategy:    canary(10),
		want:        []Target{rev("a-00001", 45), tagged("a-00001", 45, "stable"), rev("a-00002", 10)},
	}, {
		name:        "header adds a 0% default tag and a rule",
		serving:     []Target{rev("a-00001", 100)},
		newRevision: "a-00002",
		strategy:    headerBeta,
		want:        []Target{rev("a-00001", 100), tagged("a-00002", 0, "r00002")},
		wantRules:   []Rule{{Match: betaMatch, Revision: "a-00002"}},
	}, {
		name:        "header appends to existing rules and keeps the split",
		serving:     []Target{rev("a-00001", 70), rev("a-00002", 30), tagged("a-00003", 0, "r00003")},
		rules:       []Rule{{Match: qaMatch, Revision: "a-00003"}},
		newRevision: "a-00004",
		strategy:    headerBeta,
		want:        []Target{rev("a-00001", 70), rev("a-00002", 30), tagged("a-00003", 0, "r00003"), tagged("a-00004", 0, "r00004")},
		wantRules:   []Rule{{Match: qaMatch, Revision: "a-00003"}, {Match: betaMatch, Revision: "a-00004"}},
	}, {
		name:        "header with a custom tag",
		serving:     []Target{rev("a-00001", 100)},
		newRevision: "a-00002",
		strategy:    &Strategy{Type: StrategyHeader, Match: &qaMatch, Tag: "qa"},
		want:        []Target{rev("a-00001", 100), tagged("a-00002", 0, "qa")},
		wantRules:   []Rule{{Match: qaMatch, Revision: "a-00002"}},
	}, {
		name:        "header tag moves from a 0% target; the old revision keeps a tag for its rule",
		serving:     []Target{rev("a-00001", 100), tagged("a-00002", 0, "beta")},
		rules:       []Rule{{Match: betaMatch, Revision: "a-00002"}},
		newRevision: "a-00003",
		strategy:    &Strategy{Type: StrategyHeader, Match: &betaMatch, Tag: "beta"},
		want:        []Target{rev("a-00001", 100), tagged("a-00003", 0, "beta"), tagged("a-00002", 0, "r00002")},
		wantRules:   []Rule{{Match: betaMatch, Revision: "a-00002"}, {Match: betaMatch, Revision: "a-00003"}},
	}, {
		name:        "header tag moves from a 0% target no rule uses",
		serving:     []Target{rev("a-00001", 100), tagged("a-00002", 0, "beta")},
		newRevision: "a-00003",
		strategy:    &Strategy{Type: StrategyHeader, Match: &betaMatch, Tag: "beta"},
		want:        []Target{rev("a-00001", 100), tagged("a-00003", 0, "beta")},
		wantRules:   []Rule{{Match: betaMatch, Revision: "a-00003"}},
	}, {
		name:        "header tag moves from a share, which keeps its percent",
		serving:     []Target{tagged("a-00001", 80, "stable"), rev("a-00002", 20)},
		newRevision: "a-00003",
		strategy:    &Strategy{Type: StrategyHeader, Match: &betaMatch, Tag: "stable"},
		want:        []Target{rev("a-00001", 80), rev("a-00002", 20), tagged("a-00003", 0, "stable")},
		wantRules:   []Rule{{Match: betaMatch, Revision: "a-00003"}},
	}, {
		name:        "header default tag held by another target is made unique",
		serving:     []Target{rev("a-00001", 100), tagged("a-00001", 0, "r00002")},
		newRevision: "a-00002",
		strategy:    headerBeta,
		want:        []Target{rev("a-00001", 100), tagged("a-00001", 0, "r00002"), tagged("a-00002", 0, "r00002-2")},
		wantRules:   []Rule{{Match: betaMatch, Revision: "a-00002"}},
	}, {
		name:        "replace gives a rule's revision tagged only on its share a 0% tag",
		serving:     []Target{rev("a-00001", 90), tagged("a-00002", 10, "canary")},
		rules:       []Rule{{Match: betaMatch, Revision: "a-00002"}},
		newRevision: "a-00003",
		want:        []Target{rev("a-00003", 100), tagged("a-00002", 0, "r00002")},
		wantRules:   []Rule{{Match: betaMatch, Revision: "a-00002"}},
	}, {
		name:        "canary gives a rule's untagged revision a 0% tag",
		serving:     []Target{rev("a-00001", 100)},
		rules:       []Rule{{Match: betaMatch, Revision: "a-00001"}},
		newRevision: "a-00002",
		strategy:    canary(10),
		want:        []Target{rev("a-00001", 90), rev("a-00002", 10), tagged("a-00001", 0, "r00001")},
		wantRules:   []Rule{{Match: betaMatch, Revision: "a-00001"}},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			serving, rules := clone(tc.serving), append([]Rule(nil), tc.rules...)
			got, gotRules := PlanDeploy(tc.serving, tc.rules, tc.newRevision, tc.strategy)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("PlanDeploy() targets (-want,+got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantRules, gotRules, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("PlanDeploy() rules (-want,+got):\n%s", diff)
			}
			if sum := totalPercent(got); sum != 100 {
				t.Errorf("PlanDeploy() percents sum to %d, want 100", sum)
			}
			if diff := cmp.Diff(serving, tc.serving, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("PlanDeploy() changed its serving input (-before,+after):\n%s", diff)
			}
			if diff := cmp.Diff(rules, tc.rules, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("PlanDeploy() changed its rules input (-before,+after):\n%s", diff)
			}
		})
	}
}

// TestPlanDeployDoesNotAliasInputs makes sure appending to a plan's targets cannot write
// into the caller's serving slice, which may have spare capacity.
func TestPlanDeployDoesNotAliasInputs(t *testing.T) {
	for _, s := range []*Strategy{nil, canary(10), headerBeta} {
		serving := make([]Target, 1, 10)
		serving[0] = rev("a-00001", 100)
		got, _ := PlanDeploy(serving, nil, "a-00002", s)
		_ = append(got, rev("intruder", 0))
		_ = append(got[:1], rev("intruder", 0))
		if spare := serving[:2]; spare[1].Revision == "intruder" {
			t.Errorf("strategy %+v: the plan shares serving's array", s)
		}
	}
}

// TestPlanDeployCanaryProperties checks the canary arithmetic over many random splits: the
// plan always sums to 100, has no negative or untagged 0% entries, gives the canary exactly
// its share, keeps every tag, and rounds each old share to within one point of exact.
func TestPlanDeployCanaryProperties(t *testing.T) {
	rng := rand.New(rand.NewSource(20250304))
	for i := range 500 {
		serving := randomSplit(rng)
		percent := 1 + rng.Int63n(99)
		name := fmt.Sprintf("#%d %s +%d", i, TrafficSummary(serving), percent)

		got, _ := PlanDeploy(serving, nil, "new-99999", canary(percent))

		if sum := totalPercent(got); sum != 100 {
			t.Errorf("%s: sum %d, want 100 (%s)", name, sum, TrafficSummary(got))
		}
		newShare := int64(0)
		oldTotals := map[string]int64{}
		gotTotals := map[string]int64{}
		for _, tg := range serving {
			oldTotals[tg.Revision+"#"+tg.Tag] += tg.Percent
		}
		for _, tg := range got {
			if tg.Percent < 0 {
				t.Errorf("%s: negative percent in %s", name, TrafficSummary(got))
			}
			if tg.Percent == 0 && tg.Tag == "" {
				t.Errorf("%s: untagged 0%% target in %s", name, TrafficSummary(got))
			}
			if tg.Revision == "new-99999" {
				newShare += tg.Percent
				continue
			}
			gotTotals[tg.Revision+"#"+tg.Tag] += tg.Percent
		}
		if newShare != percent {
			t.Errorf("%s: canary got %d%%, want %d%%", name, newShare, percent)
		}
		for _, tg := range serving {
			if tg.Tag == "" {
				continue
			}
			if !hasTag(got, tg.Revision, tg.Tag) {
				t.Errorf("%s: tag %s of %s lost in %s", name, tg.Tag, tg.Revision, TrafficSummary(got))
			}
		}
		for key, old := range oldTotals {
			// Exact share: old*(100-percent)/100; the plan may round it either way by < 1.
			exact100 := old * (100 - percent)
			if g := gotTotals[key]; g*100 <= exact100-100 || g*100 >= exact100+100 {
				t.Errorf("%s: %s got %d%%, exact share %.2f%%", name, key, g, float64(exact100)/100)
			}
		}
		for key := range gotTotals {
			if _, ok := oldTotals[key]; !ok {
				t.Errorf("%s: %s appeared from nowhere in %s", name, key, TrafficSummary(got))
			}
		}
	}
}

// randomSplit makes a valid current split over up to 6 revisions: percents summing to 100,
// some repeated revisions, some tagged shares and some 0% tags.
func randomSplit(rng *rand.Rand) []Target {
	n := 1 + rng.Intn(6)
	cuts := make([]int64, 0, n+1)
	cuts = append(cuts, 0)
	for range n - 1 {
		cuts = append(cuts, rng.Int63n(101))
	}
	cuts = append(cuts, 100)
	sortInt64(cuts)
	var out []Target
	tags := 0
	for i := range n {
		tg := Target{Revision: fmt.Sprintf("a-%05d", 1+rng.Intn(4)), Percent: cuts[i+1] - cuts[i]}
		if rng.Intn(4) == 0 {
			tags++
			tg.Tag = fmt.Sprintf("t%d", tags)
		}
		if tg.Percent == 0 && tg.Tag == "" {
			continue // a valid split has no untagged 0% entries
		}
		out = append(out, tg)
	}
	for range rng.Intn(3) {
		tags++
		out = append(out, Target{Revision: fmt.Sprintf("a-%05d", 1+rng.Intn(4)), Tag: fmt.Sprintf("t%d", tags)})
	}
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func sortInt64(s []int64) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func hasTag(targets []Target, revision, tag string) bool {
	for _, t := range targets {
		if t.Revision == revision && t.Tag == tag {
			return true
		}
	}
	return false
}

// TestPlanDeployReplaceAndHeaderProperties: over random splits, replace gives the new
// revision 100% and keeps exactly the 0% tags; header keeps the split and adds one 0% tag.
func TestPlanDeployReplaceAndHeaderProperties(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for i := range 500 {
		serving := randomSplit(rng)
		name := fmt.Sprintf("#%d %s", i, TrafficSummary(serving))

		got, _ := PlanDeploy(serving, nil, "a-00009", nil)
		want := append([]Target{rev("a-00009", 100)}, zeroTags(serving)...)
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s: replace (-want,+got):\n%s", name, diff)
		}

		got, rules := PlanDeploy(serving, nil, "a-00009", headerBeta)
		want = append(clone(serving), tagged("a-00009", 0, "r00009"))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: header (-want,+got):\n%s", name, diff)
		}
		if diff := cmp.Diff([]Rule{{Match: betaMatch, Revision: "a-00009"}}, rules); diff != "" {
			t.Errorf("%s: header rules (-want,+got):\n%s", name, diff)
		}
	}
}

func zeroTags(targets []Target) []Target {
	var out []Target
	for _, t := range targets {
		if t.Percent == 0 && t.Tag != "" {
			out = append(out, t)
		}
	}
	return out
}

func TestPlanTraffic(t *testing.T) {
	rule := func(m Match, revision string) Rule { return Rule{Match: m, Revision: revision} }
	cases := []struct {
		name      string
		req       TrafficRequest
		want      []Target
		wantRules []Rule
	}{{
		name: "split only",
		req:  TrafficRequest{Targets: []Target{rev("a-00001", 90), rev("a-00002", 10)}},
		want: []Target{rev("a-00001", 90), rev("a-00002", 10)},
	}, {
		name: "latest and tags pass through",
		req:  TrafficRequest{Targets: []Target{{Latest: true, Percent: 100}, tagged("a-00001", 0, "old")}},
		want: []Target{{Latest: true, Percent: 100}, tagged("a-00001", 0, "old")},
	}, {
		name:      "rule to a revision not in the split gets a 0% tag",
		req:       TrafficRequest{Targets: []Target{rev("a-00001", 100)}, Rules: []Rule{rule(betaMatch, "a-00002")}},
		want:      []Target{rev("a-00001", 100), tagged("a-00002", 0, "r00002")},
		wantRules: []Rule{rule(betaMatch, "a-00002")},
	}, {
		name:      "rule to an untagged share gets a 0% tag",
		req:       TrafficRequest{Targets: []Target{rev("a-00001", 90), rev("a-00002", 10)}, Rules: []Rule{rule(betaMatch, "a-00002")}},
		want:      []Target{rev("a-00001", 90), rev("a-00002", 10), tagged("a-00002", 0, "r00002")},
		wantRules: []Rule{rule(betaMatch, "a-00002")},
	}, {
		name:      "rule to a tagged revision adds nothing",
		req:       TrafficRequest{Targets: []Target{rev("a-00001", 100), tagged("a-00002", 0, "beta")}, Rules: []Rule{rule(betaMatch, "a-00002")}},
		want:      []Target{rev("a-00001", 100), tagged("a-00002", 0, "beta")},
		wantRules: []Rule{rule(betaMatch, "a-00002")},
	}, {
		// A tag on a share goes when a later deploy or rollback drops the share; the rule
		// needs one that stays.
		name:      "rule to a tagged share gets a 0% tag too",
		req:       TrafficRequest{Targets: []Target{rev("a-00001", 90), tagged("a-00002", 10, "canary")}, Rules: []Rule{rule(betaMatch, "a-00002")}},
		want:      []Target{rev("a-00001", 90), tagged("a-00002", 10, "canary"), tagged("a-00002", 0, "r00002")},
		wantRules: []Rule{rule(betaMatch, "a-00002")},
	}, {
		name:      "default tag already in use",
		req:       TrafficRequest{Targets: []Target{tagged("a-00001", 90, "r00002"), tagged("a-00003", 10, "r00002-2")}, Rules: []Rule{rule(betaMatch, "a-00002")}},
		want:      []Target{tagged("a-00001", 90, "r00002"), tagged("a-00003", 10, "r00002-2"), tagged("a-00002", 0, "r00002-3")},
		wantRules: []Rule{rule(betaMatch, "a-00002")},
	}, {
		name: "two rules to one revision add one tag",
		req: TrafficRequest{
			Targets: []Target{rev("a-00001", 100)},
			Rules:   []Rule{rule(betaMatch, "a-00002"), rule(qaMatch, "a-00002"), rule(qaMatch, "a-00003")},
		},
		want:      []Target{rev("a-00001", 100), tagged("a-00002", 0, "r00002"), tagged("a-00003", 0, "r00003")},
		wantRules: []Rule{rule(betaMatch, "a-00002"), rule(qaMatch, "a-00002"), rule(qaMatch, "a-00003")},
	}, {
		name:      "a tagged latest does not tag the rule's revision",
		req:       TrafficRequest{Targets: []Target{{Latest: true, Percent: 100, Tag: "next"}}, Rules: []Rule{rule(betaMatch, "a-00002")}},
		want:      []Target{{Latest: true, Percent: 100, Tag: "next"}, tagged("a-00002", 0, "r00002")},
		wantRules: []Rule{rule(betaMatch, "a-00002")},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if errs := tc.req.Validate(map[string]bool{"a-00001": true, "a-00002": true, "a-00003": true}); len(errs) != 0 {
				t.Fatalf("test request is invalid: %v", errs)
			}
			before := TrafficRequest{Targets: clone(tc.req.Targets), Rules: append([]Rule(nil), tc.req.Rules...)}
			got, gotRules := PlanTraffic(tc.req)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("PlanTraffic() targets (-want,+got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantRules, gotRules); diff != "" {
				t.Errorf("PlanTraffic() rules (-want,+got):\n%s", diff)
			}
			if diff := cmp.Diff(before, tc.req); diff != "" {
				t.Errorf("PlanTraffic() changed its input (-before,+after):\n%s", diff)
			}
		})
	}
}

func TestPlanRollback(t *testing.T) {
	cases := []struct {
		name     string
		serving  []Target
		revision string
		want     []Target
	}{{
		name:     "to the previous revision",
		serving:  []Target{rev("a-00002", 100)},
		revision: "a-00001",
		want:     []Target{rev("a-00001", 100)},
	}, {
		name:     "out of a canary",
		serving:  []Target{rev("a-00001", 90), rev("a-00002", 10)},
		revision: "a-00001",
		want:     []Target{rev("a-00001", 100)},
	}, {
		name:     "keeps 0% tags",
		serving:  []Target{rev("a-00002", 100), tagged("a-00003", 0, "beta"), tagged("a-00002", 0, "r00002")},
		revision: "a-00001",
		want:     []Target{rev("a-00001", 100), tagged("a-00003", 0, "beta"), tagged("a-00002", 0, "r00002")},
	}, {
		name:     "keeps a 0% tag on the revision rolled back to",
		serving:  []Target{rev("a-00002", 100), tagged("a-00001", 0, "old")},
		revision: "a-00001",
		want:     []Target{rev("a-00001", 100), tagged("a-00001", 0, "old")},
	}, {
		name:     "from nothing",
		revision: "a-00001",
		want:     []Target{rev("a-00001", 100)},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := PlanRollback(tc.serving, tc.revision)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("PlanRollback() (-want,+got):\n%s", diff)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	cases := []struct {
		name    string
		targets []Target
		latest  string
		want    []Target
	}{
		{"nothing", nil, "a-00002", nil},
		{"no latest", []Target{rev("a-00001", 100)}, "a-00002", []Target{rev("a-00001", 100)}},
		{"latest only", []Target{{Latest: true, Percent: 100}}, "a-00002", []Target{rev("a-00002", 100)}},
		{
			"mixed, tags kept",
			[]Target{rev("a-00001", 50), {Latest: true, Percent: 50}, {Latest: true, Tag: "next"}},
			"a-00003",
			[]Target{rev("a-00001", 50), rev("a-00003", 50), tagged("a-00003", 0, "next")},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := clone(tc.targets)
			got := Resolve(tc.targets, tc.latest)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Resolve() (-want,+got):\n%s", diff)
			}
			if diff := cmp.Diff(before, tc.targets); diff != "" {
				t.Errorf("Resolve() changed its input (-before,+after):\n%s", diff)
			}
		})
	}
}

func TestTrafficSummary(t *testing.T) {
	cases := []struct {
		targets []Target
		want    string
	}{
		{nil, ""},
		{[]Target{rev("a-00001", 100)}, "a-00001=100"},
		{[]Target{rev("a-00001", 90), rev("a-00002", 10)}, "a-00001=90,a-00002=10"},
		{[]Target{{Latest: true, Percent: 100}}, "latest=100"},
		{[]Target{tagged("a-00001", 100, "stable"), {Latest: true, Tag: "next"}}, "a-00001#stable=100,latest#next=0"},
	}
	for _, tc := range cases {
		if got := TrafficSummary(tc.targets); got != tc.want {
			t.Errorf("TrafficSummary(%+v) = %q, want %q", tc.targets, got, tc.want)
		}
	}
}

// TestPlansBuildValidServices runs an app through a series of deploys, traffic changes and
// rollbacks the way the API does (validate, resolve, plan, build) and checks that Knative
// admits every Service Slipway would write.
func TestPlansBuildValidServices(t *testing.T) {
	type step struct {
		name     string
		deploy   *Strategy
		traffic  *TrafficRequest
		rollback string
	}
	beta := &Strategy{Type: StrategyHeader, Match: &betaMatch, Tag: "beta"}
	steps := []step{
		{name: "first deploy", deploy: canary(10)},                                             // 00001
		{name: "replace", deploy: nil},                                                         // 00002
		{name: "canary", deploy: canary(10)},                                                   // 00003
		{name: "canary again", deploy: canary(25)},                                             // 00004
		{name: "header beta", deploy: beta},                                                    // 00005
		{name: "header default tag", deploy: &Strategy{Type: StrategyHeader, Match: &qaMatch}}, // 00006
		{name: "canary with tags around", deploy: canary(5)},                                   // 00007
		// The API refuses an explicit tag in use (pkg/apps), but a default tag may collide.
		{name: "user takes the next default tag", traffic: &TrafficRequest{
			Targets: []Target{
				{Revision: "web-00002", Percent: 95}, {Revision: "web-00007", Percent: 5, Tag: "r00008"},
				{Revision: "web-00005", Tag: "beta"}, {Revision: "web-00006", Tag: "r00006"},
			},
			Rules: []Rule{{Match: betaMatch, Revision: "web-00005"}, {Match: qaMatch, Revision: "web-00006"}},
		}},
		{name: "header with a default tag in use", deploy: headerBeta}, // 00008
		{name: "rollback", rollback: "web-00002"},
		{name: "traffic with rules", traffic: &TrafficRequest{
			Targets: []Target{{Revision: "web-00002", Percent: 50}, {Latest: true, Percent: 50}},
			Rules:   []Rule{{Match: betaMatch, Revision: "web-00005"}, {Match: qaMatch, Revision: "web-00006"}},
		}},
		{name: "replace after traffic", deploy: &Strategy{Type: StrategyReplace}}, // 00009
		{name: "header beta on a new revision", deploy: beta},                     // 00010
		{name: "traffic with a rule to a tagged share", traffic: &TrafficRequest{
			Targets: []Target{{Revision: "web-00009", Percent: 90}, {Revision: "web-00010", Percent: 10, Tag: "canary"}},
			Rules:   []Rule{{Match: betaMatch, Revision: "web-00010"}},
		}},
		{name: "rollback with a rule", rollback: "web-00009"},
		{name: "replace with a rule", deploy: nil}, // 00011
	}

	a := App{Project: "shop", Name: "web", Env: "prod", Namespace: "shop-prod"}
	var revisionNames []string
	for _, s := range steps {
		known := map[string]bool{}
		for _, r := range revisionNames {
			known[r] = true
		}
		latestReady := ""
		if len(revisionNames) > 0 {
			latestReady = revisionNames[len(revisionNames)-1]
		}
		serving := Resolve(a.Traffic, latestReady)
		switch {
		case s.traffic != nil:
			if errs := s.traffic.Validate(known); len(errs) != 0 {
				t.Fatalf("%s: invalid traffic request: %v", s.name, errs)
			}
			a.Traffic, a.Rules = PlanTraffic(*s.traffic)
		case s.rollback != "":
			if errs := (RollbackRequest{Revision: s.rollback}).Validate(known); len(errs) != 0 {
				t.Fatalf("%s: invalid rollback: %v", s.name, errs)
			}
			a.Traffic = PlanRollback(serving, s.rollback)
		default:
			req := DeployRequest{Image: "registry.example/shop/web:v1", Strategy: s.deploy}
			if errs := req.Validate(prodEnv); len(errs) != 0 {
				t.Fatalf("%s: invalid deploy: %v", s.name, errs)
			}
			name := NextRevisionName("web", revisionNames)
			revisionNames = append(revisionNames, name)
			a.Template = req.TemplateFor(prodEnv, name, "alice@example.com", func() time.Time { return deployedAt })
			a.Traffic, a.Rules = PlanDeploy(serving, a.Rules, name, s.deploy)
		}
		a.AppendHistory(HistoryEntry{User: "alice@example.com", Traffic: a.Traffic}, 5)
		t.Logf("%s: %s, %d rules", s.name, TrafficSummary(a.Traffic), len(a.Rules))
		if err := knativeCheck(BuildService(a)); err != nil {
			t.Errorf("%s: %s: Knative rejects the Service: %v", s.name, TrafficSummary(a.Traffic), err)
		}
		// Every rule must still route to a tag host.
		for _, r := range a.Rules {
			if !hasTagFor(a.Traffic, r.Revision) {
				t.Errorf("%s: %s: rule to %s has no tagged target", s.name, TrafficSummary(a.Traffic), r.Revision)
			}
		}
	}
}

func hasTagFor(targets []Target, revision string) bool {
	for _, t := range targets {
		if t.Revision == revision && t.Tag != "" {
			return true
		}
	}
	return false
}
