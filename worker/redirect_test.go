package worker

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestHTTPSHost(t *testing.T) {
	tests := []struct {
		hostport string
		port     int
		want     string
	}{
		{hostport: "example.com", port: 443, want: "example.com"},
		{hostport: "example.com:80", port: 443, want: "example.com"},
		{hostport: "example.com:8080", port: 8443, want: "example.com:8443"},
		{hostport: "[2001:db8::1]:80", port: 443, want: "[2001:db8::1]"},
		{hostport: "[2001:db8::1]", port: 8443, want: "[2001:db8::1]:8443"},
		{hostport: "example.com", port: 0, want: "example.com"},
		{hostport: "", port: 443, want: ""},
		{hostport: ":80", port: 443, want: ""},
		{hostport: "evil.example/x", port: 443, want: ""},
		{hostport: "user@evil.example", port: 443, want: ""},
	}
	for _, tt := range tests {
		if got := httpsHost(tt.hostport, tt.port); got != tt.want {
			t.Errorf("httpsHost(%q, %d) = %q, want %q", tt.hostport, tt.port, got, tt.want)
		}
	}
}

func TestRedirectToHTTPS(t *testing.T) {
	app := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })
	challenge := func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path != "/.well-known/acme-challenge/token" {
			return false
		}
		_, _ = w.Write([]byte("token.key"))
		return true
	}
	h := redirectToHTTPS(app, challenge, 8443)
	tests := []struct {
		name         string
		method       string
		target       string
		host         string
		tls          bool
		wantStatus   int
		wantLocation string
		wantBody     string
	}{
		{name: "plain GET is redirected with its query", target: "/api/token/?a=1", host: "example.com:8080", wantStatus: 308, wantLocation: "https://example.com:8443/api/token/?a=1"},
		{name: "plain POST keeps its method through 308", method: "POST", target: "/api/token/", host: "example.com", wantStatus: 308, wantLocation: "https://example.com:8443/api/token/"},
		{name: "ACME challenge is answered, not redirected", target: "/.well-known/acme-challenge/token", host: "example.com", wantStatus: 200, wantBody: "token.key"},
		{name: "no host", target: "/", host: "", wantStatus: 400},
		{name: "over TLS the application answers", target: "/", host: "example.com", tls: true, wantStatus: http.StatusTeapot},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = "GET"
			}
			r := httptest.NewRequest(method, tt.target, nil)
			r.Host = tt.host
			if !tt.tls {
				r.TLS = nil
			} else {
				r.TLS = &tls.ConnectionState{}
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d", rec.Code, tt.wantStatus)
			}
			if got := rec.Header().Get("Location"); got != tt.wantLocation {
				t.Errorf("Location %q, want %q", got, tt.wantLocation)
			}
			if tt.wantBody != "" && rec.Body.String() != tt.wantBody {
				t.Errorf("body %q, want %q", rec.Body.String(), tt.wantBody)
			}
		})
	}
}
