package app

import (
	"net/http"
	"strconv"

	"github.com/drover/drover/app/internal/drf"
)

// limits answers requests over the configured limits with an honest status
// (414, 431, 413) before any handler runs, and closes the connection after
// the answer. A negative limit is unlimited.
//
// The limits can only see what net/http let through: the worker sets
// http.Server.MaxHeaderBytes to [MaxHeaderBytes] so every request within
// the limits reaches this layer.
type limits struct {
	line      int
	fields    int
	fieldSize int
	body      int64
}

func newLimits(cfg Config) *limits {
	return &limits{
		line:      cfg.LimitRequestLine,
		fields:    cfg.LimitRequestFields,
		fieldSize: cfg.LimitRequestFieldSize,
		body:      cfg.LimitRequestBody,
	}
}

func (l *limits) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if status, detail := l.check(r); status != 0 {
			// The rest of the request (a body, pipelined requests) is not read.
			w.Header().Set("Connection", "close")
			Error(w, status, detail)
			return
		}
		if l.body >= 0 && r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody {
			// A body of unknown length (chunked): reads past the limit fail
			// with *http.MaxBytesError and net/http closes the connection.
			// r is the chain's own copy of the request (see begin), so
			// replacing its Body does not touch the caller's request.
			r.Body = http.MaxBytesReader(underlying(w), r.Body, l.body)
		}
		next.ServeHTTP(w, r)
	})
}

// check returns the status and detail to answer r with, or 0 when r is
// within the limits. A body with a known length (Content-Length) needs no
// wrapping: net/http never reads past it.
func (l *limits) check(r *http.Request) (int, string) {
	if l.line >= 0 && requestLineLen(r) > l.line {
		return http.StatusRequestURITooLong,
			"Request line is longer than " + strconv.Itoa(l.line) + " bytes."
	}
	if l.fields >= 0 || l.fieldSize >= 0 {
		// One pass over the header map serves both limits; a request over
		// both is answered about the count.
		count, name, oversize := scanFields(r, l.fieldSize)
		if l.fields >= 0 && count > l.fields {
			return http.StatusRequestHeaderFieldsTooLarge,
				"Too many header fields (limit " + strconv.Itoa(l.fields) + ")."
		}
		if oversize {
			return http.StatusRequestHeaderFieldsTooLarge, fieldTooLarge(name, l.fieldSize)
		}
	}
	if l.body >= 0 && r.ContentLength > l.body {
		return http.StatusRequestEntityTooLarge, drf.BodyTooLarge(l.body)
	}
	return 0, ""
}

// requestLineLen is len("METHOD SP request-target SP HTTP/x.y").
func requestLineLen(r *http.Request) int {
	return len(r.Method) + 1 + len(requestURI(r)) + 1 + len(r.Proto)
}

// scanFields counts the header fields as the client sent them and finds one
// longer than sizeLimit (a negative limit finds none), counting each field
// as Gunicorn does, the whole line with its CRLF: [fieldLen]. net/http
// moves Host to r.Host and Transfer-Encoding to r.TransferEncoding, and
// removes Trailer: they count too.
func scanFields(r *http.Request, sizeLimit int) (count int, name string, oversize bool) {
	if r.Host != "" {
		count++
		if sizeLimit >= 0 && fieldLen("Host", r.Host) > sizeLimit {
			name, oversize = "Host", true
		}
	}
	if len(r.TransferEncoding) > 0 {
		count++
	}
	if len(r.Trailer) > 0 {
		count++
	}
	for k, vv := range r.Header {
		count += len(vv)
		if oversize || sizeLimit < 0 {
			continue
		}
		for _, v := range vv {
			if fieldLen(k, v) > sizeLimit {
				name, oversize = k, true
				break
			}
		}
	}
	return count, name, oversize
}

// fieldLen is the length of the field line "Name: value\r\n", as Gunicorn
// counts it against limit_request_field_size. net/http has trimmed the
// whitespace around the value, so one space after the colon stands for
// whatever the client sent there.
func fieldLen(name, value string) int {
	return len(name) + len(": ") + len(value) + len("\r\n")
}

// maxNamedField is the longest field name quoted back in a 431 detail.
const maxNamedField = 64

// fieldTooLarge is the 431 detail for one oversize field; the name is
// quoted when it is short enough to help rather than echo an attack back.
func fieldTooLarge(name string, limit int) string {
	if len(name) > maxNamedField {
		return "A header field is longer than " + strconv.Itoa(limit) + " bytes."
	}
	return "Header field \"" + name + "\" is longer than " + strconv.Itoa(limit) + " bytes."
}

// headerSlack covers what the field limits do not count: optional
// whitespace around values and the bytes net/http reads ahead.
const headerSlack = 4096

// MaxHeaderBytes returns the http.Server.MaxHeaderBytes the worker must set
// so that every request within cfg's line and header limits reaches the
// chain, whose limits then answer 414 or 431 with a JSON body:
// the request line and its CRLF, LimitRequestFields field lines of
// LimitRequestFieldSize bytes (CRLF included), the empty line, and some
// slack.
//
// Beyond this budget net/http itself answers "431 Request Header Fields Too
// Large" in plain text and the chain never sees the request. When any of the
// three limits is unlimited (negative) there is no budget to compute, and
// MaxHeaderBytes returns http.DefaultMaxHeaderBytes: net/http's 1 MiB ceiling
// is then the only one.
func MaxHeaderBytes(cfg Config) int {
	cfg = cfg.withDefaults()
	if cfg.LimitRequestLine < 0 || cfg.LimitRequestFields < 0 || cfg.LimitRequestFieldSize < 0 {
		return http.DefaultMaxHeaderBytes
	}
	// A budget past the ceiling is a configuration mistake: net/http may
	// buffer that much per connection. Checking each term first also keeps
	// the arithmetic from overflowing.
	const ceiling = 1 << 30
	line, fields, size := cfg.LimitRequestLine, cfg.LimitRequestFields, cfg.LimitRequestFieldSize
	if line > ceiling || fields > ceiling || size > ceiling {
		return ceiling
	}
	n := (line + 2) + fields*size + 2 + headerSlack
	return min(n, ceiling)
}
