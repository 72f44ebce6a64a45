package latency

import (
	"testing"
	"time"
)

func TestSamples(t *testing.T) {
	hundred := make(Samples, 100)
	for i := range hundred {
		// Shuffled order: Percentile must sort.
		hundred[i] = time.Duration((i*37)%100+1) * time.Millisecond
	}
	cases := []struct {
		name    string
		s       Samples
		p       float64
		wantP   time.Duration
		wantAvg time.Duration
	}{
		{"empty", nil, 99, 0, 0},
		{"one", Samples{3 * time.Millisecond}, 99, 3 * time.Millisecond, 3 * time.Millisecond},
		{"p99 of 1..100 ms", hundred, 99, 99 * time.Millisecond, 50500 * time.Microsecond},
		{"p50 of 1..100 ms", hundred, 50, 50 * time.Millisecond, 50500 * time.Microsecond},
		{"p100 is the largest", hundred, 100, 100 * time.Millisecond, 50500 * time.Microsecond},
		{"p0 is the smallest", hundred, 0, time.Millisecond, 50500 * time.Microsecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.s.Percentile(tc.p); got != tc.wantP {
				t.Errorf("Percentile(%v) = %v, want %v", tc.p, got, tc.wantP)
			}
			if got := tc.s.Mean(); got != tc.wantAvg {
				t.Errorf("Mean() = %v, want %v", got, tc.wantAvg)
			}
		})
	}
}
