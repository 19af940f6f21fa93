package server

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/drover/drover/internal/control"
	"github.com/drover/drover/internal/exitcode"
	"github.com/drover/drover/internal/proto"
	"github.com/drover/drover/internal/sockets"
)

// Tuning of the supervisor's clocks.
const (
	// tick is how often the loop checks its clocks (liveness, boot,
	// kill deadlines, respawn backoff).
	tick = 100 * time.Millisecond
	// maxBootFailures is how many times in a row a slot's worker may fail
	// before it reports ready before the supervisor halts.
	maxBootFailures = 3
	// fastStopGrace is how long workers get to exit after INT/QUIT.
	fastStopGrace = 2 * time.Second
	// drainGrace is added to --graceful-timeout before the supervisor
	// kills a draining worker that has not exited on its own.
	drainGrace = time.Second
	// dumpGrace is how long a hung worker has to dump its stacks (SIGABRT)
	// before SIGKILL.
	dumpGrace = time.Second
	// stableAfter is how long a worker must have run for its crash not to
	// count towards its slot's backoff.
	stableAfter = 10 * time.Second
	// maxBackoff caps the respawn delay of a crash-looping slot.
	maxBackoff = 10 * time.Second
)

// Config is what the supervisor needs besides its logger.
type Config struct {
	// Options are the configuration to start with.
	Options Options
	// Reload re-reads the configuration on HUP; nil keeps Options. An
	// error refuses the reload, and the running workers keep serving.
	Reload func() (Options, error)
	// Executable is the worker binary; empty means this one.
	Executable string
	// Args are the workers' argv after argv[0]; nil means ["worker"].
	Args []string
}

// Supervisor owns the listening sockets and keeps the desired number of
// worker processes serving them. Its state is owned by the goroutine that
// calls Run.
type Supervisor struct {
	cfg Config
	// opts are the options of the serving generation.
	opts Options
	log  *zap.Logger
	// name is the program's name in the serving line and systemd's
	// status (Options.Name, else the executable's base name).
	name string
	exe  string
	args []string
	env  []string
	// now and startProcess are the clock and the process starter; tests
	// replace them to drive the worker table through event sequences.
	now          func() time.Time
	startProcess func(processSpec) (process, error)
	// execSelf replaces this program (syscall.Exec) for an upgrade's
	// handover; argv is its argv (os.Args at New).
	execSelf func(path string, argv, env []string) error
	argv     []string
	// upgrade is the binary upgrade in progress before the exec; ctl
	// the control socket's server, whose listener an upgrade hands over.
	upgrade *upgrade
	ctl     *controlServer

	listeners []*sockets.Held
	// announced is set once the serving line is logged (announce).
	announced bool
	workers   map[int]*worker // by pid
	slots     map[int]*slot
	desired   int
	// scaler adapts desired between Options.WorkersMin and WorkersMax.
	scaler *autoscaler
	// gen is the serving generation; lastGen the newest ever started.
	// Every reload takes a number never used before, so a late exit of
	// an abandoned generation can match no later one.
	gen     int
	lastGen int
	reload  *reload

	stopping bool
	// drainAt, while set, is when a graceful stop's shutdown delay ends
	// and the workers get their TERM.
	drainAt time.Time
	haltErr error

	events chan event
	done   chan struct{}
	notify *notifier
	// controls carries the control socket's requests to the loop;
	// startedAt is when Run began, for status.
	controls  chan controlRequest
	startedAt time.Time
	// metrics, with --metrics-bind, are what the admin listener serves
	// (metrics.go); nil without.
	metrics *supervisorMetrics
}

// slot is the restart record of one worker position.
type slot struct {
	failures  int // boot failures in a row
	crashes   int // exits after ready, for backoff
	nextSpawn time.Time
	// restarts counts the slot's unplanned exits (status shows it);
	// lastExit is the latest exit of any of its workers.
	restarts int
	lastExit *control.Exit
}

