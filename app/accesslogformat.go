package app

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// IsAccessLogTemplate reports whether an access log format is a template
// (it holds a %(…)s atom) rather than one of the named formats.
func IsAccessLogTemplate(format string) bool { return strings.Contains(format, "%(") }

// accessTemplate is a parsed --access-log-format template: literal text
// and atoms, in order.
type accessTemplate []accessPart

type accessPart struct {
	text string                                 // literal text, when atom is nil
	atom func(b []byte, a *accessRecord) []byte // appends the atom's value
}

// accessRecord is what an atom reads: one finished exchange.
type accessRecord struct {
	ex   *exchange
	r    *http.Request
	took time.Duration
	pid  int
}

// ErrAccessLogTemplate is wrapped by every error CheckAccessLogFormat
// returns for a template.
var ErrAccessLogTemplate = errors.New("bad access log template")

// CheckAccessLogFormat reports whether format is one [Config.AccessLogFormat]
// accepts: AccessLogJSON, AccessLogCombined or a template (see
// parseAccessTemplate), for the configuration's validation.
func CheckAccessLogFormat(format string) error {
	switch {
	case format == AccessLogJSON || format == AccessLogCombined:
		return nil
	case IsAccessLogTemplate(format):
		_, err := parseAccessTemplate(format)
		return err
	}
	return fmt.Errorf("want json, combined or a template with %%(NAME)s atoms, got %q", format)
}

// parseAccessTemplate reads a template in Gunicorn's --access-logformat
// syntax: %(NAME)s atoms among literal text, %% for a percent sign. The
// atoms are Gunicorn's where they map onto drover:
//
//	h  client address (the trusted-proxy rule's), "-" when unknown
//	l  "-"
//	u  the authenticated user's ID, "-" when none
//	t  time of the request, [02/Jan/2006:15:04:05 -0700]
//	r  request line, "GET /x?q=1 HTTP/1.1"
//	m  method       U  path      q  query string     H  protocol
//	s  status       B  body bytes   b  body bytes or "-"
//	f  Referer      a  User-Agent
//	T  response time in whole seconds   M  in milliseconds
//	D  in microseconds                  L  in decimal seconds
//	p  the worker's PID, "<PID>"
//	{header}i  a request header    {header}o  a response header
//
// Every value is escaped as Apache escapes (\" \\ \xNN), so a line stays
// one line. Gunicorn's {name}e (environment variables) is refused: an
// access log is no place for the process's secrets.
func parseAccessTemplate(s string) (accessTemplate, error) {
	var t accessTemplate
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t = append(t, accessPart{text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < ' ' || c == 0x7f {
			return nil, fmt.Errorf("%w: control byte %#x at offset %d (a line must stay one line)", ErrAccessLogTemplate, c, i)
		}
		if c != '%' {
			lit.WriteByte(c)
			i++
			continue
		}
		rest := s[i+1:]
		switch {
		case strings.HasPrefix(rest, "%"):
			lit.WriteByte('%')
			i += 2
			continue
		case !strings.HasPrefix(rest, "("):
			return nil, fmt.Errorf("%w: %% at offset %d is neither %%(NAME)s nor %%%%", ErrAccessLogTemplate, i)
		}
		name, after, ok := cutAtomName(rest[1:])
		if !ok {
			return nil, fmt.Errorf("%w: unclosed %%( at offset %d", ErrAccessLogTemplate, i)
		}
		if !strings.HasPrefix(after, "s") {
			return nil, fmt.Errorf("%w: %%(%s) must be followed by s (a string), as %%(%s)s", ErrAccessLogTemplate, name, name)
		}
		atom, err := accessAtom(name)
		if err != nil {
			return nil, err
		}
		flush()
		t = append(t, accessPart{atom: atom})
		i = len(s) - len(after) + 1
	}
	flush()
	if len(t) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrAccessLogTemplate)
	}
	return t, nil
}

// cutAtomName splits "NAME)rest" at the closing parenthesis; a {header}
// name may itself hold one.
func cutAtomName(s string) (name, rest string, ok bool) {
	if strings.HasPrefix(s, "{") {
		end := strings.IndexByte(s, '}')
		if end < 0 {
			return "", "", false
		}
		name, rest, ok = strings.Cut(s[end:], ")")
		return s[:end] + name, rest, ok
	}
	return strings.Cut(s, ")")
}

func mustParseAccessTemplate(s string) accessTemplate {
	t, err := parseAccessTemplate(s)
	if err != nil {
		panic(err) // only for the constant templates of this package
	}
	return t
}

