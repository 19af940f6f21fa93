package reload

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/drover/drover/internal/sockets"
)

// tailSize is how much of a program's stderr is kept for the page shown
// when it exits: enough for a panic's stack.
const tailSize = 64 << 10

// childSpec is how to run the program as a development server on the
// watcher's sockets.
type childSpec struct {
	exe         string
	args        []string
	env         []string
	sockets     []*sockets.Held
	failureFile string
	stdout      io.Writer
	stderr      io.Writer
}

// child is one run of the program. Its stderr goes to the terminal and its
// end is kept for the failure page.
type child struct {
	cmd  *exec.Cmd
	tail *tail
	// exited is closed when the process has exited and been waited for;
	// state and err are set by then.
	exited chan struct{}
	state  *os.ProcessState
	err    error
}

// startChild starts the program: listeners at FDFirstListener on, the
// environment marking it a child, and PDEATHSIG so a watcher killed
// outright takes its program with it.
func startChild(spec childSpec) (*child, error) {
	c := &child{tail: &tail{max: tailSize}, exited: make(chan struct{})}
	cmd := exec.Command(spec.exe, spec.args...)
	cmd.Env = append(append([]string(nil), spec.env...),
		EnvListeners+"="+sockets.Env(spec.sockets),
		EnvFailureFile+"="+spec.failureFile,
	)
	cmd.ExtraFiles = sockets.Files(spec.sockets)
	cmd.Stdout = spec.stdout
	cmd.Stderr = &tee{w: spec.stderr, tail: c.tail}
	// Same process group as the watcher, so a terminal's Ctrl-C reaches
	// both; SIGKILL when the watcher dies without stopping it.
	cmd.SysProcAttr = childProcAttr()
	// A grandchild holding stderr open must not keep Wait waiting.
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", spec.exe, err)
	}
	c.cmd = cmd
	go func() {
		c.err = cmd.Wait()
		c.state = cmd.ProcessState
		close(c.exited)
	}()
	return c, nil
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// stop asks the program to finish its request and exit (TERM), and kills
// it if it has not within timeout. It returns once the program is gone.
func (c *child) stop(timeout time.Duration) {
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		_ = c.cmd.Process.Kill()
	}
	select {
	case <-c.exited:
		return
	case <-time.After(timeout):
	}
	_ = c.cmd.Process.Kill()
	<-c.exited
}

// status describes how the program ended: "exit status 2", "signal: killed".
func (c *child) status() string {
	if c.state != nil {
		return c.state.String()
	}
	if c.err != nil {
		return c.err.Error()
	}
	return "running"
}

// tee writes to the terminal and keeps the end of what it wrote. A
// terminal that fails does not stop the copy: the program must never block
// on a full pipe.
type tee struct {
	w    io.Writer
	tail *tail
}

func (t *tee) Write(p []byte) (int, error) {
	if t.w != nil {
		_, _ = t.w.Write(p)
	}
	return t.tail.Write(p)
}

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
