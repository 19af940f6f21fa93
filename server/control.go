package server

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sys/unix"

	"github.com/drover/drover/internal/control"
)

// Bounds of the control socket (see package control).
const (
	// maxControlConns is how many control connections are served at
	// once; one more is answered with an error and closed.
	maxControlConns = 16
	// controlIdle closes a control connection that sends nothing for
	// this long.
	controlIdle = time.Minute
	// controlAnswer bounds how long a request waits for the loop to
	// take and answer it.
	controlAnswer = 5 * time.Second
	// controlWait bounds a reload with wait: the reload itself ends long
	// before, within --boot-timeout of its workers' start.
	controlWait = time.Hour
	// controlWrite bounds writing one response.
	controlWrite = time.Second
)

// ErrControlInUse is the error of a supervisor whose control socket
// another supervisor answers on.
var ErrControlInUse = errors.New("another supervisor answers on this control socket")

// controlRequest is one control request handed to the supervisor's loop,
// with where its answer goes: a buffer of one, so the loop never blocks
// on a connection that gave up.
type controlRequest struct {
	req   control.Request
	reply chan control.Response
	// conn is the connection the request came on, which an upgrade
	// hands over to the new supervisor when the request waits for it.
	conn net.Conn
	// quiet logs the request at debug level: the status page asks for
	// status every second.
	quiet bool
}

func (r controlRequest) answer(resp control.Response) {
	resp.V = control.Version
	r.reply <- resp
}

func (r controlRequest) refuse(err error) { r.answer(control.Refusal(err)) }

// controlServer accepts control connections, one goroutine each, and
// hands their requests to the supervisor's loop (requests); it never
// touches the supervisor's state itself.
type controlServer struct {
	path     string
	ln       *net.UnixListener
	log      *zap.Logger
	requests chan<- controlRequest
	slots    chan struct{} // one per connection served
	quit     chan struct{} // closed by close: stop waiting on the loop
	wg       sync.WaitGroup

	mu      sync.Mutex
	closing bool
	conns   map[net.Conn]struct{}
}

// listenControl binds the control socket at path, mode 0600: a stale
// socket file (nobody answers on it) is replaced, one a live supervisor
// answers on is ErrControlInUse. stale reports a replacement.
func listenControl(path string) (ln *net.UnixListener, stale bool, err error) {
	if len(path) > control.MaxPath {
		return nil, false, fmt.Errorf("control socket %s: longer than the %d bytes of a unix socket path; give a shorter --control-socket", path, control.MaxPath)
	}
	if info, err := os.Lstat(path); err == nil {
		if info.Mode().Type() != fs.ModeSocket {
			return nil, false, fmt.Errorf("control socket %s: a file that is not a socket is in the way", path)
		}
		conn, err := net.DialTimeout("unix", path, time.Second)
		switch {
		case err == nil:
			conn.Close()
			return nil, false, fmt.Errorf("control socket %s: %w: stop it, or give this one another --control-socket (or --state-dir)", path, ErrControlInUse)
		case errors.Is(err, syscall.ECONNREFUSED):
			if err := os.Remove(path); err != nil {
				return nil, false, fmt.Errorf("remove stale control socket: %w", err)
			}
			stale = true
		default:
			return nil, false, fmt.Errorf("control socket %s: %w", path, err)
		}
	}
	ln, err = net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, false, fmt.Errorf("control socket: %w", err)
	}
	// Between bind and chmod the socket has the umask's mode; a peer that
	// connects then is still refused by its credentials (permitted).
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, false, fmt.Errorf("control socket: %w", err)
	}
	return ln, stale, nil
}

// startControl serves ln until close.
func startControl(ln *net.UnixListener, requests chan<- controlRequest, log *zap.Logger) *controlServer {
	c := &controlServer{
		path: ln.Addr().String(), ln: ln, log: log, requests: requests,
		slots: make(chan struct{}, maxControlConns), quit: make(chan struct{}),
		conns: make(map[net.Conn]struct{}),
	}
	c.wg.Add(1)
	go c.accept()
	return c
}

// close stops accepting, removes the socket file, ends every idle
// connection and waits for the connection goroutines, which write the
// answers the loop already gave.
func (c *controlServer) close() {
	c.mu.Lock()
	c.closing = true
	for conn := range c.conns {
		_ = conn.SetReadDeadline(time.Now())
	}
	c.mu.Unlock()
	close(c.quit)
	c.ln.Close() // removes the file: the listener created it
	c.wg.Wait()
}

