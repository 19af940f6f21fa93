package worker

import (
	"bufio"
	"context"
	"errors"
	"maps"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/drover/drover/app"
)

// detailTimeout is the 504's detail, in DRF's shape.
const detailTimeout = "Request timed out."

// errRequestTimeout is the cause of a timed-out request's context.
var errRequestTimeout = errors.New("request timeout (--request-timeout)")

// requestTimeout is the third clock, per request (--request-timeout): a
// request still running after limit gets 504 {"detail":"Request timed
// out."}, its context is cancelled, the stacks of its goroutines (found
// by their stackLabel) are logged with the request's method, path, ID and
// age in one error line, and expired is called, which
// makes the worker retire: a handler that ignores its context is stuck
// for good, so the worker is replaced before it drains, and the drain's
// deadline (--graceful-timeout, then the supervisor's SIGKILL) bounds it.
//
// The handler keeps running on its own goroutine: it stays counted in
// flight and named in the heartbeat, and the drain waits for it, as it
// waits for any request. That is why the 504 is written from the timer's
// goroutine while the handler may be writing too, and why every write
// goes through a guardedWriter: one mutex decides which response the
// client gets. Whichever commits a status first wins: a handler that has
// started its response keeps it (a 504 can no longer be sent), but from
// the deadline its writes fail with http.ErrHandlerTimeout and the
// connection is aborted when it returns, so the client sees a cut
// response, never a short one passed off as whole. http.TimeoutHandler
// was the other choice: it buffers every response whole (no streaming,
// no Flush, the memory of the largest body) and moves the handler to
// another goroutine, where a panic escapes the chain's recovery.
type requestTimeout struct {
	limit   time.Duration
	log     *zap.Logger
	expired func()
	now     func() time.Time
	// requests numbers the requests, for their goroutines' stackLabel.
	requests atomic.Uint64
}

func (rt *requestTimeout) wrap(next http.Handler) http.Handler {
	if rt.limit <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithCancelCause(r.Context())
		defer cancel(nil)
		g := newGuardedWriter(w)
		start, label := rt.now(), requestLabel(rt.requests.Add(1))
		fired := make(chan struct{})
		timer := time.AfterFunc(rt.limit, func() {
			defer close(fired)
			rt.expire(g, r, start, label, cancel)
		})
		var cut bool
		func() {
			// Also when next panics: nothing touches w after we return,
			// and a timeout is logged and reported before the request's
			// access log line.
			defer func() {
				cut = g.finish()
				if !timer.Stop() {
					<-fired
				}
			}()
			labelled(ctx, label, func(ctx context.Context) { next.ServeHTTP(g, r.WithContext(ctx)) })
		}()
		if cut {
			// The response had started when the deadline came, and its
			// writes since failed: abort rather than end it as complete.
			panic(http.ErrAbortHandler)
		}
	})
}

// expire runs on the timer's goroutine once the request is past its
// limit: it takes the handler's stack where it is stuck, answers 504 if
// the response has not started, cancels the request's context, logs and
// retires the worker.
func (rt *requestTimeout) expire(g *guardedWriter, r *http.Request, start time.Time, label string, cancel context.CancelCauseFunc) {
	if g.over() {
		return // finished or hijacked just now
	}
	stack := labelledStacks(label)
	answered, ok := g.expire(r.ProtoMajor == 1, func() { cancel(errRequestTimeout) })
	if !ok {
		return
	}
	rt.log.Error("request timed out; the worker retires",
		zap.String("method", r.Method),
		zap.String("path", r.URL.EscapedPath()),
		zap.String("request_id", app.RequestID(r.Context())),
		zap.Duration("age_s", rt.now().Sub(start)),
		zap.Duration("request_timeout_s", rt.limit),
		zap.Bool("answered_504", answered),
		zap.ByteString("stack", stack),
	)
	rt.expired()
}

// guardedWriter is the handler's ResponseWriter under --request-timeout:
// every write goes to w under mu, so the 504 written from the timer's
// goroutine and the handler's own writes never interleave, and nothing is
// written once ServeHTTP has returned. The handler gets its own header
// map, copied onto w's when it commits a status, since the 504 sets
// headers on w's while the handler may still be setting its own.
//
// It has no ReadFrom: io.Copy into it goes through Write, a buffer at a
// time under the lock, instead of a sendfile that would hold it until
// the whole body is sent.
type guardedWriter struct {
	w      http.ResponseWriter
	header http.Header

	mu       sync.Mutex
	wrote    bool // a final status went out, the handler's or the 504
	expired  bool // the deadline passed: the handler's writes fail
	answered bool // the status that went out is the 504
	closed   bool // ServeHTTP returned or the connection was hijacked
}

