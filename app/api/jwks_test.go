package api

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/drover/drover/auth"
)

// keySetService is a TokenService that publishes a key set; its token
// views are never called.
type keySetService struct {
	TokenService
	jwks []byte
	err  error
}

func (s keySetService) JWKS() ([]byte, error) { return s.jwks, s.err }

// testJWKS returns the key set of fresh EdDSA tokens.
func testJWKS(t *testing.T) []byte {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := auth.NewTokens(auth.TokenConfig{Algorithm: "EdDSA", PrivateKeyPEM: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})})
	if err != nil {
		t.Fatal(err)
	}
	set, err := tokens.JWKS()
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func TestJWKS(t *testing.T) {
	set := testJWKS(t)
	rt := &Router{}
	newAuth(keySetService{jwks: set}, nil, refreshCookie{}, nil).Mount(rt, "/api/token/")
	etag := newJWKS(keySetService{jwks: set}).etag
	tests := []struct {
		name       string
		giveMethod string
		givePath   string
		giveHeader map[string]string
		wantStatus int
		wantBody   string
		wantHeader map[string]string
	}{
		{name: "GET under the prefix", giveMethod: "GET", givePath: "/api/token/jwks/", wantStatus: 200, wantBody: string(set),
			wantHeader: map[string]string{"Content-Type": "application/json", "Cache-Control": "public, max-age=300", "Etag": etag, "Allow": "GET, HEAD, OPTIONS"}},
		{name: "GET well-known", giveMethod: "GET", givePath: "/.well-known/jwks.json", wantStatus: 200, wantBody: string(set),
			wantHeader: map[string]string{"Content-Type": "application/json", "Cache-Control": "public, max-age=300", "Etag": etag}},
		{name: "HEAD", giveMethod: "HEAD", givePath: "/.well-known/jwks.json", wantStatus: 200, wantBody: "",
			wantHeader: map[string]string{"Content-Type": "application/json", "Etag": etag}},
		{name: "If-None-Match", giveMethod: "GET", givePath: "/api/token/jwks/", giveHeader: map[string]string{"If-None-Match": etag}, wantStatus: 304, wantBody: "",
			wantHeader: map[string]string{"Cache-Control": "public, max-age=300", "Etag": etag, "Content-Type": ""}},
		{name: "If-None-Match weak, in a list", giveMethod: "GET", givePath: "/api/token/jwks/", giveHeader: map[string]string{"If-None-Match": `"other", W/` + etag}, wantStatus: 304, wantBody: ""},
		{name: "If-None-Match star", giveMethod: "HEAD", givePath: "/api/token/jwks/", giveHeader: map[string]string{"If-None-Match": "*"}, wantStatus: 304, wantBody: ""},
		{name: "If-None-Match another", giveMethod: "GET", givePath: "/api/token/jwks/", giveHeader: map[string]string{"If-None-Match": `"other"`}, wantStatus: 200, wantBody: string(set)},
		{name: "POST", giveMethod: "POST", givePath: "/api/token/jwks/", wantStatus: 405, wantBody: `{"detail":"Method \"POST\" not allowed."}`,
			wantHeader: map[string]string{"Allow": "GET, HEAD, OPTIONS", "Etag": ""}},
		{name: "DELETE well-known", giveMethod: "DELETE", givePath: "/.well-known/jwks.json", wantStatus: 405, wantBody: `{"detail":"Method \"DELETE\" not allowed."}`},
		{name: "no trailing slash", giveMethod: "GET", givePath: "/api/token/jwks", wantStatus: 301, wantBody: "",
			wantHeader: map[string]string{"Location": "/api/token/jwks/"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.giveMethod, tt.givePath, nil)
			for k, v := range tt.giveHeader {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			rt.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus || rec.Body.String() != tt.wantBody {
				t.Errorf("%s %s = %d %s, want %d %s", tt.giveMethod, tt.givePath, rec.Code, rec.Body, tt.wantStatus, tt.wantBody)
			}
			for k, v := range tt.wantHeader {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("%s %s: %s = %q, want %q", tt.giveMethod, tt.givePath, k, got, v)
				}
			}
		})
	}
}

// TestJWKSMount checks where Mount serves the key set: under each prefix,
// at /.well-known/jwks.json once per Router, never for HS256.
func TestJWKSMount(t *testing.T) {
	set := testJWKS(t)
	ok, notFound := "200 "+string(set), `404 {"detail":"Not found."}`
	own := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("own")) })
	tests := []struct {
		name    string
		giveSvc TokenService
		giveOwn bool              // the program registers its own well-known route first
		giveAt  []string          // Mount's prefixes, in order
		want    map[string]string // path → status and body
	}{
		{name: "default prefix", giveSvc: keySetService{jwks: set}, giveAt: []string{"/api/token/"},
			want: map[string]string{"/api/token/jwks/": ok, "/.well-known/jwks.json": ok}},
		{name: "another prefix", giveSvc: keySetService{jwks: set}, giveAt: []string{"/auth/"},
			want: map[string]string{"/auth/jwks/": ok, "/.well-known/jwks.json": ok, "/api/token/jwks/": notFound}},
		{name: "two prefixes", giveSvc: keySetService{jwks: set}, giveAt: []string{"/auth/", "/api/token/"},
			want: map[string]string{"/auth/jwks/": ok, "/api/token/jwks/": ok, "/.well-known/jwks.json": ok}},
		{name: "the program's own well-known route", giveSvc: keySetService{jwks: set}, giveOwn: true, giveAt: []string{"/api/token/"},
			want: map[string]string{"/api/token/jwks/": ok, "/.well-known/jwks.json": "200 own"}},
		{name: "HS256", giveSvc: keySetService{err: errors.New("jwks: HS256 has no public key to publish")}, giveAt: []string{"/api/token/"},
			want: map[string]string{"/api/token/jwks/": notFound, "/.well-known/jwks.json": notFound}},
		{name: "a service without keys", giveSvc: struct{ TokenService }{}, giveAt: []string{"/api/token/"},
			want: map[string]string{"/api/token/jwks/": notFound, "/.well-known/jwks.json": notFound}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := &Router{}
			if tt.giveOwn {
				rt.Handle(http.MethodGet, WellKnownJWKS, own)
			}
			a := newAuth(tt.giveSvc, nil, refreshCookie{}, nil)
			for _, prefix := range tt.giveAt {
				a.Mount(rt, prefix)
			}
			for path, want := range tt.want {
				rec := httptest.NewRecorder()
				rt.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
				if got := fmt.Sprintf("%d %s", rec.Code, rec.Body); got != want {
					t.Errorf("GET %s = %s, want %s", path, got, want)
				}
			}
		})
	}
}

func TestJWKSMaxAge(t *testing.T) {
	if got := newJWKS(keySetService{jwks: []byte(`{"keys":[]}`)}).cacheControl; !strings.HasSuffix(got, "max-age=300") || JWKSMaxAge.Seconds() != 300 {
		t.Errorf("Cache-Control %q, JWKSMaxAge %s: want max-age=300, 5m", got, JWKSMaxAge)
	}
}
