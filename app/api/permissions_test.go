package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/drover/drover/app"
	"github.com/drover/drover/auth"
)

// authFixture is a real token service on SQLite with alice (user 1,
// password "password-1") and carol, active, and bob, inactive, and an
// access token for each of them and for user 99, who does not exist.
type authFixture struct {
	svc    *auth.Service
	bearer map[string]string // username → "Bearer <access token>"
}

func newAuthFixture(t *testing.T) authFixture {
	t.Helper()
	ctx := context.Background()
	svc, store, tokens := testService(t, "alice", "bob", "carol")
	f := authFixture{svc: svc, bearer: make(map[string]string)}
	ids := map[string]int64{"nobody": 99}
	for _, name := range []string{"alice", "bob", "carol"} {
		u, err := store.UserByName(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		ids[name] = u.ID
	}
	if err := store.SetActive(ctx, ids["bob"], false); err != nil {
		t.Fatal(err)
	}
	for name, id := range ids {
		access, _, err := tokens.Issue(auth.Access, id)
		if err != nil {
			t.Fatal(err)
		}
		f.bearer[name] = "Bearer " + access
	}
	return f
}

// auth is NewAuth(cfg) on the fixture's service, failing the test on an
// error.
func (f authFixture) auth(t *testing.T, cfg Config) *Auth {
	t.Helper()
	a, err := NewAuth(cfg, f.svc, zap.NewNop())
	if err != nil {
		t.Fatalf("NewAuth(%+v): %v", cfg, err)
	}
	return a
}

// whoami writes what reaches a handler behind Require: the user's name,
// the token's user_id, whether the context has both, and whether the
// password hash was left out.
func whoami(w http.ResponseWriter, r *http.Request) {
	u, hasUser := auth.UserFrom(r.Context())
	c, hasClaims := auth.ClaimsFrom(r.Context())
	fmt.Fprintf(w, "user=%q user_id=%d context=%t no_hash=%t jti=%t", u.Username, c.UserID, hasUser && hasClaims, u.PasswordHash == "", c.JTI != "")
}

// isAlice is a program's own permission.
var isAlice Permission = func(_ *http.Request, u auth.User) bool { return u.Username == "alice" }

func TestRequire(t *testing.T) {
	f := newAuthFixture(t)
	a := f.auth(t, Config{})
	rt := &Router{}
	guarded := map[string][]Permission{
		"/allow-any/":     {AllowAny},
		"/authenticated/": {IsAuthenticated},
		"/read-only/":     {IsAuthenticatedOrReadOnly},
		"/none/":          nil,
		"/alice/":         {IsAuthenticated, isAlice},
		"/alice-only/":    {isAlice},
	}
	for path, perms := range guarded {
		rt.Handle(http.MethodGet, path, http.HandlerFunc(whoami))
		rt.Handle(http.MethodPost, path, http.HandlerFunc(whoami))
		rt.Guard(path, a.Require(perms...))
	}
	// what a response is, as "status [WWW-Authenticate] body"
	const (
		challenge   = `[Bearer realm="api"] `
		notProvided = "401 " + challenge + `{"detail":"Authentication credentials were not provided."}`
		denied      = `403 [] {"detail":"You do not have permission to perform this action."}`
		badHeader   = "401 " + challenge + `{"detail":"Authorization header must contain two space-delimited values","code":"bad_authorization_header"}`
		invalid     = "401 " + challenge + `{"detail":"Given token not valid for any token type","code":"token_not_valid","messages":[{"token_class":"AccessToken","token_type":"access","message":"Token is invalid or expired"}]}`
		inactive    = "401 " + challenge + `{"detail":"User is inactive","code":"user_inactive"}`
		notFound    = "401 " + challenge + `{"detail":"User not found","code":"user_not_found"}`
		anonymous   = `200 [] user="" user_id=0 context=false no_hash=true jti=false`
		alice       = `200 [] user="alice" user_id=1 context=true no_hash=true jti=true`
		carol       = `200 [] user="carol" user_id=3 context=true no_hash=true jti=true`
		metadata    = `200 [] {"name":`
	)
	tests := []struct {
		name        string
		givePath    string
		giveAuth    string // Authorization
		wantGET     string
		wantPOST    string
		wantOPTIONS string // a prefix
	}{
		{name: "AllowAny, anonymous", givePath: "/allow-any/", wantGET: anonymous, wantPOST: anonymous, wantOPTIONS: metadata},
		{name: "AllowAny, another scheme", givePath: "/allow-any/", giveAuth: "Basic YWxpY2U6cHc=", wantGET: anonymous, wantPOST: anonymous, wantOPTIONS: metadata},
		{name: "AllowAny, bad header", givePath: "/allow-any/", giveAuth: "Bearer a b", wantGET: badHeader, wantPOST: badHeader, wantOPTIONS: badHeader},
		{name: "AllowAny, Bearer alone", givePath: "/allow-any/", giveAuth: "Bearer", wantGET: badHeader, wantPOST: badHeader, wantOPTIONS: badHeader},
		{name: "AllowAny, invalid token", givePath: "/allow-any/", giveAuth: "Bearer not-a-token", wantGET: invalid, wantPOST: invalid, wantOPTIONS: invalid},
		{name: "AllowAny, good token", givePath: "/allow-any/", giveAuth: f.bearer["alice"], wantGET: alice, wantPOST: alice, wantOPTIONS: metadata},
		{name: "AllowAny, inactive user", givePath: "/allow-any/", giveAuth: f.bearer["bob"], wantGET: inactive, wantPOST: inactive, wantOPTIONS: inactive},
		{name: "AllowAny, no such user", givePath: "/allow-any/", giveAuth: f.bearer["nobody"], wantGET: notFound, wantPOST: notFound, wantOPTIONS: notFound},

		{name: "IsAuthenticated, anonymous", givePath: "/authenticated/", wantGET: notProvided, wantPOST: notProvided, wantOPTIONS: notProvided},
		{name: "IsAuthenticated, another scheme", givePath: "/authenticated/", giveAuth: "Token abc", wantGET: notProvided, wantPOST: notProvided, wantOPTIONS: notProvided},
		{name: "IsAuthenticated, scheme in lower case", givePath: "/authenticated/", giveAuth: strings.ToLower(f.bearer["alice"]), wantGET: notProvided, wantPOST: notProvided, wantOPTIONS: notProvided},
		{name: "IsAuthenticated, bad header", givePath: "/authenticated/", giveAuth: "Bearer a b", wantGET: badHeader, wantPOST: badHeader, wantOPTIONS: badHeader},
		{name: "IsAuthenticated, invalid token", givePath: "/authenticated/", giveAuth: "Bearer not-a-token", wantGET: invalid, wantPOST: invalid, wantOPTIONS: invalid},
		{name: "IsAuthenticated, good token", givePath: "/authenticated/", giveAuth: f.bearer["alice"], wantGET: alice, wantPOST: alice, wantOPTIONS: metadata},
		{name: "IsAuthenticated, inactive user", givePath: "/authenticated/", giveAuth: f.bearer["bob"], wantGET: inactive, wantPOST: inactive, wantOPTIONS: inactive},

		{name: "IsAuthenticatedOrReadOnly, anonymous", givePath: "/read-only/", wantGET: anonymous, wantPOST: notProvided, wantOPTIONS: metadata},
		{name: "IsAuthenticatedOrReadOnly, another scheme", givePath: "/read-only/", giveAuth: "Basic YWxpY2U6cHc=", wantGET: anonymous, wantPOST: notProvided, wantOPTIONS: metadata},
		{name: "IsAuthenticatedOrReadOnly, bad header", givePath: "/read-only/", giveAuth: "Bearer a b", wantGET: badHeader, wantPOST: badHeader, wantOPTIONS: badHeader},
		{name: "IsAuthenticatedOrReadOnly, invalid token", givePath: "/read-only/", giveAuth: "Bearer not-a-token", wantGET: invalid, wantPOST: invalid, wantOPTIONS: invalid},
		{name: "IsAuthenticatedOrReadOnly, good token", givePath: "/read-only/", giveAuth: f.bearer["alice"], wantGET: alice, wantPOST: alice, wantOPTIONS: metadata},
		{name: "IsAuthenticatedOrReadOnly, inactive user", givePath: "/read-only/", giveAuth: f.bearer["bob"], wantGET: inactive, wantPOST: inactive, wantOPTIONS: inactive},

		{name: "no permissions, anonymous", givePath: "/none/", wantGET: anonymous, wantPOST: anonymous, wantOPTIONS: metadata},
		{name: "no permissions, bad header", givePath: "/none/", giveAuth: "Bearer a b", wantGET: badHeader, wantPOST: badHeader, wantOPTIONS: badHeader},
		{name: "no permissions, invalid token", givePath: "/none/", giveAuth: "Bearer not-a-token", wantGET: invalid, wantPOST: invalid, wantOPTIONS: invalid},
		{name: "no permissions, good token", givePath: "/none/", giveAuth: f.bearer["carol"], wantGET: carol, wantPOST: carol, wantOPTIONS: metadata},
		{name: "no permissions, inactive user", givePath: "/none/", giveAuth: f.bearer["bob"], wantGET: inactive, wantPOST: inactive, wantOPTIONS: inactive},

		{name: "custom, anonymous: the first refusal is IsAuthenticated's", givePath: "/alice/", wantGET: notProvided, wantPOST: notProvided, wantOPTIONS: notProvided},
		{name: "custom, invalid token", givePath: "/alice/", giveAuth: "Bearer not-a-token", wantGET: invalid, wantPOST: invalid, wantOPTIONS: invalid},
		{name: "custom, inactive user", givePath: "/alice/", giveAuth: f.bearer["bob"], wantGET: inactive, wantPOST: inactive, wantOPTIONS: inactive},
		{name: "custom, the user it wants", givePath: "/alice/", giveAuth: f.bearer["alice"], wantGET: alice, wantPOST: alice, wantOPTIONS: metadata},
		{name: "custom, another user: 403", givePath: "/alice/", giveAuth: f.bearer["carol"], wantGET: denied, wantPOST: denied, wantOPTIONS: denied},
		{name: "custom alone, anonymous: 401, nobody authenticated", givePath: "/alice-only/", wantGET: notProvided, wantPOST: notProvided, wantOPTIONS: notProvided},
		{name: "custom alone, another user: 403", givePath: "/alice-only/", giveAuth: f.bearer["carol"], wantGET: denied, wantPOST: denied, wantOPTIONS: denied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, m := range []struct{ method, want string }{
				{http.MethodGet, tt.wantGET},
				{http.MethodPost, tt.wantPOST},
				{http.MethodOptions, tt.wantOPTIONS},
			} {
				req := httptest.NewRequest(m.method, tt.givePath, nil)
				req.Header.Set("Authorization", tt.giveAuth)
				rec := serve(rt, req)
				got := fmt.Sprintf("%d [%s] %s", rec.Code, rec.Header().Get("WWW-Authenticate"), rec.Body)
				if !strings.HasPrefix(got, m.want) {
					t.Errorf("%s %s with %q = %s, want %s", m.method, tt.givePath, tt.giveAuth, got, m.want)
				}
			}
		})
	}
}

