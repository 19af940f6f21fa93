package api

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/drover/drover/auth"
)

// testSecret signs the tokens of testAPI.
const testSecret = "api-test-secret-api-test-secret-0123"

// testAPI is drover's API on a real SQLite store with one user, alice
// (user 1).
func testAPI(t *testing.T) http.Handler {
	t.Helper()
	svc, _, _ := testService(t, "alice")
	return API(svc, zap.NewNop())
}

// testService is a token service on a real SQLite store in t's temp dir,
// signing with testSecret, with the users names (IDs from 1, in order,
// all with the password "password-1"); it returns the store and tokens
// too, for a test to change users or issue tokens.
func testService(t *testing.T, names ...string) (*auth.Service, *auth.SQLiteStore, *auth.Tokens) {
	t.Helper()
	ctx := context.Background()
	store, err := auth.OpenSQLite(ctx, filepath.Join(t.TempDir(), "drover.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: []byte(testSecret)})
	if err != nil {
		t.Fatal(err)
	}
	hasher := auth.NewHasher(auth.HasherConfig{Memory: 64, Iterations: 1})
	hash, err := hasher.Hash(ctx, "password-1")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if _, err := store.CreateUser(ctx, name, hash); err != nil {
			t.Fatal(err)
		}
	}
	svc, err := auth.NewService(auth.ServiceConfig{Tokens: tokens, Store: store, Hasher: hasher, Rotate: true}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	return svc, store, tokens
}

// forge signs simplejwt's claims of a token of typ for alice with
// testSecret, leaving out the claims named in drop: a token only a holder
// of the key can make.
func forge(t *testing.T, typ string, drop ...string) string {
	t.Helper()
	now := time.Now()
	c := map[string]any{"token_type": typ, "exp": now.Add(5 * time.Minute).Unix(), "iat": now.Unix(), "jti": "0123456789abcdef0123456789abcdef", "user_id": 1}
	for _, k := range drop {
		delete(c, k)
	}
	payload, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	signed := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + base64.RawURLEncoding.EncodeToString(payload)
	mac := hmac.New(sha256.New, []byte(testSecret))
	mac.Write([]byte(signed))
	return signed + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// TestTokenClaimErrors checks simplejwt 5.2.2's answer, byte for byte, to
// a validly signed token that lacks a claim, on every endpoint that
// judges tokens.
func TestTokenClaimErrors(t *testing.T) {
	h := testAPI(t)
	const challenge = `Bearer realm="api"`
	detail := func(msg string) string { return `{"detail":"` + msg + `","code":"token_not_valid"}` }
	access := func(msg string) string {
		return `{"detail":"Given token not valid for any token type","code":"token_not_valid","messages":[{"token_class":"AccessToken","token_type":"access","message":"` + msg + `"}]}`
	}
	hello := func(token string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/hello/", nil)
		r.Header.Set("Authorization", "Bearer "+token)
		return r
	}
	post := func(path, field, token string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(`{"`+field+`":"`+token+`"}`))
		r.Header.Set("Content-Type", "application/json")
		return r
	}
	verify := func(token string) *http.Request { return post("/api/token/verify/", "token", token) }
	refresh := func(token string) *http.Request { return post("/api/token/refresh/", "refresh", token) }
	blacklist := func(token string) *http.Request { return post("/api/token/blacklist/", "refresh", token) }

	tests := []struct {
		name       string
		give       *http.Request
		wantStatus int
		wantBody   string
		wantAuth   string // WWW-Authenticate
	}{
		{name: "hello no exp", give: hello(forge(t, "access", "exp")), wantStatus: 401, wantBody: access("Token has no 'exp' claim"), wantAuth: challenge},
		{name: "hello no jti", give: hello(forge(t, "access", "jti")), wantStatus: 401, wantBody: access("Token has no id"), wantAuth: challenge},
		{name: "hello no token_type", give: hello(forge(t, "access", "token_type")), wantStatus: 401, wantBody: access("Token has no type"), wantAuth: challenge},
		{name: "hello no user_id", give: hello(forge(t, "access", "user_id")), wantStatus: 401, wantBody: detail("Token contained no recognizable user identification"), wantAuth: challenge},
		{name: "hello no exp, no jti", give: hello(forge(t, "access", "exp", "jti")), wantStatus: 401, wantBody: access("Token has no 'exp' claim"), wantAuth: challenge},
		{name: "hello no jti, no token_type", give: hello(forge(t, "access", "jti", "token_type")), wantStatus: 401, wantBody: access("Token has no id"), wantAuth: challenge},
		{name: "hello refresh without user_id", give: hello(forge(t, "refresh", "user_id")), wantStatus: 401, wantBody: access("Token has wrong type"), wantAuth: challenge},
		{name: "hello sliding", give: hello(forge(t, "sliding")), wantStatus: 401, wantBody: access("Token has wrong type"), wantAuth: challenge},

		{name: "verify no exp", give: verify(forge(t, "access", "exp")), wantStatus: 401, wantBody: detail("Token has no 'exp' claim"), wantAuth: challenge},
		{name: "verify no jti", give: verify(forge(t, "access", "jti")), wantStatus: 401, wantBody: detail("Token has no id"), wantAuth: challenge},
		{name: "verify no token_type", give: verify(forge(t, "access", "token_type")), wantStatus: 200, wantBody: `{}`},
		{name: "verify no user_id", give: verify(forge(t, "access", "user_id")), wantStatus: 200, wantBody: `{}`},
		{name: "verify refresh without user_id", give: verify(forge(t, "refresh", "user_id")), wantStatus: 200, wantBody: `{}`},
		{name: "verify sliding", give: verify(forge(t, "sliding")), wantStatus: 200, wantBody: `{}`},

		{name: "refresh no exp", give: refresh(forge(t, "refresh", "exp")), wantStatus: 401, wantBody: detail("Token has no 'exp' claim"), wantAuth: challenge},
		{name: "refresh no token_type", give: refresh(forge(t, "refresh", "token_type")), wantStatus: 401, wantBody: detail("Token has no type"), wantAuth: challenge},
		// simplejwt 5.2.2 answers these two with a 500 (a KeyError in
		// check_blacklist) and a new pair without user_id.
		{name: "refresh no jti", give: refresh(forge(t, "refresh", "jti")), wantStatus: 401, wantBody: detail("Token has no id"), wantAuth: challenge},
		{name: "refresh no user_id", give: refresh(forge(t, "refresh", "user_id")), wantStatus: 401, wantBody: detail("Token contained no recognizable user identification"), wantAuth: challenge},
		{name: "refresh access without user_id", give: refresh(forge(t, "access", "user_id")), wantStatus: 401, wantBody: detail("Token has wrong type"), wantAuth: challenge},

		{name: "blacklist no exp", give: blacklist(forge(t, "refresh", "exp")), wantStatus: 401, wantBody: detail("Token has no 'exp' claim"), wantAuth: challenge},
		{name: "blacklist no token_type", give: blacklist(forge(t, "refresh", "token_type")), wantStatus: 401, wantBody: detail("Token has no type"), wantAuth: challenge},
		{name: "blacklist no jti", give: blacklist(forge(t, "refresh", "jti")), wantStatus: 401, wantBody: detail("Token has no id"), wantAuth: challenge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(h, tt.give)
			if got := rec.Body.String(); rec.Code != tt.wantStatus || got != tt.wantBody {
				t.Errorf("%s %s = %d %s, want %d %s", tt.give.Method, tt.give.URL.Path, rec.Code, got, tt.wantStatus, tt.wantBody)
			}
			if got := rec.Header().Get("WWW-Authenticate"); got != tt.wantAuth {
				t.Errorf("%s %s: WWW-Authenticate = %q, want %q", tt.give.Method, tt.give.URL.Path, got, tt.wantAuth)
			}
		})
	}
}
