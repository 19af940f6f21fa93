package api_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/drover/drover/app/api"
)

// SecurityHeaders gives every answer Django's default security headers.
func ExampleSecurityHeaders() {
	var rt api.Router
	h := api.SecurityHeaders(&rt)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/nope/", nil))
	for _, name := range []string{"X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy"} {
		fmt.Printf("%s: %s\n", name, rec.Header().Get(name))
	}
	// Output:
	// X-Frame-Options: DENY
	// X-Content-Type-Options: nosniff
	// Referrer-Policy: same-origin
}
