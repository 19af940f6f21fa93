package graceful

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"sync/atomic"
)

// closingWriter is the ResponseWriter of a request that began before a
// drain: if the drain has begun by the time its header is written, the
// header says "Connection: close". It keeps the optional interfaces of
// net/http's writer (Flusher, Hijacker, ReaderFrom) and unwraps for
// http.ResponseController.
type closingWriter struct {
	http.ResponseWriter
	draining *atomic.Bool
	decided  bool
}

// decide adds "Connection: close" once, before the header goes out.
func (w *closingWriter) decide() {
	if w.decided {
		return
	}
	w.decided = true
	if w.draining.Load() {
		w.ResponseWriter.Header().Set("Connection", "close")
	}
}

func (w *closingWriter) WriteHeader(code int) {
	if code >= 200 || code == http.StatusSwitchingProtocols {
		w.decide() // an informational (1xx) header is not the response's
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *closingWriter) Write(b []byte) (int, error) {
	w.decide()
	return w.ResponseWriter.Write(b)
}

func (w *closingWriter) ReadFrom(r io.Reader) (int64, error) {
	w.decide()
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(w.ResponseWriter, r)
}

func (w *closingWriter) Flush() {
	w.decide()
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *closingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

func (w *closingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