func TestDeny(t *testing.T) {
	f := newAuthFixture(t)
	a := f.auth(t, Config{})
	rt := &Router{}
	// The handler's own check, DRF's has_object_permission: only alice
	// may read /notes/1/.
	own := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, _ := auth.UserFrom(r.Context()); u.Username != "alice" {
			Deny(w, r)
			return
		}
		_, _ = io.WriteString(w, "note 1")
	})
	rt.Handle(http.MethodGet, "/notes/{id}/", own)
	rt.Guard("/notes/{id}/", a.Require(AllowAny))
	rt.Handle(http.MethodGet, "/open/", own) // not behind Require: nobody is authenticated
	const (
		notProvided = `401 [Bearer realm="api"] {"detail":"Authentication credentials were not provided."}`
		denied      = `403 [] {"detail":"You do not have permission to perform this action."}`
	)
	tests := []struct {
		name     string
		givePath string
		giveAuth string
		want     string
	}{
		{name: "anonymous", givePath: "/notes/1/", want: notProvided},
		{name: "another user", givePath: "/notes/1/", giveAuth: f.bearer["carol"], want: denied},
		{name: "the owner", givePath: "/notes/1/", giveAuth: f.bearer["alice"], want: "200 [] note 1"},
		{name: "outside Require", givePath: "/open/", giveAuth: f.bearer["alice"], want: notProvided},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, tt.givePath, nil)
			req.Header.Set("Authorization", tt.giveAuth)
			rec := serve(rt, req)
			if got := fmt.Sprintf("%d [%s] %s", rec.Code, rec.Header().Get("WWW-Authenticate"), rec.Body); got != tt.want {
				t.Errorf("GET %s with %q = %s, want %s", tt.givePath, tt.giveAuth, got, tt.want)
			}
		})
	}
}

