package app

import (
	"net/http"

	"github.com/drover/drover/app/internal/drf"
)

// Error writes an error response in Django REST Framework's shape,
// {"detail":"…"}, with the given status and Content-Type application/json.
// It is the one place the chain, the router and the API (app/api) write
// errors; other packages use it to answer the same way. The body is compact JSON
// without a trailing newline, as DRF renders it. Headers such as Allow or
// WWW-Authenticate are the caller's to set before calling Error.
func Error(w http.ResponseWriter, status int, detail string) {
	b := make([]byte, 0, len(`{"detail":""}`)+len(detail)+8)
	b = append(b, `{"detail":`...)
	b = drf.AppendString(b, detail)
	b = append(b, '}')
	drf.WriteJSONBytes(w, status, b)
}
