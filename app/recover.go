package app

import (
	"fmt"
	"net/http"
	"runtime/debug"

	"go.uber.org/zap"
)

// detailServerError is DRF's body for an unhandled exception.
const detailServerError = "A server error occurred."

// recoverer turns a panic anywhere below it into a logged 500, so one bad
// request never takes the worker down.
type recoverer struct {
	log *zap.Logger
	dev bool
}

func newRecoverer(cfg Config, log *zap.Logger) *recoverer {
	return &recoverer{log: log, dev: cfg.DevErrors}
}

func (rc *recoverer) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ex, w, r, owner := begin(w, r)
		if owner {
			defer ex.end(r) // deferred first, so it runs after the panic is answered
		}
		defer func() {
			if p := recover(); p != nil {
				rc.recovered(ex, w, r, p)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// recovered handles the panic value p. It runs while the panicking stack is
// still intact, so the stack it logs points at the panic.
//
//   - http.ErrAbortHandler is panicked again: net/http aborts the response
//     quietly, as it would without the chain.
//   - Otherwise one error line is logged. If nothing was written yet the
//     client gets a 500: JSON in DRF's shape, or with DevErrors a text page
//     with the panic and the stack. If the response had started, the
//     connection is aborted (by panicking with http.ErrAbortHandler) rather
//     than ending a truncated body as if it were complete.
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
	if !rc.dev {
		Error(w, http.StatusInternalServerError, detailServerError)
		return
	}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusInternalServerError)
	// A failed write means the client is gone: nothing is left to do.
	_, _ = fmt.Fprintf(w, "%s\n\npanic: %v\n\n%s", detailServerError, p, stack)
}
