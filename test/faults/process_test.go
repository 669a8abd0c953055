package faults

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// controller is one `dr-syncer controller` process against prod.
type controller struct {
	cmd  *exec.Cmd
	out  *lockedBuffer
	done chan struct{}
	err  error
}

// startController runs the binary serving namespace ns, with extra flags. At the end of the test
// a process still running gets SIGKILL; its output is logged if the test failed.
func startController(t *testing.T, ns string, extra ...string) *controller {
	t.Helper()
	kubeconfig := filepath.Join(t.TempDir(), "prod.kubeconfig")
	if err := os.WriteFile(kubeconfig, prodTB.Kubeconfig, 0o600); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"controller", "--kubeconfig", kubeconfig, "--namespace", ns,
		"--metrics-bind-address", "0", "--health-probe-bind-address", "0", "--log-format", "text", "--log-level", "debug"}, extra...)
	c := &controller{cmd: exec.Command(binary, args...), out: &lockedBuffer{}, done: make(chan struct{})}
	c.cmd.Stdout, c.cmd.Stderr = c.out, c.out
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(c.done)
		c.err = c.cmd.Wait()
	}()
	t.Cleanup(func() {
		c.kill()
		if t.Failed() {
			t.Logf("controller output (pid %d):\n%s", c.cmd.Process.Pid, c.out.String())
		}
	})
	return c
}

// kill sends SIGKILL (no cleanup, no lease release) and waits for the process to end.
func (c *controller) kill() {
	select {
	case <-c.done:
		return
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.done
}

// exited tells whether the process has ended.
func (c *controller) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// wait waits for the process to end.
func (c *controller) wait(timeout time.Duration) error {
	select {
	case <-c.done:
		return c.err
	case <-time.After(timeout):
		return errors.New("still running after " + timeout.String())
	}
}

// lockedBuffer collects a process's output, safe for one writer and concurrent readers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
