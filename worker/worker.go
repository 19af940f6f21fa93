package worker

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/drover/drover/app"
	"github.com/drover/drover/internal/config"
	"github.com/drover/drover/internal/graceful"
	"github.com/drover/drover/internal/proto"
	"github.com/drover/drover/internal/sockets"
)

// Config is what a worker needs to run: the settings the supervisor sent,
// its identity, the inherited channel and listeners, and the application.
type Config struct {
	// Settings is the resolved configuration from the supervisor.
	Settings config.Config
	// Slot and Generation identify the worker in the supervisor's table.
	Slot, Generation int
	// Channel is the report channel to the supervisor.
	Channel net.Conn
	// Listeners are the inherited sockets to serve, each with its role
	// (sockets.RoleOf): --http-redirect's is served as plain HTTP beside
	// HTTPS; a listener without a role is the application's.
	Listeners []net.Listener
	// Handler is the application; the worker wraps it in app.Chain.
	Handler http.Handler
	// Access is the access logger, nil for none.
	Access *zap.Logger
	// Reopen reopens the log files (USR1); nil for none.
	Reopen func() error
}

// Worker is one worker process's server.
type Worker struct {
	cfg     Config
	log     *zap.Logger
	srv     *http.Server
	track   *tracker
	limiter *limiter
	// served are the application's listeners.
	served []net.Listener
	// https is set when the worker serves TLS (--certfile or --tls-auto).
	https bool
	// plain is --http-redirect's listener, served as plain HTTP beside
	// HTTPS; empty when not set.
	plain []net.Listener
	// now is the clock; a test seam.
	now func() time.Time
}

// New builds a worker; Run starts it.
func New(cfg Config, log *zap.Logger) (*Worker, error) {
	if cfg.Channel == nil {
		return nil, errors.New("worker: no channel to the supervisor")
	}
	if len(cfg.Listeners) == 0 {
		return nil, errors.New("worker: no listeners")
	}
	if cfg.Handler == nil {
		return nil, errors.New("worker: no handler")
	}
	w := &Worker{cfg: cfg, log: log, now: time.Now}
	s := cfg.Settings
	w.track = newTracker(retireAfter(s.Worker), w.now)
	w.limiter = newLimiter(s.Worker.Concurrency())

	// The served sockets, and --http-redirect's, found by their roles.
	served, plain := sockets.Select(cfg.Listeners, sockets.RoleApp), sockets.Select(cfg.Listeners, sockets.RoleRedirect)
	if len(served) == 0 {
		return nil, errors.New("worker: no application listener, only --http-redirect's")
	}
	w.served, w.plain = served, plain

	var tlsConfig *tls.Config
	var challenge func(http.ResponseWriter, *http.Request) bool
	cert, err := s.LoadCertificate()
	if err != nil {
		return nil, err
	}
	if cert != nil {
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{*cert}, MinVersion: tls.VersionTLS12}
	}
	var auto *autoTLS
	if len(s.TLS.AutoDomains) > 0 {
		if auto, err = newAutoTLS(s, served, plain, s.Server.BootTimeout/2, log); err != nil {
			return nil, err
		}
		tlsConfig, challenge = auto.tlsConfig(), auto.httpChallenge
	}
	w.https = tlsConfig != nil

	inner := w.track.wrap(w.limiter.wrap(cfg.Handler))
	if w.https && len(plain) > 0 {
		inner = redirectToHTTPS(inner, challenge, httpsPort(served))
	}
	chainCfg := s.Chain()
	chainCfg.Generation = cfg.Generation
	handler := app.Chain(chainCfg, log, cfg.Access, inner)
	w.srv = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: s.Worker.ReadHeaderTimeout,
		ReadTimeout:       s.Worker.ReadTimeout,
		WriteTimeout:      s.Worker.WriteTimeout,
		IdleTimeout:       s.Worker.KeepAlive,
		MaxHeaderBytes:    app.MaxHeaderBytes(chainCfg),
		ErrorLog:          zap.NewStdLog(log.Named("http")),
		TLSConfig:         tlsConfig,
	}
	if auto != nil {
		w.srv.RegisterOnShutdown(auto.stop)
	}
	if s.Worker.Class == "sync" {
		// Gunicorn's sync worker closes the connection after each response.
		w.srv.SetKeepAlivesEnabled(false)
	}
	return w, nil
}