var (
	_ http.Flusher  = (*guardedWriter)(nil)
	_ http.Hijacker = (*guardedWriter)(nil)
)

func newGuardedWriter(w http.ResponseWriter) *guardedWriter {
	return &guardedWriter{w: w, header: w.Header().Clone()}
}

// Header returns the handler's header map.
func (g *guardedWriter) Header() http.Header { return g.header }

// commit puts the handler's header map in w's place; g.mu is held.
func (g *guardedWriter) commit() {
	dst := g.w.Header()
	clear(dst)
	maps.Copy(dst, g.header)
}

// WriteHeader passes code on unless the deadline passed. An informational
// (1xx) status goes out with the handler's headers and commits nothing.
func (g *guardedWriter) WriteHeader(code int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.expired || g.closed {
		return
	}
	if !g.wrote {
		g.commit()
	}
	g.w.WriteHeader(code)
	if code >= 200 || code == http.StatusSwitchingProtocols {
		g.wrote = true
	}
}

// Write writes p unless the deadline passed.
func (g *guardedWriter) Write(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.expired || g.closed {
		return 0, http.ErrHandlerTimeout
	}
	if !g.wrote {
		g.commit()
		g.wrote = true
	}
	return g.w.Write(p)
}

// FlushError flushes unless the deadline passed (http.ResponseController
// calls it).
func (g *guardedWriter) FlushError() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.expired || g.closed {
		return http.ErrHandlerTimeout
	}
	if !g.wrote {
		g.commit()
		g.wrote = true
	}
	return http.NewResponseController(g.w).Flush()
}

// Flush is FlushError for code that asserts http.Flusher.
func (g *guardedWriter) Flush() { _ = g.FlushError() }

// Hijack hands the connection to the handler; from then on it is no
// request any more, and no deadline applies to it.
func (g *guardedWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.expired || g.closed {
		return nil, nil, http.ErrHandlerTimeout
	}
	c, brw, err := http.NewResponseController(g.w).Hijack()
	if err == nil {
		g.closed = true
	}
	return c, brw, err
}

// Unwrap returns w, for http.ResponseController's deadlines and full
// duplex; its writes and Hijack come to the methods above.
func (g *guardedWriter) Unwrap() http.ResponseWriter { return g.w }

// over reports whether the request is past any deadline: answered and
// returned, or hijacked.
func (g *guardedWriter) over() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.closed
}

// expire marks the deadline passed, cancels the handler's context, and
// answers 504 if no status went out, with Connection: close on HTTP/1
// (closeConn), since the connection stays busy with the handler; HTTP/2
// streams are independent. The cancel comes after the mark, so a handler
// that answers its cancelled context cannot win over the 504, and before
// the 504, so the cause it reads is the timeout and not the client
// leaving. ok is false when the request was over already.
func (g *guardedWriter) expire(closeConn bool, cancel func()) (answered, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed || g.expired {
		return false, false
	}
	g.expired = true
	cancel()
	if g.wrote {
		return false, true
	}
	g.wrote, g.answered = true, true
	h := g.w.Header()
	for k := range h {
		if !strings.EqualFold(k, "X-Request-Id") {
			delete(h, k)
		}
	}
	if closeConn {
		h.Set("Connection", "close")
	}
	// Declared, so the client has the whole answer at once: without it
	// the body would be chunked, ended only when the handler returns.
	// The detail needs no JSON escaping, so this is app.Error's length.
	h.Set("Content-Length", strconv.Itoa(len(`{"detail":""}`)+len(detailTimeout)))
	app.Error(g.w, http.StatusGatewayTimeout, detailTimeout)
	// The handler still holds the response open: send the 504 now.
	_ = http.NewResponseController(g.w).Flush()
	return true, true
}

// finish ends the request for the guard: nothing is written to w after
// it. It reports whether the handler's started response was cut by the
// deadline, which the connection must not pass off as complete.
func (g *guardedWriter) finish() (cut bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.closed = true
	if !g.expired && g.wrote {
		// Trailers are set after the status: hand them on too.
		for k, v := range g.header {
			if strings.HasPrefix(k, http.TrailerPrefix) || declaredTrailer(g.header, k) {
				g.w.Header()[k] = v
			}
		}
	}
	return g.expired && !g.answered
}

// declaredTrailer reports whether h's Trailer header names k.
func declaredTrailer(h http.Header, k string) bool {
	for _, v := range h.Values("Trailer") {
		for _, name := range strings.Split(v, ",") {
			if http.CanonicalHeaderKey(strings.TrimSpace(name)) == k {
				return true
			}
		}
	}
	return false
}
