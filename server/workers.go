package server

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sys/unix"

	"github.com/drover/drover/internal/proto"
)

// phase is how far a worker got in its life.
type phase int

const (
	phaseBooting phase = iota // started, not yet ready
	phaseReady                // reported ready: serving
)

func (p phase) String() string { return [...]string{"booting", "ready"}[p] }

// fate is what the supervisor has decided for a worker, whatever its
// phase; why says which event decided it.
type fate int

const (
	fateServing  fate = iota // covers its slot
	fateRetiring             // asked to be replaced; serves until its replacement is ready
	fateDraining             // told to stop (TERM or INT), killed if late; its exit is expected
	fateKilled               // SIGKILL sent or scheduled against its will
)

func (f fate) String() string {
	return [...]string{"serving", "retiring", "draining", "killed"}[f]
}

// reason is why a worker was given its fate.
type reason string

// Why a worker was given its fate.
const (
	whyRetiring    reason = "retiring"         // it asked (max-requests, max-rss, request-timeout)
	whyReplaced    reason = "replaced"         // its slot's replacement is ready
	whyReloaded    reason = "reloaded"         // a new generation is ready
	whyScaledDown  reason = "scaled down"      // TTOU
	whyStopping    reason = "stopping"         // TERM, INT or QUIT to the supervisor
	whyAbandoned   reason = "reload abandoned" // its generation failed to come up
	whyBootTimeout reason = "boot timeout"     // not ready within --boot-timeout
	whyHeartbeat   reason = "no heartbeat"     // silent for --timeout
	whyMaxRSSHard  reason = "max-rss-hard"     // its heartbeat's RSS is over --max-rss-hard
	// whyUpgradeAbandoned: it is the canary of an upgrade that failed.
	whyUpgradeAbandoned reason = "upgrade abandoned"
	// whyUpgraded: an upgrade's new supervisor cannot use it (its
	// channel is lost, or the handover state was unreadable).
	whyUpgraded reason = "upgraded"
)

// worker is the supervisor's record of one worker process.
type worker struct {
	pid        int
	slot       int
	generation int
	proc       process
	conn       net.Conn
	phase      phase
	fate       fate
	why        reason
	started    time.Time
	readyAt    time.Time
	lastBeat   time.Time
	stats      proto.Heartbeat
	// retiredFor is the reason its Retiring message gave, for the
	// restart's cause in the metrics.
	retiredFor string
	// metricsRefused is set once a delta of its was refused (logged once).
	metricsRefused bool
	// killAt, when set, is when the worker gets SIGKILL if still alive.
	killAt time.Time
	// readDone closes when the channel's reader has reported its last
	// message, so the exit is reported after everything the worker said.
	readDone chan struct{}
	// reader is what the channel's reader goroutine reads through, so an
	// upgrade can stop it between frames (handover.go).
	reader *channelReader
	// mute is set for an adopted worker whose protocol version this
	// binary does not speak (an upgrade across versions): its channel is
	// not read nor written, its heartbeat not expected; it serves until
	// the new generation is ready, then drains.
	mute bool
	log  *zap.Logger
}

// serving reports whether the worker covers its slot: booting towards
// ready, or ready, with nothing decided against it. A retiring, draining
// or killed worker needs a replacement.
func (w *worker) serving() bool { return w.fate == fateServing }

// leaving reports whether the worker was told to stop or is being killed.
func (w *worker) leaving() bool { return w.fate == fateDraining || w.fate == fateKilled }

// tellTimeout bounds one message to a worker, so that a worker that does
// not read its channel (stopped, hung) cannot stall the supervisor's loop.
const tellTimeout = 100 * time.Millisecond

// tell sends m to the worker, logging (not returning) a failure: a worker
// that cannot be told is dealt with by its signals and clocks.
func (w *worker) tell(m proto.Message) {
	if w.mute {
		return
	}
	_ = w.conn.SetWriteDeadline(time.Now().Add(tellTimeout))
	if err := proto.Encode(w.conn, m); err != nil {
		w.log.Warn("tell worker", zap.Uint8("kind", uint8(m.Kind())), zap.Error(err))
	}
	_ = w.conn.SetWriteDeadline(time.Time{})
}

