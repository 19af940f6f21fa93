package worker

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pires/go-proxyproto"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/drover/drover/app"
	"github.com/drover/drover/internal/proto"
)

// ppOptions is ProxyProtocol with 127.0.0.1 as the only trusted proxy.
func ppOptions(readHeaderTimeout time.Duration) Options {
	return Options{
		ProxyProtocol: true,
		Chain:         app.Config{ForwardedAllowIPs: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}},
		Timeouts:      Timeouts{ReadHeader: readHeaderTimeout, Read: 60 * time.Second},
	}
}

// servePP serves ln through newProxyProtocol(o) with a handler that
// answers r.RemoteAddr, and returns the warnings it logs.
func servePP(t *testing.T, ln net.Listener, o Options) *observer.ObservedLogs {
	t.Helper()
	core, logs := observer.New(zapcore.InfoLevel)
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, r.RemoteAddr)
		}),
		ReadHeaderTimeout: o.Timeouts.ReadHeader,
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(newProxyProtocol(o, zap.New(core)).wrap(ln))
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return logs
}

// listenPP is servePP on a new loopback TCP listener; it returns its address.
func listenPP(t *testing.T, o Options) (string, *observer.ObservedLogs) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln.Addr().String(), servePP(t, ln, o)
}

// dialFrom connects to addr from the loopback address source.
func dialFrom(t *testing.T, source, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(source)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s from %s: %v", addr, source, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// exchange sends prefix and a GET on c in one write and returns the
// response body, or "" when the server closed the connection unanswered.
func exchange(t *testing.T, c net.Conn, prefix []byte, header string) string {
	t.Helper()
	req := "GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n" + header + "\r\n"
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(append(prefix, req...)); err != nil {
		t.Fatalf("write: %v", err)
	}
	raw, _ := io.ReadAll(c) // a refused connection may end in a reset
	if len(raw) == 0 {
		return ""
	}
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), nil)
	if err != nil {
		t.Fatalf("response %q: %v", raw, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("response body: %v", err)
	}
	return string(body)
}

