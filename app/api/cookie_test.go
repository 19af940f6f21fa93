package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/drover/drover/auth"
)

// browserTokens is a token service with fixed answers: "pw" logs in as
// r1/a1; r1 refreshes to r2/a2, "kept" refreshes without rotation; r1 and
// "kept" blacklist; every other token is invalid.
type browserTokens struct{}

var _ TokenService = browserTokens{}

func (browserTokens) Login(_ context.Context, _, password string) (auth.Pair, error) {
	if password != "pw" {
		return auth.Pair{}, auth.ErrBadCredentials
	}
	return auth.Pair{Access: "a1", Refresh: "r1"}, nil
}

func (browserTokens) Refresh(_ context.Context, refresh string) (auth.Pair, error) {
	switch refresh {
	case "r1":
		return auth.Pair{Access: "a2", Refresh: "r2"}, nil
	case "kept":
		return auth.Pair{Access: "a2"}, nil
	}
	return auth.Pair{}, auth.ErrTokenInvalid
}

func (browserTokens) Verify(context.Context, string) error { return nil }

func (browserTokens) Blacklist(_ context.Context, refresh string) error {
	if refresh == "r1" || refresh == "kept" {
		return nil
	}
	return auth.ErrTokenInvalid
}

func (browserTokens) Authenticate(_ context.Context, access string) (auth.User, auth.Claims, error) {
	if access == "a1" || access == "a2" {
		return auth.User{ID: 1, Username: "alice", Active: true}, auth.Claims{TokenType: auth.Access, UserID: 1}, nil
	}
	return auth.User{}, auth.Claims{}, auth.ErrTokenInvalid
}

// browserAPI is New(cfg) on browserTokens, failing the test on an error.
func browserAPI(t *testing.T, cfg Config) http.Handler {
	t.Helper()
	h, err := New(cfg, browserTokens{}, zap.NewNop())
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	return h
}

