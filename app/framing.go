package app

import "net/http"

// framing closes the connection after a request whose body a server in
// front of drover could have framed differently from net/http, so that
// bytes one of them took for a body are never read as a request by the
// other (request smuggling). It matters when drover faces clients
// directly or behind a front that passes such requests on; nginx with the
// shipped site re-frames every request itself.
//
// Two kinds of request get "Connection: close" on their response, which
// makes net/http close the connection after it (half-closing first):
//
//   - an HTTP/1.x request with any Transfer-Encoding. net/http decodes a
//     chunked body and drops a Content-Length beside it before a handler
//     runs, while a front that framed the message by that Content-Length,
//     or did not recognise the Transfer-Encoding as spelt (upper case,
//     a tab or trailing space in the value, after a bare-LF line,
//     obs-folded: net/http accepts them all), sends what follows the
//     chunks as the next request on the same connection. RFC 9112 §6.1:
//     a server that receives both ought to treat the message as an error
//     and must close the connection after responding.
//   - every HTTP/1.0 request. net/http ignores Transfer-Encoding on
//     HTTP/1.0 and deletes it from the header before any handler runs, so
//     on a keep-alive connection a chunked body is read as the next
//     request. RFC 9112 §6.1 has a server treat an HTTP/1.0 message with
//     Transfer-Encoding as faulty framing and close after it; since the
//     chain cannot see which ones had one, it keeps no HTTP/1.0
//     connection alive. HTTP/1.0 keep-alive is an extension few clients
//     use (ApacheBench's -k; nginx speaks HTTP/1.1 to keep-alive
//     upstreams); they reconnect.
//
// HTTP/2 frames every body itself and is left alone.
func framing(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if mayBeMisframed(r) {
			w.Header().Set("Connection", "close")
		}
		next.ServeHTTP(w, r)
	})
}

// mayBeMisframed reports whether r's connection must not carry another
// request after it; see framing.
func mayBeMisframed(r *http.Request) bool {
	if r.ProtoMajor != 1 {
		return false
	}
	return r.ProtoMinor == 0 || len(r.TransferEncoding) > 0
}
