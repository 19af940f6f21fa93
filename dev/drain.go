package dev

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
)

// Serve serves srv on listeners until ctx ends, then stops without
// dropping a connection it accepted: it stops accepting, lets the
// connections already accepted reach the handler, and shuts down, which
// waits for their answers (up to 3s, then closes what is left). It returns
// nil after such a stop, or the first error serving. It sets srv's
// ConnState and ConnContext and wraps its Handler. A listener it was given
// is closed, but the socket lives on in any other process or descriptor
// holding it, with the connections in its backlog: the reload watcher
// swaps programs this way.
func Serve(ctx context.Context, srv *http.Server, listeners []net.Listener) error {
	fresh := newFreshConns()
	srv.Handler = fresh.wrap(srv.Handler)
	srv.ConnState = fresh.connState
	srv.ConnContext = fresh.connContext

	g, gctx := errgroup.WithContext(ctx)
	var stopping atomic.Bool
	var serving sync.WaitGroup
	wrapped := make([]*closeOnce, len(listeners))
	for i, l := range listeners {
		wl := &closeOnce{Listener: l}
		wrapped[i] = wl
		serving.Add(1)
		g.Go(func() error {
			defer serving.Done()
			err := srv.Serve(wl)
			if errors.Is(err, http.ErrServerClosed) || (stopping.Load() && errors.Is(err, net.ErrClosed)) {
				return nil
			}
			return fmt.Errorf("serve %s: %w", wl.Addr(), err)
		})
	}
	g.Go(func() error {
		<-gctx.Done()
		stopping.Store(true)
		for _, l := range wrapped {
			l.Close()
		}
		serving.Wait()
		fresh.wait(freshWait)
		sctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			return srv.Close()
		}
		return nil
	})
	return g.Wait()
}

// freshWait bounds how long a stop waits for accepted connections to send
// their first request; a client that connects and sends nothing is not
// waited for longer.
const freshWait = time.Second

// freshConns tracks the connections accepted whose first request has not
// reached the handler yet.
//
// net/http's Shutdown closes, unanswered, a connection whose request it
// reads after the shutdown began; its client sees EOF. Under --reload
// that would be a request lost at every swap, so Serve first stops
// accepting, waits for these connections to reach the handler (or close),
// and only then shuts down, which waits for them to be answered.
type freshConns struct {
	mu    sync.Mutex
	conns map[net.Conn]struct{}
	// changed is closed and replaced whenever a connection leaves.
	changed chan struct{}
}

func newFreshConns() *freshConns {
	return &freshConns{conns: make(map[net.Conn]struct{}), changed: make(chan struct{})}
}

// connKey is the context key of the request's connection.
type connKey struct{}

// connContext records the connection in its requests' context
// (http.Server.ConnContext).
func (f *freshConns) connContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// connState adds new connections and drops closed ones
// (http.Server.ConnState).
func (f *freshConns) connState(c net.Conn, st http.ConnState) {
	switch st {
	case http.StateNew:
		f.mu.Lock()
		f.conns[c] = struct{}{}
		f.mu.Unlock()
	case http.StateClosed, http.StateHijacked:
		f.leave(c)
	}
}

// wrap drops a connection once its request reaches the handler: past the
// point where Shutdown would drop it.
func (f *freshConns) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, ok := r.Context().Value(connKey{}).(net.Conn); ok {
			f.leave(c)
		}
		next.ServeHTTP(w, r)
	})
}

func (f *freshConns) leave(c net.Conn) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.conns[c]; ok {
		delete(f.conns, c)
		close(f.changed)
		f.changed = make(chan struct{})
	}
}

// wait returns once no fresh connection is left, or after timeout.
func (f *freshConns) wait(timeout time.Duration) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		f.mu.Lock()
		n, changed := len(f.conns), f.changed
		f.mu.Unlock()
		if n == 0 {
			return
		}
		select {
		case <-changed:
		case <-timer.C:
			return
		}
	}
}

// closeOnce is a listener the server closes before Shutdown does; the
// second Close is a no-op.
type closeOnce struct {
	net.Listener
	once sync.Once
	err  error
}

func (l *closeOnce) Close() error {
	l.once.Do(func() { l.err = l.Listener.Close() })
	return l.err
}
