package server

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sys/unix"

	"github.com/drover/drover/internal/config"
	"github.com/drover/drover/internal/proto"
)

// state is where a worker is in its life.
type state int

const (
	stateBooting  state = iota // started, not yet ready
	stateReady                 // serving
	stateRetiring              // asked to be replaced, still serving
	stateDraining              // told to stop (TERM or INT)
	stateKilled                // hung or late: SIGKILL sent or scheduled
)

func (s state) String() string {
	return [...]string{"booting", "ready", "retiring", "draining", "killed"}[s]
}

// worker is the supervisor's record of one worker process.
type worker struct {
	pid        int
	slot       int
	generation int
	cmd        *exec.Cmd
	conn       net.Conn
	state      state
	started    time.Time
	readyAt    time.Time
	lastBeat   time.Time
	stats      proto.Heartbeat
	// killAt, when set, is when the worker gets SIGKILL if still alive.
	killAt time.Time
	log    *zap.Logger
}

// serving reports whether the worker covers its slot: booting towards
// ready, or ready. A retiring, draining or killed worker needs a
// replacement.
func (w *worker) serving() bool { return w.state == stateBooting || w.state == stateReady }

// signal sends sig, logging (not returning) a failure: the worker may have
// exited already, which its exit event reports.
func (w *worker) signal(sig syscall.Signal) {
	if err := w.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		w.log.Debug("signal worker", zap.Stringer("signal", sig), zap.Error(err))
	}
}

// event is something a worker's goroutines report to the supervisor loop.
type event struct {
	pid  int
	msg  proto.Message    // a message from the worker, or
	exit *os.ProcessState // its exit (msg nil)
	err  error            // Wait's error, if the exit could not be read
}

// spawn starts a worker process for slot in generation gen with cfg: the
// binary re-executed with the role marker, the channel at fd 3 and the
// listeners from fd 4.
func (s *Supervisor) spawn(slot, gen int, cfg config.Config) (*worker, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("socketpair: %w", err)
	}
	ours := os.NewFile(uintptr(fds[0]), "drover-channel")
	theirs := os.NewFile(uintptr(fds[1]), "drover-channel-worker")
	defer theirs.Close()

	cmd := exec.Command(s.exe, s.args...)
	cmd.Env = append(append([]string(nil), s.env...), proto.EnvRole+"="+proto.RoleWorker)
	cmd.Env = append(cmd.Env, inheritEnv(s.listeners)...)
	cmd.ExtraFiles = append([]*os.File{theirs}, inheritFiles(s.listeners)...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	// Own process group: a terminal's Ctrl-C reaches only the supervisor,
	// which then stops the workers in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// --user/--group: the worker is this user from its first instruction,
	// before any application code runs.
	cred, err := cfg.Server.Credential()
	if err != nil {
		ours.Close()
		return nil, fmt.Errorf("start worker: %w", err)
	}
	if cred != nil {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: cred.UID, Gid: cred.GID, Groups: cred.Groups}
	}
	if err := cmd.Start(); err != nil {
		ours.Close()
		return nil, fmt.Errorf("start worker: %w", err)
	}
	conn, err := net.FileConn(ours)
	ours.Close()
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("worker channel: %w", err)
	}
	now := s.now()
	w := &worker{
		pid: cmd.Process.Pid, slot: slot, generation: gen, cmd: cmd, conn: conn,
		state: stateBooting, started: now, lastBeat: now,
	}
	w.log = s.log.With(zap.Int("worker_pid", w.pid), zap.Int("slot", slot), zap.Int("generation", gen))
	s.workers[w.pid] = w
	go s.wait(w)
	go s.read(w)
	if err := proto.Encode(conn, proto.Config{Config: cfg, Slot: slot, Generation: gen}); err != nil {
		// The worker cannot start without it; its exit is reported as a
		// boot failure.
		w.log.Error("send config to worker", zap.Error(err))
		w.signal(syscall.SIGKILL)
	}
	w.log.Debug("worker started")
	return w, nil
}

// wait reports the worker's exit to the loop.
func (s *Supervisor) wait(w *worker) {
	err := w.cmd.Wait()
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		err = nil // a non-zero status is in ProcessState
	}
	s.report(event{pid: w.pid, exit: w.cmd.ProcessState, err: err})
}

// read reports the worker's messages to the loop until the channel ends.
func (s *Supervisor) read(w *worker) {
	for {
		m, err := proto.Decode(w.conn)
		if err != nil {
			if !errors.Is(err, net.ErrClosed) && !isEOF(err) {
				w.log.Warn("bad message from worker; closing its channel", zap.Error(err))
				w.conn.Close()
			}
			return
		}
		s.report(event{pid: w.pid, msg: m})
	}
}

func (s *Supervisor) report(ev event) {
	select {
	case s.events <- ev:
	case <-s.done:
	}
}

func isEOF(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)
}

// describeExit renders an exit status the way an operator reads it.
func describeExit(ps *os.ProcessState) string {
	if ps == nil {
		return "unknown"
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return "killed by " + unix.SignalName(ws.Signal())
	}
	return "exit status " + strconv.Itoa(ps.ExitCode())
}
