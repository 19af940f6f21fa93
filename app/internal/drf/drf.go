package drf

import (
	"io"
	"net/http"
	"strconv"
	"unicode/utf8"
)

// jsonContentType is the Content-Type value WriteJSON puts in every JSON
// response's header map, shared so that setting it allocates nothing. It
// is never changed after init, and sharing it is safe as long as nobody
// writes to its one element: net/http reads header values and copies the
// map (Header.Clone) when the status is written, and replaces values with
// Set or appends with Add (whose append, at full capacity, allocates a new
// array) rather than writing into a value slice. Code in app and app/api
// that changes a Content-Type does it with Set, Del or a new slice; it
// never indexes into the one it found.
var jsonContentType = []string{"application/json"}

// WriteJSON writes body, which must be JSON, with the given status and
// Content-Type application/json. Every JSON response of app and app/api
// goes through here or WriteJSONBytes.
func WriteJSON(w http.ResponseWriter, status int, body string) {
	w.Header()["Content-Type"] = jsonContentType[:1:1] // canonical key: no Set needed; shared, see jsonContentType
	w.WriteHeader(status)
	// A failed write means the client is gone: nothing is left to do.
	_, _ = io.WriteString(w, body)
}

// WriteJSONBytes is WriteJSON for a body built in a byte slice, which it
// writes as it is rather than converting it to a string first.
func WriteJSONBytes(w http.ResponseWriter, status int, body []byte) {
	w.Header()["Content-Type"] = jsonContentType[:1:1] // canonical key: no Set needed; shared, see jsonContentType
	w.WriteHeader(status)
	// A failed write means the client is gone: nothing is left to do.
	_, _ = w.Write(body)
}

// MethodNotAllowed is DRF's 405 detail.
func MethodNotAllowed(method string) string {
	return `Method "` + method + `" not allowed.`
}

// BodyTooLarge is the 413 detail, whether the Content-Length announced it
// or the body grew past the limit while a handler read it.
func BodyTooLarge(limit int64) string {
	return "Request body is larger than " + strconv.FormatInt(limit, 10) + " bytes."
}

// AppendString appends s as a JSON string. Non-ASCII text is kept as is
// (DRF's UNICODE_JSON); quotes, backslashes and control characters are
// escaped, invalid UTF-8 becomes U+FFFD, and U+2028/U+2029 are escaped so
// the output is also valid JavaScript.
func AppendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < ' ' || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