func (c *controlServer) accept() {
	defer c.wg.Done()
	for {
		conn, err := c.ln.AcceptUnix()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			c.log.Warn("control socket accept", zap.Error(err))
			select {
			case <-c.quit:
				return
			case <-time.After(100 * time.Millisecond): // EMFILE and kin: let descriptors free up
			}
			continue
		}
		select {
		case c.slots <- struct{}{}:
		default:
			c.write(conn, control.Refusal(fmt.Errorf("too many control connections (%d); try again", maxControlConns)))
			conn.Close()
			continue
		}
		if !c.track(conn) {
			<-c.slots
			conn.Close()
			return
		}
		c.wg.Add(1)
		go c.serve(conn)
	}
}

// track records conn so close can end it; false once closing.
func (c *controlServer) track(conn net.Conn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return false
	}
	c.conns[conn] = struct{}{}
	return true
}

func (c *controlServer) untrack(conn net.Conn) {
	c.mu.Lock()
	delete(c.conns, conn)
	c.mu.Unlock()
	conn.Close()
	<-c.slots
}

// armRead sets conn's idle deadline, unless close has begun.
func (c *controlServer) armRead(conn net.Conn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return false
	}
	_ = conn.SetReadDeadline(time.Now().Add(controlIdle))
	return true
}

// serve answers conn's requests in order until it closes, idles, sends a
// line that is not a request, or close.
func (c *controlServer) serve(conn *net.UnixConn) {
	defer c.wg.Done()
	defer c.untrack(conn)
	if err := permitted(conn); err != nil {
		c.log.Warn("control connection refused", zap.Error(err))
		c.write(conn, control.Refusal(err))
		return
	}
	r := bufio.NewReaderSize(conn, 4<<10)
	for c.armRead(conn) {
		line, err := control.ReadRequestLine(r)
		if errors.Is(err, control.ErrLineTooLong) {
			c.write(conn, control.Refusal(fmt.Errorf("%w: a request line is at most %d bytes", control.ErrMalformed, control.MaxRequest)))
			return
		}
		if err != nil {
			return // the client left, idled, or close
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		req, err := control.ParseRequest(line)
		if err != nil {
			c.write(conn, control.Refusal(err))
			if errors.Is(err, control.ErrMalformed) {
				return
			}
			continue
		}
		if !c.write(conn, c.ask(conn, req)) {
			return
		}
	}
}

// ask hands req to the supervisor's loop and waits for its answer.
func (c *controlServer) ask(conn net.Conn, req control.Request) control.Response {
	limit := controlAnswer
	if req.Wait {
		limit = controlWait
	}
	return askLoop(c.requests, c.quit, controlRequest{req: req, conn: conn}, limit)
}

// askLoop hands r to the supervisor's loop on requests and waits for its
// answer, at most limit, or until quit closes: the one way the control
// socket and the admin listener reach the loop's state.
func askLoop(requests chan<- controlRequest, quit <-chan struct{}, r controlRequest, limit time.Duration) control.Response {
	timer := time.NewTimer(limit)
	defer timer.Stop()
	r.reply = make(chan control.Response, 1)
	select {
	case requests <- r:
	case <-quit:
		return control.Refusal(errors.New("the supervisor is exiting"))
	case <-timer.C:
		return control.Refusal(fmt.Errorf("the supervisor did not take the request within %s", limit))
	}
	select {
	case resp := <-r.reply:
		return resp
	case <-quit:
		// The loop answers before it returns (stop does): prefer that.
		select {
		case resp := <-r.reply:
			return resp
		default:
			return control.Refusal(errors.New("the supervisor exited before it answered"))
		}
	case <-timer.C:
		return control.Refusal(fmt.Errorf("the supervisor did not answer within %s", limit))
	}
}

// write sends one response, reporting whether the connection is usable.
func (c *controlServer) write(conn net.Conn, resp control.Response) bool {
	_ = conn.SetWriteDeadline(time.Now().Add(controlWrite))
	if err := control.WriteLine(conn, resp); err != nil {
		c.log.Debug("control response", zap.Error(err))
		return false
	}
	return true
}

// permitted checks the peer's credentials: root or the supervisor's own
// user, as the socket's mode 0600 does for everyone else; this also
// covers the moment between bind and chmod.
func permitted(conn *net.UnixConn) error {
	raw, err := conn.SyscallConn()
	if err != nil {
		return fmt.Errorf("control peer: %w", err)
	}
	var cred *unix.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return fmt.Errorf("control peer: %w", err)
	}
	if credErr != nil {
		return fmt.Errorf("control peer credentials: %w", credErr)
	}
	if cred.Uid != 0 && int(cred.Uid) != os.Geteuid() {
		return fmt.Errorf("permission denied: uid %d is neither root nor the supervisor's user (%d)", cred.Uid, os.Geteuid())
	}
	return nil
}
