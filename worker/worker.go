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
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/drover/drover/app"
	"github.com/drover/drover/internal/graceful"
	"github.com/drover/drover/internal/proto"
	"github.com/drover/drover/internal/sockets"
)

// Options is what a worker needs to run: who it is, what the supervisor
// passed it, the application, and how to serve it, in the worker's own
// terms. The caller maps its settings onto it (cli does, from the
// configuration the supervisor sent). A zero value means what its field's
// comment says; nothing is filled in behind the caller's back.
type Options struct {
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

	// Chain configures the handler chain around Handler: request limits,
	// trusted proxies, the access log. The worker sets Chain.Generation
	// to Generation. Its trusted proxies are also the peers that may send
	// a PROXY header (ProxyProtocol).
	Chain app.Config
	// Timeouts bound the phases of a connection.
	Timeouts Timeouts
	// CloseAfterResponse closes every connection after its response, as
	// Gunicorn's sync worker does (--worker-class sync, or --keep-alive 0);
	// false keeps connections alive for Timeouts.Idle (whose zero, in
	// net/http, would mean Timeouts.Read instead: not "off").
	CloseAfterResponse bool
	// MaxConcurrency bounds the requests the worker handles at once
	// (--max-concurrency; 1 for the sync class); 0 means unbounded.
	MaxConcurrency int
	// MaxRequests is how many requests the worker serves before it reports
	// Retiring, plus a random share of up to MaxRequestsJitter more, so
	// that workers do not all retire at once; 0 means never.
	MaxRequests, MaxRequestsJitter int
	// MaxRSS, when positive, is the resident set size in bytes over which
	// the worker reports Retiring, as after MaxRequests (--max-rss,
	// uWSGI's reload-on-rss). It is checked at every heartbeat, from the
	// RSS the heartbeat reports.
	MaxRSS uint64
	// RequestTimeout, when positive, bounds each request in the
	// application (--request-timeout): past it the client gets 504, the
	// request's stack is logged and the worker reports Retiring. Zero
	// means none.
	RequestTimeout time.Duration
	// HeartbeatTimeout is the supervisor's liveness timeout (--timeout):
	// the worker reports four times within it, at most once a second.
	// Zero means once a second.
	HeartbeatTimeout time.Duration
	// GracefulTimeout bounds a drain (TERM, or the supervisor gone): how
	// long requests in flight may take before their connections are
	// closed. Zero gives them no time.
	GracefulTimeout time.Duration
	// ProxyProtocol reads a PROXY protocol header at the start of each
	// connection from a trusted peer (--proxy-protocol); see Chain.
	ProxyProtocol bool
	// Certificate, when set, is served over TLS on the application's
	// listeners (--certfile/--keyfile, read by the caller).
	Certificate *tls.Certificate
	// AutoTLS, when set, serves TLS with certificates obtained and renewed
	// through ACME (--tls-auto). At most one of Certificate and AutoTLS
	// may be set.
	AutoTLS *AutoTLS
	// Metrics, when set, counts the requests the chain serves (the worker
	// sets Chain.Observer to it) and is sent to the supervisor in each
	// heartbeat, and once more after a drain; nil counts nothing. Set it
	// when the supervisor asks (proto.Config.Metrics).
	Metrics *Metrics
}

// Timeouts bound the phases of a connection, as the http.Server fields
// of the same names do; zero means none.
type Timeouts struct {
	// ReadHeader bounds reading a request's headers. It also bounds the
	// wait for a PROXY header (ProxyProtocol); when it is 0 Read does, and
	// when both are, go-proxyproto's default.
	ReadHeader time.Duration
	// Read bounds reading a whole request, body included.
	Read time.Duration
	// Write bounds writing a response.
	Write time.Duration
	// Idle is how long an idle keep-alive connection is kept open; 0 is
	// Read.
	Idle time.Duration
}

