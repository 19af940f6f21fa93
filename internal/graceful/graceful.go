package graceful

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"
)

// Listener is one socket to serve.
type Listener struct {
	net.Listener
	// TLS serves the socket with ServeTLS: HTTP/2 and HTTP/1.1 over TLS,
	// with the certificates of the server's TLSConfig.
	TLS bool
}

// Config is what to serve and how to drain it.
type Config struct {
	// Server is the server to run. New takes over its ConnState and
	// ConnContext hooks (calling any already set) and wraps its Handler.
	Server *http.Server
	// Listeners are the sockets to serve.
	Listeners []Listener
	// KeepAliveSafe makes the drain close no connection a request may be
	// racing, for keep-alive clients and proxies' upstream pools (a
	// worker's drain). From the drain on, every HTTP/1 response carries
	// "Connection: close" and its connection closes after it; an idle
	// keep-alive connection (or one silent since accepted) is closed only
	// once it has been so for Linger, so a client that keeps idle connections for less (nginx's
	// keepalive_timeout) drops it first or sends a request that is
	// answered with "Connection: close"; HTTP/2 connections get GOAWAY
	// (Shutdown) once no HTTP/1 connection is left, and finish their
	// streams.
	//
	// Off, keep-alive connections are left to Shutdown, which closes the
	// idle ones at once, and the drain waits only for accepted
	// connections to bring their first request to the handler (the
	// development server's: browsers retry).
	KeepAliveSafe bool
	// Linger is how long a keep-alive-safe drain leaves an idle
	// connection open; zero takes the server's IdleTimeout, else its
	// ReadTimeout (as net/http does for idle connections), else
	// DefaultLinger.
	Linger time.Duration
	// AcceptedWait bounds the drain's wait for accepted connections, a
	// client that connects and sends nothing is not waited for longer;
	// zero waits as long as the drain's context allows.
	AcceptedWait time.Duration
	// ShutdownTimeout bounds Shutdown after that wait; zero leaves it to
	// the drain's context.
	ShutdownTimeout time.Duration
}

// DefaultLinger is the linger of a server with neither an IdleTimeout nor
// a ReadTimeout: drover's --keep-alive default.
const DefaultLinger = 5 * time.Second

// lingerTick is how often a keep-alive-safe drain looks for connections
// that lingered long enough.
const lingerTick = 50 * time.Millisecond

// Server serves a Config's listeners.
type Server struct {
	cfg     Config
	log     *zap.Logger
	tracker *connTracker
	wrapped []*closeOnce
	// stopping is set once the server closes its listeners itself.
	stopping atomic.Bool
	// draining is set when a keep-alive-safe drain begins: responses
	// written from then on carry "Connection: close".
	draining atomic.Bool
	// serving counts the Serve calls still running.
	serving sync.WaitGroup
}

// New prepares cfg.Server to be served and drained.
func New(cfg Config, log *zap.Logger) (*Server, error) {
	if cfg.Server == nil {
		return nil, errors.New("graceful: no server")
	}
	if len(cfg.Listeners) == 0 {
		return nil, errors.New("graceful: no listeners")
	}
	s := &Server{cfg: cfg, log: log, tracker: newConnTracker()}
	srv := cfg.Server
	h := srv.Handler
	if h == nil {
		h = http.DefaultServeMux
	}
	if cfg.KeepAliveSafe {
		h = s.closeWhenDraining(h)
	}
	srv.Handler = s.tracker.wrap(h)
	prevState, prevContext := srv.ConnState, srv.ConnContext
	srv.ConnState = func(c net.Conn, st http.ConnState) {
		s.tracker.connState(c, st)
		if prevState != nil {
			prevState(c, st)
		}
	}
	srv.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		if prevContext != nil {
			ctx = prevContext(ctx, c)
		}
		return s.tracker.connContext(ctx, c)
	}
	for _, l := range cfg.Listeners {
		s.wrapped = append(s.wrapped, &closeOnce{Listener: l.Listener})
	}
	return s, nil
}

