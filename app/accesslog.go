package app

import (
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

// accessLog writes one line per request.
type accessLog struct {
	log      *zap.Logger
	combined bool
	now      func() time.Time // test seam
	bufs     sync.Pool        // *[]byte, for combined lines
}

// newAccessLog returns nil when access is nil: no access log.
func newAccessLog(cfg Config, log, access *zap.Logger) *accessLog {
	if access == nil {
		return nil
	}
	a := &accessLog{log: access, now: time.Now}
	switch cfg.AccessLogFormat {
	case AccessLogCombined:
		a.combined = true
	case AccessLogJSON:
	default:
		log.Warn("unknown access log format, using json", zap.String("access_log_format", cfg.AccessLogFormat))
	}
	if !a.combined {
		// Encoded once here rather than on every request.
		a.log = access.With(zap.Int("worker_pid", cfg.WorkerPID), zap.Int("generation", cfg.Generation))
	}
	return a
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
	if a.combined {
		bp, _ := a.bufs.Get().(*[]byte)
		if bp == nil {
			bp = new([]byte)
		}
		*bp = appendCombined((*bp)[:0], ex, r)
		// The line is the message; Check took a placeholder so that a
		// disabled logger costs no formatting.
		ce.Message = string(*bp)
		ce.Write()
		a.bufs.Put(bp)
		return
	}
	ce.Write(
		zap.String("remote_addr", ex.clientText),
		zap.String("method", r.Method),
		zap.String("path", r.URL.EscapedPath()),
		zap.String("query", r.URL.RawQuery),
		zap.String("proto", r.Proto),
		zap.Int("status", ex.status()),
		zap.Int64("bytes", ex.bodyBytes(r)),
		zap.Duration("duration", a.now().Sub(ex.start)),
		zap.String("user_agent", r.UserAgent()),
		zap.String("referer", r.Referer()),
		zap.String("request_id", ex.id),
	)
}

// appendCombined appends the Apache combined line
//
//	%h - - [%d/%b/%Y:%H:%M:%S %z] "%r" %>s %b "%{Referer}i" "%{User-agent}i"
//
// followed by the request ID in quotes. Request data is escaped as Apache
// does: \" \\ and \xNN for control and non-ASCII bytes.
func appendCombined(b []byte, ex *exchange, r *http.Request) []byte {
	b = appendOrDash(b, ex.clientText)
	b = append(b, " - - ["...)
	b = ex.start.AppendFormat(b, combinedTimeLayout)
	b = append(b, `] "`...)
	b = appendEscaped(b, r.Method)
	b = append(b, ' ')
	b = appendEscaped(b, requestURI(r))
	b = append(b, ' ')
	b = appendEscaped(b, r.Proto)
	b = append(b, `" `...)
	b = strconv.AppendInt(b, int64(ex.status()), 10)
	b = append(b, ' ')
	if n := ex.bodyBytes(r); n == 0 {
		b = append(b, '-')
	} else {
		b = strconv.AppendInt(b, n, 10)
	}
	b = append(b, ` "`...)
	b = appendOrDash(b, r.Referer())
	b = append(b, `" "`...)
	b = appendOrDash(b, r.UserAgent())
	b = append(b, `" "`...)
	b = appendEscaped(b, ex.id)
	return append(b, '"')
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
