package drf

import (
	"io"
	"net/http"
	"strconv"
	"unicode/utf8"
)

// WriteJSON writes body, which must be JSON, with the given status and
// Content-Type application/json. Every JSON response of app and app/api
// goes through here.
func WriteJSON(w http.ResponseWriter, status int, body string) {
	w.Header()["Content-Type"] = []string{"application/json"} // canonical key: no Set needed
	w.WriteHeader(status)
	// A failed write means the client is gone: nothing is left to do.
	_, _ = io.WriteString(w, body)
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
