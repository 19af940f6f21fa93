package graceful

import (
	"context"
	"net"
	"net/http"
	"sync"
	"time"
)

// phase is where a connection is, as far as a drain cares.
type phase int

const (
	// fresh: accepted, its first request has not reached the handler.
	// Shutdown would close it unanswered.
	fresh phase = iota
	// active: a request is being read or answered.
	active
	// idle: between requests on a keep-alive connection.
	idle
)

// connTracker tracks the server's connections by phase so a drain can wait for
// the ones it must not drop.
type connTracker struct {
	mu    sync.Mutex
	phase map[net.Conn]phase
	// changed is closed and replaced whenever a connection leaves the
	// fresh or active phase.
	changed chan struct{}
}

func newConnTracker() *connTracker {
	return &connTracker{phase: make(map[net.Conn]phase), changed: make(chan struct{})}
}

// connKey is the context key of the request's connection.
type connKey struct{}

// connContext records the connection in its requests' context
// (http.Server.ConnContext).
func (c *connTracker) connContext(ctx context.Context, conn net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, conn)
}

// connState follows the server's connection states
// (http.Server.ConnState). A fresh connection stays fresh while its first
// request is read: it is past Shutdown's reach only in the handler.
func (c *connTracker) connState(conn net.Conn, st http.ConnState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch st {
	case http.StateNew:
		c.phase[conn] = fresh
	case http.StateActive:
		if p, ok := c.phase[conn]; !ok || p != fresh {
			c.phase[conn] = active
		}
	case http.StateIdle:
		c.set(conn, idle)
	default: // closed, hijacked
		if _, ok := c.phase[conn]; ok {
			delete(c.phase, conn)
			c.signal()
		}
	}
}

// wrap moves a connection out of fresh once its request reaches the
// handler.
func (c *connTracker) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if conn, ok := r.Context().Value(connKey{}).(net.Conn); ok {
			c.mu.Lock()
			if c.phase[conn] == fresh {
				c.set(conn, active)
			}
			c.mu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
}

// set moves a tracked connection to p; c.mu is held.
func (c *connTracker) set(conn net.Conn, p phase) {
	if old, ok := c.phase[conn]; ok && old != p {
		c.phase[conn] = p
		c.signal()
	}
}

// signal wakes the waiters; c.mu is held.
func (c *connTracker) signal() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// waiting counts the connections a drain waits for: the fresh ones, and
// with answered the active ones too.
func (c *connTracker) waiting(answered bool) (int, <-chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, p := range c.phase {
		if p == fresh || (answered && p == active) {
			n++
		}
	}
	return n, c.changed
}

// wait returns nil once no connection is waited for (see waiting) or
// limit (when positive) has passed, and ctx's error if it ends first.
func (c *connTracker) wait(ctx context.Context, limit time.Duration, answered bool) error {
	var expired <-chan time.Time
	if limit > 0 {
		timer := time.NewTimer(limit)
		defer timer.Stop()
		expired = timer.C
	}
	for {
		n, changed := c.waiting(answered)
		if n == 0 {
			return nil
		}
		select {
		case <-changed:
		case <-expired:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