// signal sends sig, logging (not returning) a failure: the worker may have
// exited already, which its exit event reports.
func (w *worker) signal(sig syscall.Signal) {
	if err := w.proc.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		w.log.Debug("signal worker", zap.Stringer("signal", sig), zap.Error(err))
	}
}

// event is something a worker's goroutines report to the supervisor loop.
type event struct {
	pid    int
	msg    proto.Message // a message from the worker, or
	exited bool          // its exit (msg nil), described by status
	status string
}

// processSpec is what starting a worker process takes.
type processSpec struct {
	exe   string
	args  []string
	env   []string
	files []*os.File // ExtraFiles: fd 3 on
	// cred is who the process runs as; nil for the supervisor's identity.
	cred *syscall.Credential
}

// process is a started worker process, as the supervisor drives it.
type process interface {
	Pid() int
	Signal(sig syscall.Signal) error
	// Wait blocks until the process exits and describes how it ended.
	Wait() string
}

// execProcess is a real worker process.
type execProcess struct{ cmd *exec.Cmd }

// startExec starts spec as a real process. It is the supervisor's default
// startProcess.
func startExec(spec processSpec) (process, error) {
	cmd := exec.Command(spec.exe, spec.args...)
	cmd.Env = spec.env
	cmd.ExtraFiles = spec.files
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	// Own process group: a terminal's Ctrl-C reaches only the supervisor,
	// which then stops the workers in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// --user/--group: the worker is this user from its first instruction,
	// before any application code runs.
	cmd.SysProcAttr.Credential = spec.cred
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return execProcess{cmd: cmd}, nil
}

func (p execProcess) Pid() int { return p.cmd.Process.Pid }

func (p execProcess) Signal(sig syscall.Signal) error { return p.cmd.Process.Signal(sig) }

func (p execProcess) Wait() string {
	err := p.cmd.Wait()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		return err.Error() // the exit could not be read
	}
	return describeExit(p.cmd.ProcessState)
}

// spawn starts a worker process for slot in generation gen with opts' user
// and settings: the binary re-executed with the role marker, the channel
// at fd 3 and the listeners from fd 4.
func (s *Supervisor) spawn(slot, gen int, opts Options) (*worker, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("socketpair: %w", err)
	}
	ours := os.NewFile(uintptr(fds[0]), "drover-channel")
	theirs := os.NewFile(uintptr(fds[1]), "drover-channel-worker")
	defer theirs.Close()

	env := append(append([]string(nil), s.env...), proto.EnvRole+"="+proto.RoleWorker)
	spec := processSpec{
		exe:   s.exe,
		args:  s.args,
		env:   append(env, inheritEnv(s.listeners)...),
		files: append([]*os.File{theirs}, inheritFiles(s.listeners)...),
		cred:  opts.User,
	}
	proc, err := s.startProcess(spec)
	if err != nil {
		ours.Close()
		return nil, fmt.Errorf("start worker: %w", err)
	}
	conn, err := net.FileConn(ours)
	ours.Close()
	if err != nil {
		_ = proc.Signal(syscall.SIGKILL)
		proc.Wait()
		return nil, fmt.Errorf("worker channel: %w", err)
	}
	now := s.now()
	w := &worker{
		pid: proc.Pid(), slot: slot, generation: gen, proc: proc, conn: conn,
		started: now, lastBeat: now,
	}
	s.track(w, nil)
	if err := proto.Encode(conn, proto.Config{Schema: opts.Settings.Schema, Settings: opts.Settings.JSON, Slot: slot, Generation: gen,
		Metrics: s.metrics != nil}); err != nil {
		// The worker cannot start without it; its exit is reported as a
		// boot failure.
		w.log.Error("send config to worker", zap.Error(err))
		w.signal(syscall.SIGKILL)
	}
	w.log.Debug("worker started")
	return w, nil
}

// track puts w in the table and starts its goroutines: the wait for its
// exit and the reader of its channel, which reads pending (the start of
// a frame an upgrade's handover had read) before the channel.
func (s *Supervisor) track(w *worker, pending []byte) {
	w.readDone = make(chan struct{})
	w.reader = &channelReader{conn: w.conn, replay: pending}
	if w.log == nil {
		w.log = s.log.With(zap.Int("worker_pid", w.pid), zap.Int("slot", w.slot), zap.Int("generation", w.generation))
	}
	s.workers[w.pid] = w
	go s.wait(w)
	if w.mute || w.conn == nil {
		close(w.readDone)
		return
	}
	go s.read(w)
}

