// Package latency summarises the samples a benchmark timed itself: mean and
// percentiles, the figures docs/benchmarks.md records.
package latency

import (
	"slices"
	"time"
)

// Samples are the durations of one path, one per operation.
type Samples []time.Duration

// Mean is the average sample; zero for no samples.
func (s Samples) Mean() time.Duration {
	if len(s) == 0 {
		return 0
	}
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	return sum / time.Duration(len(s))
}

// Percentile is the sample at or below which p percent of samples fall
// (nearest rank); zero for no samples.
func (s Samples) Percentile(p float64) time.Duration {
	if len(s) == 0 {
		return 0
	}
	sorted := slices.Clone(s)
	slices.Sort(sorted)
	rank := int(p/100*float64(len(sorted))+0.5) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}
