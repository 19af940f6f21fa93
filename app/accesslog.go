package app

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// CombinedEncoderConfig is the encoder configuration for an access logger
// in the "combined" format: the chain builds the whole Apache line itself
// (already escaped) and logs it as the message, so the encoder must print
// the message and nothing else. Use it with a console encoder:
//
//	enc := zapcore.NewConsoleEncoder(app.CombinedEncoderConfig())
//	access := zap.New(zapcore.NewCore(enc, sink, zapcore.InfoLevel))
//
// and give that logger no fields (no With): they would be appended to the
// line as JSON.
func CombinedEncoderConfig() zapcore.EncoderConfig {
	return zapcore.EncoderConfig{
		MessageKey: "msg",
		LineEnding: zapcore.DefaultLineEnding,
	}
}

// combinedTimeLayout is Apache's %t: [%d/%b/%Y:%H:%M:%S %z].
const combinedTimeLayout = "02/Jan/2006:15:04:05 -0700"

// combinedTemplate is the combined format as a template: Apache's
// combined line, then the request ID and the response time in
// microseconds (Apache's and Gunicorn's %D).
const combinedTemplate = `%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" "%({x-request-id}o)s" %(D)s`

// accessLog writes one line per request.
type accessLog struct {
	log    *zap.Logger
	line   accessTemplate   // nil: JSON fields
	dev    bool             // the development server's "GET /x 200 54µs"
	pid    int              // the worker's PID, for %(p)s
	now    func() time.Time // test seam
	lines  sync.Pool        // *textLine, for combined, template and dev lines
	fields sync.Pool        // *jsonFields, for JSON lines
}

// textLine is what writing one text line needs: the buffer the line is
// built in and the record its template's atoms read. Both are pooled: the
// record escapes (the atoms are func values) and would be allocated on
// every request otherwise.
type textLine struct {
	buf []byte
	rec accessRecord
}

// jsonFields is the typed fields of one JSON access log line. They are
// pooled because the slice handed to CheckedEntry.Write escapes (it goes
// to each zapcore.Core through an interface) and would otherwise be the
// largest allocation of a request. Reusing it is safe: a Core encodes the
// fields in Write or copies them (zaptest/observer), as any caller's
// variadic slice may be reused once Write returns.
type jsonFields [12]zap.Field

// newAccessLog returns nil when access is nil: no access log.
func newAccessLog(cfg Config, log, access *zap.Logger) *accessLog {
	if access == nil {
		return nil
	}
	a := &accessLog{log: access, pid: cfg.WorkerPID, now: time.Now}
	switch f := cfg.AccessLogFormat; {
	case f == AccessLogJSON:
	case f == AccessLogDev:
		a.dev = true
	case f == AccessLogCombined:
		a.line = mustParseAccessTemplate(combinedTemplate)
	case IsAccessLogTemplate(f):
		t, err := parseAccessTemplate(f)
		if err != nil { // config.Validate refuses it first
			log.Warn("bad access log template, using json", zap.String("access_log_format", f), zap.Error(err))
			break
		}
		a.line = t
	default:
		log.Warn("unknown access log format, using json", zap.String("access_log_format", f))
	}
	if a.line == nil && !a.dev {
		// Encoded once here rather than on every request.
		a.log = access.With(zap.Int("worker_pid", cfg.WorkerPID), zap.Int("generation", cfg.Generation))
	}
	return a
}

// SetUser records the ID of the user the request authenticated as, for
// the access log (user_id, and %(u)s in the combined format). Outside
// [Chain] it does nothing.
func SetUser(ctx context.Context, id string) {
	if ex := exchangeFrom(ctx); ex != nil {
		ex.user = id
	}
}

// wrap registers the access log with the request's exchange and starts its
// clock. The line itself is written when the exchange ends (after panic
// recovery has answered), so it carries the status the client really got.
func (a *accessLog) wrap(next http.Handler) http.Handler {
	if a == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ex, w, r, owner := begin(w, r)
		if owner {
			defer ex.end(r)
		}
		ex.access = a
		ex.start = a.now()
		next.ServeHTTP(w, r)
	})
}

// write logs the finished exchange.
func (a *accessLog) write(ex *exchange, r *http.Request) {
	ce := a.log.Check(zapcore.InfoLevel, "request")
	if ce == nil {
		return
	}
	took := a.now().Sub(ex.start)
	if a.line != nil || a.dev {
		tl, _ := a.lines.Get().(*textLine)
		if tl == nil {
			tl = new(textLine)
		}
		if a.dev {
			tl.buf = appendDevLine(tl.buf[:0], ex, r, took)
		} else {
			tl.rec = accessRecord{ex: ex, r: r, took: took, pid: a.pid}
			tl.buf = a.line.append(tl.buf[:0], &tl.rec)
			tl.rec = accessRecord{} // the pool keeps no request alive
		}
		// The line is the message; Check took a placeholder so that a
		// disabled logger costs no formatting.
		ce.Message = string(tl.buf)
		ce.Write()
		a.lines.Put(tl)
		return
	}
	fp, _ := a.fields.Get().(*jsonFields)
	if fp == nil {
		fp = new(jsonFields)
	}
	*fp = jsonFields{
		zap.String("remote_addr", ex.clientText),
		zap.String("method", r.Method),
		zap.String("path", r.URL.EscapedPath()),
		zap.String("query", r.URL.RawQuery),
		zap.String("proto", r.Proto),
		zap.Int("status", ex.status()),
		zap.Int64("bytes", ex.bodyBytes(r)),
		zap.Duration("duration_s", took),
		zap.String("user_agent", r.UserAgent()),
		zap.String("referer", r.Referer()),
		zap.String("request_id", ex.id),
		zap.String("user_id", ex.user),
	}
	ce.Write(fp[:]...)
	*fp = jsonFields{} // the pool keeps no request's strings alive
	a.fields.Put(fp)
}

// appendDevLine appends the development server's request line,
// "GET /x?q=1 200 54µs": what a person scanning a terminal needs.
func appendDevLine(b []byte, ex *exchange, r *http.Request, took time.Duration) []byte {
	b = appendEscaped(b, r.Method)
	b = append(b, ' ')
	b = appendEscaped(b, requestURI(r))
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(ex.status()), 10)
	b = append(b, ' ')
	return append(b, roundDuration(took).String()...)
}

// roundDuration keeps about three significant digits: 54µs, 1.23ms, 2.5s.
func roundDuration(d time.Duration) time.Duration {
	for _, unit := range []time.Duration{time.Second, time.Millisecond, time.Microsecond} {
		switch {
		case d >= 100*unit:
			return d.Round(unit)
		case d >= 10*unit:
			return d.Round(unit / 10)
		case d >= unit:
			return d.Round(unit / 100)
		}
	}
	return d
}

// appendOrDash appends s escaped, or "-" when s is empty.
func appendOrDash(b []byte, s string) []byte {
	if s == "" {
		return append(b, '-')
	}
	return appendEscaped(b, s)
}

// appendEscaped appends s with '"' and '\\' backslash-escaped and control
// and non-ASCII bytes as \xNN, so a line is always one line of ASCII.
func appendEscaped(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < ' ' || c >= 0x7f:
			b = append(b, '\\', 'x', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return b
}

// requestURI is the request-target as the client sent it. Requests made in
// process (not read by net/http's server) have no RequestURI.
func requestURI(r *http.Request) string {
	if r.RequestURI != "" {
		return r.RequestURI
	}
	return r.URL.RequestURI()
}
