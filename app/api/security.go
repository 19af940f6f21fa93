package api

import "net/http"

// SecurityHeaders returns next with the headers Django's default
// middleware puts on every response of a DRF project, so that a front end
// or a scanner sees drover's API as it sees Django's:
//
//	X-Frame-Options: DENY               XFrameOptionsMiddleware (X_FRAME_OPTIONS)
//	X-Content-Type-Options: nosniff     SecurityMiddleware (SECURE_CONTENT_TYPE_NOSNIFF)
//	Referrer-Policy: same-origin        SecurityMiddleware (SECURE_REFERRER_POLICY)
//
// They are set before next runs, so a handler that sets one of its own
// replaces it, as a Django view's own header wins. [Router]'s APPEND_SLASH
// redirect goes without X-Frame-Options, as Django's does: its
// CommonMiddleware answers before XFrameOptionsMiddleware, the innermost
// of Django's defaults, is reached. Django 4.0's
// SecurityMiddleware adds Cross-Origin-Opener-Policy: same-origin; that is
// not sent: it governs the windows an HTML page opens, which a JSON
// answer never is, and Django 3.2, the stack drover is compared with, does
// not send it either. Strict-Transport-Security is off in Django by
// default (SECURE_HSTS_SECONDS = 0) and here: it belongs to whoever
// terminates TLS.
func SecurityHeaders(next http.Handler) http.Handler {
	// The three values, shared by every response so that setting them
	// allocates nothing. Sharing is safe because nothing writes into a
	// header value slice in place: net/http reads the values and copies
	// the map when the status is written (Header.Clone), Set and Del
	// replace a slice, and each slice is capped at its length, so a
	// handler's Add appends to a new array instead of into the next value.
	v := [...]string{"DENY", "nosniff", "same-origin"}
	frame, nosniff, referrer := v[0:1:1], v[1:2:2], v[2:3:3]
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["X-Frame-Options"] = frame
		h["X-Content-Type-Options"] = nosniff
		h["Referrer-Policy"] = referrer
		next.ServeHTTP(w, r)
	})
}
