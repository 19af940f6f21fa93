package api

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// corsHeaders are the response headers TestCORS compares; a missing one
// is "".
var corsHeaders = []string{
	"Access-Control-Allow-Origin",
	"Access-Control-Allow-Credentials",
	"Access-Control-Allow-Methods",
	"Access-Control-Allow-Headers",
	"Access-Control-Max-Age",
	"Vary",
}

func TestCORS(t *testing.T) {
	withCookie := browserAPI(t, Config{RefreshCookie: "rt", CORSAllowedOrigins: []string{"https://app.example", "http://localhost:5173"}})
	bearerOnly := browserAPI(t, Config{CORSAllowedOrigins: []string{"https://app.example"}})
	anyOrigin := browserAPI(t, Config{CORSAllowedOrigins: []string{AnyOrigin}})
	none := browserAPI(t, Config{})
	const (
		app     = "https://app.example"
		evil    = "https://evil.example"
		headers = "accept, authorization, content-type, user-agent, x-csrftoken, x-requested-with, x-drover-csrf"
		tokenMD = `{"name":"Token Refresh",`
		login   = `{"username":"alice","password":"pw"}`
	)
	preflight := func(origin, method string) map[string]string {
		return map[string]string{"Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": "content-type, x-drover-csrf"}
	}
	// want lists corsHeaders' values in order.
	want := func(v ...string) []string { return v }
	tests := []struct {
		name        string
		giveAPI     http.Handler
		giveMethod  string
		givePath    string
		giveHeader  map[string]string
		giveBody    string
		wantStatus  int
		wantBody    string // prefix; "" for an empty body
		wantHeaders []string
	}{
		{name: "preflight from an allowed origin", giveAPI: withCookie, giveMethod: "OPTIONS", givePath: "/api/token/refresh/", giveHeader: preflight(app, "POST"),
			wantStatus: 200, wantHeaders: want(app, "true", "POST, OPTIONS", headers, "86400", "Origin")},
		{name: "preflight of a guarded path is not authenticated", giveAPI: withCookie, giveMethod: "OPTIONS", givePath: "/hello/", giveHeader: preflight("http://localhost:5173", "GET"),
			wantStatus: 200, wantHeaders: want("http://localhost:5173", "true", "GET, HEAD, OPTIONS", headers, "86400", "Origin")},
		{name: "preflight without the cookie: no credentials", giveAPI: bearerOnly, giveMethod: "OPTIONS", givePath: "/hello/", giveHeader: preflight(app, "GET"),
			wantStatus: 200, wantHeaders: want(app, "", "GET, HEAD, OPTIONS", headers, "86400", "Origin")},
		{name: "preflight from another origin: no CORS header", giveAPI: withCookie, giveMethod: "OPTIONS", givePath: "/api/token/refresh/", giveHeader: preflight(evil, "POST"),
			wantStatus: 200, wantHeaders: want("", "", "", "", "", "Origin")},
		{name: "preflight from another port of the host", giveAPI: withCookie, giveMethod: "OPTIONS", givePath: "/api/token/", giveHeader: preflight("http://localhost:5174", "POST"),
			wantStatus: 200, wantHeaders: want("", "", "", "", "", "Origin")},
		{name: "preflight from an origin in other case", giveAPI: withCookie, giveMethod: "OPTIONS", givePath: "/api/token/", giveHeader: preflight("https://APP.example", "POST"),
			wantStatus: 200, wantHeaders: want("", "", "", "", "", "Origin")},
		{name: "preflight from null", giveAPI: withCookie, giveMethod: "OPTIONS", givePath: "/api/token/", giveHeader: preflight("null", "POST"),
			wantStatus: 200, wantHeaders: want("", "", "", "", "", "Origin")},
		{name: "preflight of an unknown path goes to the router", giveAPI: withCookie, giveMethod: "OPTIONS", givePath: "/nope/", giveHeader: preflight(app, "POST"),
			wantStatus: 404, wantBody: `{"detail":"Not found."}`, wantHeaders: want(app, "true", "", "", "", "Origin")},
		{name: "plain OPTIONS from an allowed origin: DRF's metadata", giveAPI: withCookie, giveMethod: "OPTIONS", givePath: "/api/token/refresh/", giveHeader: map[string]string{"Origin": app},
			wantStatus: 200, wantBody: tokenMD, wantHeaders: want(app, "true", "", "", "", "Origin")},
		{name: "plain OPTIONS without Origin: DRF's metadata", giveAPI: withCookie, giveMethod: "OPTIONS", givePath: "/api/token/refresh/",
			wantStatus: 200, wantBody: tokenMD, wantHeaders: want("", "", "", "", "", "Origin")},
		{name: "Access-Control-Request-Method without Origin is no preflight", giveAPI: withCookie, giveMethod: "OPTIONS", givePath: "/api/token/refresh/", giveHeader: map[string]string{"Access-Control-Request-Method": "POST"},
			wantStatus: 200, wantBody: tokenMD, wantHeaders: want("", "", "", "", "", "Origin")},
		{name: "POST from an allowed origin", giveAPI: withCookie, giveMethod: "POST", givePath: "/api/token/", giveHeader: map[string]string{"Origin": app, "Content-Type": "application/json"}, giveBody: login,
			wantStatus: 200, wantBody: `{"refresh":"r1","access":"a1"}`, wantHeaders: want(app, "true", "", "", "", "Origin")},
		{name: "a 401 is readable by an allowed origin", giveAPI: withCookie, giveMethod: "GET", givePath: "/hello/", giveHeader: map[string]string{"Origin": app},
			wantStatus: 401, wantBody: `{"detail":"Authentication credentials were not provided."}`, wantHeaders: want(app, "true", "", "", "", "Origin")},
		{name: "GET from an allowed origin", giveAPI: withCookie, giveMethod: "GET", givePath: "/hello/", giveHeader: map[string]string{"Origin": app, "Authorization": "Bearer a1"},
			wantStatus: 200, wantBody: `{"message":"Hello, World!"}`, wantHeaders: want(app, "true", "", "", "", "Origin")},
		{name: "POST from another origin: no CORS header", giveAPI: withCookie, giveMethod: "POST", givePath: "/api/token/", giveHeader: map[string]string{"Origin": evil, "Content-Type": "application/json"}, giveBody: login,
			wantStatus: 200, wantBody: `{"refresh":"r1","access":"a1"}`, wantHeaders: want("", "", "", "", "", "Origin")},
		{name: "any origin: *, never credentials", giveAPI: anyOrigin, giveMethod: "OPTIONS", givePath: "/hello/", giveHeader: preflight(evil, "GET"),
			wantStatus: 200, wantHeaders: want("*", "", "GET, HEAD, OPTIONS", headers, "86400", "Origin")},
		{name: "any origin, actual request", giveAPI: anyOrigin, giveMethod: "GET", givePath: "/hello/", giveHeader: map[string]string{"Origin": evil, "Authorization": "Bearer a1"},
			wantStatus: 200, wantBody: `{"message":"Hello, World!"}`, wantHeaders: want("*", "", "", "", "", "Origin")},
		{name: "CORS off: a preflight gets DRF's metadata, no header", giveAPI: none, giveMethod: "OPTIONS", givePath: "/api/token/refresh/", giveHeader: preflight(app, "POST"),
			wantStatus: 200, wantBody: tokenMD, wantHeaders: want("", "", "", "", "", "")},
		{name: "CORS off: no Vary either", giveAPI: none, giveMethod: "GET", givePath: "/hello/", giveHeader: map[string]string{"Origin": app, "Authorization": "Bearer a1"},
			wantStatus: 200, wantBody: `{"message":"Hello, World!"}`, wantHeaders: want("", "", "", "", "", "")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.giveMethod, tt.givePath, strings.NewReader(tt.giveBody))
			for k, v := range tt.giveHeader {
				req.Header.Set(k, v)
			}
			rec := serve(tt.giveAPI, req)
			if rec.Code != tt.wantStatus {
				t.Errorf("%s %s: status = %d, want %d", tt.giveMethod, tt.givePath, rec.Code, tt.wantStatus)
			}
			if got := rec.Body.String(); !strings.HasPrefix(got, tt.wantBody) || tt.wantBody == "" && got != "" {
				t.Errorf("%s %s: body = %q, want %q…", tt.giveMethod, tt.givePath, got, tt.wantBody)
			}
			for i, name := range corsHeaders {
				if got := strings.Join(rec.Header().Values(name), ", "); got != tt.wantHeaders[i] {
					t.Errorf("%s %s: %s = %q, want %q", tt.giveMethod, tt.givePath, name, got, tt.wantHeaders[i])
				}
			}
		})
	}
}