// Worker is one worker process's server.
type Worker struct {
	opts    Options
	log     *zap.Logger
	srv     *http.Server
	track   *tracker
	limiter *limiter
	// served are the application's listeners.
	served []net.Listener
	// https is set when the worker serves TLS (Certificate or AutoTLS).
	https bool
	// plain is --http-redirect's listener, served as plain HTTP beside
	// HTTPS; empty when not set.
	plain []net.Listener
	// timedOut receives a request's timeout (RequestTimeout), for the
	// heartbeat to report the worker retiring.
	timedOut chan struct{}
	// stopping is set once the supervisor said it is stopping
	// (proto.Stopping): /healthz answers 503 from then on.
	stopping atomic.Bool
	// now is the clock; a test seam.
	now func() time.Time
}

// New builds a worker; Run starts it.
func New(opts Options, log *zap.Logger) (*Worker, error) {
	switch {
	case opts.Channel == nil:
		return nil, errors.New("worker: no channel to the supervisor")
	case len(opts.Listeners) == 0:
		return nil, errors.New("worker: no listeners")
	case opts.Handler == nil:
		return nil, errors.New("worker: no handler")
	case opts.Certificate != nil && opts.AutoTLS != nil:
		return nil, errors.New("worker: both a certificate and AutoTLS")
	case opts.AutoTLS != nil && len(opts.AutoTLS.Domains) == 0:
		return nil, errors.New("worker: AutoTLS without domains")
	}
	w := &Worker{opts: opts, log: log, now: time.Now, timedOut: make(chan struct{}, 1)}
	w.track = newTracker(retireAfter(opts.MaxRequests, opts.MaxRequestsJitter), w.now)
	w.limiter = newLimiter(opts.MaxConcurrency)

	// The served sockets, and --http-redirect's, found by their roles.
	served, plain := sockets.Select(opts.Listeners, sockets.RoleApp), sockets.Select(opts.Listeners, sockets.RoleRedirect)
	if len(served) == 0 {
		return nil, errors.New("worker: no application listener, only --http-redirect's")
	}
	w.served, w.plain = served, plain

	var tlsConfig *tls.Config
	var challenge func(http.ResponseWriter, *http.Request) bool
	if opts.Certificate != nil {
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{*opts.Certificate}, MinVersion: tls.VersionTLS12}
	}
	var auto *autoTLS
	if opts.AutoTLS != nil {
		var err error
		if auto, err = newAutoTLS(*opts.AutoTLS, served, plain, log); err != nil {
			return nil, err
		}
		tlsConfig, challenge = auto.tlsConfig(), auto.httpChallenge
	}
	w.https = tlsConfig != nil

	timeout := &requestTimeout{limit: opts.RequestTimeout, log: log, now: w.now, expired: w.requestTimedOut}
	inner := w.track.wrap(w.limiter.wrap(timeout.wrap(opts.Handler)))
	if w.https && len(plain) > 0 {
		inner = redirectToHTTPS(inner, challenge, httpsPort(served))
	}
	chainCfg := opts.Chain
	chainCfg.Generation = opts.Generation
	chainCfg.Healthy = w.healthy(opts.Chain.Healthy)
	if opts.Metrics != nil {
		chainCfg.Observer = opts.Metrics
	}
	handler := app.Chain(chainCfg, log, opts.Access, inner)
	w.srv = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: opts.Timeouts.ReadHeader,
		ReadTimeout:       opts.Timeouts.Read,
		WriteTimeout:      opts.Timeouts.Write,
		IdleTimeout:       opts.Timeouts.Idle,
		MaxHeaderBytes:    app.MaxHeaderBytes(chainCfg),
		ErrorLog:          zap.NewStdLog(log.Named("http")),
		TLSConfig:         tlsConfig,
	}
	if auto != nil {
		w.srv.RegisterOnShutdown(auto.stop)
	}
	if opts.CloseAfterResponse {
		w.srv.SetKeepAlivesEnabled(false)
	}
	return w, nil
}