// hostOf is the host of a "host:port" address, or addr itself.
func hostOf(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

func v1(src string) []byte {
	return []byte("PROXY TCP4 " + src + " 127.0.0.1 4711 80\r\n")
}

func v2(t *testing.T, cmd proxyproto.ProtocolVersionAndCommand, src string) []byte {
	t.Helper()
	ip := net.ParseIP(src)
	family, dst := proxyproto.TCPv4, net.IPv4(127, 0, 0, 1)
	if ip.To4() == nil {
		family, dst = proxyproto.TCPv6, net.IPv6loopback
	}
	h := &proxyproto.Header{Version: 2, Command: cmd, TransportProtocol: family,
		SourceAddr: &net.TCPAddr{IP: ip, Port: 4711}, DestinationAddr: &net.TCPAddr{IP: dst, Port: 80}}
	b, err := h.Format()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestProxyProtocolHeaders(t *testing.T) {
	v2Bad := append(append([]byte{}, proxyproto.SIGV2...), 0x2F, 0x11, 0, 12) // version 2, command 15
	tests := []struct {
		name       string
		giveFrom   string
		giveHeader []byte
		wantRemote string // the host of the handler's RemoteAddr; "" when refused
		wantWarn   string // part of the one warning; "" for none
	}{
		{name: "v1 from a trusted peer", giveFrom: "127.0.0.1", giveHeader: v1("203.0.113.9"), wantRemote: "203.0.113.9"},
		{name: "v2 from a trusted peer", giveFrom: "127.0.0.1", giveHeader: v2(t, proxyproto.PROXY, "203.0.113.9"), wantRemote: "203.0.113.9"},
		{name: "v2 IPv6 from a trusted peer", giveFrom: "127.0.0.1", giveHeader: v2(t, proxyproto.PROXY, "2001:db8::9"), wantRemote: "2001:db8::9"},
		{name: "v2 LOCAL (a proxy's health check)", giveFrom: "127.0.0.1", giveHeader: v2(t, proxyproto.LOCAL, "203.0.113.9"), wantRemote: "127.0.0.1"},
		{name: "v1 UNKNOWN", giveFrom: "127.0.0.1", giveHeader: []byte("PROXY UNKNOWN\r\n"), wantRemote: "127.0.0.1"},
		{name: "no header from a trusted peer", giveFrom: "127.0.0.1", wantRemote: "127.0.0.1"},
		{name: "no header from an untrusted peer", giveFrom: "127.0.0.3", wantRemote: "127.0.0.3"},
		{name: "v1 from an untrusted peer", giveFrom: "127.0.0.3", giveHeader: v1("203.0.113.9"), wantWarn: "peer not in --forwarded-allow-ips"},
		{name: "v2 from an untrusted peer", giveFrom: "127.0.0.3", giveHeader: v2(t, proxyproto.PROXY, "203.0.113.9"), wantWarn: "peer not in --forwarded-allow-ips"},
		{name: "v1 with a bad address", giveFrom: "127.0.0.1", giveHeader: v1("203.0.113.999"), wantWarn: "malformed"},
		{name: "v1 without CR", giveFrom: "127.0.0.1", giveHeader: []byte("PROXY TCP4 203.0.113.9 127.0.0.1 4711 80\n"), wantWarn: "malformed"},
		{name: "v2 with an unknown command", giveFrom: "127.0.0.1", giveHeader: v2Bad, wantWarn: "malformed"},
		{name: "malformed from an untrusted peer", giveFrom: "127.0.0.3", giveHeader: v1("203.0.113.999"), wantWarn: "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, logs := listenPP(t, ppOptions(5*time.Second))
			c := dialFrom(t, tt.giveFrom, addr)
			if got := hostOf(exchange(t, c, tt.giveHeader, "")); got != tt.wantRemote {
				t.Errorf("RemoteAddr = %q, want %q", got, tt.wantRemote)
			}
			warnings := logs.FilterLevelExact(zapcore.WarnLevel).All()
			if len(warnings) != min(len(tt.wantWarn), 1) {
				t.Fatalf("%d warnings %v, want %d", len(warnings), warnings, min(len(tt.wantWarn), 1))
			}
			for _, w := range warnings {
				if !strings.Contains(w.Message, tt.wantWarn) || w.ContextMap()["peer"] != c.LocalAddr().String() {
					t.Errorf("warning %q peer %v, want %q naming %s", w.Message, w.ContextMap()["peer"], tt.wantWarn, c.LocalAddr())
				}
			}
		})
	}
}

func TestProxyProtocolRefusalsAreRateLimited(t *testing.T) {
	addr, logs := listenPP(t, ppOptions(5*time.Second))
	for range 3 {
		if got := exchange(t, dialFrom(t, "127.0.0.3", addr), v1("203.0.113.9"), ""); got != "" {
			t.Fatalf("forged header from an untrusted peer answered %q", got)
		}
	}
	if n := logs.FilterLevelExact(zapcore.WarnLevel).Len(); n != 1 {
		t.Errorf("3 refusals within a second logged %d warnings, want 1", n)
	}
}

func TestRefusalsCountWhatTheyLeaveOut(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	now := time.Unix(1_700_000_000, 0)
	r := &refusals{log: zap.New(core), interval: time.Second, now: func() time.Time { return now }}
	peer := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 3), Port: 4711}
	for range 3 {
		r.report(peer, proxyproto.ErrSuperfluousProxyHeader)
	}
	now = now.Add(time.Second)
	r.report(peer, proxyproto.ErrInvalidAddress)
	var got []int64
	for _, e := range logs.All() {
		got = append(got, e.ContextMap()["suppressed"].(int64))
	}
	if len(got) != 2 || got[0] != 0 || got[1] != 2 {
		t.Errorf("suppressed counts %v, want [0 2]", got)
	}
}

func TestProxyProtocolSlowHeader(t *testing.T) {
	const timeout = 600 * time.Millisecond
	full := v2(t, proxyproto.PROXY, "203.0.113.9")
	tests := []struct {
		name     string
		give     []byte
		wantWarn int
	}{
		// Without the worker's own check the peer would get a second
		// timeout from http.Server: 2×timeout.
		{name: "nothing sent", give: nil, wantWarn: 0},
		{name: "v2 header cut short", give: full[:16], wantWarn: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, logs := listenPP(t, ppOptions(timeout))
			c := dialFrom(t, "127.0.0.1", addr)
			start := time.Now()
			if _, err := c.Write(tt.give); err != nil {
				t.Fatal(err)
			}
			_ = c.SetReadDeadline(start.Add(5 * time.Second))
			n, _ := io.Copy(io.Discard, c)
			elapsed := time.Since(start)
			if n != 0 || elapsed < timeout-50*time.Millisecond || elapsed > timeout+500*time.Millisecond {
				t.Errorf("closed after %s with %d bytes, want nothing and a close after about %s", elapsed, n, timeout)
			}
			if got := logs.FilterLevelExact(zapcore.WarnLevel).Len(); got != tt.wantWarn {
				t.Errorf("%d warnings, want %d", got, tt.wantWarn)
			}
		})
	}
}

func TestProxyProtocolOnUnixSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pp.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	servePP(t, ln, ppOptions(5*time.Second))
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := exchange(t, c, v1("203.0.113.9"), ""); got != "203.0.113.9:4711" {
		t.Errorf("a unix-socket peer's header gave RemoteAddr %q, want 203.0.113.9:4711 (unix peers are trusted)", got)
	}
}

// TestWorkerProxyProtocolClientIP runs a worker with --proxy-protocol: the
// handler chain takes the header's source as the peer, so X-Forwarded-For
// is believed only when that client is itself a trusted proxy.
func TestWorkerProxyProtocolClientIP(t *testing.T) {
	clientIP := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, app.ClientIP(r.Context()).String())
	})
	sup, url, done := startWorker(t, func(o *Options) {
		o.ProxyProtocol = true
		o.Chain.ForwardedAllowIPs = ppOptions(0).Chain.ForwardedAllowIPs
	}, clientIP)
	next(t, sup, proto.KindReady)
	addr := strings.TrimPrefix(url, "http://")
	tests := []struct {
		name       string
		giveFrom   string
		giveHeader []byte
		wantClient string // "" when refused
	}{
		{name: "header names an untrusted client: its X-Forwarded-For is ignored", giveFrom: "127.0.0.1", giveHeader: v1("203.0.113.9"), wantClient: "203.0.113.9"},
		{name: "header names a trusted proxy: its X-Forwarded-For is believed", giveFrom: "127.0.0.1", giveHeader: v1("127.0.0.1"), wantClient: "198.51.100.1"},
		{name: "trusted peer without a header", giveFrom: "127.0.0.1", wantClient: "198.51.100.1"},
		{name: "untrusted peer without a header", giveFrom: "127.0.0.3", wantClient: "127.0.0.3"},
		{name: "untrusted peer with a header", giveFrom: "127.0.0.3", giveHeader: v1("127.0.0.1"), wantClient: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := exchange(t, dialFrom(t, tt.giveFrom, addr), tt.giveHeader, "X-Forwarded-For: 198.51.100.1\r\n")
			if got != tt.wantClient {
				t.Errorf("client = %q, want %q", got, tt.wantClient)
			}
		})
	}
	sup.Close()
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
}

// socketPair returns the two ends of a connected unix stream socket pair.
func socketPair(t testing.TB) (net.Conn, net.Conn) {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	var conns [2]net.Conn
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "socketpair")
		conns[i], err = net.FileConn(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	return conns[0], conns[1]
}

// FuzzProxyConn feeds arbitrary bytes from a trusted peer: the connection
// is refused, or it yields a usable RemoteAddr and exactly the bytes after
// the header.
func FuzzProxyConn(f *testing.F) {
	f.Add(v1("203.0.113.9"))
	f.Add([]byte("PROXY TCP6 2001:db8::9 ::1 4711 80\r\nGET / HTTP/1.1\r\n\r\n"))
	f.Add([]byte("PROXY UNKNOWN\r\n"))
	f.Add([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	f.Add(append(append([]byte{}, proxyproto.SIGV2...), 0x21, 0x11, 0, 12, 203, 0, 113, 9, 127, 0, 0, 1, 0x12, 0x67, 0, 80, 'x'))
	f.Add(append(append([]byte{}, proxyproto.SIGV2...), 0x21, 0x31, 0, 0))
	p := newProxyProtocol(ppOptions(time.Second), zap.NewNop())
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4096 {
			return // more than a socket buffer: the write would block
		}
		ours, theirs := socketPair(t)
		defer ours.Close()
		if _, err := theirs.Write(data); err != nil {
			t.Fatal(err)
		}
		theirs.Close()
		c := p.conn(ours)
		got, err := io.ReadAll(c)
		if err != nil {
			if len(got) != 0 {
				t.Fatalf("refused connection gave %q", got)
			}
			return
		}
		if ra := c.RemoteAddr(); ra == nil {
			t.Fatal("RemoteAddr = nil")
		}
		if !bytes.HasSuffix(data, got) {
			t.Fatalf("read %q, not a suffix of %q", got, data)
		}
	})
}