// wait reports the worker's exit to the loop, after the messages it wrote
// before it exited (a Refused, typically). A descendant that inherited the
// channel could keep it open: past channelLinger the channel is closed.
func (s *Supervisor) wait(w *worker) {
	status := w.proc.Wait()
	select {
	case <-w.readDone:
	case <-time.After(channelLinger):
		if w.conn != nil {
			w.conn.Close()
		}
		<-w.readDone
	}
	s.report(event{pid: w.pid, exited: true, status: status})
}

// channelLinger is how long after a worker's exit its channel may stay
// open before the supervisor stops reading it.
const channelLinger = time.Second

// read reports the worker's messages to the loop until the channel ends.
// While an upgrade's handover holds the reader (freeze), it waits.
func (s *Supervisor) read(w *worker) {
	defer close(w.readDone)
	r := w.reader
	for {
		m, err := proto.Decode(r)
		if err != nil {
			if thawed := r.frozenUntil(); thawed != nil {
				select {
				case <-thawed:
					continue
				case <-s.done:
					return
				}
			}
			if !errors.Is(err, net.ErrClosed) && !isEOF(err) {
				w.log.Warn("bad message from worker; closing its channel", zap.Error(err))
				w.conn.Close()
			}
			return
		}
		// Reported before the frame is forgotten: a handover in between
		// passes it on again rather than lose it (a duplicate message is
		// harmless, a lost Ready or Retiring is not).
		s.report(event{pid: w.pid, msg: m})
		r.frameDone()
	}
}

// errFrozen is what a frozen channelReader's Read returns.
var errFrozen = errors.New("channel handed over")

// channelReader reads a worker's channel for proto.Decode, keeping the
// bytes of the frame being read, so that an upgrade can stop reading
// between any two bytes (freeze) and pass the start of an unfinished
// frame to the next supervisor with the descriptor.
type channelReader struct {
	conn    net.Conn
	mu      sync.Mutex // held across each read
	partial []byte     // the bytes of the frame being read
	replay  []byte     // handed-over bytes to read before the channel's
	// thawed, under frozenMu, is non-nil while frozen; thaw closes it.
	// It is set before the deadline that cuts a read short, so the
	// reader that sees the timeout knows to wait.
	frozenMu sync.Mutex
	thawed   chan struct{}
}

// Read reads from the channel unless frozen. The lock is held across the
// read, so freeze, which first cuts the read short with a deadline, sees
// every byte read.
func (r *channelReader) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.frozenUntil() != nil {
		return 0, errFrozen
	}
	if len(r.replay) > 0 {
		n := copy(p, r.replay)
		r.replay = r.replay[n:]
		r.partial = append(r.partial, p[:n]...)
		return n, nil
	}
	n, err := r.conn.Read(p)
	r.partial = append(r.partial, p[:n]...)
	return n, err
}

// frameDone forgets the frame just decoded.
func (r *channelReader) frameDone() {
	r.mu.Lock()
	r.partial = r.partial[:0]
	r.mu.Unlock()
}

// freeze stops the reader and returns the bytes of the frame it was
// reading: a read in progress is cut short by a deadline in the past.
func (r *channelReader) freeze() []byte {
	r.frozenMu.Lock()
	if r.thawed == nil {
		r.thawed = make(chan struct{})
	}
	r.frozenMu.Unlock()
	if r.conn != nil {
		_ = r.conn.SetReadDeadline(time.Now())
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return append(append([]byte(nil), r.partial...), r.replay...)
}

// thaw lets a frozen reader go on (the exec failed).
func (r *channelReader) thaw() {
	r.frozenMu.Lock()
	defer r.frozenMu.Unlock()
	if r.conn != nil {
		_ = r.conn.SetReadDeadline(time.Time{})
	}
	if r.thawed != nil {
		close(r.thawed)
		r.thawed = nil
	}
}

// frozenUntil is the channel thaw closes while r is frozen, else nil.
func (r *channelReader) frozenUntil() chan struct{} {
	r.frozenMu.Lock()
	defer r.frozenMu.Unlock()
	return r.thawed
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
