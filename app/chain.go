package app

import (
	"net/http"
	"net/netip"

	"go.uber.org/zap"
)

// Defaults for the zero values of [Config]. They follow Gunicorn's defaults
// where Gunicorn has one.
const (
	// DefaultLimitRequestLine is the default maximum length in bytes of the
	// request line ("METHOD SP request-target SP HTTP/x.y"), as in Gunicorn.
	DefaultLimitRequestLine = 4094
	// DefaultLimitRequestFields is the default maximum number of header fields.
	DefaultLimitRequestFields = 100
	// DefaultLimitRequestFieldSize is the default maximum length in bytes of
	// one header field line ("Name: value" and its CRLF), as in Gunicorn.
	DefaultLimitRequestFieldSize = 8190
	// DefaultLimitRequestBody is the default maximum request body size: 1 MiB.
	DefaultLimitRequestBody = 1 << 20
)

// Access log formats accepted by [Config.AccessLogFormat].
const (
	// AccessLogJSON logs one JSON object per request with typed fields (default).
	AccessLogJSON = "json"
	// AccessLogCombined logs one Apache "combined" line per request; see
	// [CombinedEncoderConfig].
	AccessLogCombined = "combined"
	// AccessLogDev logs "GET /x 200 54µs" as the message and nothing
	// else: the development server's request line, for a person.
	AccessLogDev = "dev"
)

// Config is what the handler chain needs. Zero values mean the defaults above;
// for the four limits a negative value means unlimited.
type Config struct {
	// LimitRequestLine is the maximum length in bytes of
	// "METHOD SP request-target SP HTTP/x.y"; over it the chain answers 414.
	LimitRequestLine int
	// LimitRequestFields is the maximum number of header fields, Host
	// included; over it the chain answers 431.
	LimitRequestFields int
	// LimitRequestFieldSize is the maximum length in bytes of one header
	// field line, counted as Gunicorn counts it: "Name: value" and its
	// CRLF, len(name)+2+len(value)+2. Over it the chain answers 431.
	LimitRequestFieldSize int
	// LimitRequestBody is the maximum request body in bytes. A larger
	// Content-Length is answered 413 without reading the body; a chunked body
	// that grows past it makes reads fail with *http.MaxBytesError.
	LimitRequestBody int64
	// ForwardedAllowIPs lists the peers whose X-Forwarded-For and
	// X-Forwarded-Proto are believed. Unix-socket peers are always trusted.
	ForwardedAllowIPs []netip.Prefix
	// TrustAllProxies trusts every peer (forwarded_allow_ips = "*").
	TrustAllProxies bool
	// AccessLogFormat is AccessLogJSON (default), AccessLogCombined,
	// AccessLogDev or a template in Gunicorn's --access-logformat syntax
	// (see [CheckAccessLogFormat]).
	AccessLogFormat string
	// DevErrors makes a panic answer a page with the panic value and the
	// full stack instead of the JSON 500, and holds each response back
	// until its handler returns (or flushes), so a handler that panics
	// after setting a status still gets that page rather than a dropped
	// connection. For `drover dev` only.
	DevErrors bool
	// DevErrorPage, with DevErrors, answers a panic: it returns the page
	// for the panic value and its stack (dev's Failure, HTML for a
	// browser). Nil answers a text/plain page.
	DevErrorPage func(panicValue any, stack []byte) http.Handler
	// WorkerPID is logged as worker_pid on every JSON access log line.
	WorkerPID int
	// Generation is logged as generation on every JSON access log line.
	Generation int
	// Healthy reports whether /healthz should answer 200; when it returns
	// false /healthz answers 503, so that a load balancer polling it stops
	// sending new requests while the server drains. Nil means always
	// healthy. It is called on every health check, concurrently: it must be
	// cheap and safe for concurrent use.
	Healthy func() bool
	// Observer, when set, is told of every finished request (its route
	// class, status, bytes and duration), for metrics; nil for none.
	Observer Observer
}

// withDefaults returns cfg with every zero value replaced by its default.
// It is the only place defaults are filled in.
func (cfg Config) withDefaults() Config {
	if cfg.LimitRequestLine == 0 {
		cfg.LimitRequestLine = DefaultLimitRequestLine
	}
	if cfg.LimitRequestFields == 0 {
		cfg.LimitRequestFields = DefaultLimitRequestFields
	}
	if cfg.LimitRequestFieldSize == 0 {
		cfg.LimitRequestFieldSize = DefaultLimitRequestFieldSize
	}
	if cfg.LimitRequestBody == 0 {
		cfg.LimitRequestBody = DefaultLimitRequestBody
	}
	if cfg.AccessLogFormat == "" {
		cfg.AccessLogFormat = AccessLogJSON
	}
	return cfg
}

// Chain wraps next with drover's middleware. log is the error logger (nil
// discards); access is the access logger (nil turns the access log off).
//
// The order, outermost first, is written here and nowhere else:
//
//  1. panic recovery: a panic anywhere below becomes a logged 500;
//  2. request ID: X-Request-ID honoured or generated, echoed on the response;
//  3. client IP: the peer, or X-Forwarded-For when the peer is trusted;
//  4. access log: one line per request, rejected ones included;
//  5. metrics: Config.Observer told of every request, as the access log;
//  6. framing: the connection is closed after a request a front could
//     have framed differently (any Transfer-Encoding, any HTTP/1.0);
//  7. request limits: 414, 431 and 413 before any handler runs;
//  8. /healthz: answered by the chain itself;
//  9. next.
func Chain(cfg Config, log *zap.Logger, access *zap.Logger, next http.Handler) http.Handler {
	cfg = cfg.withDefaults()
	if log == nil {
		log = zap.NewNop()
	}
	layers := []func(http.Handler) http.Handler{
		newRecoverer(cfg, log).wrap,
		requestID,
		newClientIP(cfg).wrap,
		newAccessLog(cfg, log, access).wrap,
		newObserve(cfg).wrap,
		framing,
		newLimits(cfg).wrap,
		newHealthz(cfg).wrap,
	}
	h := next
	for i := len(layers) - 1; i >= 0; i-- {
		h = layers[i](h)
	}
	return h
}