// Go serves every listener, each in a goroutine of g. A goroutine returns
// nil once Drain or Close stopped the server, else the error serving.
func (s *Server) Go(g *errgroup.Group) {
	for i, l := range s.wrapped {
		useTLS := s.cfg.Listeners[i].TLS
		s.serving.Add(1)
		g.Go(func() error {
			defer s.serving.Done()
			var err error
			if useTLS {
				err = s.cfg.Server.ServeTLS(l, "", "")
			} else {
				err = s.cfg.Server.Serve(l)
			}
			if s.stopped(err) {
				return nil
			}
			return fmt.Errorf("serve %s: %w", l.Addr(), err)
		})
	}
}

// stopped reports whether a Serve error is only the server being stopped:
// Shutdown or Close, or the listeners Drain closed.
func (s *Server) stopped(err error) bool {
	return errors.Is(err, http.ErrServerClosed) || (s.stopping.Load() && errors.Is(err, net.ErrClosed))
}

// ErrCutShort is wrapped by Drain's error when its context ended, or
// Shutdown's timeout passed, before every connection was answered.
var ErrCutShort = errors.New("drain cut short")

// Drain stops without dropping a connection it accepted: it stops
// accepting, lets the connections already accepted reach the handler (see
// Config.KeepAliveSafe for keep-alive connections), then shuts down,
// which waits for their answers. If ctx ends (or ShutdownTimeout passes)
// first, it closes every connection at once and returns an error
// wrapping ErrCutShort and the cause.
func (s *Server) Drain(ctx context.Context) error {
	s.stopping.Store(true)
	if s.cfg.KeepAliveSafe {
		s.draining.Store(true)
	}
	for _, l := range s.wrapped {
		if err := l.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			s.log.Warn("close listener", zap.Stringer("address", l.Addr()), zap.Error(err))
		}
	}
	// Once every Serve has returned, every connection accepted is known.
	s.serving.Wait()
	if s.cfg.KeepAliveSafe {
		if err := s.lingerOut(ctx); err != nil {
			return s.cut(err)
		}
	} else if err := s.tracker.wait(ctx, s.cfg.AcceptedWait, false); err != nil {
		return s.cut(err)
	}
	sctx := ctx
	if s.cfg.ShutdownTimeout > 0 {
		var cancel context.CancelFunc
		sctx, cancel = context.WithTimeout(ctx, s.cfg.ShutdownTimeout)
		defer cancel()
	}
	if err := s.cfg.Server.Shutdown(sctx); err != nil {
		return s.cut(err)
	}
	return nil
}

// lingerOut waits until no HTTP/1 connection is left: each closes after
// its next response, or once it has been idle for the linger.
func (s *Server) lingerOut(ctx context.Context) error {
	linger := s.linger()
	tick := time.NewTicker(lingerTick)
	defer tick.Stop()
	for {
		n, changed := s.tracker.http1(linger)
		if n == 0 {
			return nil
		}
		select {
		case <-changed:
		case <-tick.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// linger is Config.Linger, or what it defaults to.
func (s *Server) linger() time.Duration {
	switch srv := s.cfg.Server; {
	case s.cfg.Linger > 0:
		return s.cfg.Linger
	case srv.IdleTimeout > 0:
		return srv.IdleTimeout
	case srv.ReadTimeout > 0:
		return srv.ReadTimeout
	}
	return DefaultLinger
}

// closeWhenDraining makes every HTTP/1 response whose header is written
// once a drain began carry "Connection: close", after which net/http
// closes its connection: the client knows not to send on it again.
func (s *Server) closeWhenDraining(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor != 1 {
			next.ServeHTTP(w, r)
			return
		}
		if s.draining.Load() {
			w.Header().Set("Connection", "close")
			next.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(&closingWriter{ResponseWriter: w, draining: &s.draining}, r)
	})
}

// cut closes what a drain left and says why.
func (s *Server) cut(why error) error {
	if err := s.Close(); err != nil {
		return fmt.Errorf("%w: %w (close: %w)", ErrCutShort, why, err)
	}
	return fmt.Errorf("%w: %w", ErrCutShort, why)
}

// Close stops at once: listeners and every connection closed.
func (s *Server) Close() error {
	s.stopping.Store(true)
	if err := s.cfg.Server.Close(); err != nil {
		return fmt.Errorf("close server: %w", err)
	}
	return nil
}

// closeOnce is a listener Drain closes before Shutdown does; the second
// Close is a no-op.
type closeOnce struct {
	net.Listener
	once sync.Once
	err  error
}

func (l *closeOnce) Close() error {
	l.once.Do(func() { l.err = l.Listener.Close() })
	return l.err
}
