package worker

import (
	"net"
	"net/http"
	"sync"
)

// conns tracks the connections on which a request may be arriving or in
// progress (http.StateNew and StateActive), so a drain can wait for them.
//
// It exists because http.Server.Shutdown drops a request that is read
// after shutdown began, even on a connection accepted before it: the
// client gets EOF on a fresh connection, which it cannot safely retry. A
// worker drains instead by closing its listeners, disabling keep-alives
// and waiting for these connections to go quiet; only then does it call
// Shutdown, which has nothing left to drop.
type conns struct {
	mu    sync.Mutex
	busy  map[net.Conn]struct{}
	quiet chan struct{} // closed when busy empties, while someone waits
}

func newConns() *conns {
	return &conns{busy: make(map[net.Conn]struct{})}
}

// track is the http.Server.ConnState hook.
func (c *conns) track(conn net.Conn, st http.ConnState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch st {
	case http.StateNew, http.StateActive:
		c.busy[conn] = struct{}{}
	default:
		delete(c.busy, conn)
	}
	if len(c.busy) == 0 && c.quiet != nil {
		close(c.quiet)
		c.quiet = nil
	}
}

// quieted returns a channel that closes once no connection is busy.
func (c *conns) quieted() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan struct{})
	if len(c.busy) == 0 {
		close(ch)
		return ch
	}
	if c.quiet == nil {
		c.quiet = make(chan struct{})
	}
	return c.quiet
}
