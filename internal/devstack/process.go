package devstack

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/slipway-dev/slipway/internal/testutil"
)

// process is one child of the dev stack, its output in logs/{name}.log.
type process struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

func (s *Stack) start(name string, env []string, bin string, args ...string) (*process, error) {
	logPath := filepath.Join(s.Dir, "logs", name+".log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Env = append(os.Environ(), env...)
	// Own process group, so one signal stops the child and anything it spawned; the parent
	// death signal stops it even if the stack's own process is killed hard.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	s.procs = append(s.procs, p)
	return p, nil
}

// exited reports a process that stopped on its own.
func (p *process) exited() error {
	select {
	case <-p.done:
		return fmt.Errorf("%s exited: %v", p.name, p.err)
	default:
		return nil
	}
}

// stop asks politely, then insists after grace.
func (p *process) stop(grace time.Duration) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// waitFor polls check until it succeeds, ctx ends, or a watched process dies.
func waitFor(ctx context.Context, what string, timeout time.Duration, watch *process, check func(context.Context) error) error {
	var alive func() error
	if watch != nil {
		alive = func() error {
			if err := watch.exited(); err != nil {
				return fmt.Errorf("%w (see logs/%s.log)", err, watch.name)
			}
			return nil
		}
	}
	if err := testutil.Poll(ctx, timeout, 200*time.Millisecond, alive, check); err != nil {
		return fmt.Errorf("waiting for %s: %w", what, err)
	}
	return nil
}