// New checks cfg and prepares a supervisor; Run binds and starts it.
func New(cfg Config, log *zap.Logger) (*Supervisor, error) {
	if err := cfg.Options.validate(); err != nil {
		return nil, err
	}
	exe := cfg.Executable
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("find own executable: %w", err)
		}
	}
	args := cfg.Args
	if args == nil {
		args = []string{"worker"}
	}
	name := cfg.Options.Name
	if name == "" {
		name = filepath.Base(exe)
	}
	var sm *supervisorMetrics
	if cfg.Options.MetricsBind != "" {
		sm = newSupervisorMetrics()
	}
	return &Supervisor{
		metrics:      sm,
		cfg:          cfg,
		opts:         cfg.Options,
		log:          log,
		name:         name,
		exe:          exe,
		args:         args,
		now:          time.Now,
		startProcess: startExec,
		execSelf:     syscall.Exec,
		argv:         os.Args,
		workers:      make(map[int]*worker),
		slots:        make(map[int]*slot),
		desired:      cfg.Options.Workers,
		scaler:       &autoscaler{},
		gen:          1,
		lastGen:      1,
		events:       make(chan event, 64),
		done:         make(chan struct{}),
		controls:     make(chan controlRequest),
		startedAt:    time.Now(),
	}, nil
}

// Run binds the sockets, starts the workers and supervises them until a
// stop signal or ctx ends it (ctx ending is a graceful stop). It returns
// nil after a clean stop; an *exitcode.Error with exitcode.Config when it
// cannot start (the pid file names a running supervisor, an
// *AlreadyRunningError; an address cannot be bound), with
// exitcode.WorkerBoot when workers keep failing to boot.
func (s *Supervisor) Run(ctx context.Context) error {
	defer close(s.done)
	s.startedAt = s.now()
	// A binary upgrade's new program (handover.go): the same process,
	// the state of the one it replaced in an inherited descriptor.
	resumed, fallback, stateErr, err := readHandover()
	if err != nil {
		return exitcode.Wrap(exitcode.Runtime, fmt.Errorf("upgrade handover: %w (state: %w)", err, stateErr))
	}
	if stateErr != nil {
		s.log.Error("upgrade handover state unreadable; serving on the handed-over listeners, draining the old workers", zap.Error(stateErr))
	}
	// The pid file first: a second supervisor given a running one's pid
	// file refuses before it binds, so its error names the pid file, not
	// an address in use. After an upgrade it holds this PID already.
	if pid := s.opts.PIDFile; pid != "" && (resumed == nil || !holdsPID(pid, os.Getpid())) {
		stale, err := claimPIDFile(pid, os.Getpid())
		if err != nil {
			return exitcode.Wrap(exitcode.Config, err)
		}
		if stale {
			s.log.Info("replaced a stale pid file", zap.String("pid_file", pid))
		}
	}
	if pid := s.opts.PIDFile; pid != "" {
		defer func() {
			if err := removePIDFile(pid, os.Getpid()); err != nil {
				s.log.Warn("remove pid file", zap.Error(err))
			}
		}()
	}
	// The control socket next, for the same reason: a second supervisor
	// on the same state directory names the socket a live one answers on.
	if path := s.opts.ControlSocket; path != "" || (resumed != nil && resumed.ControlFD != 0) {
		var ln *net.UnixListener
		if resumed != nil && resumed.ControlFD != 0 {
			ln, err = adoptControl(resumed.ControlFD)
		} else {
			var stale bool
			ln, stale, err = listenControl(path)
			if stale {
				s.log.Info("replaced a stale control socket", zap.String("control_socket", path))
			}
		}
		if err != nil {
			return exitcode.Wrap(exitcode.Config, err)
		}
		s.ctl = startControl(ln, s.controls, s.log)
		defer s.ctl.close()
	}
	var listeners []*sockets.Held
	if resumed != nil {
		listeners, err = adoptListeners(resumed.Listeners)
	} else {
		listeners, err = bindAll(s.opts.Sockets, s.log)
	}
	if err != nil {
		return exitcode.Wrap(exitcode.Config, err)
	}
	s.listeners = listeners
	defer sockets.CloseAll(s.listeners)
	// The admin listener before any worker starts, so that a scrape
	// misses none of them and a taken address fails the start.
	if addr := s.opts.MetricsBind; addr != "" {
		adm, err := s.startAdmin(addr)
		if err != nil {
			return exitcode.Wrap(exitcode.Config, err)
		}
		defer adm.close()
	}
	// After socket activation consumed LISTEN_*, so workers do not see it;
	// only the supervisor speaks to systemd.
	s.env = withoutNotify(os.Environ())
	s.notify = newNotifier(s.name, s.log)
	if resumed != nil {
		// RELOADING=1 was sent before the exec; READY=1 comes when the
		// new generation is ready (reloaded), or as a first start's
		// after a fallback.
		s.notify.ready = resumed.ReadySent && !fallback
	}
	for _, l := range s.listeners {
		s.log.Info("listening", zap.String("bind", l.Name), zap.String("address", l.Listener.Addr().String()))
	}

	cmds, stopSignals := notifySignals()
	defer stopSignals()

	s.log.Info("supervisor started", zap.Int("pid", os.Getpid()), zap.Int("workers", s.desired),
		zap.String("worker_class", s.opts.WorkerClass), zap.Bool("upgraded", resumed != nil))
	if resumed != nil {
		s.resume(resumed, fallback)
	}
	s.reconcile()
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	ctxDone := ctx.Done()
	for !s.stopping || len(s.workers) > 0 {
		select {
		case c := <-cmds:
			s.command(c)
		case ev := <-s.events:
			s.handle(ev)
		case r := <-s.controls:
			s.control(r)
		case <-ticker.C:
			s.checkClocks()
		case <-ctxDone:
			ctxDone = nil
			s.command(cmdStopGraceful)
		}
		if !s.stopping {
			s.reconcile()
			s.reportStatus()
			s.handOverIfReady()
		}
	}
	if s.haltErr != nil {
		return s.haltErr
	}
	s.log.Info("supervisor stopped")
	return nil
}