func TestParseOrigin(t *testing.T) {
	tests := []struct {
		give    string
		want    string
		wantErr string
	}{
		{give: "https://app.example", want: "https://app.example"},
		{give: "HTTPS://App.Example", want: "https://app.example"},
		{give: "https://app.example:443", want: "https://app.example"},
		{give: "http://app.example:80", want: "http://app.example"},
		{give: "https://app.example:80", want: "https://app.example:80"},
		{give: "http://localhost:5173", want: "http://localhost:5173"},
		{give: "http://localhost:05173", want: "http://localhost:5173"},
		{give: "http://127.0.0.1:8080", want: "http://127.0.0.1:8080"},
		{give: "http://[::1]:3000", want: "http://[::1]:3000"},
		{give: "http://[0:0::1]", want: "http://[::1]"},
		{give: "https://xn--bcher-kva.example", want: "https://xn--bcher-kva.example"},
		{give: "capacitor://localhost", want: "capacitor://localhost"},
		{give: "chrome-extension://abcdefghijklmnop", want: "chrome-extension://abcdefghijklmnop"},
		{give: "https://my_host.example", want: "https://my_host.example"},
		{give: "", wantErr: "empty"},
		{give: "*", wantErr: `"*" is not one origin`},
		{give: "null", wantErr: "sandboxed"},
		{give: "app.example", wantErr: "no scheme"},
		{give: "//app.example", wantErr: "no scheme"},
		{give: "://app.example", wantErr: "bad scheme"},
		{give: "1http://app.example", wantErr: "bad scheme"},
		{give: "https://app.example/", wantErr: "it has a path"},
		{give: "https://app.example/app", wantErr: "it has a path"},
		{give: "https://app.example?x", wantErr: "it has a query"},
		{give: "https://app.example#x", wantErr: "it has a fragment"},
		{give: "https://user@app.example", wantErr: "it has a user"},
		{give: "https://", wantErr: "bad host"},
		{give: "https://:443", wantErr: "bad host"},
		{give: "https://app..example", wantErr: "bad host"},
		{give: "https://app.example.", wantErr: "bad host"},
		{give: "https://app example", wantErr: "bad host"},
		{give: " https://app.example", wantErr: "bad scheme"},
		{give: "https://app.example ", wantErr: "bad host"},
		{give: "https://app%2eexample", wantErr: "bad host"},
		{give: "https://bücher.example", wantErr: "xn--"},
		{give: "https://app.example:", wantErr: "bad port"},
		{give: "https://app.example:0", wantErr: "bad port"},
		{give: "https://app.example:65536", wantErr: "bad port"},
		{give: "https://app.example:+443", wantErr: "bad port"},
		{give: "https://app.example:44a", wantErr: "bad port"},
		{give: "https://a:b:443", wantErr: "bad host"},
		{give: "http://[::1", wantErr: "unclosed ["},
		{give: "http://[::1]x", wantErr: "bad port"},
		{give: "http://[::1]:", wantErr: "bad port"},
		{give: "http://[127.0.0.1]", wantErr: "bad IPv6"},
		{give: "http://[fe80::1%25eth0]", wantErr: "bad IPv6"},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			got, err := ParseOrigin(tt.give)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if got != tt.want || tt.wantErr == "" && err != nil || !strings.Contains(gotErr, tt.wantErr) {
				t.Errorf("ParseOrigin(%q) = %q, %v; want %q, error with %q", tt.give, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// FuzzParseOrigin checks that what ParseOrigin accepts is an origin as a
// browser serializes it: stable under ParseOrigin, lower case, and what
// net/url reads as a scheme and a host alone.
func FuzzParseOrigin(f *testing.F) {
	for _, s := range []string{"https://app.example", "http://localhost:5173", "http://[::1]:80", "HTTPS://A.B:443", "null", "*", "https://a/b", "https://a:0", "x://[::ffff:1.2.3.4]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseOrigin(s)
		if err != nil {
			if got != "" {
				t.Fatalf("ParseOrigin(%q) = %q with error %v", s, got, err)
			}
			return
		}
		if again, err := ParseOrigin(got); again != got || err != nil {
			t.Fatalf("ParseOrigin(%q) = %q, but ParseOrigin(%q) = %q, %v", s, got, got, again, err)
		}
		if strings.ToLower(got) != got {
			t.Fatalf("ParseOrigin(%q) = %q: not lower case", s, got)
		}
		u, err := url.Parse(got)
		if err != nil || u.Scheme+"://"+u.Host != got || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil || u.Opaque != "" {
			t.Fatalf("ParseOrigin(%q) = %q, which net/url reads as %#v (%v)", s, got, u, err)
		}
	})
}
