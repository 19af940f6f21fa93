package app

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"runtime/debug"

	"go.uber.org/zap"
)

// detailServerError is DRF's body for an unhandled exception.
const detailServerError = "A server error occurred."

// recoverer turns a panic anywhere below it into a logged 500, so one bad
// request never takes the worker down.
type recoverer struct {
	log  *zap.Logger
	dev  bool
	page func(any, []byte) http.Handler // dev's error page; nil for text
}

func newRecoverer(cfg Config, log *zap.Logger) *recoverer {
	return &recoverer{log: log, dev: cfg.DevErrors, page: cfg.DevErrorPage}
}

func (rc *recoverer) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ex, w, r, owner := begin(w, r)
		if owner {
			defer ex.end(r) // deferred first, so it runs after the panic is answered
		}
		inner := w
		var held *heldResponse
		if rc.dev {
			held = &heldResponse{w: w}
			inner = held
		}
		defer func() {
			if p := recover(); p != nil {
				rc.recovered(ex, w, r, p)
			}
		}()
		next.ServeHTTP(inner, r)
		if held != nil {
			_ = held.commit() // a failed write means the client left
		}
	})
}

// recovered handles the panic value p. It runs while the panicking stack is
// still intact, so the stack it logs points at the panic.
//
//   - http.ErrAbortHandler is panicked again: net/http aborts the response
//     quietly, as it would without the chain.
//   - Otherwise one error line is logged. If nothing was sent yet the
//     client gets a 500: JSON in DRF's shape, or with DevErrors a page
//     with the panic and the stack (what a held response had is
//     dropped). If the response had started, the connection is aborted
//     (by panicking with http.ErrAbortHandler) rather than ending a
//     truncated body as if it were complete.
func (rc *recoverer) recovered(ex *exchange, w http.ResponseWriter, r *http.Request, p any) {
	if p == http.ErrAbortHandler { // compared as net/http compares it
		ex.rw.detached = ex.rw.status == 0
		panic(p)
	}
	stack := debug.Stack()
	rc.log.Error("panic serving request",
		zap.Any("panic", p),
		zap.String("method", r.Method),
		zap.String("path", r.URL.EscapedPath()),
		zap.String("request_id", ex.id),
		zap.ByteString("stack", stack),
	)
	if ex.rw.status != 0 || ex.rw.detached {
		ex.rw.detached = ex.rw.status == 0
		panic(http.ErrAbortHandler)
	}
	// Whatever the handler set for its own response does not belong on the 500.
	h := w.Header()
	for k := range h {
		if k != headerRequestID {
			delete(h, k)
		}
	}
	switch {
	case !rc.dev:
		Error(w, http.StatusInternalServerError, detailServerError)
	case rc.page != nil:
		rc.page(p, stack).ServeHTTP(w, r)
	default:
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusInternalServerError)
		// A failed write means the client is gone: nothing is left to do.
		_, _ = fmt.Fprintf(w, "%s\n\npanic: %v\n\n%s", detailServerError, p, stack)
	}
}

// heldBodyLimit is how much of a response the development server holds
// back before it starts sending it anyway.
const heldBodyLimit = 1 << 20

// heldResponse holds a response's status and body until its handler
// returns, flushes, hijacks or writes more than heldBodyLimit, so that a
// panic before then can still be answered with the error page: the
// development server's, where seeing the panic matters more than
// streaming. Headers go to the map underneath at once (the recovery
// clears them).
type heldResponse struct {
	w         http.ResponseWriter
	status    int
	body      []byte
	committed bool
}

var (
	_ http.Flusher  = (*heldResponse)(nil)
	_ http.Hijacker = (*heldResponse)(nil)
)

// Header returns the underlying writer's header map.
func (h *heldResponse) Header() http.Header { return h.w.Header() }

// WriteHeader holds a final status; informational ones (103) go out at
// once, as does 101, which commits.
func (h *heldResponse) WriteHeader(code int) {
	switch {
	case h.committed || code < 100 || code > 999:
		h.w.WriteHeader(code) // net/http's own check panics on an invalid code
	case code == http.StatusSwitchingProtocols:
		h.status = code
		_ = h.commit()
	case code < 200:
		h.w.WriteHeader(code)
	case h.status == 0:
		h.status = code
	}
}

// Write holds p, or sends it once the response is committed.
func (h *heldResponse) Write(p []byte) (int, error) {
	if h.committed {
		return h.w.Write(p)
	}
	if h.status == 0 {
		h.status = http.StatusOK
	}
	if len(h.body)+len(p) > heldBodyLimit {
		if err := h.commit(); err != nil {
			return 0, err
		}
		return h.w.Write(p)
	}
	h.body = append(h.body, p...)
	return len(p), nil
}

// commit sends what is held; from then on writes go straight through.
func (h *heldResponse) commit() error {
	if h.committed {
		return nil
	}
	h.committed = true
	if h.status != 0 {
		h.w.WriteHeader(h.status)
	}
	if len(h.body) == 0 {
		return nil
	}
	_, err := h.w.Write(h.body)
	h.body = nil
	return err
}

// Flush sends what is held and flushes it to the client.
func (h *heldResponse) Flush() {
	if h.commit() == nil {
		_ = http.NewResponseController(h.w).Flush()
	}
}

// Hijack hands the connection over; what was held is sent first.
func (h *heldResponse) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if err := h.commit(); err != nil {
		return nil, nil, err
	}
	return http.NewResponseController(h.w).Hijack()
}

// Unwrap returns the underlying writer, for http.ResponseController.
func (h *heldResponse) Unwrap() http.ResponseWriter { return h.w }