// retireAfter is this worker's share of max-requests, jitter included;
// 0 means never.
func retireAfter(w config.Worker) uint64 {
	if w.MaxRequests <= 0 {
		return 0
	}
	return uint64(w.MaxRequests + rand.IntN(w.MaxRequestsJitter+1))
}

// Run serves until a signal, the supervisor's death or ctx ends it. It
// reports Ready once every listener is being served, then heartbeats.
// TERM and a lost supervisor drain gracefully; INT and QUIT stop at once.
func (w *Worker) Run(ctx context.Context) error {
	stop := make(chan stopKind, 4)
	g, gctx := errgroup.WithContext(ctx)

	pp := newProxyProtocol(w.cfg.Settings, w.log)
	var listeners []graceful.Listener
	for _, l := range w.served {
		// Not srv.TLSConfig != nil: Serve itself sets one up for HTTP/2.
		listeners = append(listeners, graceful.Listener{Listener: w.limiter.gate(pp.wrap(l)), TLS: w.https})
	}
	for _, l := range w.plain {
		listeners = append(listeners, graceful.Listener{Listener: w.limiter.gate(pp.wrap(l))})
	}
	gs, err := graceful.New(graceful.Config{Server: w.srv, Listeners: listeners, CloseKeepAlives: true}, w.log)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	gs.Go(g)
	sigs := notifySignals()
	if err := proto.Encode(w.cfg.Channel, proto.Ready{PID: os.Getpid()}); err != nil {
		signal.Stop(sigs)
		return fmt.Errorf("report ready: %w", err)
	}
	w.log.Info("worker ready", zap.Int("listeners", len(w.cfg.Listeners)),
		zap.Int("max_concurrency", w.cfg.Settings.Worker.Concurrency()),
		zap.Uint64("retire_after", w.track.retireAt))

	done := make(chan struct{})
	g.Go(func() error { return w.heartbeat(done, stop) })
	g.Go(func() error { w.watchSupervisor(stop); return nil })
	g.Go(func() error { w.handleSignals(sigs, done, stop); return nil })
	g.Go(func() error {
		defer close(done)
		err := w.shutdown(gctx, gs, stop)
		// Unblocks watchSupervisor; the supervisor sees our exit instead.
		w.cfg.Channel.Close()
		return err
	})
	return g.Wait()
}

// stopKind says how the worker was told to stop.
type stopKind int

const (
	stopGraceful stopKind = iota
	stopFast
)

// requestStop asks for a stop without blocking; repeated requests beyond
// the buffer are dropped (a stop is already under way).
func requestStop(stop chan<- stopKind, kind stopKind) {
	select {
	case stop <- kind:
	default:
	}
}

// shutdown waits for the first stop request and stops the server. A
// graceful stop drains in-flight requests up to the graceful timeout (see
// package graceful for why a drain is not Shutdown alone); a fast stop
// during the drain closes what is left at once.
func (w *Worker) shutdown(ctx context.Context, gs *graceful.Server, stop <-chan stopKind) error {
	var kind stopKind
	select {
	case kind = <-stop:
	case <-ctx.Done():
		kind = stopFast
	}
	if kind == stopFast {
		w.log.Info("worker stopping now", zap.Int("in_flight", w.track.inFlight()))
		return gs.Close()
	}
	timeout := w.cfg.Settings.Server.GracefulTimeout
	w.log.Info("worker draining", zap.Int("in_flight", w.track.inFlight()), zap.Duration("graceful_timeout", timeout))
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	drained := make(chan error, 1)
	go func() { drained <- gs.Drain(sctx) }()
	for {
		select {
		case err := <-drained:
			if err != nil {
				w.log.Warn("drain cut short; connections closed", zap.Int("in_flight", w.track.inFlight()), zap.Error(err))
			}
			return nil
		case kind := <-stop:
			if kind == stopFast {
				cancel()
			}
		}
	}
}

// watchSupervisor reads the channel until it fails: EOF means the
// supervisor is gone, so drain and exit rather than serve orphaned.
func (w *Worker) watchSupervisor(stop chan<- stopKind) {
	for {
		m, err := proto.Decode(w.cfg.Channel)
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				w.log.Warn("supervisor channel closed; draining", zap.Error(err))
				requestStop(stop, stopGraceful)
			}
			return
		}
		w.log.Debug("ignoring message from supervisor", zap.Uint8("kind", uint8(m.Kind())))
	}
}