// TestRequireAccessLog: an authenticated request's access log line has
// the user's id, an anonymous one's none, as for /hello/.
func TestRequireAccessLog(t *testing.T) {
	f := newAuthFixture(t)
	a := f.auth(t, Config{})
	rt := &Router{}
	rt.Handle(http.MethodGet, "/notes/", http.HandlerFunc(whoami))
	rt.Guard("/notes/", a.Require(AllowAny, isAlice))
	core, logs := observer.New(zapcore.InfoLevel)
	h := app.Chain(app.Config{}, zap.NewNop(), zap.New(core), rt)
	tests := []struct {
		name       string
		giveAuth   string
		wantStatus int
		wantUser   string
	}{
		{name: "authenticated", giveAuth: f.bearer["alice"], wantStatus: 200, wantUser: "1"},
		{name: "authenticated and refused", giveAuth: f.bearer["carol"], wantStatus: 403, wantUser: "3"},
		{name: "anonymous", wantStatus: 401, wantUser: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/notes/", nil)
			req.Header.Set("Authorization", tt.giveAuth)
			rec := serve(h, req)
			entries := logs.TakeAll()
			if rec.Code != tt.wantStatus || len(entries) != 1 {
				t.Fatalf("GET /notes/ = %d with %d access log lines, want %d and 1", rec.Code, len(entries), tt.wantStatus)
			}
			if got := entries[0].ContextMap()["user_id"]; got != tt.wantUser {
				t.Errorf("access log user_id = %v, want %q", got, tt.wantUser)
			}
		})
	}
}

