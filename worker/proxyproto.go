package worker

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/pires/go-proxyproto"
	"go.uber.org/zap"

	"github.com/drover/drover/app"
)

// refusalInterval is the least time between two warnings about refused
// PROXY headers; the refusals in between are counted in the next one.
const refusalInterval = time.Second

// errNoHeaderInTime ends a connection that sent neither a PROXY header nor
// a request within the read-header timeout.
var errNoHeaderInTime = errors.New("proxy protocol: nothing received within the read-header timeout")

// proxyProtocol reads the PROXY protocol (v1 or v2) header a proxy sends
// at the start of a connection (--proxy-protocol), with
// github.com/pires/go-proxyproto.
//
// A trusted peer (app.TrustedProxies, the rule the handler chain applies
// to X-Forwarded-For: in --forwarded-allow-ips, or on a unix socket) may
// send one; the connection's RemoteAddr is then the header's source address, which the
// handler chain and the access log take as the peer. A trusted peer that
// sends no header is served as itself (the library's USE policy, not
// REQUIRE): such a peer is already believed about the client through
// X-Forwarded-For, so an optional header grants it nothing more, and a
// local health check or an HTTP proxy sharing the port keeps working. Any
// other peer that sends a header is refused (REJECT): the connection is
// closed and a warning names the peer, at most one a second. A malformed
// or truncated header is refused the same way. A connection that sends
// nothing within the read-header timeout is closed quietly, as
// http.Server would close it.
type proxyProtocol struct {
	trust   app.TrustedProxies
	timeout time.Duration
	refused *refusals
}

// newProxyProtocol returns nil when o.ProxyProtocol is off. The trusted
// peers are the chain's (o.Chain), so the PROXY header and X-Forwarded-For
// are believed from the same peers.
func newProxyProtocol(o Options, log *zap.Logger) *proxyProtocol {
	if !o.ProxyProtocol {
		return nil
	}
	timeout := o.Timeouts.ReadHeader
	if timeout <= 0 {
		timeout = o.Timeouts.Read
	}
	if timeout <= 0 {
		timeout = proxyproto.DefaultReadHeaderTimeout
	}
	return &proxyProtocol{
		trust:   app.NewTrustedProxies(o.Chain.ForwardedAllowIPs, o.Chain.TrustAllProxies),
		timeout: timeout,
		refused: &refusals{log: log.Named("proxy_protocol"), interval: refusalInterval, now: time.Now},
	}
}

// wrap returns a listener whose connections are read through p; l itself
// when p is nil.
func (p *proxyProtocol) wrap(l net.Listener) net.Listener {
	if p == nil {
		return l
	}
	return &proxyListener{Listener: l, p: p}
}

// proxyListener hands out connections that read a PROXY header first.
type proxyListener struct {
	net.Listener
	p *proxyProtocol
}

// Accept accepts a connection; its PROXY header is read by its first use,
// in the connection's own goroutine, so a slow peer never holds up Accept.
func (l *proxyListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return l.p.conn(c), nil
}

// conn wraps c, deciding from its peer whether it may send a header.
func (p *proxyProtocol) conn(c net.Conn) *proxyConn {
	policy := proxyproto.REJECT
	if p.trust.Trusts(c.RemoteAddr()) {
		policy = proxyproto.USE
	}
	return &proxyConn{
		Conn: proxyproto.NewConn(c, proxyproto.WithPolicy(policy), proxyproto.SetReadHeaderTimeout(p.timeout)),
		p:    p,
		peer: c.RemoteAddr(),
	}
}

// proxyConn is a connection whose PROXY header, if any, is read before
// anything else: its first Read, Write, RemoteAddr or LocalAddr reads it,
// and a refused header closes the connection.
type proxyConn struct {
	*proxyproto.Conn
	p    *proxyProtocol
	peer net.Addr // the socket's peer, the proxy when there is a header
	once sync.Once
	err  error // why the connection was refused, for every later call
}

// header reads the PROXY header once. A zero-length Read runs the
// library's header processing and returns its error without consuming
// data (on a socket a zero-length read returns at once).
func (c *proxyConn) header() error {
	c.once.Do(func() {
		start := time.Now()
		_, err := c.Conn.Read(nil)
		switch {
		case err == nil && c.Conn.ProxyHeader() == nil && time.Since(start) >= c.p.timeout:
			// Under USE a header read that timed out counts as "no
			// header"; do not give the peer a second timeout to send a
			// request.
			c.err = errNoHeaderInTime
		case err == nil:
			return
		case isReadFailure(err):
			c.err = err // reset or closed before any header: nothing to report
		default:
			c.err = fmt.Errorf("proxy protocol header refused: %w", err)
			c.p.refused.report(c.peer, err)
		}
		c.Conn.Close()
	})
	return c.err
}

// isReadFailure reports whether err is the socket's own error rather than
// the library's verdict on a header: those are sentinel errors of
// package proxyproto or wrap one.
func isReadFailure(err error) bool {
	_, ok := err.(*net.OpError)
	return ok
}

// Read reads the header first, then data.
func (c *proxyConn) Read(b []byte) (int, error) {
	if err := c.header(); err != nil {
		return 0, err
	}
	return c.Conn.Read(b)
}

// Write reads the header first, then writes.
func (c *proxyConn) Write(b []byte) (int, error) {
	if err := c.header(); err != nil {
		return 0, err
	}
	return c.Conn.Write(b)
}

// RemoteAddr is the client the PROXY header names, else the peer.
func (c *proxyConn) RemoteAddr() net.Addr {
	if c.header() != nil {
		return c.peer
	}
	return c.Conn.RemoteAddr()
}

// LocalAddr is the address the PROXY header names, else the socket's.
func (c *proxyConn) LocalAddr() net.Addr {
	_ = c.header()
	return c.Conn.LocalAddr()
}

// CloseWrite half-closes the socket, as http.Server does before closing a
// connection whose request body it did not read.
func (c *proxyConn) CloseWrite() error {
	if cw, ok := c.Conn.Raw().(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// refusals logs refused PROXY headers, at most one warning per interval;
// each warning counts the refusals left out since the previous one.
type refusals struct {
	log      *zap.Logger
	interval time.Duration
	now      func() time.Time

	mu         sync.Mutex
	next       time.Time // no warning before this
	suppressed int
}

// report logs (or counts) one refused header from peer.
func (r *refusals) report(peer net.Addr, err error) {
	r.mu.Lock()
	now := r.now()
	if now.Before(r.next) {
		r.suppressed++
		r.mu.Unlock()
		return
	}
	r.next = now.Add(r.interval)
	suppressed := r.suppressed
	r.suppressed = 0
	r.mu.Unlock()

	msg := "refused a malformed PROXY protocol header"
	if errors.Is(err, proxyproto.ErrSuperfluousProxyHeader) {
		msg = "refused a PROXY protocol header from a peer not in --forwarded-allow-ips"
	}
	r.log.Warn(msg, zap.Stringer("peer", peer), zap.Error(err), zap.Int("suppressed", suppressed))
}
