package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sys/unix"

	"github.com/drover/drover/internal/control"
	"github.com/drover/drover/internal/proto"
	"github.com/drover/drover/internal/sockets"
)

// The handover of a binary upgrade (USR2, upgrade.go): once the canary is
// ready, the supervisor re-executes itself in place (execve: same PID, so
// the workers stay its children and systemd's MAINPID stays right). What
// the new program needs crosses the exec as inherited descriptors, their
// close-on-exec flag cleared:
//
//   - the listeners (their own descriptors, not the duplicates passed to
//     workers), the control socket's listener and the connections of the
//     control requests waiting for the upgrade's end;
//   - every live worker's end of its channel;
//   - the state (handover, JSON) in a memfd, written and rewound before
//     the exec, named by EnvUpgradeState.
//
// The new supervisor (Run, resume) adopts the listeners instead of
// binding (systemd's LISTEN_FDS were consumed by the first start), adopts
// the workers, old and canary, with process values that wait for their
// exit by PID (they are its children), restarts each channel's reader,
// and goes on as a reload whose first new worker is the canary: it boots
// the rest of the new generation from the new binary and drains the old
// one once the new one is ready, with the keep-alive-safe drain.
//
// Failure modes:
//   - The canary does not become ready (exit, boot timeout, Refused for
//     another settings schema): the upgrade is abandoned before any exec.
//   - execve fails (the file is gone, not executable): the error is
//     logged, the descriptors get close-on-exec again, the canary is
//     killed and the old supervisor serves on with its state intact.
//   - The new binary cannot read the state (another state version, a
//     bad descriptor): it logs one line and falls back to
//     EnvUpgradeFallback, a plain list of the listeners' descriptors and
//     of the workers' PIDs and channels. It serves on those listeners and
//     TERMs every adopted worker (they drain; their exits are reaped),
//     starting a fresh generation.
//   - The new binary speaks another proto.Version: the old generation's
//     workers are adopted mute (their channels neither read nor
//     written); they serve until the new generation is ready, then drain.
//   - The new binary fails after the exec, before Run: the PID is gone
//     with the old code and the workers see their channels end and drain.
//     This is what the canary guards against: the canary ran the same
//     binary through its whole start.
//   - Messages in flight: each channel's reader is stopped between any
//     two bytes (freeze) and the start of an unfinished frame is passed
//     on (Pending), so no frame is split; a message already read but not
//     yet handled may be handled by both supervisors (harmless). A worker
//     that exits in the instant of the exec is reaped by the old program
//     and reported by the new one with an unknown status.
//   - The metrics totals start again at zero, as after a restart.

// Environment variables of the handover. They are removed from the new
// supervisor's environment as it reads them, so no worker inherits them.
const (
	// EnvUpgradeState is the descriptor of the handover state (a memfd
	// holding handover's JSON).
	EnvUpgradeState = "DROVER_UPGRADE_STATE"
	// EnvUpgradeFallback is the same handover in a form any version
	// reads: "listeners=FD,FD workers=PID:FD,PID:FD control=FD
	// waiters=FD,FD", the listeners'
	// names and roles in EnvUpgradeListeners (package sockets' format).
	EnvUpgradeFallback = "DROVER_UPGRADE_FALLBACK"
	// EnvUpgradeListeners names the fallback's listeners, in order.
	EnvUpgradeListeners = "DROVER_UPGRADE_LISTENERS"
)

// UpgradeEnv lists the handover's environment variables.
func UpgradeEnv() []string {
	return []string{EnvUpgradeState, EnvUpgradeFallback, EnvUpgradeListeners}
}

// handoverVersion is the version of handover's JSON: a reader refuses
// another and takes the fallback.
const handoverVersion = 1

// ErrHandover is wrapped by every error decodeHandover returns.
var ErrHandover = errors.New("unreadable upgrade handover")

// handover is the supervisor's state as it crosses the exec.
type handover struct {
	V int `json:"v"`
	// PID is the supervisor's: the new program checks it is the same
	// process.
	PID int `json:"pid"`
	// Proto is the old binary's proto.Version, its workers' too.
	Proto int `json:"proto"`
	// Generation is the serving one; LastGeneration the newest started;
	// Upgrade the canary's, which the new supervisor completes.
	Generation     int       `json:"generation"`
	LastGeneration int       `json:"last_generation"`
	Upgrade        int       `json:"upgrade_generation"`
	UpgradeStarted time.Time `json:"upgrade_started"`
	Desired        int       `json:"desired"`
	// ReadySent says READY=1 was sent to systemd already.
	ReadySent bool               `json:"ready_sent"`
	Started   time.Time          `json:"started"`
	Listeners []handoverListener `json:"listeners"`
	// ControlFD is the control socket's listener, 0 for none.
	ControlFD int `json:"control_fd,omitempty"`
	// WaiterFDs are the control connections waiting for the upgrade.
	WaiterFDs []int            `json:"waiter_fds,omitempty"`
	Workers   []handoverWorker `json:"workers"`
	Slots     []handoverSlot   `json:"slots,omitempty"`
}

