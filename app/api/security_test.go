package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestSecurityHeaders checks that every answer of the API carries Django's
// default security headers, the errors the router writes itself included,
// and that a handler's own value wins.
func TestSecurityHeaders(t *testing.T) {
	h := SecurityHeaders(testAPI(t))
	own := SecurityHeaders(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Frame-Options", "SAMEORIGIN")
		w.Header().Add("Referrer-Policy", "no-referrer")
	}))
	verify := httptest.NewRequest(http.MethodPost, "/api/token/verify/", strings.NewReader(`{"token":"`+forge(t, "access")+`"}`))
	verify.Header.Set("Content-Type", "application/json")
	tests := []struct {
		name        string
		handler     http.Handler
		give        *http.Request
		wantStatus  int
		wantFrame   string
		wantSniff   string
		wantReferer []string
	}{
		{name: "200", handler: h, give: verify, wantStatus: 200, wantFrame: "DENY", wantSniff: "nosniff", wantReferer: []string{"same-origin"}},
		{name: "401", handler: h, give: httptest.NewRequest(http.MethodGet, "/hello/", nil), wantStatus: 401, wantFrame: "DENY", wantSniff: "nosniff", wantReferer: []string{"same-origin"}},
		{name: "404", handler: h, give: httptest.NewRequest(http.MethodGet, "/nope/", nil), wantStatus: 404, wantFrame: "DENY", wantSniff: "nosniff", wantReferer: []string{"same-origin"}},
		{name: "405", handler: h, give: httptest.NewRequest(http.MethodGet, "/api/token/", nil), wantStatus: 405, wantFrame: "DENY", wantSniff: "nosniff", wantReferer: []string{"same-origin"}},
		{name: "OPTIONS", handler: h, give: httptest.NewRequest(http.MethodOptions, "/api/token/", nil), wantStatus: 200, wantFrame: "DENY", wantSniff: "nosniff", wantReferer: []string{"same-origin"}},
		// Django's CommonMiddleware redirects before XFrameOptionsMiddleware runs.
		{name: "redirect", handler: h, give: httptest.NewRequest(http.MethodGet, "/hello", nil), wantStatus: 301, wantFrame: "", wantSniff: "nosniff", wantReferer: []string{"same-origin"}},
		{name: "handler's own", handler: own, give: httptest.NewRequest(http.MethodGet, "/", nil), wantStatus: 200, wantFrame: "SAMEORIGIN", wantSniff: "nosniff", wantReferer: []string{"same-origin", "no-referrer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(tt.handler, tt.give)
			got := rec.Header()
			if rec.Code != tt.wantStatus || got.Get("X-Frame-Options") != tt.wantFrame || got.Get("X-Content-Type-Options") != tt.wantSniff ||
				strings.Join(got.Values("Referrer-Policy"), ", ") != strings.Join(tt.wantReferer, ", ") {
				t.Errorf("%s %s = %d X-Frame-Options %q X-Content-Type-Options %q Referrer-Policy %q, want %d %q %q %q", tt.give.Method, tt.give.URL.Path,
					rec.Code, got.Get("X-Frame-Options"), got.Get("X-Content-Type-Options"), got.Values("Referrer-Policy"),
					tt.wantStatus, tt.wantFrame, tt.wantSniff, tt.wantReferer)
			}
		})
	}
}

// TestSecurityHeadersOff checks the API alone sends none of them.
func TestSecurityHeadersOff(t *testing.T) {
	rec := serve(testAPI(t), httptest.NewRequest(http.MethodGet, "/hello/", nil))
	for _, name := range []string{"X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy"} {
		if v, ok := rec.Header()[name]; ok {
			t.Errorf("GET /hello/ without SecurityHeaders: %s = %q, want none", name, v)
		}
	}
}

// TestSecurityHeadersShared checks that the values SecurityHeaders shares
// between responses survive a handler that adds to one of them: the next
// response carries the defaults, not the last handler's addition.
func TestSecurityHeadersShared(t *testing.T) {
	h := SecurityHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/add/" {
			w.Header().Add("Referrer-Policy", "no-referrer")
			w.Header().Add("X-Frame-Options", "SAMEORIGIN")
		}
	}))
	serve(h, httptest.NewRequest(http.MethodGet, "/add/", nil))
	got := serve(h, httptest.NewRequest(http.MethodGet, "/", nil)).Header()
	if v := got.Values("Referrer-Policy"); len(v) != 1 || v[0] != "same-origin" {
		t.Errorf("Referrer-Policy after a handler's Add = %q, want [same-origin]", v)
	}
	if v := got.Values("X-Frame-Options"); len(v) != 1 || v[0] != "DENY" {
		t.Errorf("X-Frame-Options after a handler's Add = %q, want [DENY]", v)
	}
}
