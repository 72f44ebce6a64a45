// Package testutil holds the small helpers the tests and the dev stack share: a buffer for
// concurrent log writers, free loopback ports, and one polling loop for readiness waits.
package testutil

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// Buffer is a bytes.Buffer safe for concurrent writers (a logger shared by goroutines).
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// FreePorts asks the kernel for n distinct unused loopback ports. Every listener stays open
// until all are chosen, so no port is handed out twice.
func FreePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// FreePort is one unused loopback port.
func FreePort() (int, error) {
	ports, err := FreePorts(1)
	if err != nil {
		return 0, err
	}
	return ports[0], nil
}

// ErrGaveUp wraps the last check error when Poll's time runs out.
var ErrGaveUp = errors.New("gave up")

// Poll runs check every interval until it succeeds, timeout passes or ctx ends, or alive
// (when not nil) reports that what is being waited on has died. It returns nil on success,
// alive's error, or ErrGaveUp joined with ctx's error and check's last error.
func Poll(ctx context.Context, timeout, interval time.Duration, alive func() error, check func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		last := check(ctx)
		if last == nil {
			return nil
		}
		if alive != nil {
			if err := alive(); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w after %s: %w", ErrGaveUp, timeout, errors.Join(ctx.Err(), last))
		case <-time.After(interval):
		}
	}
}