func TestMount(t *testing.T) {
	f := newAuthFixture(t)
	a := f.auth(t, Config{RefreshCookie: "rt"})
	rt := &Router{}
	a.Mount(rt, "/auth/")
	h := a.Wrap(rt)
	post := func(path, body string, header map[string]string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range header {
			req.Header.Set(k, v)
		}
		return serve(h, req)
	}
	const login = `{"username":"alice","password":"password-1"}`
	browser := map[string]string{CSRFHeader: "1"}

	rec := post("/auth/", login, browser)
	cookies := rec.Result().Cookies()
	if rec.Code != 200 || len(cookies) != 1 || cookies[0].Path != "/auth/" || !strings.HasPrefix(rec.Body.String(), `{"access":`) {
		t.Fatalf("POST /auth/ by a browser = %d %s, cookies %v; want 200, the access token and the cookie with Path=/auth/", rec.Code, rec.Body, rec.Header().Values("Set-Cookie"))
	}
	rec = post("/auth/", login, nil)
	if rec.Code != 200 || !strings.HasPrefix(rec.Body.String(), `{"refresh":`) {
		t.Errorf("POST /auth/ = %d %s, want 200 and simplejwt's pair", rec.Code, rec.Body)
	}
	refresh := post("/auth/refresh/", "", map[string]string{CSRFHeader: "1", "Cookie": "rt=" + cookies[0].Value})
	if got := refresh.Result().Cookies(); refresh.Code != 200 || len(got) != 1 || got[0].Path != "/auth/" {
		t.Errorf("POST /auth/refresh/ from the cookie = %d %s, cookies %v; want 200 and a new cookie with Path=/auth/", refresh.Code, refresh.Body, refresh.Header().Values("Set-Cookie"))
	}
	tests := []struct {
		name       string
		giveMethod string
		givePath   string
		wantStatus int
		wantBody   string // a prefix
	}{
		{name: "verify", giveMethod: "POST", givePath: "/auth/verify/", wantStatus: 400, wantBody: `{"token":["This field is required."]}`},
		{name: "blacklist", giveMethod: "POST", givePath: "/auth/blacklist/", wantStatus: 400, wantBody: `{"refresh":["This field is required."]}`},
		{name: "metadata", giveMethod: "OPTIONS", givePath: "/auth/refresh/", wantStatus: 200, wantBody: `{"name":"Token Refresh","description":"Takes a refresh type JSON web token`},
		{name: "nothing at /api/token/", giveMethod: "POST", givePath: "/api/token/", wantStatus: 404, wantBody: `{"detail":"Not found."}`},
		{name: "nothing at /api/token/refresh/", giveMethod: "POST", givePath: "/api/token/refresh/", wantStatus: 404, wantBody: `{"detail":"Not found."}`},
		{name: "APPEND_SLASH", giveMethod: "POST", givePath: "/auth/verify", wantStatus: 301},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.giveMethod, tt.givePath, strings.NewReader(`{}`))
			req.Header.Set("Content-Type", "application/json")
			rec := serve(h, req)
			if rec.Code != tt.wantStatus || !strings.HasPrefix(rec.Body.String(), tt.wantBody) {
				t.Errorf("%s %s = %d %s, want %d %s", tt.giveMethod, tt.givePath, rec.Code, rec.Body, tt.wantStatus, tt.wantBody)
			}
		})
	}
}

