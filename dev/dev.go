package dev

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/drover/drover/app"
	"github.com/drover/drover/internal/exitcode"
	"github.com/drover/drover/internal/sockets"
)

// stopTimeout bounds how long Ctrl-C waits for the request in progress.
const stopTimeout = 3 * time.Second

// Options configures the development server. Package dev takes no
// configuration type of drover's own: cli maps the resolved settings onto
// these fields.
type Options struct {
	// Name is the program's name in the banner and on the error pages
	// ("notes dev", "run notes serve"); "" means "drover".
	Name string
	// Bind lists the addresses to listen on ("HOST:PORT" or "unix:PATH"),
	// unless Listeners is set.
	Bind []string
	// Chain configures the handler chain (limits, trusted proxies, access
	// log format); dev turns its debug error pages on.
	Chain app.Config
	// ReadHeaderTimeout bounds a request's headers; IdleTimeout an idle
	// keep-alive connection. Zero means none, as in net/http.
	ReadHeaderTimeout, IdleTimeout time.Duration
	// CloseAfterResponse closes every connection after its response
	// (--keep-alive 0).
	CloseAfterResponse bool
	// Handler is the application.
	Handler http.Handler
	// Access is the access logger, nil for none.
	Access *zap.Logger
	// Banner receives the development-only banner; nil for none.
	Banner io.Writer
	// Listeners, when set, are served instead of binding Bind: the
	// sockets a reload watcher passed down (dev/reload).
	Listeners []net.Listener
	// FailureFile, when set, names a file that, while it exists, holds a
	// Failure to answer every request with instead of the application:
	// a failed rebuild under --reload.
	FailureFile string
}

// Server is the development server: one process, one request at a time.
type Server struct {
	cfg Options
	log *zap.Logger
	srv *http.Server
}

// New builds the development server.
func New(cfg Options, log *zap.Logger) (*Server, error) {
	if cfg.Handler == nil {
		return nil, errors.New("dev: no handler")
	}
	if len(cfg.Bind) == 0 && len(cfg.Listeners) == 0 {
		return nil, errors.New("dev: no address to listen on")
	}
	if cfg.Name == "" {
		cfg.Name = "drover"
	}
	chainCfg := cfg.Chain
	chainCfg.DevErrors = true
	chainCfg.DevErrorPage = panicPage(cfg.Name)
	if chainCfg.AccessLogFormat == "" || chainCfg.AccessLogFormat == app.AccessLogJSON {
		// The default is for programs; a terminal gets "GET /x 200 54µs".
		chainCfg.AccessLogFormat = app.AccessLogDev
	}
	handler := cfg.Handler
	if cfg.FailureFile != "" {
		handler = showFailure(cfg.FailureFile, cfg.Name, handler)
	}
	srv := &http.Server{
		Handler:           serial(app.Chain(chainCfg, log, cfg.Access, handler)),
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    app.MaxHeaderBytes(chainCfg),
		ErrorLog:          zap.NewStdLog(log.Named("http")),
	}
	if cfg.CloseAfterResponse {
		srv.SetKeepAlivesEnabled(false)
	}
	return &Server{cfg: cfg, log: log, srv: srv}, nil
}

// serial makes the server handle strictly one request at a time, as a
// single-threaded development server does: the contrast with serve.
func serial(next http.Handler) http.Handler {
	var mu sync.Mutex
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

// Run binds, prints the banner and serves until INT or TERM (or ctx ends).
// An address it cannot bind is an *exitcode.Error with exitcode.Config.
func (s *Server) Run(ctx context.Context) error {
	listeners := s.cfg.Listeners
	if len(listeners) == 0 {
		var err error
		if listeners, err = listen(s.cfg.Bind); err != nil {
			// As under serve: an address that cannot be bound is a
			// refusal to start.
			return exitcode.Wrap(exitcode.Config, err)
		}
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if s.cfg.Banner != nil {
		WriteBanner(s.cfg.Banner, s.cfg.Name, listeners)
	}

	stopLog := context.AfterFunc(ctx, func() { s.log.Info("stopping") })
	defer stopLog()
	return Serve(ctx, s.srv, listeners, s.log)
}

// listen binds the addresses as drover dev does: TCP or unix, with Go's
// defaults (fd:// is refused: it is for drover serve).
func listen(binds []string) ([]net.Listener, error) {
	bs, err := sockets.ListenAll(binds, sockets.Options{})
	if err != nil {
		return nil, err
	}
	out := make([]net.Listener, len(bs))
	for i, b := range bs {
		out[i] = b.Listener
	}
	return out, nil
}

// WriteBanner writes the development-only banner of the program called
// name ("" means "drover") with the addresses served.
func WriteBanner(w io.Writer, name string, listeners []net.Listener) {
	if name == "" {
		name = "drover"
	}
	urls := make([]string, len(listeners))
	for i, l := range listeners {
		if l.Addr().Network() == "unix" {
			urls[i] = "unix:" + l.Addr().String()
		} else {
			urls[i] = "http://" + l.Addr().String() + "/"
		}
	}
	fmt.Fprintf(w, `
  %[1]s dev: DEVELOPMENT SERVER. One process, one request at a time,
  stack traces shown to clients. Do not use it in production: run
  "%[1]s serve" behind nginx instead.

  Serving on %[2]s (Ctrl-C to quit)

`, name, strings.Join(urls, ", "))
}
