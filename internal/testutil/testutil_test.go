package testutil

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestFreePortsDistinct(t *testing.T) {
	ports, err := FreePorts(20)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, p := range ports {
		if p <= 0 || seen[p] {
			t.Fatalf("ports %v: want 20 distinct", ports)
		}
		seen[p] = true
	}
}

func TestPoll(t *testing.T) {
	tries := 0
	err := Poll(context.Background(), time.Second, time.Millisecond, nil, func(context.Context) error {
		if tries++; tries < 3 {
			return fmt.Errorf("try %d", tries)
		}
		return nil
	})
	if err != nil || tries != 3 {
		t.Fatalf("Poll = %v after %d tries, want success on the third", err, tries)
	}

	err = Poll(context.Background(), 20*time.Millisecond, time.Millisecond, nil, func(context.Context) error { return errors.New("never") })
	if !errors.Is(err, ErrGaveUp) || !errors.Is(err, context.DeadlineExceeded) || err.Error() == "" {
		t.Fatalf("Poll timing out = %v, want ErrGaveUp and the deadline", err)
	}

	died := errors.New("process exited")
	err = Poll(context.Background(), time.Minute, time.Millisecond, func() error { return died }, func(context.Context) error { return errors.New("not yet") })
	if !errors.Is(err, died) {
		t.Fatalf("Poll with a dead process = %v, want its error", err)
	}
}

func TestBufferConcurrent(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			for range 100 {
				fmt.Fprint(&b, "x")
			}
		})
	}
	wg.Wait()
	if n := len(b.String()); n != 1000 {
		t.Fatalf("%d bytes, want 1000", n)
	}
}