func TestMountPanics(t *testing.T) {
	tests := []struct {
		name       string
		givePrefix string
		wantPanic  string
	}{
		{name: "empty", givePrefix: "", wantPanic: `Auth.Mount: prefix "" must be a path that starts and ends with "/"`},
		{name: "relative", givePrefix: "auth/", wantPanic: `prefix "auth/" must be`},
		{name: "no trailing slash", givePrefix: "/auth", wantPanic: `prefix "/auth" must be`},
		{name: "pattern", givePrefix: "/{tenant}/", wantPanic: `prefix "/{tenant}/" must be a path`},
		{name: "taken", givePrefix: "/taken/", wantPanic: "POST /taken/ registered twice"},
		{name: "scheme-relative", givePrefix: "//", wantPanic: `invalid path "//"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := NewAuth(Config{}, browserTokens{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			rt := &Router{}
			rt.Handle(http.MethodPost, "/taken/", answer("taken"))
			got := func() (msg string) {
				defer func() { msg, _ = recover().(string) }()
				a.Mount(rt, tt.givePrefix)
				return ""
			}()
			if !strings.Contains(got, tt.wantPanic) {
				t.Errorf("Mount(%q) panicked with %q, want %q", tt.givePrefix, got, tt.wantPanic)
			}
		})
	}
}

func TestRequireNilPermission(t *testing.T) {
	a, err := NewAuth(Config{}, browserTokens{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := func() (msg string) {
		defer func() { msg, _ = recover().(string) }()
		a.Require(IsAuthenticated, nil)
		return ""
	}()
	if want := "api: Auth.Require: permission 1 is nil"; got != want {
		t.Errorf("Require(IsAuthenticated, nil) panicked with %q, want %q", got, want)
	}
}

func TestNewAuthRefusesConfig(t *testing.T) {
	tests := []struct {
		name    string
		give    Config
		wantErr string
	}{
		{name: "bad cookie name", give: Config{RefreshCookie: "a b"}, wantErr: `refresh cookie: "a b" is not a cookie name`},
		{name: "sub-second lifetime", give: Config{RefreshCookie: "rt", RefreshLifetime: 1}, wantErr: "at least 1s"},
		{name: "bad origin", give: Config{CORSAllowedOrigins: []string{"app.example"}}, wantErr: "no scheme"},
		{name: "any origin with the cookie", give: Config{RefreshCookie: "rt", CORSAllowedOrigins: []string{AnyOrigin}}, wantErr: `"*" cannot be combined with the refresh cookie`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewAuth(tt.give, browserTokens{}, nil)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("NewAuth(%+v) = %v, want an error with %q", tt.give, err, tt.wantErr)
			}
		})
	}
}

// TestWrap: the CORS layer of the Config, with credentials when the
// cookie is on; nothing without origins; any handler, not only a Router.
func TestWrap(t *testing.T) {
	rt := &Router{}
	rt.Handle(http.MethodGet, "/notes/{id}/", answer("note"))
	mux := http.NewServeMux()
	mux.Handle("/", rt)
	newAuth := func(cfg Config) *Auth {
		a, err := NewAuth(cfg, browserTokens{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	if h := newAuth(Config{}).Wrap(rt); h != http.Handler(rt) {
		t.Errorf("Wrap without origins = %T, want the handler itself", h)
	}
	const app = "https://app.example"
	withCookie := newAuth(Config{RefreshCookie: "rt", CORSAllowedOrigins: []string{app}})
	bearerOnly := newAuth(Config{CORSAllowedOrigins: []string{app}})
	tests := []struct {
		name        string
		giveHandler http.Handler
		givePath    string
		wantStatus  int
		wantHeaders string // Allow-Origin, Allow-Credentials, Allow-Methods
	}{
		{name: "a pattern's methods", giveHandler: withCookie.Wrap(rt), givePath: "/notes/7/", wantStatus: 200, wantHeaders: app + "|true|GET, HEAD, OPTIONS"},
		{name: "no credentials without the cookie", giveHandler: bearerOnly.Wrap(rt), givePath: "/notes/7/", wantStatus: 200, wantHeaders: app + "||GET, HEAD, OPTIONS"},
		{name: "unknown path of a Router: its 404", giveHandler: withCookie.Wrap(rt), givePath: "/nope/", wantStatus: 404, wantHeaders: app + "|true|"},
		{name: "another handler: django-cors-headers' methods", giveHandler: withCookie.Wrap(mux), givePath: "/nope/", wantStatus: 200, wantHeaders: app + "|true|DELETE, GET, OPTIONS, PATCH, POST, PUT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodOptions, tt.givePath, nil)
			req.Header.Set("Origin", app)
			req.Header.Set("Access-Control-Request-Method", "GET")
			rec := serve(tt.giveHandler, req)
			h := rec.Header()
			got := h.Get("Access-Control-Allow-Origin") + "|" + h.Get("Access-Control-Allow-Credentials") + "|" + h.Get("Access-Control-Allow-Methods")
			if rec.Code != tt.wantStatus || got != tt.wantHeaders {
				t.Errorf("preflight %s = %d %s, want %d %s", tt.givePath, rec.Code, got, tt.wantStatus, tt.wantHeaders)
			}
		})
	}
}

// FuzzRequireAuthorization sends arbitrary Authorization headers to
// Require(IsAuthenticatedOrReadOnly) on browserTokens: no panic; a 200 or
// a 401 with the challenge and a JSON body; a header that is not "Bearer"
// and one value answered as no header at all (JWTAuthentication's None).
func FuzzRequireAuthorization(f *testing.F) {
	for _, s := range []string{"", "Bearer a1", "Bearer  a1 ", "Bearer", "Bearer a b", "bearer a1", "Basic a1", "Bearer\ta1", "Bearer x", "\u00a0Bearer a1", "Bearer\u00a0a1"} {
		f.Add(s, false)
	}
	a, err := NewAuth(Config{}, browserTokens{}, nil)
	if err != nil {
		f.Fatal(err)
	}
	rt := &Router{}
	rt.Handle(http.MethodGet, "/notes/", http.HandlerFunc(whoami))
	rt.Handle(http.MethodPost, "/notes/", http.HandlerFunc(whoami))
	rt.Guard("/notes/", a.Require(IsAuthenticatedOrReadOnly))
	answer := func(method, authorization string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, "/notes/", nil)
		req.Header["Authorization"] = []string{authorization}
		return serve(rt, req)
	}
	f.Fuzz(func(t *testing.T, authorization string, post bool) {
		method := http.MethodGet
		if post {
			method = http.MethodPost
		}
		rec := answer(method, authorization)
		switch rec.Code {
		case 200:
		case 401:
			if rec.Header().Get("WWW-Authenticate") != wwwAuthenticate || !json.Valid(rec.Body.Bytes()) {
				t.Errorf("%s with %q: 401 with WWW-Authenticate %q and body %s", method, authorization, rec.Header().Get("WWW-Authenticate"), rec.Body)
			}
		default:
			t.Errorf("%s with %q: status %d", method, authorization, rec.Code)
		}
		if parts := strings.Fields(authorization); len(parts) == 0 || parts[0] != "Bearer" {
			if none := answer(method, ""); rec.Code != none.Code || rec.Body.String() != none.Body.String() {
				t.Errorf("%s with %q = %d %s, want the anonymous answer %d %s", method, authorization, rec.Code, rec.Body, none.Code, none.Body)
			}
		}
	})
}