// handoverListener is one listening socket.
type handoverListener struct {
	Name string       `json:"name"`
	Role sockets.Role `json:"role"`
	FD   int          `json:"fd"`
	// Unlink says the socket file is removed when the listener closes
	// (a unix socket the supervisor created).
	Unlink bool `json:"unlink,omitempty"`
}

// handoverWorker is one worker's record and its channel's descriptor.
type handoverWorker struct {
	PID        int             `json:"pid"`
	Slot       int             `json:"slot"`
	Generation int             `json:"generation"`
	Phase      string          `json:"phase"`
	Fate       string          `json:"fate"`
	Why        string          `json:"why,omitempty"`
	RetiredFor string          `json:"retired_for,omitempty"`
	Started    time.Time       `json:"started"`
	ReadyAt    time.Time       `json:"ready_at,omitzero"`
	LastBeat   time.Time       `json:"last_beat"`
	KillAt     time.Time       `json:"kill_at,omitzero"`
	Stats      proto.Heartbeat `json:"stats"`
	FD         int             `json:"fd"`
	// Pending is the start of a frame read before the exec.
	Pending []byte `json:"pending,omitempty"`
}

// handoverSlot is one slot's restart record.
type handoverSlot struct {
	Slot      int           `json:"slot"`
	Failures  int           `json:"failures,omitempty"`
	Crashes   int           `json:"crashes,omitempty"`
	Restarts  int           `json:"restarts,omitempty"`
	NextSpawn time.Time     `json:"next_spawn,omitzero"`
	LastExit  *control.Exit `json:"last_exit,omitempty"`
}

func parsePhase(s string) (phase, bool) {
	for p := phaseBooting; p <= phaseReady; p++ {
		if p.String() == s {
			return p, true
		}
	}
	return 0, false
}

func parseFate(s string) (fate, bool) {
	for f := fateServing; f <= fateKilled; f++ {
		if f.String() == s {
			return f, true
		}
	}
	return 0, false
}

// encodeHandover is h's JSON, version included.
func encodeHandover(h *handover) ([]byte, error) {
	h.V = handoverVersion
	data, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("encode upgrade handover: %w", err)
	}
	return data, nil
}

