package server

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/drover/drover/internal/control"
)

// control carries out one control request, in the supervisor's loop, as
// command does a signal's, and answers it.
func (s *Supervisor) control(r controlRequest) {
	fields := []zap.Field{zap.String("command", r.req.Cmd)}
	switch r.req.Cmd {
	case control.CmdScale:
		fields = append(fields, zap.Int("workers", r.req.Workers))
	case control.CmdReload, control.CmdUpgrade:
		fields = append(fields, zap.Bool("wait", r.req.Wait))
	case control.CmdStop:
		fields = append(fields, zap.Bool("fast", r.req.Fast))
	}
	logf := s.log.Info
	if r.quiet {
		logf = s.log.Debug
	}
	logf("control command", fields...)
	switch r.req.Cmd {
	case control.CmdStatus:
		r.answer(control.Response{OK: true, Status: s.snapshot()})
	case control.CmdReload:
		s.controlReload(r)
	case control.CmdScale:
		if err := s.scaleTo(r.req.Workers); err != nil {
			r.refuse(err)
			return
		}
		r.answer(control.Response{OK: true, Workers: s.desired})
	case control.CmdStop:
		// Answered first: the connection may not outlive the stop.
		r.answer(control.Response{OK: true})
		s.stop(r.req.Fast)
	case control.CmdReopenLogs:
		if err := s.reopenLogs(); err != nil {
			r.refuse(err)
			return
		}
		r.answer(control.Response{OK: true})
	case control.CmdUpgrade:
		s.controlUpgrade(r)
	default:
		r.refuse(fmt.Errorf("%w %q", control.ErrCommand, r.req.Cmd))
	}
}

// controlReload starts a reload as HUP does; with wait its answer waits
// for the reload's end (completeReloadIfReady, endReload).
func (s *Supervisor) controlReload(r controlRequest) {
	if err := s.startReload(); err != nil {
		r.refuse(err)
		return
	}
	if !r.req.Wait {
		r.answer(control.Response{OK: true, Generation: s.reload.gen})
		return
	}
	s.reload.waiters = append(s.reload.waiters, r)
}

// scaleTo sets the desired worker count to n, as TTIN and TTOU change it
// by one.
func (s *Supervisor) scaleTo(n int) error {
	switch {
	case s.stopping:
		return errors.New("worker count unchanged: the supervisor is stopping")
	case s.upgrade != nil:
		return fmt.Errorf("worker count unchanged: an upgrade (canary generation %d) is in progress; scale again after it", s.upgrade.gen)
	case s.reload != nil:
		return fmt.Errorf("worker count unchanged: a reload to generation %d is in progress; scale again after it", s.reload.gen)
	case n < 1 || n > control.MaxWorkers:
		return fmt.Errorf("worker count unchanged: from 1 to %d workers, got %d", control.MaxWorkers, n)
	}
	if n != s.desired {
		s.resize(n)
	}
	return nil
}

// snapshot is the supervisor's state for status.
func (s *Supervisor) snapshot() *control.Status {
	now := s.now()
	serving, retiring := s.readyWorkers(s.gen)
	st := &control.Status{
		PID:        os.Getpid(),
		Name:       s.name,
		Version:    buildVersion(),
		Started:    s.startedAt,
		UptimeS:    seconds(now.Sub(s.startedAt)),
		Generation: s.gen,
		Desired:    s.desired,
		Ready:      serving + retiring,
		Stopping:   s.stopping,
		Workers:    []control.Worker{},
	}
	if r := s.reload; r != nil {
		st.Reload = &control.Reload{Generation: r.gen, Started: r.started}
	}
	for _, w := range s.workers {
		sl := s.slotFor(w.slot)
		row := control.Worker{
			Slot: w.slot, PID: w.pid, Generation: w.generation, State: w.state(),
			Started: w.started, AgeS: seconds(now.Sub(w.started)),
			Requests: w.stats.Requests, InFlight: w.stats.InFlight, RSS: w.stats.RSS,
			Restarts: sl.restarts,
		}
		if e := sl.lastExit; e != nil {
			exit := *e
			row.LastExit = &exit
		}
		st.Workers = append(st.Workers, row)
	}
	slices.SortFunc(st.Workers, func(a, b control.Worker) int {
		if a.Slot != b.Slot {
			return a.Slot - b.Slot
		}
		if a.Generation != b.Generation {
			return a.Generation - b.Generation
		}
		return a.PID - b.PID
	})
	return st
}

// state is the worker's state as status names it: its fate when one was
// decided, else its phase.
func (w *worker) state() string {
	switch w.fate {
	case fateRetiring:
		return control.StateRetiring
	case fateDraining:
		return control.StateDraining
	case fateKilled:
		return control.StateKilled
	}
	if w.phase == phaseBooting {
		return control.StateBooting
	}
	return control.StateReady
}

// seconds is d in seconds, to the millisecond.
func seconds(d time.Duration) float64 { return d.Round(time.Millisecond).Seconds() }

// answerWaiters answers the requests waiting for r's end.
func (r *reload) answerWaiters(resp control.Response) {
	for _, w := range r.waiters {
		w.answer(resp)
	}
	r.waiters = nil
}
