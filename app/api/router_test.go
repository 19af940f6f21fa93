package api

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/drover/drover/app"
)

// answer is a handler that writes its name, to see which one ran.
func answer(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, name)
	})
}

func TestRouter(t *testing.T) {
	var rt Router
	rt.Handle(http.MethodGet, "/things/", answer("list"))
	rt.Handle(http.MethodPost, "/things/", answer("create"))
	rt.Handle(http.MethodPost, "/api/token/", answer("token"))
	rt.Describe("/api/token/", "Token Obtain Pair", "Takes a set of user credentials.")
	rt.Handle(http.MethodGet, "/head/", answer("get"))
	rt.Handle(http.MethodHead, "/head/", answer("head"))
	rt.Handle("PURGE", "/cache/", answer("purge"))
	rt.Handle(http.MethodPost, "/fields/", answer("fields"))
	rt.Accepts("/fields/", http.MethodPost, Field{Name: "user_name", Required: true}, Field{Name: "access", ReadOnly: true}, Field{Name: "n", Type: "integer", Label: "Count"})
	rt.Handle(http.MethodGet, "/guarded/", answer("guarded"))
	rt.Guard("/guarded/", func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") == "" {
				app.Error(w, http.StatusUnauthorized, "Authentication credentials were not provided.")
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	const redirected = "text/html; charset=utf-8"

	tests := []struct {
		name         string
		giveMethod   string
		giveTarget   string
		giveHeader   map[string]string
		wantStatus   int
		wantBody     string
		wantAllow    string
		wantLocation string
		wantType     string // Content-Type when not application/json
	}{
		{name: "GET", giveMethod: "GET", giveTarget: "/things/", wantStatus: 200, wantBody: "list", wantAllow: "GET, POST, HEAD, OPTIONS"},
		{name: "POST", giveMethod: "POST", giveTarget: "/things/", wantStatus: 200, wantBody: "create", wantAllow: "GET, POST, HEAD, OPTIONS"},
		{name: "HEAD falls back to GET", giveMethod: "HEAD", giveTarget: "/things/", wantStatus: 200, wantBody: "list", wantAllow: "GET, POST, HEAD, OPTIONS"},
		{name: "explicit HEAD", giveMethod: "HEAD", giveTarget: "/head/", wantStatus: 200, wantBody: "head", wantAllow: "GET, HEAD, OPTIONS"},
		{name: "405", giveMethod: "DELETE", giveTarget: "/things/", wantStatus: 405, wantBody: `{"detail":"Method \"DELETE\" not allowed."}`, wantAllow: "GET, POST, HEAD, OPTIONS"},
		{name: "POST only: no HEAD", giveMethod: "HEAD", giveTarget: "/api/token/", wantStatus: 405, wantBody: `{"detail":"Method \"HEAD\" not allowed."}`, wantAllow: "POST, OPTIONS"},
		{name: "custom method sorted last", giveMethod: "GET", giveTarget: "/cache/", wantStatus: 405, wantBody: `{"detail":"Method \"GET\" not allowed."}`, wantAllow: "OPTIONS, PURGE"},
		{name: "OPTIONS", giveMethod: "OPTIONS", giveTarget: "/api/token/", wantStatus: 200, wantAllow: "POST, OPTIONS",
			wantBody: `{"name":"Token Obtain Pair","description":"Takes a set of user credentials.","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"]}`},
		{name: "OPTIONS default name", giveMethod: "OPTIONS", giveTarget: "/things/", wantStatus: 200, wantAllow: "GET, POST, HEAD, OPTIONS",
			wantBody: `{"name":"Things","description":"","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"]}`},
		{name: "unknown path", giveMethod: "GET", giveTarget: "/nope/", wantStatus: 404, wantBody: `{"detail":"Not found."}`},
		{name: "OPTIONS with actions", giveMethod: "OPTIONS", giveTarget: "/fields/", wantStatus: 200, wantAllow: "POST, OPTIONS",
			wantBody: `{"name":"Fields","description":"","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"],` +
				`"actions":{"POST":{"user_name":{"type":"string","required":true,"read_only":false,"label":"User name"},"access":{"type":"string","required":false,"read_only":true,"label":"Access"},"n":{"type":"integer","required":false,"read_only":false,"label":"Count"}}}}`},
		{name: "guard passes", giveMethod: "GET", giveTarget: "/guarded/", giveHeader: map[string]string{"Authorization": "x"}, wantStatus: 200, wantBody: "guarded", wantAllow: "GET, HEAD, OPTIONS"},
		{name: "guard refuses", giveMethod: "GET", giveTarget: "/guarded/", wantStatus: 401, wantBody: `{"detail":"Authentication credentials were not provided."}`, wantAllow: "GET, HEAD, OPTIONS"},
		{name: "guard before 405", giveMethod: "POST", giveTarget: "/guarded/", wantStatus: 401, wantBody: `{"detail":"Authentication credentials were not provided."}`, wantAllow: "GET, HEAD, OPTIONS"},
		{name: "guard before OPTIONS", giveMethod: "OPTIONS", giveTarget: "/guarded/", wantStatus: 401, wantBody: `{"detail":"Authentication credentials were not provided."}`, wantAllow: "GET, HEAD, OPTIONS"},
		{name: "405 once guarded", giveMethod: "POST", giveTarget: "/guarded/", giveHeader: map[string]string{"Authorization": "x"}, wantStatus: 405, wantBody: `{"detail":"Method \"POST\" not allowed."}`, wantAllow: "GET, HEAD, OPTIONS"},
		{name: "Accept json", giveMethod: "GET", giveTarget: "/things/", giveHeader: map[string]string{"Accept": "application/json; indent=4"}, wantStatus: 200, wantBody: "list", wantAllow: "GET, POST, HEAD, OPTIONS"},
		{name: "Accept application/* among others", giveMethod: "GET", giveTarget: "/things/", giveHeader: map[string]string{"Accept": "text/html, Application/*;q=0.1"}, wantStatus: 200, wantBody: "list", wantAllow: "GET, POST, HEAD, OPTIONS"},
		{name: "Accept */* with q=0", giveMethod: "GET", giveTarget: "/things/", giveHeader: map[string]string{"Accept": "*/*;q=0"}, wantStatus: 200, wantBody: "list", wantAllow: "GET, POST, HEAD, OPTIONS"},
		{name: "406", giveMethod: "GET", giveTarget: "/things/", giveHeader: map[string]string{"Accept": "text/html, application/xml"}, wantStatus: 406, wantBody: `{"detail":"Could not satisfy the request Accept header."}`, wantAllow: "GET, POST, HEAD, OPTIONS"},
		{name: "406 for a bare *", giveMethod: "GET", giveTarget: "/things/", giveHeader: map[string]string{"Accept": "*"}, wantStatus: 406, wantBody: `{"detail":"Could not satisfy the request Accept header."}`, wantAllow: "GET, POST, HEAD, OPTIONS"},
		{name: "406 before the guard", giveMethod: "GET", giveTarget: "/guarded/", giveHeader: map[string]string{"Accept": "text/csv"}, wantStatus: 406, wantBody: `{"detail":"Could not satisfy the request Accept header."}`, wantAllow: "GET, HEAD, OPTIONS"},
		{name: "format=json", giveMethod: "GET", giveTarget: "/things/?format=json", wantStatus: 200, wantBody: "list", wantAllow: "GET, POST, HEAD, OPTIONS"},
		{name: "empty format", giveMethod: "GET", giveTarget: "/things/?format=", wantStatus: 200, wantBody: "list", wantAllow: "GET, POST, HEAD, OPTIONS"},
		{name: "format=api", giveMethod: "GET", giveTarget: "/things/?format=xml&format=api", wantStatus: 404, wantBody: `{"detail":"Not found."}`, wantAllow: "GET, POST, HEAD, OPTIONS"},
		{name: "APPEND_SLASH", giveMethod: "GET", giveTarget: "/things", wantStatus: 301, wantLocation: "/things/", wantType: redirected},
		{name: "APPEND_SLASH keeps the query", giveMethod: "HEAD", giveTarget: "/things?a=1&b=%2F", wantStatus: 301, wantLocation: "/things/?a=1&b=%2F", wantType: redirected},
		{name: "APPEND_SLASH keeps escaping", giveMethod: "GET", giveTarget: "/api%2Ftoken", wantStatus: 301, wantLocation: "/api%2Ftoken/", wantType: redirected},
		{name: "APPEND_SLASH for POST too", giveMethod: "POST", giveTarget: "/things", wantStatus: 301, wantLocation: "/things/", wantType: redirected},
		{name: "APPEND_SLASH for OPTIONS", giveMethod: "OPTIONS", giveTarget: "/guarded", wantStatus: 301, wantLocation: "/guarded/", wantType: redirected},
		{name: "no redirect to a missing route", giveMethod: "GET", giveTarget: "/nope", wantStatus: 404, wantBody: `{"detail":"Not found."}`},
		{name: "exact match only", giveMethod: "GET", giveTarget: "/things/x/", wantStatus: 404, wantBody: `{"detail":"Not found."}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.giveMethod, tt.giveTarget, nil)
			for k, v := range tt.giveHeader {
				req.Header.Set(k, v)
			}
			rec := serve(&rt, req)
			if rec.Code != tt.wantStatus {
				t.Errorf("%s %s: status = %d, want %d", tt.giveMethod, tt.giveTarget, rec.Code, tt.wantStatus)
			}
			if got := rec.Body.String(); got != tt.wantBody {
				t.Errorf("%s %s: body = %q, want %q", tt.giveMethod, tt.giveTarget, got, tt.wantBody)
			}
			if got := rec.Header().Get("Allow"); got != tt.wantAllow {
				t.Errorf("%s %s: Allow = %q, want %q", tt.giveMethod, tt.giveTarget, got, tt.wantAllow)
			}
			if got := rec.Header().Get("Location"); got != tt.wantLocation {
				t.Errorf("%s %s: Location = %q, want %q", tt.giveMethod, tt.giveTarget, got, tt.wantLocation)
			}
			wantType := tt.wantType
			if wantType == "" && strings.HasPrefix(tt.wantBody, "{") {
				wantType = "application/json"
			}
			if got := rec.Header().Get("Content-Type"); wantType != "" && got != wantType {
				t.Errorf("%s %s: Content-Type = %q, want %q", tt.giveMethod, tt.giveTarget, got, wantType)
			}
		})
	}
}

func TestRouterRegistrationPanics(t *testing.T) {
	guard := func(next http.Handler) http.Handler { return next }
	tests := []struct {
		name      string
		give      func(rt *Router)
		wantPanic string
	}{
		{name: "Accepts GET", give: func(rt *Router) { rt.Accepts("/x/", http.MethodGet) }, wantPanic: `POST and PUT only, not "GET"`},
		{name: "Accepts twice", give: func(rt *Router) {
			rt.Accepts("/x/", http.MethodPost)
			rt.Accepts("/x/", http.MethodPost)
		}, wantPanic: "fields of POST /x/ given twice"},
		{name: "nil guard", give: func(rt *Router) { rt.Guard("/x/", nil) }, wantPanic: "nil guard for /x/"},
		{name: "guarded twice", give: func(rt *Router) {
			rt.Guard("/x/", guard)
			rt.Guard("/x/", guard)
		}, wantPanic: "/x/ guarded twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rt Router
			got := func() (msg string) {
				defer func() { msg, _ = recover().(string) }()
				tt.give(&rt)
				return ""
			}()
			if !strings.Contains(got, tt.wantPanic) {
				t.Errorf("%s panicked with %q, want %q", tt.name, got, tt.wantPanic)
			}
		})
	}
}

func TestLabelFromName(t *testing.T) {
	tests := []struct {
		giveName string
		want     string
	}{
		{giveName: "username", want: "Username"},
		{giveName: "user_name", want: "User name"},
		{giveName: "userID", want: "Userid"}, // Python's str.capitalize lowers the rest
		{giveName: "élan", want: "Élan"},
		{giveName: "", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.giveName, func(t *testing.T) {
			if got := labelFromName(tt.giveName); got != tt.want {
				t.Errorf("labelFromName(%q) = %q, want %q", tt.giveName, got, tt.want)
			}
		})
	}
}

func TestRouterHandlePanics(t *testing.T) {
	tests := []struct {
		name       string
		giveMethod string
		givePath   string
		giveNil    bool
		wantPanic  string
	}{
		{name: "empty method", giveMethod: "", givePath: "/x/", wantPanic: `invalid method ""`},
		{name: "method with space", giveMethod: "GE T", givePath: "/x/", wantPanic: `invalid method "GE T"`},
		{name: "relative path", giveMethod: "GET", givePath: "x/", wantPanic: `invalid path "x/"`},
		{name: "scheme-relative path", giveMethod: "GET", givePath: "//evil.example/", wantPanic: `invalid path "//evil.example/"`},
		{name: "query in path", giveMethod: "GET", givePath: "/x/?a", wantPanic: `invalid path "/x/?a"`},
		{name: "nil handler", giveMethod: "GET", givePath: "/x/", giveNil: true, wantPanic: "nil handler for GET /x/"},
		{name: "duplicate", giveMethod: "GET", givePath: "/dup/", wantPanic: "GET /dup/ registered twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rt Router
			rt.Handle(http.MethodGet, "/dup/", answer("dup"))
			h := answer("x")
			if tt.giveNil {
				h = nil
			}
			got := func() (msg string) {
				defer func() { msg, _ = recover().(string) }()
				rt.Handle(tt.giveMethod, tt.givePath, h)
				return ""
			}()
			if !strings.Contains(got, tt.wantPanic) {
				t.Errorf("Handle(%q, %q) panicked with %q, want %q", tt.giveMethod, tt.givePath, got, tt.wantPanic)
			}
		})
	}
}

func TestNameFromPath(t *testing.T) {
	tests := []struct {
		givePath string
		want     string
	}{
		{givePath: "/hello/", want: "Hello"},
		{givePath: "/api/token/refresh/", want: "Refresh"},
		{givePath: "/password-reset_confirm/", want: "Password Reset Confirm"},
		{givePath: "/", want: "Root"},
		{givePath: "/élan/", want: "Élan"},
	}
	for _, tt := range tests {
		t.Run(tt.givePath, func(t *testing.T) {
			if got := nameFromPath(tt.givePath); got != tt.want {
				t.Errorf("nameFromPath(%q) = %q, want %q", tt.givePath, got, tt.want)
			}
		})
	}
}

// TestRoutesGolden records the demo API as a client sees it through the
// whole chain over a real connection: testdata/routes.golden (-update).
func TestRoutesGolden(t *testing.T) {
	srv := httptest.NewServer(app.Chain(app.Config{}, zap.NewNop(), nil, Routes()))
	defer srv.Close()
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	requests := []struct{ method, target string }{
		{"GET", "/hello/"},
		{"HEAD", "/hello/"},
		{"OPTIONS", "/hello/"},
		{"POST", "/hello/"},
		{"DELETE", "/hello/"},
		{"GET", "/hello"},
		{"GET", "/hello?greeting=hi"},
		{"POST", "/hello"},
		{"GET", "/nope/"},
		{"GET", "/hello/?format=api"},
		{"GET", "/healthz"},
		{"HEAD", "/healthz"},
		{"POST", "/healthz"},
	}
	var out strings.Builder
	for _, rq := range requests {
		req, err := http.NewRequest(rq.method, srv.URL+rq.target, nil)
		if err != nil {
			t.Fatalf("NewRequest: %v", err)
		}
		req.Header.Set("X-Request-ID", "golden")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", rq.method, rq.target, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("%s %s: read body: %v", rq.method, rq.target, err)
		}
		out.WriteString("### " + rq.method + " " + rq.target + "\n" + resp.Status + "\n")
		keys := make([]string, 0, len(resp.Header))
		for k := range resp.Header {
			if k != "Date" {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			out.WriteString(k + ": " + strings.Join(resp.Header[k], ", ") + "\n")
		}
		out.WriteString("\n" + string(body) + "\n\n")
	}
	client.CloseIdleConnections()
	golden(t, "routes.golden", []byte(out.String()))
}