// command carries out what a signal asked for.
func (s *Supervisor) command(c command) {
	s.log.Info("signal received", zap.Stringer("command", c))
	switch c {
	case cmdStopGraceful:
		s.stop(false)
	case cmdStopFast:
		s.stop(true)
	case cmdReload:
		_ = s.startReload() // logged where it is refused
	case cmdIncrease:
		s.scale(+1)
	case cmdDecrease:
		s.scale(-1)
	case cmdReopenLogs:
		if err := s.reopenLogs(); err != nil {
			s.log.Error("reopen log files", zap.Error(err))
		}
	case cmdUpgrade:
		_ = s.startUpgrade() // logged where it is refused
	}
}

// stop begins a graceful (TERM) or fast (INT) stop of every worker. A fast
// stop may cut short a graceful one, its shutdown delay included; the
// reverse is ignored.
//
// A graceful stop first tells every worker (proto.Stopping), so /healthz
// answers 503 while they drain; with a shutdown delay they drain only
// once it has passed (checkClocks), serving as before until then, so a
// load balancer polling /healthz stops sending before anything closes.
func (s *Supervisor) stop(fast bool) {
	if s.stopping && !fast {
		return
	}
	s.stopping = true
	s.abandonReload("the supervisor is stopping")
	s.abandonUpgrade("the supervisor is stopping")
	if !fast {
		for _, w := range s.workers {
			if w.fate != fateKilled {
				w.tell(proto.Stopping{Delay: s.opts.ShutdownDelay})
			}
		}
		if d := s.opts.ShutdownDelay; d > 0 {
			s.drainAt = s.now().Add(d)
			s.notify.stopping(fmt.Sprintf("shutdown delay: /healthz answers 503 for %s, then %d workers drain", d, len(s.workers)))
			s.log.Info("stopping: /healthz answers 503 during the shutdown delay, then the workers drain",
				zap.Duration("shutdown_delay_s", d), zap.Duration("graceful_timeout_s", s.opts.GracefulTimeout))
			return
		}
	}
	s.stopAll(fast)
}

// stopAll signals every worker to stop: TERM to drain within
// --graceful-timeout, or INT to stop at once.
func (s *Supervisor) stopAll(fast bool) {
	s.drainAt = time.Time{}
	s.notify.stopping(fmt.Sprintf("stopping %d workers", len(s.workers)))
	sig, wait := syscall.SIGTERM, s.opts.GracefulTimeout+drainGrace
	if fast {
		sig, wait = syscall.SIGINT, fastStopGrace
	}
	for _, w := range s.workers {
		s.stopWorker(w, sig, wait, whyStopping)
	}
}

// stopWorker signals w to stop and schedules its SIGKILL after wait. A
// worker already being killed stays so.
func (s *Supervisor) stopWorker(w *worker, sig syscall.Signal, wait time.Duration, why reason) {
	if w.fate == fateKilled {
		return
	}
	w.fate, w.why = fateDraining, why
	w.killAt = s.now().Add(wait)
	w.signal(sig)
}

