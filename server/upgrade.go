package server

import (
	"errors"
	"fmt"
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

// upgrade is a binary upgrade in progress (USR2, the control socket's
// upgrade): a canary worker from the binary now on disk, in generation
// gen, booting beside the serving generation. Once it is ready the
// supervisor re-executes itself (handOver); if it fails the upgrade is
// abandoned and the old binary keeps serving.
type upgrade struct {
	gen     int
	started time.Time
	// canaryReady is set once the canary reported ready: the loop hands
	// over at the end of its iteration.
	canaryReady bool
	// waiters are the control requests (upgrade with wait) answered when
	// the upgrade completes (by the new supervisor) or is abandoned.
	waiters []controlRequest
}

// upgradeAbandoned is the line an abandoned upgrade logs and answers.
const upgradeAbandoned = "upgrade abandoned; the old binary keeps serving"

// startUpgrade starts the canary of a binary upgrade. Its error says why
// no upgrade started; it is logged already.
func (s *Supervisor) startUpgrade() error {
	var err error
	switch {
	case s.stopping:
		err = errors.New("upgrade refused: the supervisor is stopping")
	case s.reload != nil:
		err = fmt.Errorf("upgrade refused: a reload to generation %d is in progress", s.reload.gen)
	case s.upgrade != nil:
		err = fmt.Errorf("upgrade refused: an upgrade is in progress (canary generation %d)", s.upgrade.gen)
	}
	if err != nil {
		s.log.Warn(err.Error())
		return err
	}
	s.lastGen++
	u := &upgrade{gen: s.lastGen, started: s.now()}
	s.upgrade = u
	s.notify.reloading(fmt.Sprintf("upgrading: starting a canary of %s (generation %d)", s.exe, u.gen))
	s.log.Info("upgrading: starting a canary worker from the binary on disk", zap.String("executable", s.exe), zap.Int("generation", u.gen))
	if _, err := s.spawn(1, u.gen, s.opts); err != nil {
		s.abandonUpgrade(err.Error())
		return fmt.Errorf("%s: %w", upgradeAbandoned, err)
	}
	return nil
}

// isCanary reports whether w is the canary of the upgrade in progress.
func (s *Supervisor) isCanary(w *worker) bool {
	return s.upgrade != nil && w.generation == s.upgrade.gen
}

// abandonUpgrade kills the canary and keeps the old binary serving.
func (s *Supervisor) abandonUpgrade(reason string) {
	u := s.upgrade
	if u == nil {
		return
	}
	s.upgrade = nil
	for _, w := range s.workers {
		if w.generation == u.gen && w.fate != fateKilled {
			w.fate, w.why = fateKilled, whyUpgradeAbandoned
			w.signal(syscall.SIGKILL)
		}
	}
	s.log.Error(upgradeAbandoned, zap.String("reason", reason), zap.Int("abandoned_generation", u.gen), zap.Int("serving_generation", s.gen))
	s.metrics.reloaded(false)
	for _, r := range u.waiters {
		r.refuse(fmt.Errorf("%s: %s", upgradeAbandoned, reason))
	}
	if !s.stopping {
		s.notify.reloaded("upgrade abandoned; " + s.status())
	}
}

// handOverIfReady re-executes the supervisor once the canary is ready;
// the loop calls it after every event. If the exec fails, the upgrade
// is abandoned and this supervisor serves on.
func (s *Supervisor) handOverIfReady() {
	if s.upgrade == nil || !s.upgrade.canaryReady || s.stopping {
		return
	}
	if err := s.handOver(); err != nil {
		s.abandonUpgrade(err.Error())
	}
}

// handOver re-executes the supervisor's binary in place with its state
// (see handover.go). It returns only if the exec failed (or the canary
// went away meanwhile), with every descriptor close-on-exec again and
// the channels read again.
func (s *Supervisor) handOver() error {
	u := s.upgrade
	frozen := make(map[int][]byte, len(s.workers))
	for pid, w := range s.workers {
		frozen[pid] = w.reader.freeze()
	}
	thaw := func() {
		for _, w := range s.workers {
			w.reader.thaw()
		}
	}
	// What the readers reported before they stopped, so the state is as
	// up to date as it can be: exits, mostly.
	for drained := false; !drained; {
		select {
		case ev := <-s.events:
			s.handle(ev)
		default:
			drained = true
		}
	}
	if s.upgrade != u {
		thaw()
		return nil // the canary went away: abandoned and logged
	}
	h := &handover{
		PID: os.Getpid(), Proto: proto.Version, Generation: s.gen, LastGeneration: s.lastGen,
		Upgrade: u.gen, UpgradeStarted: u.started, Desired: s.desired, ReadySent: s.notify.ready,
		Started: s.startedAt,
	}
	var fds []int
	add := func(c any) (int, error) {
		fd, err := fdOf(c)
		if err == nil {
			fds = append(fds, fd)
		}
		return fd, err
	}
	fail := func(err error) error {
		thaw()
		return err
	}
	for _, l := range s.listeners {
		fd, err := add(l.Listener)
		if err != nil {
			return fail(fmt.Errorf("hand over listener %s: %w", l.Name, err))
		}
		h.Listeners = append(h.Listeners, handoverListener{Name: l.Name, Role: l.Role, FD: fd, Unlink: strings.HasPrefix(l.Name, "unix:")})
	}
	if s.ctl != nil {
		fd, err := add(s.ctl.ln)
		if err != nil {
			return fail(fmt.Errorf("hand over the control socket: %w", err))
		}
		h.ControlFD = fd
	}
	for _, r := range u.waiters {
		if r.conn == nil {
			continue
		}
		fd, err := add(r.conn)
		if err != nil {
			return fail(fmt.Errorf("hand over a control connection: %w", err))
		}
		h.WaiterFDs = append(h.WaiterFDs, fd)
	}
	for pid, w := range s.workers {
		if w.conn == nil {
			continue
		}
		fd, err := add(w.conn)
		if err != nil {
			return fail(fmt.Errorf("hand over worker %d's channel: %w", pid, err))
		}
		h.Workers = append(h.Workers, handoverWorker{
			PID: pid, Slot: w.slot, Generation: w.generation, Phase: w.phase.String(), Fate: w.fate.String(),
			Why: string(w.why), RetiredFor: w.retiredFor, Started: w.started, ReadyAt: w.readyAt, LastBeat: w.lastBeat,
			KillAt: w.killAt, Stats: w.stats, FD: fd, Pending: frozen[pid],
		})
	}
	for n, sl := range s.slots {
		h.Slots = append(h.Slots, handoverSlot{Slot: n, Failures: sl.failures, Crashes: sl.crashes, Restarts: sl.restarts,
			NextSpawn: sl.nextSpawn, LastExit: sl.lastExit})
	}
	data, err := encodeHandover(h)
	if err != nil {
		return fail(err)
	}
	memfd, err := stateFile(data)
	if err != nil {
		return fail(err)
	}
	defer memfd.Close()
	env := append(withoutUpgrade(os.Environ()),
		EnvUpgradeState+"="+strconv.Itoa(int(memfd.Fd())),
		EnvUpgradeFallback+"="+fallbackEnv(h),
		EnvUpgradeListeners+"="+sockets.Env(s.listeners))
	if err := setInherit(fds, true); err != nil {
		_ = setInherit(fds, false)
		return fail(err)
	}
	s.log.Info("canary ready; re-executing the supervisor from the new binary", zap.String("executable", s.exe),
		zap.Int("pid", h.PID), zap.Int("workers", len(h.Workers)), zap.Int("generation", u.gen))
	_ = s.log.Sync()
	err = s.execSelf(s.exe, s.argv, env)
	if err == nil {
		return nil // a test's exec: nothing replaced this program
	}
	_ = setInherit(fds, false)
	return fail(fmt.Errorf("re-execute %s: %w", s.exe, err))
}

// stateFile is a memfd holding data, rewound, inherited across exec.
func stateFile(data []byte) (*os.File, error) {
	fd, err := unix.MemfdCreate("drover-upgrade-state", 0)
	if err != nil {
		return nil, fmt.Errorf("upgrade state: memfd: %w", err)
	}
	f := os.NewFile(uintptr(fd), "drover-upgrade-state")
	if _, err := f.Write(data); err != nil {
		f.Close()
		return nil, fmt.Errorf("upgrade state: %w", err)
	}
	if _, err := f.Seek(0, 0); err != nil {
		f.Close()
		return nil, fmt.Errorf("upgrade state: %w", err)
	}
	return f, nil
}

// withoutUpgrade drops the handover's variables from env.
func withoutUpgrade(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if k == EnvUpgradeState || k == EnvUpgradeFallback || k == EnvUpgradeListeners {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// resume adopts what the supervisor this process was before the exec
// handed over: its workers, its table, and the upgrade, which goes on as
// a reload whose first new worker is the canary. With fallback, h holds
// the listeners and workers alone: every adopted worker drains and a
// fresh generation starts.
func (s *Supervisor) resume(h *handover, fallback bool) {
	now := s.now()
	if fallback {
		for _, hw := range h.Workers {
			w := s.adoptWorker(hw, true, nil)
			w.phase = phaseReady
			s.drainWorker(w, whyUpgraded)
		}
		s.log.Info("upgrade: draining the old workers; starting a fresh generation", zap.Int("workers", len(h.Workers)))
		for _, fd := range h.WaiterFDs {
			if r, err := s.adoptWaiter(fd); err == nil {
				r.refuse(errors.New("upgrade: the new binary could not read the handover state; it serves with a fresh generation, the old workers drain (see the log)"))
			}
		}
		return
	}
	s.gen, s.lastGen, s.desired, s.startedAt = h.Generation, h.LastGeneration, h.Desired, h.Started
	for _, hs := range h.Slots {
		s.slots[hs.Slot] = &slot{failures: hs.Failures, crashes: hs.Crashes, restarts: hs.Restarts, nextSpawn: hs.NextSpawn, lastExit: hs.LastExit}
	}
	mismatch := h.Proto != proto.Version
	muted := 0
	for _, hw := range h.Workers {
		mute := mismatch && hw.Generation != h.Upgrade
		if mute {
			muted++
		}
		s.adoptWorker(hw, mute, hw.Pending)
	}
	r := &reload{gen: h.Upgrade, opts: s.opts, desired: s.desired, started: h.UpgradeStarted, upgrade: true}
	for _, fd := range h.WaiterFDs {
		req, err := s.adoptWaiter(fd)
		if err != nil {
			s.log.Warn("upgrade: a waiting control connection is lost", zap.Error(err))
			continue
		}
		r.waiters = append(r.waiters, req)
	}
	s.reload = r
	fields := []zap.Field{zap.Int("generation", r.gen), zap.Int("workers", r.desired), zap.Int("adopted", len(h.Workers)),
		zap.Duration("handover_s", now.Sub(h.UpgradeStarted))}
	if mismatch {
		fields = append(fields, zap.Int("old_protocol", h.Proto), zap.Int("protocol", proto.Version), zap.Int("mute", muted))
	}
	s.log.Info("upgrade: resumed in the new binary; starting the rest of the new generation", fields...)
	covered := make(map[int]bool)
	for _, w := range s.workers {
		if w.generation == r.gen && w.serving() {
			covered[w.slot] = true
		}
	}
	for n := 1; n <= r.desired; n++ {
		if covered[n] {
			continue
		}
		if _, err := s.spawn(n, r.gen, r.opts); err != nil {
			s.abandonReload(err.Error())
			return
		}
	}
}

// adoptWorker puts a handed-over worker in the table. A worker whose
// process or channel cannot be adopted is told to stop by its PID.
func (s *Supervisor) adoptWorker(hw handoverWorker, mute bool, pending []byte) *worker {
	now := s.now()
	w := &worker{
		pid: hw.PID, slot: hw.Slot, generation: hw.Generation, why: reason(hw.Why), retiredFor: hw.RetiredFor,
		started: hw.Started, readyAt: hw.ReadyAt, lastBeat: hw.LastBeat, killAt: hw.KillAt, stats: hw.Stats, mute: mute,
	}
	w.phase, _ = parsePhase(hw.Phase)
	w.fate, _ = parseFate(hw.Fate)
	if w.started.IsZero() {
		w.started, w.lastBeat = now, now
	}
	w.log = s.log.With(zap.Int("worker_pid", w.pid), zap.Int("slot", w.slot), zap.Int("generation", w.generation))
	proc, err := adoptProcess(hw.PID)
	if err != nil {
		w.log.Error("upgrade: cannot adopt the worker; it is told to stop", zap.Error(err))
		_ = syscall.Kill(hw.PID, syscall.SIGTERM)
		proc = adoptedProcess{p: &os.Process{Pid: hw.PID}}
	}
	w.proc = proc
	conn, err := adoptConn(hw.FD, "drover-channel")
	if err != nil {
		w.log.Error("upgrade: the worker's channel is lost; it drains", zap.Error(err))
		w.mute = true
		w.fate, w.why = fateDraining, whyUpgraded
		w.killAt = now.Add(s.opts.GracefulTimeout + drainGrace)
		w.signal(syscall.SIGTERM)
	}
	w.conn = conn
	if mute {
		// Unread, so never seen silent; it drains once the new
		// generation is ready, or now (fallback).
		w.lastBeat = now
	}
	s.track(w, pending)
	return w
}

// controlUpgrade starts an upgrade as USR2 does; with wait its answer
// waits for the upgrade's end: its abandon here, or its completion by
// the new supervisor, which the connection is handed over to.
func (s *Supervisor) controlUpgrade(r controlRequest) {
	if err := s.startUpgrade(); err != nil {
		r.refuse(err)
		return
	}
	if s.upgrade == nil {
		// Abandoned at once (the canary could not start).
		r.refuse(errors.New(upgradeAbandoned))
		return
	}
	if !r.req.Wait {
		r.answer(control.Response{OK: true, Generation: s.upgrade.gen})
		return
	}
	s.upgrade.waiters = append(s.upgrade.waiters, r)
}
