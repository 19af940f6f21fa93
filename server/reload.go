package server

import (
	"fmt"
	"slices"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/drover/drover/internal/config"
)

// reload is a rolling replacement in progress: generation gen, started
// with cfg, is booting beside the serving one.
type reload struct {
	gen     int
	cfg     config.Config
	cred    *config.Credential
	desired int
	started time.Time
}

// startReload re-reads the configuration and boots a whole new generation
// beside the serving one (HUP). The old generation is told to drain only
// once every new worker is ready, so capacity never dips below N; if a new
// worker fails, the reload is abandoned and the old generation keeps
// serving.
func (s *Supervisor) startReload() {
	if s.stopping {
		return
	}
	if s.reload != nil {
		s.log.Warn("reload already in progress; HUP ignored", zap.Int("generation", s.reload.gen))
		return
	}
	next := s.settings
	if s.cfg.Reload != nil {
		c, err := s.cfg.Reload()
		if err != nil {
			s.log.Error("reload refused: the configuration is invalid; the running workers keep serving", zap.Error(err))
			return
		}
		next = c
	}
	if !slices.Equal(next.Server.Bind, s.settings.Server.Bind) {
		s.log.Warn("bind changed; listeners are kept until a restart",
			zap.Strings("running", s.settings.Server.Bind), zap.Strings("configured", next.Server.Bind))
		next.Server.Bind = s.settings.Server.Bind
	}
	if next.Server.RedirectBind != s.settings.Server.RedirectBind {
		s.log.Warn("http-redirect changed; its listener is kept until a restart",
			zap.String("running", s.settings.Server.RedirectBind), zap.String("configured", next.Server.RedirectBind))
		next.Server.RedirectBind = s.settings.Server.RedirectBind
	}
	cred, err := next.Server.Credential()
	if err != nil {
		s.log.Error("reload refused: the configuration is invalid; the running workers keep serving", zap.Error(err))
		return
	}
	s.lastGen++
	r := &reload{gen: s.lastGen, cfg: next, cred: cred, desired: next.Server.Workers, started: s.now()}
	s.reload = r
	s.notify.reloading(fmt.Sprintf("reloading: starting generation %d", r.gen))
	s.log.Info("reloading: starting a new generation", zap.Int("generation", r.gen), zap.Int("workers", r.desired))
	for n := 1; n <= r.desired; n++ {
		if _, err := s.spawn(n, r.gen, r.cfg, r.cred); err != nil {
			s.abandonReload(err.Error())
			return
		}
	}
}

// completeReloadIfReady completes the reload once the whole new
// generation is ready: it becomes the current one and every older worker
// drains.
func (s *Supervisor) completeReloadIfReady() {
	r := s.reload
	if serving, _ := s.readyWorkers(r.gen); serving < r.desired {
		return
	}
	s.gen, s.settings, s.cred, s.desired = r.gen, r.cfg, r.cred, r.desired
	s.reload = nil
	for _, w := range s.workers {
		if w.generation != s.gen && !w.leaving() {
			s.drainWorker(w, whyReloaded)
		}
	}
	s.log.Info("reload complete", zap.Int("generation", s.gen), zap.Int("workers", s.desired),
		zap.Duration("took", s.now().Sub(r.started)))
	s.notify.reloaded(s.status())
}

// abandonReload kills the new generation and keeps the old one serving.
func (s *Supervisor) abandonReload(reason string) {
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
	if !s.stopping {
		s.notify.reloaded("reload abandoned; " + s.status())
	}
}