// drainWorker tells w to finish what it has and exit (TERM), within
// --graceful-timeout.
func (s *Supervisor) drainWorker(w *worker, why reason) {
	s.stopWorker(w, syscall.SIGTERM, s.opts.GracefulTimeout+drainGrace, why)
}

// halt stops everything fast and makes Run return err.
func (s *Supervisor) halt(err error) {
	s.log.Error("halting", zap.Error(err))
	s.haltErr = err
	s.stop(true)
}

// scale changes the desired worker count by delta (TTIN/TTOU).
func (s *Supervisor) scale(delta int) {
	if s.stopping {
		return
	}
	if s.reload != nil {
		s.log.Warn("worker count unchanged: a reload is in progress; send the signal again after it")
		return
	}
	n := s.desired + delta
	if n < 1 {
		s.log.Warn("worker count unchanged: at least one worker is needed")
		return
	}
	s.resize(n)
}

// resize sets the desired worker count to n (TTIN, TTOU, the control
// socket's scale).
func (s *Supervisor) resize(n int) {
	s.desired = n
	s.log.Info("worker count changed", zap.Int("workers", n))
	// Drain the workers of the slots above the new count.
	for _, w := range s.workers {
		if w.slot > n && !w.leaving() {
			s.drainWorker(w, whyScaledDown)
		}
	}
}

// reopenLogs reopens the supervisor's log files and tells every worker
// to reopen its own (USR1); the workers are told even when the
// supervisor's failed.
func (s *Supervisor) reopenLogs() error {
	var err error
	if s.opts.Reopen != nil {
		err = s.opts.Reopen()
	}
	for _, w := range s.workers {
		w.signal(syscall.SIGUSR1)
	}
	if err != nil {
		return fmt.Errorf("reopen log files: %w", err)
	}
	return nil
}

// handle applies one worker event to the table.
func (s *Supervisor) handle(ev event) {
	w, ok := s.workers[ev.pid]
	if !ok {
		return
	}
	defer s.metrics.observeTable(s.workers)
	if ev.exited {
		s.exited(w, ev.status)
		return
	}
	switch m := ev.msg.(type) {
	case proto.Ready:
		s.ready(w)
	case proto.Heartbeat:
		w.lastBeat = s.now()
		w.stats = m
		s.foldMetrics(w, m.Metrics)
		s.checkRSS(w)
	case proto.Refused:
		s.refused(w, m)
	case proto.Retiring:
		if w.phase == phaseReady && w.fate == fateServing {
			w.fate, w.why, w.retiredFor = fateRetiring, whyRetiring, m.Reason
			w.log.Info("worker retiring; starting its replacement", zap.String("reason", m.Reason), zap.Uint64("requests", m.Requests),
				zap.Uint64("rss", m.RSS))
		}
	default:
		w.log.Warn("unexpected message from worker", zap.Uint8("kind", uint8(m.Kind())))
	}
}

// checkRSS kills w at once when its last heartbeat's RSS is over
// --max-rss-hard (its generation's), whatever its fate: memory is
// running out now, too soon for a replacement to boot first, as --max-rss
// waits for. The slot is left uncovered, so reconcile starts the
// replacement; the exit counts as a crash.
func (s *Supervisor) checkRSS(w *worker) {
	limit := s.opts.MaxRSSHard
	if s.reload != nil && w.generation == s.reload.gen {
		limit = s.reload.opts.MaxRSSHard
	}
	if limit == 0 || w.stats.RSS <= limit || w.fate == fateKilled {
		return
	}
	w.log.Error("worker over --max-rss-hard; killing it", zap.Uint64("rss", w.stats.RSS), zap.Uint64("max_rss_hard", limit),
		zap.Stringer("fate", w.fate), zap.Int("in_flight", w.stats.InFlight))
	w.fate, w.why = fateKilled, whyMaxRSSHard
	w.killAt = time.Time{}
	w.signal(syscall.SIGKILL)
}

// errSkew is what a worker binary that cannot read the supervisor's
// configuration makes the supervisor say.
const errSkew = "this worker binary does not match the supervisor; restart to upgrade"

