package graceful

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
	"golang.org/x/sync/errgroup"

	"github.com/drover/drover/internal/testcert"
)

// serveKeepAliveSafe serves h on a fresh loopback socket with a
// keep-alive-safe drain lingering for linger.
func serveKeepAliveSafe(t *testing.T, h http.Handler, linger time.Duration) (*Server, string, *errgroup.Group) {
	t.Helper()
	s, addr, g, _ := serveKeepAliveSafeAccepting(t, h, linger)
	return s, addr, g
}

// serveKeepAliveSafeAccepting is serveKeepAliveSafe with a channel that
// gets a value for each connection the server has accepted.
func serveKeepAliveSafeAccepting(t *testing.T, h http.Handler, linger time.Duration) (*Server, string, *errgroup.Group, <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan struct{}, 64)
	srv := &http.Server{Handler: h, ConnState: func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			select {
			case accepted <- struct{}{}:
			default:
			}
		}
	}}
	s, err := New(Config{Server: srv, Listeners: []Listener{{Listener: ln}}, KeepAliveSafe: true, Linger: linger}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	var g errgroup.Group
	s.Go(&g)
	return s, ln.Addr().String(), &g, accepted
}

// exchange writes one raw request on c and reads its response.
func exchange(t *testing.T, c net.Conn, r *bufio.Reader, req string) *http.Response {
	t.Helper()
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatalf("write %q: %v", req, err)
	}
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatalf("response to %q: %v", req, err)
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

const post = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody"

// TestDrainLingersOnIdleKeepAlive checks the keep-alive-safe drain on an
// idle connection: a request sent on it during the drain is answered,
// with "Connection: close", and the connection then closes; an idle
// connection nobody uses is closed once it has been idle for the linger,
// not before, and the drain then ends.
func TestDrainLingersOnIdleKeepAlive(t *testing.T) {
	const linger = 400 * time.Millisecond
	s, addr, g, accepted := serveKeepAliveSafeAccepting(t, http.HandlerFunc(ok), linger)
	used, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer used.Close()
	unused, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer unused.Close()
	silent, err := net.Dial("tcp", addr) // accepted, never sends
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	// The drain closes the listener: a connection still in the kernel's
	// accept queue then would be reset, not lingered (a worker's listener
	// is the supervisor's too, so there it stays queued). Wait until the
	// server has all three.
	for range 3 {
		select {
		case <-accepted:
		case <-time.After(5 * time.Second):
			t.Fatal("the server did not accept the three connections")
		}
	}
	usedR, unusedR := bufio.NewReader(used), bufio.NewReader(unused)
	for _, c := range []struct {
		conn net.Conn
		r    *bufio.Reader
	}{{used, usedR}, {unused, unusedR}} {
		if resp := exchange(t, c.conn, c.r, post); resp.Close {
			t.Fatal("a response before the drain closed its connection")
		}
	}

	start := time.Now()
	drained := make(chan error, 1)
	go func() { drained <- s.Drain(context.Background()) }()
	time.Sleep(linger / 4)
	resp := exchange(t, used, usedR, post)
	if resp.StatusCode != http.StatusOK || !resp.Close {
		t.Errorf("a POST on an idle connection during the drain = %d, Connection: close %v; want 200 and close", resp.StatusCode, resp.Close)
	}
	if _, err := usedR.ReadByte(); err != io.EOF {
		t.Errorf("after that response the connection read %v, want EOF", err)
	}

	// The unused and the silent connections linger, then close.
	for name, r := range map[string]*bufio.Reader{"unused idle": unusedR, "silent": bufio.NewReader(silent)} {
		unused.SetReadDeadline(time.Now().Add(5 * time.Second))
		silent.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err = r.ReadByte()
		closedAfter := time.Since(start)
		if err != io.EOF {
			t.Errorf("the %s connection read %v, want EOF", name, err)
		}
		if closedAfter < linger*3/4 {
			t.Errorf("the %s connection closed %v into the drain, before the linger (%v)", name, closedAfter, linger)
		}
	}
	select {
	case err := <-drained:
		if err != nil {
			t.Errorf("Drain = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Drain did not end once every connection closed")
	}
	if err := g.Wait(); err != nil {
		t.Errorf("serve = %v", err)
	}
}

// TestDrainClosesAfterTheAnswerInFlight checks that a request in the
// handler when the drain begins is answered with "Connection: close",
// including one that flushes its header itself, so its client does not
// reuse the connection.
func TestDrainClosesAfterTheAnswerInFlight(t *testing.T) {
	tests := []struct {
		name  string
		flush bool
	}{
		{name: "written"},
		{name: "flushed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			started, release := make(chan struct{}), make(chan struct{})
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/slow" {
					close(started)
					<-release
				}
				if tt.flush {
					http.NewResponseController(w).Flush()
				}
				io.WriteString(w, "ok")
			})
			s, addr, g := serveKeepAliveSafe(t, h, time.Minute)
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			r := bufio.NewReader(c)
			if _, err := io.WriteString(c, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			<-started
			drained := make(chan error, 1)
			go func() { drained <- s.Drain(context.Background()) }()
			for !s.draining.Load() {
				time.Sleep(time.Millisecond)
			}
			close(release)
			resp, err := http.ReadResponse(r, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if !resp.Close {
				t.Errorf("the answer in flight at the drain has Connection %q, want close", resp.Header.Get("Connection"))
			}
			if err := <-drained; err != nil {
				t.Errorf("Drain = %v", err)
			}
			if err := g.Wait(); err != nil {
				t.Errorf("serve = %v", err)
			}
		})
	}
}

// TestDrainSendsGoAwayToHTTP2 checks that an HTTP/2 connection is not
// held to the linger: it gets GOAWAY, its stream in flight finishes, and
// the drain ends long before the linger would.
func TestDrainSendsGoAwayToHTTP2(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started, release := make(chan struct{}), make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(started)
			<-release
		}
		io.WriteString(w, r.Proto)
	})
	srv := &http.Server{Handler: h, TLSConfig: &tls.Config{Certificates: []tls.Certificate{testcert.New(t, "127.0.0.1").TLS()}}}
	const linger = time.Minute
	s, err := New(Config{Server: srv, Listeners: []Listener{{Listener: ln, TLS: true}}, KeepAliveSafe: true, Linger: linger}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	var g errgroup.Group
	s.Go(&g)
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, ForceAttemptHTTP2: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	base := "https://" + ln.Addr().String()
	resp, err := client.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.ProtoMajor != 2 {
		t.Fatalf("the client spoke %s, want HTTP/2", resp.Proto)
	}

	got := make(chan string, 1)
	go func() {
		resp, err := client.Get(base + "/slow")
		if err != nil {
			got <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got <- string(b)
	}()
	<-started
	start := time.Now()
	drained := make(chan error, 1)
	go func() { drained <- s.Drain(context.Background()) }()
	time.Sleep(100 * time.Millisecond)
	close(release)
	if body := <-got; body != "HTTP/2.0" {
		t.Errorf("the stream in flight at the drain got %q, want its answer", body)
	}
	select {
	case err := <-drained:
		if err != nil {
			t.Errorf("Drain = %v", err)
		}
		if took := time.Since(start); took > linger/4 {
			t.Errorf("Drain took %v with one HTTP/2 connection, want it not held to the linger (%v)", took, linger)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Drain waited on the HTTP/2 connection: no GOAWAY")
	}
	if err := g.Wait(); err != nil {
		t.Errorf("serve = %v", err)
	}
}
