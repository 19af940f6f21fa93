package api

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/drover/drover/app"
	"github.com/drover/drover/auth"
)

// benchAPI is drover's API on a real SQLite store with one user, and an
// access token for them.
func benchAPI(b *testing.B) (http.Handler, string) {
	b.Helper()
	ctx := context.Background()
	store, err := auth.OpenSQLite(ctx, filepath.Join(b.TempDir(), "drover.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: []byte(strings.Repeat("k", 32))})
	if err != nil {
		b.Fatal(err)
	}
	hasher := auth.NewHasher(auth.HasherConfig{Memory: 64, Iterations: 1})
	hash, err := hasher.Hash(ctx, "password-1")
	if err != nil {
		b.Fatal(err)
	}
	u, err := store.CreateUser(ctx, "alice", hash)
	if err != nil {
		b.Fatal(err)
	}
	svc, err := auth.NewService(auth.ServiceConfig{Tokens: tokens, Store: store, Hasher: hasher, Rotate: true, UserCacheTTL: time.Second}, zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	access, _, err := tokens.Issue(auth.Access, u.ID)
	if err != nil {
		b.Fatal(err)
	}
	return API(svc, zap.NewNop()), access
}

// BenchmarkHelloAuthenticated is GET /hello/ with a valid access token
// through the whole chain (JSON access log to io.Discard).
func BenchmarkHelloAuthenticated(b *testing.B) {
	api, access := benchAPI(b)
	accessLog := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(io.Discard), zapcore.InfoLevel))
	h := app.Chain(app.Config{}, zap.NewNop(), accessLog, api)
	req := httptest.NewRequest(http.MethodGet, "/hello/", nil)
	req.Header.Set("Authorization", "Bearer "+access)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}