// refused handles a new worker that will not run the configuration it
// was sent (its binary's settings differ: a new build renamed over the
// old one). A reload onto it is refused; a worker replaced outside a
// reload fails to boot, and its exit counts as such.
func (s *Supervisor) refused(w *worker, m proto.Refused) {
	if s.reload != nil && w.generation == s.reload.gen {
		s.endReload("reload refused: "+errSkew, m.Reason)
		return
	}
	if s.isCanary(w) {
		s.abandonUpgrade("the canary refused its configuration: " + errSkew + ": " + m.Reason)
		return
	}
	w.log.Error("worker refused its configuration: "+errSkew, zap.String("reason", m.Reason))
}

// ready marks w ready and retires what it replaces: in a reload, the old
// generation once the whole new one is ready; otherwise a retiring worker
// of the same slot.
//
// A worker already told to leave may still report ready; it is then no
// replacement for anything.
func (s *Supervisor) ready(w *worker) {
	if w.phase != phaseBooting {
		return
	}
	now := s.now()
	w.phase, w.readyAt, w.lastBeat = phaseReady, now, now
	s.metrics.booted(now.Sub(w.started))
	if w.fate != fateServing {
		return
	}
	w.log.Info("worker ready", zap.Duration("boot_s", now.Sub(w.started)))
	s.slotFor(w.slot).failures = 0
	s.announce()
	if s.isCanary(w) {
		w.log.Info("canary ready", zap.Duration("boot_s", now.Sub(w.started)))
		s.upgrade.canaryReady = true
		return
	}
	if s.reload != nil && w.generation == s.reload.gen {
		s.completeReloadIfReady()
		return
	}
	for _, old := range s.workers {
		if old.slot == w.slot && old.fate == fateRetiring {
			s.drainWorker(old, whyReplaced)
		}
	}
}

// exited removes w from the table, decides what its exit means, and
// schedules its replacement through reconcile.
func (s *Supervisor) exited(w *worker, status string) {
	delete(s.workers, w.pid)
	if w.conn != nil {
		w.conn.Close()
	}
	s.metrics.restarted(restartCause(w, s.stopping))
	log := w.log.With(zap.String("status", status), zap.Duration("uptime_s", s.now().Sub(w.started)))
	s.slotFor(w.slot).lastExit = &control.Exit{Status: status, Reason: string(w.why), At: s.now()}
	switch {
	case s.stopping || w.fate == fateDraining:
		log.Info("worker exited", zap.String("reason", string(w.why)))
	case s.isCanary(w):
		why := ""
		if w.why != "" {
			why = " (" + string(w.why) + ")"
		}
		s.abandonUpgrade(fmt.Sprintf("the canary (worker %d) ended with %s%s", w.pid, status, why))
	case s.reload != nil && w.generation == s.reload.gen:
		s.abandonReload(fmt.Sprintf("a new worker (slot %d) ended with %s", w.slot, status))
	case w.generation != s.gen:
		log.Info("worker of another generation exited")
	case w.phase == phaseBooting:
		sl := s.slotFor(w.slot)
		sl.failures++
		sl.restarts++
		log.Error("worker failed to boot", zap.Int("failures_in_a_row", sl.failures))
		if sl.failures >= maxBootFailures {
			s.halt(exitcode.Wrap(exitcode.WorkerBoot,
				fmt.Errorf("workers failed to boot %d times in a row (last: %s); see the worker's error above", sl.failures, status)))
			return
		}
		sl.nextSpawn = s.now().Add(backoff(sl.failures))
	default:
		sl := s.slotFor(w.slot)
		if !w.readyAt.IsZero() && s.now().Sub(w.readyAt) > stableAfter {
			sl.crashes = 0
		}
		sl.crashes++
		sl.restarts++
		sl.nextSpawn = s.now().Add(backoff(sl.crashes))
		log.Warn("worker died; replacing it", zap.Stringer("fate", w.fate), zap.Int("restarts", sl.crashes),
			zap.Duration("backoff_s", backoff(sl.crashes)))
	}
}

// backoff is the respawn delay after n failures in a row: none for the
// first, then 100ms doubling to maxBackoff.
func backoff(n int) time.Duration {
	if n <= 1 {
		return 0
	}
	d := 100 * time.Millisecond << min(n-2, 16)
	return min(d, maxBackoff)
}

func (s *Supervisor) slotFor(n int) *slot {
	sl, ok := s.slots[n]
	if !ok {
		sl = &slot{}
		s.slots[n] = sl
	}
	return sl
}

