package worker

import (
	"context"
	"net"
	"net/http"
	"sync"

	"golang.org/x/sync/semaphore"
)

// limiter bounds the requests one worker handles at once
// (--max-concurrency; 1 for the sync class). A worker at its bound also
// stops accepting, so the shared socket hands new connections to the
// other workers instead of queueing them behind a busy one.
//
// A bounded worker reads each request's body before the request takes a
// slot (bodyBuffer), so a slow upload cannot hold one; an unbounded worker
// has no slot to protect and leaves bodies to the handler.
type limiter struct {
	sem    *semaphore.Weighted // nil: unbounded
	buffer *bodyBuffer         // nil when sem is
}

func newLimiter(n int) *limiter {
	if n <= 0 {
		return &limiter{}
	}
	return &limiter{sem: semaphore.NewWeighted(int64(n)), buffer: newBodyBuffer(bufferBudget, bufferChunk)}
}

func (l *limiter) wrap(next http.Handler) http.Handler {
	if l.sem == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, release := l.buffer.read(r)
		defer release()
		if err := l.sem.Acquire(r.Context(), 1); err != nil {
			return // the client went away while waiting
		}
		defer l.sem.Release(1)
		next.ServeHTTP(w, r)
	})
}

// gate wraps ln so Accept waits until the worker has room for a request.
func (l *limiter) gate(ln net.Listener) net.Listener {
	if l.sem == nil {
		return ln
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &gatedListener{Listener: ln, sem: l.sem, ctx: ctx, cancel: cancel}
}

type gatedListener struct {
	net.Listener
	sem    *semaphore.Weighted
	ctx    context.Context
	cancel context.CancelFunc
	once   sync.Once
}

// Accept waits for a free slot (without taking it), then accepts.
func (g *gatedListener) Accept() (net.Conn, error) {
	if err := g.sem.Acquire(g.ctx, 1); err != nil {
		return nil, net.ErrClosed
	}
	g.sem.Release(1)
	return g.Listener.Accept()
}

// Close stops a waiting Accept and closes the listener.
func (g *gatedListener) Close() error {
	g.once.Do(g.cancel)
	return g.Listener.Close()
}