// healthy is the chain's /healthz check: the caller's, if any, and false
// once the supervisor is stopping.
func (w *Worker) healthy(also func() bool) func() bool {
	return func() bool {
		return !w.stopping.Load() && (also == nil || also())
	}
}

// requestTimedOut tells the heartbeat a request timed out, without
// blocking the timer: one is enough to retire.
func (w *Worker) requestTimedOut() {
	select {
	case w.timedOut <- struct{}{}:
	default:
	}
}

// retireAfter is this worker's share of max requests, jitter included;
// 0 means never.
func retireAfter(maxRequests, jitter int) uint64 {
	if maxRequests <= 0 {
		return 0
	}
	return uint64(maxRequests + rand.IntN(max(jitter, 0)+1))
}

// Run serves until a signal, the supervisor's death or ctx ends it. It
// reports Ready once every listener is being served, then heartbeats.
// TERM and a lost supervisor drain gracefully; INT and QUIT stop at once.
func (w *Worker) Run(ctx context.Context) error {
	stop := make(chan stopKind, 4)
	g, gctx := errgroup.WithContext(ctx)

	pp := newProxyProtocol(w.opts, w.log)
	var listeners []graceful.Listener
	for _, l := range w.served {
		// Not srv.TLSConfig != nil: Serve itself sets one up for HTTP/2.
		listeners = append(listeners, graceful.Listener{Listener: w.limiter.gate(pp.wrap(l)), TLS: w.https})
	}
	for _, l := range w.plain {
		listeners = append(listeners, graceful.Listener{Listener: w.limiter.gate(pp.wrap(l))})
	}
	gs, err := graceful.New(graceful.Config{Server: w.srv, Listeners: listeners, KeepAliveSafe: true}, w.log)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	gs.Go(g)
	sigs := notifySignals()
	if err := proto.Encode(w.opts.Channel, proto.Ready{PID: os.Getpid()}); err != nil {
		signal.Stop(sigs)
		return fmt.Errorf("report ready: %w", err)
	}
	// The supervisor logs "worker ready" (with the boot time) when this
	// arrives; the worker's own line, with its limits, is for debugging.
	w.log.Debug("worker serving", zap.Int("listeners", len(w.opts.Listeners)),
		zap.Int("max_concurrency", w.opts.MaxConcurrency),
		zap.Uint64("retire_after", w.track.retireAt), zap.Uint64("max_rss", w.opts.MaxRSS),
		zap.Duration("request_timeout_s", w.opts.RequestTimeout))

	done := make(chan struct{})
	g.Go(func() error { return w.heartbeat(done, stop) })
	g.Go(func() error { w.watchSupervisor(stop); return nil })
	g.Go(func() error { w.handleSignals(sigs, done, stop); return nil })
	g.Go(func() error {
		defer close(done)
		err := w.shutdown(gctx, gs, stop)
		w.lastReport()
		// Unblocks watchSupervisor; the supervisor sees our exit instead.
		w.opts.Channel.Close()
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
	timeout := w.opts.GracefulTimeout
	w.log.Info("worker draining", zap.Int("in_flight", w.track.inFlight()), zap.Duration("graceful_timeout_s", timeout))
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
// Stopping makes /healthz answer 503.
func (w *Worker) watchSupervisor(stop chan<- stopKind) {
	for {
		m, err := proto.Decode(w.opts.Channel)
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				w.log.Warn("supervisor channel closed; draining", zap.Error(err))
				requestStop(stop, stopGraceful)
			}
			return
		}
		switch m := m.(type) {
		case proto.Stopping:
			// The drain comes with TERM; until then serve as before.
			if !w.stopping.Swap(true) {
				w.log.Info("supervisor stopping: /healthz answers 503 until the drain", zap.Duration("shutdown_delay_s", m.Delay))
			}
		default:
			w.log.Debug("ignoring message from supervisor", zap.Uint8("kind", uint8(m.Kind())))
		}
	}
}
