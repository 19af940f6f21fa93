package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"
)

// Why Dial could not reach a supervisor; a *DialError wraps one of them.
var (
	// ErrNoSocket: nothing at the path (no supervisor started with it).
	ErrNoSocket = errors.New("no control socket")
	// ErrStale: a socket file that nobody answers on (its supervisor died).
	ErrStale = errors.New("stale control socket")
	// ErrPermission: the socket is not this user's to use.
	ErrPermission = errors.New("permission denied on control socket")
)

// DialError is a failed Dial: the socket's path and why.
type DialError struct {
	Path string
	// Err is ErrNoSocket, ErrStale, ErrPermission or the dial's own error.
	Err error
	// cause is the system's error behind a sentinel.
	cause error
}

func (e *DialError) Error() string {
	if e.cause != nil {
		return fmt.Sprintf("%v at %s: %v", e.Err, e.Path, e.cause)
	}
	return fmt.Sprintf("control socket %s: %v", e.Path, e.Err)
}

func (e *DialError) Unwrap() error { return e.Err }

// Client is one connection to a supervisor's control socket. It is not
// safe for concurrent use.
type Client struct {
	conn net.Conn
	r    *bufio.Reader
}

// Dial connects to the control socket at path within timeout. Its error
// is a *DialError saying whether the socket is missing, stale or not
// permitted.
func Dial(path string, timeout time.Duration) (*Client, error) {
	conn, err := net.DialTimeout("unix", path, timeout)
	if err != nil {
		return nil, classify(path, err)
	}
	return &Client{conn: conn, r: bufio.NewReaderSize(conn, 64<<10)}, nil
}

func classify(path string, err error) error {
	var sentinel error
	switch {
	case errors.Is(err, os.ErrNotExist), errors.Is(err, syscall.ENOENT):
		sentinel = ErrNoSocket
	case errors.Is(err, syscall.ECONNREFUSED):
		sentinel = ErrStale
	case errors.Is(err, os.ErrPermission), errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		sentinel = ErrPermission
	default:
		return &DialError{Path: path, Err: err}
	}
	return &DialError{Path: path, Err: sentinel, cause: unwrapSyscall(err)}
}

// unwrapSyscall is the errno inside a dial error ("connection refused"),
// without the net package's repetition of the path.
func unwrapSyscall(err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return err
}

// Do sends req and reads its response, within ctx. A refusal is a
// Response with OK false (see Response.Err); the error is for a request
// that could not be asked or answered at all.
func (c *Client) Do(ctx context.Context, req Request) (Response, error) {
	if req.V == 0 {
		req.V = Version
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Time{}
	}
	if err := c.conn.SetDeadline(deadline); err != nil {
		return Response{}, fmt.Errorf("control: %w", err)
	}
	// A cancelled ctx ends a pending read or write at once.
	stop := context.AfterFunc(ctx, func() { _ = c.conn.SetDeadline(time.Now()) })
	defer stop()
	if err := WriteLine(c.conn, req); err != nil {
		return Response{}, c.ctxErr(ctx, fmt.Errorf("control: send %s: %w", req.Cmd, err))
	}
	line, err := readLine(c.r, MaxResponse)
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = errors.New("the supervisor closed the connection without an answer")
		}
		return Response{}, c.ctxErr(ctx, fmt.Errorf("control: %s: %w", req.Cmd, err))
	}
	var resp Response
	if err := json.Unmarshal(line, &resp); err != nil {
		return Response{}, fmt.Errorf("control: %s: bad response: %w", req.Cmd, err)
	}
	if resp.V != Version {
		return Response{}, fmt.Errorf("control: %s: the supervisor answered in protocol version %d, this client speaks %d", req.Cmd, resp.V, Version)
	}
	return resp, nil
}

func (c *Client) ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w (%w)", err, ctx.Err())
	}
	return err
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// ErrLineTooLong is a line over its limit.
var ErrLineTooLong = errors.New("line too long")

// readLine reads one line of at most limit bytes, newline included, and
// returns it without the newline. A line over limit is ErrLineTooLong.
func readLine(r *bufio.Reader, limit int) ([]byte, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > limit {
			return nil, fmt.Errorf("%w: over %d bytes", ErrLineTooLong, limit)
		}
		switch {
		case err == nil:
			return line[:len(line)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(line) > 0:
			return nil, io.ErrUnexpectedEOF
		default:
			return nil, err
		}
	}
}

// ReadRequestLine is readLine for the supervisor's side: one request of at
// most MaxRequest bytes.
func ReadRequestLine(r *bufio.Reader) ([]byte, error) { return readLine(r, MaxRequest) }
