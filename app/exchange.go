package app

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/netip"
	"time"
)

// exchange is everything the chain learns about one request: one allocation
// per request, shared by every layer through the request context.
//
// It is that context too: it embeds the context the request came with and
// answers Value(exchangeKey{}) itself, so putting it in the request costs no
// context.WithValue layer of its own. Deadline, Done and Err are the
// embedded context's, so cancellation (and context.AfterFunc, WithCancel
// below it) works as through any value context.
//
// The layer that creates it (panic recovery, in [Chain]) owns it and calls
// end once the request is over, after a panic has been answered, so the access
// log records what the client really got.
type exchange struct {
	context.Context                // the request's context as the chain got it; never changed after begin
	rw              responseWriter // records status and bytes of what reaches the client
	id              string         // request ID
	idHeader        [1]string      // backs the X-Request-Id response header, so echoing the ID allocates nothing
	client          netip.Addr     // client address; invalid when unknown (unix socket, no X-Forwarded-For)
	clientText      string         // client as text for the access log; "" when unknown
	scheme          string         // "http" or "https"
	start           time.Time      // set by the access log layer
	access          *accessLog     // set by the access log layer; nil = no access log line
	user            string         // authenticated user's ID, set by the application (SetUser)
	observe         *observe       // set by the metrics layer; nil = no observer
	class           RouteClass     // set by /healthz and the application (SetRouteClass)
}

type exchangeKey struct{}

// Value returns ex itself for exchangeKey{} and asks the embedded context
// for any other key, as a context.WithValue layer holding ex would.
func (ex *exchange) Value(key any) any {
	if key == (exchangeKey{}) {
		return ex
	}
	return ex.Context.Value(key)
}

// exchangeFrom returns the exchange stored in ctx, or nil.
func exchangeFrom(ctx context.Context) *exchange {
	ex, _ := ctx.Value(exchangeKey{}).(*exchange)
	return ex
}

// begin returns the request's exchange. If no outer layer created one, begin
// creates it, wraps w in its recording writer and returns owner == true: the
// caller must then defer ex.end(r).
func begin(w http.ResponseWriter, r *http.Request) (ex *exchange, _ http.ResponseWriter, _ *http.Request, owner bool) {
	if ex = exchangeFrom(r.Context()); ex != nil {
		return ex, w, r, false
	}
	ex = &exchange{Context: r.Context(), scheme: "http"}
	if r.TLS != nil {
		ex.scheme = "https"
	}
	ex.rw.w = w
	r = r.WithContext(ex)
	return ex, &ex.rw, r, true
}

// end finishes the exchange: it writes the access log line, if any, and
// tells the observer, if any.
func (ex *exchange) end(r *http.Request) {
	if ex.access != nil {
		ex.access.write(ex, r)
	}
	if ex.observe != nil {
		ex.observe.done(ex, r)
	}
}

// status is the status the client got: 200 when the handler wrote nothing
// (net/http sends it), 0 when no response was sent at all (the connection
// was hijacked or the handler aborted).
func (ex *exchange) status() int {
	switch {
	case ex.rw.status != 0:
		return ex.rw.status
	case ex.rw.detached:
		return 0
	default:
		return http.StatusOK
	}
}

// bodyBytes is the number of body bytes sent. net/http discards the body
// of a response to HEAD, so none are.
func (ex *exchange) bodyBytes(r *http.Request) int64 {
	if r.Method == http.MethodHead {
		return 0
	}
	return ex.rw.bytes
}

// responseWriter records the status and the body bytes written through it.
// Unwrap lets http.ResponseController reach the writer underneath.
type responseWriter struct {
	w        http.ResponseWriter
	status   int   // final status, 0 until the header is written
	bytes    int64 // body bytes accepted by w
	detached bool  // no HTTP response will follow: hijacked or aborted
}

var (
	_ http.Flusher    = (*responseWriter)(nil)
	_ http.Hijacker   = (*responseWriter)(nil)
	_ io.ReaderFrom   = (*responseWriter)(nil)
	_ io.StringWriter = (*responseWriter)(nil)
)

// Header returns the underlying writer's header map.
func (rw *responseWriter) Header() http.Header { return rw.w.Header() }

// WriteHeader records the first final status (1xx other than 101 are
// informational and not final) and passes code on.
func (rw *responseWriter) WriteHeader(code int) {
	rw.w.WriteHeader(code) // panics on an invalid code: record nothing then
	if rw.status == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		rw.status = code
	}
}

// Write writes p, sending the implicit 200 first if needed.
func (rw *responseWriter) Write(p []byte) (int, error) {
	if rw.status == 0 {
		rw.status = http.StatusOK
	}
	n, err := rw.w.Write(p)
	rw.bytes += int64(n)
	return n, err
}

// WriteString writes s without converting it to a byte slice when the
// underlying writer allows it.
func (rw *responseWriter) WriteString(s string) (int, error) {
	if rw.status == 0 {
		rw.status = http.StatusOK
	}
	n, err := io.WriteString(rw.w, s)
	rw.bytes += int64(n)
	return n, err
}

// ReadFrom keeps net/http's sendfile path for io.Copy (http.ServeContent).
func (rw *responseWriter) ReadFrom(src io.Reader) (int64, error) {
	if rw.status == 0 {
		rw.status = http.StatusOK
	}
	var n int64
	var err error
	if rf, ok := rw.w.(io.ReaderFrom); ok {
		n, err = rf.ReadFrom(src)
	} else {
		n, err = io.Copy(rw.w, src)
	}
	rw.bytes += n
	return n, err
}

// Flush sends buffered data to the client, if the underlying writer can.
func (rw *responseWriter) Flush() {
	if rw.status == 0 {
		rw.status = http.StatusOK
	}
	if f, ok := rw.w.(http.Flusher); ok {
		f.Flush()
		return
	}
	_ = http.NewResponseController(rw.w).Flush() // http.ErrNotSupported: nothing to flush
}

// Hijack hands the connection to the handler, for code that asserts
// http.Hijacker instead of using http.ResponseController.
func (rw *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(rw.w).Hijack()
	if err == nil {
		rw.detached = true
	}
	return c, brw, err
}

// Unwrap returns the underlying writer, for http.ResponseController.
func (rw *responseWriter) Unwrap() http.ResponseWriter { return rw.w }

// underlying unwraps w down to the writer net/http created, which
// http.MaxBytesReader needs to close the connection when a body is too large.
func underlying(w http.ResponseWriter) http.ResponseWriter {
	for {
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return w
		}
		w = u.Unwrap()
	}
}