// decodeHandover reads what encodeHandover wrote, strictly: another
// version, unknown phases or fates, descriptors below 3 and workers
// without a PID or slot are refused.
func decodeHandover(data []byte) (*handover, error) {
	var probe struct {
		V *int `json:"v"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHandover, err)
	}
	if probe.V == nil || *probe.V != handoverVersion {
		v := "none"
		if probe.V != nil {
			v = strconv.Itoa(*probe.V)
		}
		return nil, fmt.Errorf("%w: state version %s, this binary reads %d", ErrHandover, v, handoverVersion)
	}
	var h handover
	if err := json.Unmarshal(data, &h); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHandover, err)
	}
	var errs []error
	if h.PID <= 0 || h.Generation < 1 || h.LastGeneration < h.Generation || h.Upgrade < 1 || h.Desired < 1 {
		errs = append(errs, fmt.Errorf("pid %d, generation %d, last %d, upgrade %d, desired %d", h.PID, h.Generation, h.LastGeneration, h.Upgrade, h.Desired))
	}
	if len(h.Listeners) == 0 {
		errs = append(errs, errors.New("no listeners"))
	}
	for _, l := range h.Listeners {
		if l.FD < 3 || l.Name == "" || (l.Role != sockets.RoleApp && l.Role != sockets.RoleRedirect) {
			errs = append(errs, fmt.Errorf("listener %q role %q at fd %d", l.Name, l.Role, l.FD))
		}
	}
	if h.ControlFD != 0 && h.ControlFD < 3 {
		errs = append(errs, fmt.Errorf("control socket at fd %d", h.ControlFD))
	}
	for _, fd := range h.WaiterFDs {
		if fd < 3 {
			errs = append(errs, fmt.Errorf("control connection at fd %d", fd))
		}
	}
	for _, w := range h.Workers {
		_, okPhase := parsePhase(w.Phase)
		_, okFate := parseFate(w.Fate)
		if w.PID <= 0 || w.Slot < 1 || w.Generation < 1 || w.FD < 3 || !okPhase || !okFate {
			errs = append(errs, fmt.Errorf("worker %d slot %d generation %d phase %q fate %q at fd %d", w.PID, w.Slot, w.Generation, w.Phase, w.Fate, w.FD))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHandover, err)
	}
	return &h, nil
}

// fallbackEnv is EnvUpgradeFallback's value for h.
func fallbackEnv(h *handover) string {
	var ls, ws []string
	for _, l := range h.Listeners {
		ls = append(ls, strconv.Itoa(l.FD))
	}
	for _, w := range h.Workers {
		ws = append(ws, strconv.Itoa(w.PID)+":"+strconv.Itoa(w.FD))
	}
	v := "listeners=" + strings.Join(ls, ",") + " workers=" + strings.Join(ws, ",")
	if h.ControlFD != 0 {
		v += " control=" + strconv.Itoa(h.ControlFD)
	}
	if len(h.WaiterFDs) > 0 {
		var fds []string
		for _, fd := range h.WaiterFDs {
			fds = append(fds, strconv.Itoa(fd))
		}
		v += " waiters=" + strings.Join(fds, ",")
	}
	return v
}

// parseFallback reads EnvUpgradeFallback and EnvUpgradeListeners into a
// handover of listeners and workers alone (Generation 0 for the workers:
// none of them is the new generation's).
func parseFallback(v, names string) (*handover, error) {
	specs, err := sockets.Parse(names)
	if err != nil {
		return nil, fmt.Errorf("upgrade fallback: %w", err)
	}
	h := &handover{}
	for _, field := range strings.Fields(v) {
		key, list, _ := strings.Cut(field, "=")
		for _, item := range strings.Split(list, ",") {
			if item == "" {
				continue
			}
			switch key {
			case "listeners":
				fd, err := strconv.Atoi(item)
				if err != nil || fd < 3 {
					return nil, fmt.Errorf("upgrade fallback: listener %q", item)
				}
				h.Listeners = append(h.Listeners, handoverListener{FD: fd})
			case "waiters":
				fd, err := strconv.Atoi(item)
				if err != nil || fd < 3 {
					return nil, fmt.Errorf("upgrade fallback: waiter %q", item)
				}
				h.WaiterFDs = append(h.WaiterFDs, fd)
			case "control":
				fd, err := strconv.Atoi(item)
				if err != nil || fd < 3 {
					return nil, fmt.Errorf("upgrade fallback: control %q", item)
				}
				h.ControlFD = fd
			case "workers":
				p, f, _ := strings.Cut(item, ":")
				pid, err1 := strconv.Atoi(p)
				fd, err2 := strconv.Atoi(f)
				if err1 != nil || err2 != nil || pid <= 0 || fd < 3 {
					return nil, fmt.Errorf("upgrade fallback: worker %q", item)
				}
				h.Workers = append(h.Workers, handoverWorker{PID: pid, FD: fd})
			default:
				return nil, fmt.Errorf("upgrade fallback: unknown field %q", key)
			}
		}
	}
	if len(h.Listeners) != len(specs) {
		return nil, fmt.Errorf("upgrade fallback: %d listener descriptors for %d names", len(h.Listeners), len(specs))
	}
	for i, s := range specs {
		h.Listeners[i].Name, h.Listeners[i].Role = s.Name, s.Role
		h.Listeners[i].Unlink = strings.HasPrefix(s.Name, "unix:")
	}
	return h, nil
}

// readHandover reads the handover from the environment and removes its
// variables: nil when this start is no upgrade. fallback reports that
// the state was unreadable and h holds the fallback's listeners and
// workers alone; stateErr says why.
func readHandover() (h *handover, fallback bool, stateErr, err error) {
	v, ok := os.LookupEnv(EnvUpgradeState)
	fb, names := os.Getenv(EnvUpgradeFallback), os.Getenv(EnvUpgradeListeners)
	for _, k := range UpgradeEnv() {
		_ = os.Unsetenv(k)
	}
	if !ok {
		return nil, false, nil, nil
	}
	h, stateErr = readStateFD(v)
	if stateErr == nil && h.PID != os.Getpid() {
		stateErr = fmt.Errorf("%w: written by PID %d, this is %d", ErrHandover, h.PID, os.Getpid())
	}
	if stateErr == nil {
		return h, false, nil, nil
	}
	h, err = parseFallback(fb, names)
	return h, true, stateErr, err
}

func readStateFD(v string) (*handover, error) {
	fd, err := strconv.Atoi(v)
	if err != nil || fd < 3 {
		return nil, fmt.Errorf("%w: %s=%q is no descriptor", ErrHandover, EnvUpgradeState, v)
	}
	f := os.NewFile(uintptr(fd), "drover-upgrade-state")
	defer f.Close()
	data, err := io.ReadAll(io.NewSectionReader(f, 0, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("%w: read fd %d: %w", ErrHandover, fd, err)
	}
	return decodeHandover(data)
}

// fdOf is c's descriptor, read without changing its blocking mode.
func fdOf(c any) (int, error) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return -1, fmt.Errorf("%T has no descriptor", c)
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return -1, fmt.Errorf("descriptor of %T: %w", c, err)
	}
	fd := -1
	if err := raw.Control(func(d uintptr) { fd = int(d) }); err != nil {
		return -1, fmt.Errorf("descriptor of %T: %w", c, err)
	}
	return fd, nil
}

// setInherit clears (on) or sets (off) close-on-exec on every fd.
func setInherit(fds []int, on bool) error {
	for _, fd := range fds {
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err != nil {
			return fmt.Errorf("fd %d flags: %w", fd, err)
		}
		if on {
			flags &^= unix.FD_CLOEXEC
		} else {
			flags |= unix.FD_CLOEXEC
		}
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, flags); err != nil {
			return fmt.Errorf("fd %d flags: %w", fd, err)
		}
	}
	return nil
}

// adoptedProcess is a worker started by the program this one replaced
// (same PID): still this process's child, waited for by PID (os.Process
// uses a pidfd on Linux, so a signal never reaches a recycled PID).
type adoptedProcess struct{ p *os.Process }

// adoptProcess finds the child pid.
func adoptProcess(pid int) (process, error) {
	p, err := os.FindProcess(pid)
	if err != nil {
		return nil, fmt.Errorf("adopt worker %d: %w", pid, err)
	}
	return adoptedProcess{p: p}, nil
}

func (a adoptedProcess) Pid() int { return a.p.Pid }

func (a adoptedProcess) Signal(sig syscall.Signal) error { return a.p.Signal(sig) }

func (a adoptedProcess) Wait() string {
	ps, err := a.p.Wait()
	if err != nil {
		return "exit status unknown (it ended during the upgrade's handover)"
	}
	return describeExit(ps)
}

// adoptListeners opens the handed-over listeners and holds them as
// bindAll's would be.
func adoptListeners(ls []handoverListener) ([]*sockets.Held, error) {
	var out []*sockets.Held
	for _, l := range ls {
		f := os.NewFile(uintptr(l.FD), l.Name)
		ln, err := net.FileListener(f)
		f.Close()
		if err != nil {
			sockets.CloseAll(out)
			return nil, fmt.Errorf("adopt listener %s at fd %d: %w", l.Name, l.FD, err)
		}
		if u, ok := ln.(*net.UnixListener); ok {
			u.SetUnlinkOnClose(l.Unlink)
		}
		h, err := sockets.Hold(l.Name, l.Role, ln)
		if err != nil {
			ln.Close()
			sockets.CloseAll(out)
			return nil, err
		}
		out = append(out, h)
	}
	return out, nil
}

// adoptConn opens a handed-over connection.
func adoptConn(fd int, name string) (net.Conn, error) {
	f := os.NewFile(uintptr(fd), name)
	defer f.Close()
	c, err := net.FileConn(f)
	if err != nil {
		return nil, fmt.Errorf("adopt %s at fd %d: %w", name, fd, err)
	}
	return c, nil
}

// adoptControl opens the handed-over control socket listener; its file
// is removed when it closes, as listenControl's is.
func adoptControl(fd int) (*net.UnixListener, error) {
	f := os.NewFile(uintptr(fd), "drover-control")
	defer f.Close()
	ln, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("adopt control socket at fd %d: %w", fd, err)
	}
	u, ok := ln.(*net.UnixListener)
	if !ok {
		ln.Close()
		return nil, fmt.Errorf("adopt control socket at fd %d: a %T", fd, ln)
	}
	u.SetUnlinkOnClose(true)
	return u, nil
}

// adoptWaiter answers a control connection that waited for the upgrade,
// through a request whose answer the loop gives as a reload waiter's.
func (s *Supervisor) adoptWaiter(fd int) (controlRequest, error) {
	conn, err := adoptConn(fd, "drover-control-waiter")
	if err != nil {
		return controlRequest{}, err
	}
	r := controlRequest{req: control.Request{V: control.Version, Cmd: control.CmdUpgrade, Wait: true}, reply: make(chan control.Response, 1)}
	go func() {
		defer conn.Close()
		select {
		case resp := <-r.reply:
			_ = conn.SetWriteDeadline(time.Now().Add(controlWrite))
			if err := control.WriteLine(conn, resp); err != nil {
				s.log.Debug("control response", zap.Error(err))
			}
		case <-s.done:
		}
	}()
	return r, nil
}
