package graceful

import (
	"context"
	"crypto/tls"
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
	// idleSince is when each connection with no request under way became
	// so: accepted and silent since, or idle between requests.
	idleSince map[net.Conn]time.Time
	// proto records what a TLS connection negotiated, once known:
	// protoH2 connections are left to Shutdown's GOAWAY.
	proto map[net.Conn]connProto
	// changed is closed and replaced whenever a connection leaves the
	// fresh or active phase.
	changed chan struct{}
	now     func() time.Time
}

// connProto is what the tracker knows of a connection's protocol.
type connProto int

const (
	protoUnknown  connProto = iota
	protoChecking           // a goroutine waits for its TLS handshake
	protoHTTP1
	protoH2
)

func newConnTracker() *connTracker {
	return &connTracker{
		phase: make(map[net.Conn]phase), idleSince: make(map[net.Conn]time.Time),
		proto: make(map[net.Conn]connProto), changed: make(chan struct{}), now: time.Now,
	}
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
		c.idleSince[conn] = c.now()
	case http.StateActive:
		if p, ok := c.phase[conn]; !ok || p != fresh {
			c.phase[conn] = active
		}
		delete(c.idleSince, conn)
	case http.StateIdle:
		c.set(conn, idle)
		if _, ok := c.phase[conn]; ok {
			c.idleSince[conn] = c.now()
		}
	default: // closed, hijacked
		if _, ok := c.phase[conn]; ok {
			delete(c.phase, conn)
			delete(c.idleSince, conn)
			delete(c.proto, conn)
			c.signal()
		}
	}
}

// wrap moves a connection out of fresh once its request reaches the
// handler, and learns its protocol from the request.
func (c *connTracker) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if conn, ok := r.Context().Value(connKey{}).(net.Conn); ok {
			c.mu.Lock()
			if c.phase[conn] == fresh {
				c.set(conn, active)
			}
			if _, ok := c.phase[conn]; ok && r.ProtoMajor == 2 {
				c.proto[conn] = protoH2
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

// http1 counts the connections a keep-alive-safe drain waits for: every
// connection but HTTP/2's, whatever its phase. It first closes each idle
// connection that has been idle for linger: no request is racing it
// unless its client kept it for longer than the server said it would.
// A TLS connection's protocol is learnt from its handshake, waited for
// in a goroutine of its own (a handshake in progress holds the lock that
// tls.Conn.ConnectionState takes); until then it counts.
func (c *connTracker) http1(linger time.Duration) (int, <-chan struct{}) {
	c.mu.Lock()
	now := c.now()
	n := 0
	var lingered []net.Conn
	for conn := range c.phase {
		if c.proto[conn] == protoH2 {
			continue
		}
		if since, ok := c.idleSince[conn]; ok && now.Sub(since) >= linger {
			lingered = append(lingered, conn)
			continue
		}
		if c.proto[conn] == protoUnknown {
			if tc, ok := conn.(*tls.Conn); ok {
				c.proto[conn] = protoChecking
				go c.learnProto(tc)
			} else {
				c.proto[conn] = protoHTTP1
			}
		}
		n++
	}
	changed := c.changed
	c.mu.Unlock()
	// Closed outside the lock: a TLS close writes its close_notify. Its
	// serving goroutine then reports it closed, which wakes the drain.
	for _, conn := range lingered {
		conn.Close()
	}
	return n + len(lingered), changed
}

// learnProto records what the TLS connection negotiated once its
// handshake ends (a failed one ends the connection too).
func (c *connTracker) learnProto(tc *tls.Conn) {
	cs := tc.ConnectionState()
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.phase[tc]; !ok {
		return
	}
	switch {
	case cs.HandshakeComplete && cs.NegotiatedProtocol == "h2":
		c.proto[tc] = protoH2
		c.signal()
	case cs.HandshakeComplete:
		c.proto[tc] = protoHTTP1
	default:
		c.proto[tc] = protoUnknown // not begun yet: asked again next time
	}
}
