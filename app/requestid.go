package app

import (
	"context"
	"math/rand/v2"
	"net/http"
)

// headerRequestID is X-Request-ID in net/http's canonical form, so map
// lookups and assignments skip canonicalisation.
const headerRequestID = "X-Request-Id"

// maxRequestIDLen is the longest incoming X-Request-ID the chain honours.
const maxRequestIDLen = 200

// RequestID returns the ID of the request whose context is ctx: the
// client's X-Request-ID when it was sane, else one the chain generated
// (32 hex characters). It returns "" outside [Chain].
func RequestID(ctx context.Context) string {
	if ex := exchangeFrom(ctx); ex != nil {
		return ex.id
	}
	return ""
}

// requestID honours a sane incoming X-Request-ID or generates one, stores it
// for [RequestID] and echoes it on the response.
func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ex, w, r, owner := begin(w, r)
		if owner {
			defer ex.end(r)
		}
		id := r.Header.Get(headerRequestID)
		if !validRequestID(id) {
			id = newRequestID()
		}
		ex.id = id
		// The value's array is the exchange's own: capped at its length,
		// so an Add appends to a new array, and a handler that writes into
		// it changes the header alone, not ex.id.
		ex.idHeader[0] = id
		w.Header()[headerRequestID] = ex.idHeader[:1:1]
		next.ServeHTTP(w, r)
	})
}

// validRequestID reports whether id is 1 to 200 visible ASCII characters:
// safe to echo in a header and to log.
func validRequestID(id string) bool {
	if len(id) == 0 || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return false
		}
	}
	return true
}

// newRequestID returns 128 random bits as 32 lowercase hex characters. The
// ID correlates log lines; it is not a secret, so math/rand/v2 is enough.
func newRequestID() string {
	const digits = "0123456789abcdef"
	var b [32]byte
	hi, lo := rand.Uint64(), rand.Uint64()
	for i := range 16 {
		shift := 60 - 4*i
		b[i] = digits[hi>>shift&0xf]
		b[16+i] = digits[lo>>shift&0xf]
	}
	return string(b[:])
}