func TestRefreshCookie(t *testing.T) {
	on := browserAPI(t, Config{RefreshCookie: "rt", RefreshLifetime: time.Hour})
	off := browserAPI(t, Config{})
	const (
		setR1  = "rt=r1; Path=/api/token/; Max-Age=3600; HttpOnly; Secure; SameSite=Strict"
		setR2  = "rt=r2; Path=/api/token/; Max-Age=3600; HttpOnly; Secure; SameSite=Strict"
		clear  = "rt=; Path=/api/token/; Max-Age=0; HttpOnly; Secure; SameSite=Strict"
		csrf   = `{"detail":"CSRF Failed: the refresh cookie is accepted only with the X-Drover-CSRF header."}`
		tossed = `{"detail":"CSRF Failed: more than one refresh cookie."}`
		login  = `{"username":"alice","password":"pw"}`
	)
	browser := map[string]string{CSRFHeader: "1"}
	tests := []struct {
		name          string
		giveAPI       http.Handler
		givePath      string
		giveBody      string
		giveType      string // Content-Type; JSON when empty
		giveHeader    map[string]string
		giveCookies   []string // values of "rt" cookies sent
		wantStatus    int
		wantBody      string // "" checks the status alone (the service's error wording)
		wantSetCookie string
	}{
		{name: "obtain, cookie off", giveAPI: off, givePath: "/api/token/", giveBody: login, giveHeader: browser,
			wantStatus: 200, wantBody: `{"refresh":"r1","access":"a1"}`},
		{name: "obtain without the header: simplejwt's JSON, no cookie", giveAPI: on, givePath: "/api/token/", giveBody: login,
			wantStatus: 200, wantBody: `{"refresh":"r1","access":"a1"}`},
		{name: "obtain by a browser: refresh in the cookie alone", giveAPI: on, givePath: "/api/token/", giveBody: login, giveHeader: browser,
			wantStatus: 200, wantBody: `{"access":"a1"}`, wantSetCookie: setR1},
		{name: "obtain refused: no cookie", giveAPI: on, givePath: "/api/token/", giveBody: `{"username":"alice","password":"no"}`, giveHeader: browser,
			wantStatus: 401, wantBody: `{"detail":"No active account found with the given credentials"}`},
		{name: "refresh from the cookie, empty body", giveAPI: on, givePath: "/api/token/refresh/", giveHeader: browser, giveCookies: []string{"r1"},
			wantStatus: 200, wantBody: `{"access":"a2"}`, wantSetCookie: setR2},
		{name: "refresh from the cookie, empty JSON object", giveAPI: on, givePath: "/api/token/refresh/", giveBody: `{}`, giveHeader: browser, giveCookies: []string{"r1"},
			wantStatus: 200, wantBody: `{"access":"a2"}`, wantSetCookie: setR2},
		{name: "refresh from the cookie without the header: CSRF", giveAPI: on, givePath: "/api/token/refresh/", giveType: "application/x-www-form-urlencoded", giveCookies: []string{"r1"},
			wantStatus: 403, wantBody: csrf},
		{name: "refresh with the header empty: CSRF", giveAPI: on, givePath: "/api/token/refresh/", giveHeader: map[string]string{CSRFHeader: ""}, giveCookies: []string{"r1"},
			wantStatus: 403, wantBody: csrf},
		{name: "two cookies: one was tossed by another host", giveAPI: on, givePath: "/api/token/refresh/", giveHeader: browser, giveCookies: []string{"r1", "evil"},
			wantStatus: 403, wantBody: tossed},
		{name: "refresh, body token, no header: simplejwt, cookie left alone", giveAPI: on, givePath: "/api/token/refresh/", giveBody: `{"refresh":"r1"}`, giveCookies: []string{"other"},
			wantStatus: 200, wantBody: `{"access":"a2","refresh":"r2"}`},
		{name: "refresh, body token, by a browser: moves into the cookie", giveAPI: on, givePath: "/api/token/refresh/", giveBody: `{"refresh":"r1"}`, giveHeader: browser,
			wantStatus: 200, wantBody: `{"access":"a2"}`, wantSetCookie: setR2},
		{name: "refresh, blank body token: DRF's error, not the cookie", giveAPI: on, givePath: "/api/token/refresh/", giveBody: `{"refresh":" "}`, giveHeader: browser, giveCookies: []string{"r1"},
			wantStatus: 400, wantBody: `{"refresh":["This field may not be blank."]}`},
		{name: "refresh, bad JSON with the cookie", giveAPI: on, givePath: "/api/token/refresh/", giveBody: `{`, giveHeader: browser, giveCookies: []string{"r1"},
			wantStatus: 400},
		{name: "refresh, no token anywhere", giveAPI: on, givePath: "/api/token/refresh/", giveHeader: browser,
			wantStatus: 400, wantBody: `{"refresh":["This field is required."]}`},
		{name: "refresh, cookie off: the cookie is not read", giveAPI: off, givePath: "/api/token/refresh/", giveHeader: browser, giveCookies: []string{"r1"},
			wantStatus: 400, wantBody: `{"refresh":["This field is required."]}`},
		{name: "refresh, refused cookie: kept (another tab may have rotated it)", giveAPI: on, givePath: "/api/token/refresh/", giveHeader: browser, giveCookies: []string{"stale"},
			wantStatus: 401},
		{name: "refresh without rotation: cookie kept", giveAPI: on, givePath: "/api/token/refresh/", giveHeader: browser, giveCookies: []string{"kept"},
			wantStatus: 200, wantBody: `{"access":"a2"}`},
		{name: "refresh without rotation, body token, no header", giveAPI: on, givePath: "/api/token/refresh/", giveBody: `{"refresh":"kept"}`,
			wantStatus: 200, wantBody: `{"access":"a2"}`},
		{name: "blacklist from the cookie clears it", giveAPI: on, givePath: "/api/token/blacklist/", giveHeader: browser, giveCookies: []string{"r1"},
			wantStatus: 200, wantBody: `{}`, wantSetCookie: clear},
		{name: "blacklist of a refused cookie clears it too", giveAPI: on, givePath: "/api/token/blacklist/", giveHeader: browser, giveCookies: []string{"stale"},
			wantStatus: 401, wantSetCookie: clear},
		{name: "blacklist from the cookie without the header: CSRF", giveAPI: on, givePath: "/api/token/blacklist/", giveCookies: []string{"r1"},
			wantStatus: 403, wantBody: csrf},
		{name: "blacklist, body token: the cookie is not touched", giveAPI: on, givePath: "/api/token/blacklist/", giveBody: `{"refresh":"r1"}`, giveHeader: browser, giveCookies: []string{"r2"},
			wantStatus: 200, wantBody: `{}`},
		{name: "verify never reads the cookie", giveAPI: on, givePath: "/api/token/verify/", giveHeader: browser, giveCookies: []string{"r1"},
			wantStatus: 400, wantBody: `{"token":["This field is required."]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, tt.givePath, strings.NewReader(tt.giveBody))
			ctype := tt.giveType
			if ctype == "" {
				ctype = "application/json"
			}
			req.Header.Set("Content-Type", ctype)
			for k, v := range tt.giveHeader {
				req.Header.Set(k, v)
			}
			for _, v := range tt.giveCookies {
				req.AddCookie(&http.Cookie{Name: "rt", Value: v})
			}
			rec := serve(tt.giveAPI, req)
			if rec.Code != tt.wantStatus {
				t.Errorf("POST %s: status = %d, want %d (%s)", tt.givePath, rec.Code, tt.wantStatus, rec.Body)
			}
			if got := rec.Body.String(); tt.wantBody != "" && got != tt.wantBody {
				t.Errorf("POST %s: body = %s, want %s", tt.givePath, got, tt.wantBody)
			}
			if got := strings.Join(rec.Header().Values("Set-Cookie"), "\n"); got != tt.wantSetCookie {
				t.Errorf("POST %s: Set-Cookie = %q, want %q", tt.givePath, got, tt.wantSetCookie)
			}
		})
	}
}

func TestCheckCookieName(t *testing.T) {
	tests := []struct {
		give    string
		wantErr bool
	}{
		{give: "refresh"},
		{give: "refresh_token"},
		{give: "__Secure-refresh"},
		{give: "rt.v2"},
		{give: "", wantErr: true},
		{give: "refresh token", wantErr: true},
		{give: "a;b", wantErr: true},
		{give: "a=b", wantErr: true},
		{give: "é", wantErr: true},
		{give: "__Host-refresh", wantErr: true},
		{give: "__host-refresh", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			if err := CheckCookieName(tt.give); (err != nil) != tt.wantErr {
				t.Errorf("CheckCookieName(%q) = %v, want error %t", tt.give, err, tt.wantErr)
			}
		})
	}
}

func TestNewRefusesConfig(t *testing.T) {
	tests := []struct {
		name    string
		give    Config
		wantErr string
	}{
		{name: "bad cookie name", give: Config{RefreshCookie: "a b"}, wantErr: `refresh cookie: "a b" is not a cookie name`},
		{name: "__Host- cookie", give: Config{RefreshCookie: "__Host-rt"}, wantErr: "__Host-"},
		{name: "sub-second lifetime", give: Config{RefreshCookie: "rt", RefreshLifetime: time.Millisecond}, wantErr: "at least 1s"},
		{name: "bad origin", give: Config{CORSAllowedOrigins: []string{"https://app.example/"}}, wantErr: "it has a path"},
		{name: "any origin with the cookie", give: Config{RefreshCookie: "rt", CORSAllowedOrigins: []string{"https://app.example", AnyOrigin}}, wantErr: `"*" cannot be combined with the refresh cookie`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.give, browserTokens{}, nil)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("New(%+v) = %v, want an error with %q", tt.give, err, tt.wantErr)
			}
		})
	}
}
