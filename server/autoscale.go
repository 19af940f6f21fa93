package server

import (
	"net"
	"syscall"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sys/unix"

	"github.com/drover/drover/internal/sockets"
)

// Adaptive worker count (uWSGI's cheaper mode, without its tuning maze):
// between Options.WorkersMin and WorkersMax, the supervisor adds a worker
// once the workers have been busy for scaleUpAfter, and removes one once
// they have been quiet for Options.WorkersIdle. Each change waits a full
// window again before the next.
//
// Busy is either of:
//   - the accept queue of an application TCP socket is not empty: the
//     workers do not take connections as fast as they come;
//   - with a bound on the requests a worker runs at once (the sync class,
//     or --max-concurrency), the requests in flight fill three quarters
//     of what the ready workers can run.
//
// Quiet is: the accept queues are empty and, with such a bound, one
// worker fewer would still be at most half full. A go-class worker with
// no --max-concurrency accepts every connection at once, so only its
// accept queue (a CPU too busy to accept) says it is behind.
const scaleUpAfter = 3 * time.Second

// load is what the autoscaler judges: the serving generation's ready
// workers, the requests they run (their last heartbeats), the bound on
// one worker's requests (0: none) and the connections waiting in the
// application sockets' accept queues.
type load struct {
	ready       int
	inFlight    int
	concurrency int
	queued      int
}

// busy reports whether l needs another worker.
func (l load) busy() bool {
	if l.queued > 0 {
		return true
	}
	return l.concurrency > 0 && l.ready > 0 && 4*l.inFlight >= 3*l.ready*l.concurrency
}

// quiet reports whether l would fit in one worker fewer than desired.
func (l load) quiet(desired int) bool {
	if l.queued > 0 {
		return false
	}
	if l.concurrency == 0 {
		return true
	}
	return 2*l.inFlight <= (desired-1)*l.concurrency
}

// autoscaler decides when the worker count changes. It holds only its
// two windows; the supervisor's loop owns it.
type autoscaler struct {
	min, max   int
	downAfter  time.Duration
	busySince  time.Time // zero while not busy
	quietSince time.Time // zero while not quiet
}

// on reports whether the worker count adapts at all.
func (a *autoscaler) on() bool { return a.max > a.min }

// decide returns +1, -1 or 0: the change to desired that l calls for at
// now. A change restarts both windows.
func (a *autoscaler) decide(now time.Time, desired int, l load) int {
	if !a.on() {
		return 0
	}
	busy, quiet := l.busy(), l.quiet(desired)
	a.busySince = since(a.busySince, busy, now)
	a.quietSince = since(a.quietSince, quiet && !busy, now)
	switch {
	case busy && desired < a.max && now.Sub(a.busySince) >= scaleUpAfter:
		a.busySince, a.quietSince = time.Time{}, time.Time{}
		return +1
	case quiet && !busy && desired > a.min && now.Sub(a.quietSince) >= a.downAfter:
		a.busySince, a.quietSince = time.Time{}, time.Time{}
		return -1
	}
	return 0
}

// since is the start of a window: kept while cond holds, now when it
// starts holding, zero when it stops.
func since(start time.Time, cond bool, now time.Time) time.Time {
	switch {
	case !cond:
		return time.Time{}
	case start.IsZero():
		return now
	}
	return start
}

// acceptQueue is the number of connections waiting in the accept queues
// of the application TCP sockets, from the kernel (TCP_INFO's unacked of
// a listening socket is its accept queue's length). Unix sockets and
// sockets the kernel will not say it of count 0.
func acceptQueue(held []*sockets.Held) int {
	n := 0
	for _, h := range held {
		if h.Role != sockets.RoleApp {
			continue
		}
		tl, ok := h.Listener.(*net.TCPListener)
		if !ok {
			continue
		}
		raw, err := tl.SyscallConn()
		if err != nil {
			continue
		}
		var info *unix.TCPInfo
		var infoErr error
		if err := raw.Control(func(fd uintptr) {
			info, infoErr = unix.GetsockoptTCPInfo(int(fd), syscall.IPPROTO_TCP, unix.TCP_INFO)
		}); err != nil || infoErr != nil {
			continue
		}
		n += int(info.Unacked)
	}
	return n
}

// autoscale changes the worker count by one when the load has called for
// it long enough (see autoscaler); the loop calls it every tick. It waits
// while a reload or a stop is in progress. Each change is logged; it
// goes through resize, as TTIN, TTOU and the control socket's scale do.
func (s *Supervisor) autoscale(now time.Time) {
	// The serving options' range: a HUP may change it.
	s.scaler.min, s.scaler.max = s.opts.workerRange()
	s.scaler.downAfter = s.opts.WorkersIdle
	if s.scaler.downAfter == 0 {
		s.scaler.downAfter = defaultWorkersIdle
	}
	if !s.scaler.on() || s.stopping || s.reload != nil {
		return
	}
	l := load{concurrency: s.opts.WorkerConcurrency, queued: acceptQueue(s.listeners)}
	for _, w := range s.workers {
		if w.generation == s.gen && w.phase == phaseReady && w.serving() {
			l.ready++
			l.inFlight += w.stats.InFlight
		}
	}
	delta := s.scaler.decide(now, s.desired, l)
	if delta == 0 {
		return
	}
	fields := []zap.Field{zap.Int("from", s.desired), zap.Int("to", s.desired+delta),
		zap.Int("in_flight", l.inFlight), zap.Int("accept_queue", l.queued),
		zap.Int("workers_min", s.scaler.min), zap.Int("workers_max", s.scaler.max)}
	if delta > 0 {
		s.log.Info("workers busy; adding one", fields...)
	} else {
		s.log.Info("workers quiet; removing one", append(fields, zap.Duration("quiet_s", s.scaler.downAfter))...)
	}
	s.metrics.scaledBy(delta)
	s.resize(s.desired + delta)
}