// reconcile starts a worker for every slot of the current generation that
// has none serving, once its backoff has passed.
func (s *Supervisor) reconcile() {
	covered := make(map[int]bool, len(s.workers))
	for _, w := range s.workers {
		if w.generation == s.gen && w.serving() {
			covered[w.slot] = true
		}
	}
	now := s.now()
	for n := 1; n <= s.desired; n++ {
		if covered[n] || now.Before(s.slotFor(n).nextSpawn) {
			continue
		}
		if _, err := s.spawn(n, s.gen, s.opts); err != nil {
			s.halt(exitcode.Wrap(exitcode.Runtime, err))
			return
		}
	}
}

// checkClocks enforces the time limits: the end of a shutdown delay, boot,
// liveness (heartbeat) and the kill deadlines of draining or hung workers.
func (s *Supervisor) checkClocks() {
	now := s.now()
	if !s.drainAt.IsZero() && !now.Before(s.drainAt) {
		s.log.Info("shutdown delay over; the workers drain", zap.Int("workers", len(s.workers)))
		s.stopAll(false)
	}
	for _, w := range s.workers {
		switch {
		case !w.killAt.IsZero() && now.After(w.killAt):
			// The kill enforces a decision already taken: the fate stays.
			w.log.Warn("worker did not exit in time; killing it", zap.Stringer("fate", w.fate), zap.String("reason", string(w.why)))
			w.killAt = time.Time{}
			w.signal(syscall.SIGKILL)
		case w.phase == phaseBooting && !w.leaving() && now.Sub(w.started) > s.opts.BootTimeout:
			w.log.Error("worker did not report ready within the boot timeout; killing it",
				zap.Duration("boot_timeout_s", s.opts.BootTimeout))
			w.fate, w.why = fateKilled, whyBootTimeout
			w.signal(syscall.SIGKILL)
		case w.phase == phaseReady && !w.leaving() && !w.mute && s.opts.Timeout > 0 && now.Sub(w.lastBeat) > s.opts.Timeout:
			s.hung(w, now)
		}
	}
	if s.reload != nil {
		s.completeReloadIfReady()
	}
	s.autoscale(now)
	s.notify.ping(now)
	s.metrics.observeTable(s.workers)
}

// reportStatus tells systemd how many workers serve: READY=1 the first
// time the whole first generation is ready, STATUS after that.
func (s *Supervisor) reportStatus() {
	if s.reload != nil || s.upgrade != nil {
		return
	}
	serving, retiring := s.readyWorkers(s.gen)
	ready := serving + retiring
	status := s.status()
	if ready >= s.desired {
		s.notify.serving(status)
		return
	}
	s.notify.update(status)
}

// status is the one-line state systemd shows.
func (s *Supervisor) status() string {
	serving, retiring := s.readyWorkers(s.gen)
	ready := serving + retiring
	return fmt.Sprintf("%d of %d workers ready (generation %d)", ready, s.desired, s.gen)
}

// hung handles a worker whose heartbeat stopped: it names the requests it
// was last seen handling, asks for a stack dump (SIGABRT) and schedules
// SIGKILL. Its replacement starts at once.
func (s *Supervisor) hung(w *worker, now time.Time) {
	fields := []zap.Field{
		zap.Duration("silent_for_s", now.Sub(w.lastBeat)),
		zap.Int("in_flight", w.stats.InFlight),
	}
	for i, r := range w.stats.Oldest {
		fields = append(fields, zap.String(fmt.Sprintf("request_%d", i+1),
			fmt.Sprintf("%s %s request_id=%s age=%s", r.Method, r.Path, r.RequestID, (r.Age+now.Sub(w.lastBeat)).Round(time.Millisecond))))
	}
	w.log.Error("worker timed out (no heartbeat); dumping its stacks and killing it", fields...)
	w.fate, w.why = fateKilled, whyHeartbeat
	w.killAt = now.Add(dumpGrace)
	w.signal(syscall.SIGABRT)
}

// readyWorkers counts the ready workers of generation gen that serve
// their slot, and those that serve it until their replacement is ready.
func (s *Supervisor) readyWorkers(gen int) (serving, retiring int) {
	for _, w := range s.workers {
		if w.generation != gen || w.phase != phaseReady {
			continue
		}
		switch w.fate {
		case fateServing:
			serving++
		case fateRetiring:
			retiring++
		}
	}
	return serving, retiring
}