// accessAtom returns the function that appends the atom name's value.
func accessAtom(name string) (func([]byte, *accessRecord) []byte, error) {
	if h, ok := strings.CutPrefix(name, "{"); ok {
		h, kind, _ := strings.Cut(h, "}")
		key := http.CanonicalHeaderKey(h)
		switch {
		case h == "":
		case kind == "i":
			return func(b []byte, a *accessRecord) []byte { return appendOrDash(b, a.r.Header.Get(key)) }, nil
		case kind == "o":
			return func(b []byte, a *accessRecord) []byte { return appendOrDash(b, a.ex.rw.Header().Get(key)) }, nil
		case kind == "e":
			return nil, fmt.Errorf("%w: %%(%s)s: environment variables are not logged", ErrAccessLogTemplate, name)
		}
		return nil, fmt.Errorf("%w: %%(%s)s: want {header}i or {header}o", ErrAccessLogTemplate, name)
	}
	switch name {
	case "h":
		return func(b []byte, a *accessRecord) []byte { return appendOrDash(b, a.ex.clientText) }, nil
	case "l":
		return func(b []byte, _ *accessRecord) []byte { return append(b, '-') }, nil
	case "u":
		return func(b []byte, a *accessRecord) []byte { return appendOrDash(b, a.ex.user) }, nil
	case "t":
		return func(b []byte, a *accessRecord) []byte {
			b = append(b, '[')
			b = a.ex.start.AppendFormat(b, combinedTimeLayout)
			return append(b, ']')
		}, nil
	case "r":
		return func(b []byte, a *accessRecord) []byte {
			b = appendEscaped(b, a.r.Method)
			b = append(b, ' ')
			b = appendEscaped(b, requestURI(a.r))
			b = append(b, ' ')
			return appendEscaped(b, a.r.Proto)
		}, nil
	case "m":
		return func(b []byte, a *accessRecord) []byte { return appendEscaped(b, a.r.Method) }, nil
	case "U":
		return func(b []byte, a *accessRecord) []byte { return appendEscaped(b, a.r.URL.EscapedPath()) }, nil
	case "q":
		return func(b []byte, a *accessRecord) []byte { return appendEscaped(b, a.r.URL.RawQuery) }, nil
	case "H":
		return func(b []byte, a *accessRecord) []byte { return appendEscaped(b, a.r.Proto) }, nil
	case "s":
		return func(b []byte, a *accessRecord) []byte { return strconv.AppendInt(b, int64(a.ex.status()), 10) }, nil
	case "B":
		return func(b []byte, a *accessRecord) []byte { return strconv.AppendInt(b, a.ex.bodyBytes(a.r), 10) }, nil
	case "b":
		return func(b []byte, a *accessRecord) []byte {
			if n := a.ex.bodyBytes(a.r); n != 0 {
				return strconv.AppendInt(b, n, 10)
			}
			return append(b, '-')
		}, nil
	case "f":
		return func(b []byte, a *accessRecord) []byte { return appendOrDash(b, a.r.Referer()) }, nil
	case "a":
		return func(b []byte, a *accessRecord) []byte { return appendOrDash(b, a.r.UserAgent()) }, nil
	case "T":
		return func(b []byte, a *accessRecord) []byte { return strconv.AppendInt(b, int64(a.took/time.Second), 10) }, nil
	case "M":
		return func(b []byte, a *accessRecord) []byte { return strconv.AppendInt(b, a.took.Milliseconds(), 10) }, nil
	case "D":
		return func(b []byte, a *accessRecord) []byte { return strconv.AppendInt(b, a.took.Microseconds(), 10) }, nil
	case "L":
		return func(b []byte, a *accessRecord) []byte { return strconv.AppendFloat(b, a.took.Seconds(), 'f', 6, 64) }, nil
	case "p":
		return func(b []byte, a *accessRecord) []byte {
			b = append(b, '<')
			b = strconv.AppendInt(b, int64(a.pid), 10)
			return append(b, '>')
		}, nil
	}
	return nil, fmt.Errorf("%w: unknown atom %%(%s)s", ErrAccessLogTemplate, name)
}

// append appends the line of one exchange.
func (t accessTemplate) append(b []byte, a *accessRecord) []byte {
	for _, p := range t {
		if p.atom == nil {
			b = append(b, p.text...)
			continue
		}
		b = p.atom(b, a)
	}
	return b
}
