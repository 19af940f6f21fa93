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
	// CloseKeepAlives disables keep-alives as a drain begins: idle
	// connections close at once, busy ones after their answer, and the
	// drain waits for every connection to be answered before Shutdown (a
	// worker's drain). Off, keep-alive connections are left to Shutdown
	// and the drain waits only for accepted connections to bring their
	// first request to the handler (the development server's).
	CloseKeepAlives bool
	// AcceptedWait bounds the drain's wait for accepted connections, a
	// client that connects and sends nothing is not waited for longer;
	// zero waits as long as the drain's context allows.
	AcceptedWait time.Duration
	// ShutdownTimeout bounds Shutdown after that wait; zero leaves it to
	// the drain's context.
	ShutdownTimeout time.Duration
}

// Server serves a Config's listeners.
type Server struct {
	cfg     Config
	log     *zap.Logger
	tracker *connTracker
	wrapped []*closeOnce
	// stopping is set once the server closes its listeners itself.
	stopping atomic.Bool
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
	srv.Handler = s.tracker.wrap(srv.Handler)
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
// Config.CloseKeepAlives), then shuts down, which waits for their answers.
// If ctx ends (or ShutdownTimeout passes) first, it closes every
// connection at once and returns an error wrapping ErrCutShort and the
// cause.
func (s *Server) Drain(ctx context.Context) error {
	s.stopping.Store(true)
	for _, l := range s.wrapped {
		if err := l.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			s.log.Warn("close listener", zap.Stringer("address", l.Addr()), zap.Error(err))
		}
	}
	// Once every Serve has returned, every connection accepted is known.
	s.serving.Wait()
	if s.cfg.CloseKeepAlives {
		s.cfg.Server.SetKeepAlivesEnabled(false)
	}
	if err := s.tracker.wait(ctx, s.cfg.AcceptedWait, s.cfg.CloseKeepAlives); err != nil {
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
