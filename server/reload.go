package server

import (
	"errors"
	"fmt"
	"slices"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/drover/drover/internal/control"
)

// reload is a rolling replacement in progress: generation gen, started
// with opts, is booting beside the serving one.
type reload struct {
	gen     int
	opts    Options
	desired int
	started time.Time
	// waiters are the control requests (reload with wait) answered
	// when the reload completes or ends.
	waiters []controlRequest
	// upgrade says it is a binary upgrade's, resumed after the exec
	// (upgrade.go): its first new worker was the canary.
	upgrade bool
}

// what names r in the log: "reload" or "upgrade".
func (r *reload) what() string {
	if r.upgrade {
		return "upgrade"
	}
	return "reload"
}

// startReload re-reads the configuration and boots a whole new generation
// beside the serving one (HUP). The old generation is told to drain only
// once every new worker is ready, so capacity never dips below N; if a new
// worker fails, the reload is abandoned and the old generation keeps
// serving. Its error says why no reload started, or why it was abandoned
// at once; it is logged already.
func (s *Supervisor) startReload() error {
	if s.stopping {
		return errors.New("reload refused: the supervisor is stopping")
	}
	if s.reload != nil {
		s.log.Warn("reload already in progress; HUP ignored", zap.Int("generation", s.reload.gen))
		return fmt.Errorf("reload refused: a reload to generation %d is in progress", s.reload.gen)
	}
	if s.upgrade != nil {
		s.log.Warn("upgrade in progress; HUP ignored", zap.Int("generation", s.upgrade.gen))
		return fmt.Errorf("reload refused: an upgrade (canary generation %d) is in progress", s.upgrade.gen)
	}
	next := s.opts
	if s.cfg.Reload != nil {
		c, err := s.cfg.Reload()
		if err != nil {
			s.log.Error("reload refused: the configuration is invalid; the running workers keep serving", zap.Error(err))
			return fmt.Errorf("reload refused: the configuration is invalid; the running workers keep serving: %w", err)
		}
		next = c
	}
	running, configured := s.opts.Sockets, next.Sockets
	if !slices.Equal(configured.Bind, running.Bind) {
		s.log.Warn("bind changed; listeners are kept until a restart",
			zap.Strings("running", running.Bind), zap.Strings("configured", configured.Bind))
	}
	if configured.RedirectBind != running.RedirectBind {
		s.log.Warn("http-redirect changed; its listener is kept until a restart",
			zap.String("running", running.RedirectBind), zap.String("configured", configured.RedirectBind))
	}
	if next.MetricsBind != s.opts.MetricsBind {
		s.log.Warn("metrics-bind changed; its listener is kept until a restart",
			zap.String("running", s.opts.MetricsBind), zap.String("configured", next.MetricsBind))
		next.MetricsBind = s.opts.MetricsBind
	}
	next.Sockets = running
	if err := next.validate(); err != nil {
		s.log.Error("reload refused: the configuration is invalid; the running workers keep serving", zap.Error(err))
		return fmt.Errorf("reload refused: the configuration is invalid; the running workers keep serving: %w", err)
	}
	s.lastGen++
	r := &reload{gen: s.lastGen, opts: next, desired: next.Workers, started: s.now()}
	s.reload = r
	s.notify.reloading(fmt.Sprintf("reloading: starting generation %d", r.gen))
	s.log.Info("reloading: starting a new generation", zap.Int("generation", r.gen), zap.Int("workers", r.desired))
	for n := 1; n <= r.desired; n++ {
		if _, err := s.spawn(n, r.gen, r.opts); err != nil {
			s.abandonReload(err.Error())
			return fmt.Errorf("reload abandoned; the running workers keep serving: %w", err)
		}
	}
	return nil
}

// completeReloadIfReady completes the reload once the whole new
// generation is ready: it becomes the current one and every older worker
// drains.
func (s *Supervisor) completeReloadIfReady() {
	r := s.reload
	if serving, _ := s.readyWorkers(r.gen); serving < r.desired {
		return
	}
	s.gen, s.opts, s.desired = r.gen, r.opts, r.desired
	s.reload = nil
	for _, w := range s.workers {
		if w.generation != s.gen && !w.leaving() {
			s.drainWorker(w, whyReloaded)
		}
	}
	s.log.Info(r.what()+" complete", zap.Int("generation", s.gen), zap.Int("workers", s.desired),
		zap.Duration("took_s", s.now().Sub(r.started)))
	s.notify.reloaded(s.status())
	s.metrics.reloaded(true)
	r.answerWaiters(control.Response{OK: true, Generation: s.gen})
}

// abandonReload kills the new generation and keeps the old one serving.
func (s *Supervisor) abandonReload(reason string) {
	if s.reload != nil && s.reload.upgrade {
		s.endReload("upgrade abandoned after the exec; the old generation keeps serving", reason)
		return
	}
	s.endReload("reload abandoned; the running workers keep serving", reason)
}

// endReload kills the new generation, keeps the old one serving, and
// logs line with the reason.
func (s *Supervisor) endReload(line, reason string) {
	r := s.reload
	if r == nil {
		return
	}
	s.reload = nil
	for _, w := range s.workers {
		if w.generation == r.gen {
			w.fate, w.why = fateKilled, whyAbandoned
			w.signal(syscall.SIGKILL)
		}
	}
	s.log.Error(line, zap.String("reason", reason), zap.Int("abandoned_generation", r.gen), zap.Int("serving_generation", s.gen))
	s.metrics.reloaded(false)
	r.answerWaiters(control.Refusal(fmt.Errorf("%s: %s", line, reason)))
	if !s.stopping {
		s.notify.reloaded("reload abandoned; " + s.status())
	}
}
