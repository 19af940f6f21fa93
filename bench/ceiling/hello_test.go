package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"go.uber.org/zap"

	"github.com/drover/drover/app"
	"github.com/drover/drover/app/api"
	"github.com/drover/drover/auth"
	"github.com/drover/drover/internal/config"
)

var testKey = []byte(strings.Repeat("k", 32))

// ceilingToken is an access token as simplejwt writes it, for user 1.
func ceilingToken(t testing.TB) string {
	t.Helper()
	now := time.Now()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"token_type": "access", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix(),
		"jti": strings.Repeat("a", 32), "user_id": 1,
	}).SignedString(testKey)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// droverChain is drover's worker handler as cli and worker build it (the
// chain from the default settings around the API on a real SQLite store
// with one user), minus the worker's request tracker, and a token for that
// user. userCache is --user-cache-ttl.
func droverChain(t testing.TB, userCache time.Duration) (http.Handler, string) {
	t.Helper()
	ctx := context.Background()
	store, err := auth.OpenSQLite(ctx, filepath.Join(t.TempDir(), "drover.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: testKey, AccessLifetime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	hasher := auth.NewHasher(auth.HasherConfig{Memory: 64, Iterations: 1})
	hash, err := hasher.Hash(ctx, "password-1")
	if err != nil {
		t.Fatal(err)
	}
	u, err := store.CreateUser(ctx, "bench", hash)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := auth.NewService(auth.ServiceConfig{Tokens: tokens, Store: store, Hasher: hasher, Rotate: true, UserCacheTTL: userCache}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	access, _, err := tokens.Issue(auth.Access, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	h := app.Chain(app.Config{ForwardedAllowIPs: config.Default().Proxy.ForwardedAllowIPs, WorkerPID: os.Getpid(), Generation: 1}, zap.NewNop(), nil, api.API(svc, zap.NewNop()))
	return h, access
}

func get(h http.Handler, token string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, "/hello/", nil)
	req.RemoteAddr = "127.0.0.1:40000"
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func TestHello(t *testing.T) {
	drover, droverTok := droverChain(t, time.Second)
	tests := []struct {
		name     string
		give     http.Handler
		giveTok  string
		wantCode int
	}{
		{name: "ceiling", give: newHandler(testKey), giveTok: ceilingToken(t), wantCode: http.StatusOK},
		{name: "ceiling without a token", give: newHandler(testKey), wantCode: http.StatusUnauthorized},
		{name: "ceiling with a bad token", give: newHandler(testKey), giveTok: ceilingToken(t) + "x", wantCode: http.StatusUnauthorized},
		{name: "drover", give: drover, giveTok: droverTok, wantCode: http.StatusOK},
		{name: "drover accepts the ceiling's token (same key, same claims)", give: drover, giveTok: ceilingToken(t), wantCode: http.StatusOK},
		{name: "ceiling accepts drover's token", give: newHandler(testKey), giveTok: droverTok, wantCode: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := get(tt.give, tt.giveTok)
			if w.Code != tt.wantCode {
				t.Errorf("GET /hello/ = %d %s, want %d", w.Code, w.Body, tt.wantCode)
			}
			if tt.wantCode == http.StatusOK && w.Body.String() != `{"message":"Hello, World!"}` {
				t.Errorf("GET /hello/ body = %s", w.Body)
			}
		})
	}
}

// BenchmarkHello is GET /hello/ with a valid token in process, without
// the network: the Go ceiling's handler beside drover's worker handler,
// with the user cache at its default (1s) and off (every request reads
// the user from SQLite, as simplejwt does).
func BenchmarkHello(b *testing.B) {
	drover, droverTok := droverChain(b, time.Second)
	uncached, uncachedTok := droverChain(b, 0)
	benches := []struct {
		name  string
		h     http.Handler
		token string
	}{
		{name: "ceiling", h: newHandler(testKey), token: ceilingToken(b)},
		{name: "drover", h: drover, token: droverTok},
		{name: "drover-user-cache-off", h: uncached, token: uncachedTok},
	}
	for _, bb := range benches {
		b.Run(bb.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "/hello/", nil)
			req.RemoteAddr = "127.0.0.1:40000"
			req.Header.Set("Authorization", "Bearer "+bb.token)
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				bb.h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}
