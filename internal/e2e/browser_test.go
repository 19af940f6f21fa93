package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// browser is a client that keeps cookies as a browser does: a jar that
// sends a cookie back only to its path, and a Secure one only over https.
// Every request opens a new connection, so the workers share the flow.
type browser struct {
	t    *testing.T
	c    *http.Client
	base string
}

// newBrowser returns a browser of base that trusts the PEM certificate
// in certFile ("" for plain http).
func newBrowser(t *testing.T, base, certFile string) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{DisableKeepAlives: true}
	if certFile != "" {
		pem, err := os.ReadFile(certFile)
		if err != nil {
			t.Fatal(err)
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			t.Fatalf("no certificate in %s", certFile)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: roots}
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &browser{t: t, base: base, c: &http.Client{Jar: jar, Transport: tr, Timeout: 10 * time.Second}}
}

// do sends method path with body (sent as contentType when not empty)
// and the given headers, and returns the reply.
func (b *browser) do(method, path, contentType, body string, header map[string]string) reply {
	b.t.Helper()
	req, err := http.NewRequest(method, b.base+path, strings.NewReader(body))
	if err != nil {
		b.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

// cookie is the value of the named cookie the jar would send to path,
// or "".
func (b *browser) cookie(path, name string) string {
	u, err := url.Parse(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// keys lists a JSON object's keys, sorted.
func keys(body map[string]any) []string {
	out := make([]string, 0, len(body))
	for k := range body {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestBrowserRefreshCookie is the refresh cookie's flow as a browser front
// end lives it, through a running two-worker drover: login, refresh and
// logout with the refresh token in the httpOnly cookie only, and a
// cross-site POST that relies on the cookie refused.
//
// drover serves TLS here (--certfile), as it does behind nginx's or its
// own HTTPS in production: the cookie is Secure, and a cookie jar, like a
// browser, never sends a Secure cookie to http://. Over plain http the
// flow could only be faked by reading Set-Cookie by hand.
func TestBrowserRefreshCookie(t *testing.T) {
	const (
		pw      = "correct horse battery"
		name    = "drover_refresh"
		csrf    = "X-Drover-CSRF"
		jsonCT  = "application/json"
		formCT  = "application/x-www-form-urlencoded"
		refused = `{"detail":"CSRF Failed: the refresh cookie is accepted only with the X-Drover-CSRF header."}`
	)
	cert, key := writeSelfSigned(t, t.TempDir())
	a := startAPI(t, 2, map[string]string{"alice": pw},
		"--certfile", cert, "--keyfile", key, "--refresh-cookie", name, "--refresh-token-lifetime", "1h")
	base := "https://" + a.addr
	page := newBrowser(t, base, cert)
	fromPage := map[string]string{csrf: "1", "Origin": base} // what the front end's fetch() sends
	login := `{"username":"alice","password":"` + pw + `"}`

	// Login: the access token in the JSON, the refresh token in the cookie alone.
	r := page.do("POST", "/api/token/", jsonCT, login, fromPage)
	if r.status != 200 || !slices.Equal(keys(r.body), []string{"access"}) {
		t.Fatalf("login from the page = %d %s, want 200 with the access token alone", r.status, r.raw)
	}
	first := page.cookie("/api/token/refresh/", name)
	wantSet := name + "=" + first + "; Path=/api/token/; Max-Age=3600; HttpOnly; Secure; SameSite=Strict"
	if got := r.header.Values("Set-Cookie"); first == "" || !slices.Equal(got, []string{wantSet}) {
		t.Fatalf("login Set-Cookie = %q, want [%q]", got, wantSet)
	}
	if got := page.cookie("/hello/", name); got != "" {
		t.Errorf("the cookie would go to /hello/ too; its path must keep it to /api/token/")
	}
	if r := page.do("GET", "/hello/", "", "", map[string]string{"Authorization": "Bearer " + r.body["access"].(string)}); r.status != 200 {
		t.Errorf("GET /hello/ with the page's access token = %d %s", r.status, r.raw)
	}

	// Refresh from the cookie: an empty body, a new access token, the rotated refresh token in the cookie.
	r = page.do("POST", "/api/token/refresh/", "", "", fromPage)
	second := page.cookie("/api/token/refresh/", name)
	if r.status != 200 || !slices.Equal(keys(r.body), []string{"access"}) || second == "" || second == first {
		t.Fatalf("refresh from the cookie = %d %s, cookie %q → %q; want 200 with the access token alone and a rotated cookie", r.status, r.raw, first, second)
	}
	if r := page.do("GET", "/hello/", "", "", map[string]string{"Authorization": "Bearer " + r.body["access"].(string)}); r.status != 200 {
		t.Errorf("GET /hello/ with the refreshed access token = %d %s", r.status, r.raw)
	}

	// A cross-site form posting to the refresh endpoint: the browser would
	// send the cookie (were SameSite not enough, as from a sibling
	// subdomain), but no form can send the header. Refused, nothing spent.
	forged := page.do("POST", "/api/token/refresh/", formCT, "", map[string]string{"Origin": "https://evil.example"})
	if forged.status != 403 || forged.raw != refused || forged.header.Get("Set-Cookie") != "" {
		t.Errorf("cross-site POST relying on the cookie = %d %s (Set-Cookie %q), want 403 %s", forged.status, forged.raw, forged.header.Get("Set-Cookie"), refused)
	}
	if forged := page.do("POST", "/api/token/blacklist/", formCT, "", map[string]string{"Origin": "https://evil.example"}); forged.status != 403 || forged.raw != refused {
		t.Errorf("cross-site logout relying on the cookie = %d %s, want 403 %s", forged.status, forged.raw, refused)
	}
	if got := page.cookie("/api/token/refresh/", name); got != second {
		t.Fatalf("after the refused POSTs the cookie is %q, want %q", got, second)
	}
	r = page.do("POST", "/api/token/refresh/", "", "", fromPage)
	third := page.cookie("/api/token/refresh/", name)
	if r.status != 200 || third == second {
		t.Fatalf("refresh after the refused POSTs = %d %s, want 200 and a rotated cookie", r.status, r.raw)
	}

	// A script (no header) gets simplejwt's JSON and no cookie.
	script := newBrowser(t, base, cert)
	r = script.do("POST", "/api/token/", jsonCT, login, nil)
	if r.status != 200 || !slices.Equal(keys(r.body), []string{"access", "refresh"}) || len(r.header.Values("Set-Cookie")) != 0 {
		t.Errorf("login without the header = %d %s, Set-Cookie %q; want simplejwt's pair and no cookie", r.status, r.raw, r.header.Values("Set-Cookie"))
	}

	// Logout from the cookie: blacklisted and cleared.
	r = page.do("POST", "/api/token/blacklist/", "", "", fromPage)
	wantClear := name + "=; Path=/api/token/; Max-Age=0; HttpOnly; Secure; SameSite=Strict"
	if r.status != 200 || r.raw != `{}` || !slices.Equal(r.header.Values("Set-Cookie"), []string{wantClear}) {
		t.Fatalf("logout from the cookie = %d %s, Set-Cookie %q; want 200 {} and [%q]", r.status, r.raw, r.header.Values("Set-Cookie"), wantClear)
	}
	if got := page.cookie("/api/token/refresh/", name); got != "" {
		t.Errorf("after logout the jar still holds %q", got)
	}
	if r := page.do("POST", "/api/token/refresh/", "", "", fromPage); r.status != 400 || r.raw != `{"refresh":["This field is required."]}` {
		t.Errorf("refresh after logout = %d %s, want 400 required", r.status, r.raw)
	}
	if r := script.do("POST", "/api/token/refresh/", jsonCT, `{"refresh":"`+third+`"}`, nil); r.status != 401 || r.body["code"] != "token_not_valid" {
		t.Errorf("the logged-out refresh token = %d %s, want 401 token_not_valid", r.status, r.raw)
	}
}

// TestBrowserCORS is a front end on another origin calling a running
// two-worker drover: its preflights and requests get the CORS answer,
// and another origin's get no CORS header at all.
func TestBrowserCORS(t *testing.T) {
	const (
		pw   = "correct horse battery"
		app  = "https://app.example"
		evil = "https://evil.example"
	)
	a := startAPI(t, 2, map[string]string{"alice": pw},
		"--cors-allowed-origins", app+",http://localhost:5173", "--refresh-cookie", "drover_refresh")
	b := newBrowser(t, a.url, "")
	corsOf := func(h http.Header) map[string]string {
		out := map[string]string{}
		for k, v := range h {
			if strings.HasPrefix(k, "Access-Control-") {
				out[k] = strings.Join(v, ", ")
			}
		}
		return out
	}
	preflight := func(origin, method, headers string) map[string]string {
		return map[string]string{"Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers}
	}
	const allowHeaders = "accept, authorization, content-type, user-agent, x-csrftoken, x-requested-with, x-drover-csrf"

	tests := []struct {
		name       string
		giveMethod string
		givePath   string
		giveHeader map[string]string
		wantStatus int
		wantCORS   map[string]string
	}{
		{name: "preflight of a login", giveMethod: "OPTIONS", givePath: "/api/token/", giveHeader: preflight(app, "POST", "content-type, x-drover-csrf"), wantStatus: 200,
			wantCORS: map[string]string{"Access-Control-Allow-Origin": app, "Access-Control-Allow-Credentials": "true", "Access-Control-Allow-Methods": "POST, OPTIONS", "Access-Control-Allow-Headers": allowHeaders, "Access-Control-Max-Age": "86400"}},
		{name: "preflight of an authenticated GET", giveMethod: "OPTIONS", givePath: "/hello/", giveHeader: preflight("http://localhost:5173", "GET", "authorization"), wantStatus: 200,
			wantCORS: map[string]string{"Access-Control-Allow-Origin": "http://localhost:5173", "Access-Control-Allow-Credentials": "true", "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS", "Access-Control-Allow-Headers": allowHeaders, "Access-Control-Max-Age": "86400"}},
		{name: "preflight from another origin", giveMethod: "OPTIONS", givePath: "/api/token/", giveHeader: preflight(evil, "POST", "content-type"), wantStatus: 200,
			wantCORS: map[string]string{}},
		{name: "preflight from another port", giveMethod: "OPTIONS", givePath: "/hello/", giveHeader: preflight("http://localhost:5174", "GET", "authorization"), wantStatus: 200,
			wantCORS: map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := b.do(tt.giveMethod, tt.givePath, "", "", tt.giveHeader)
			if got := corsOf(r.header); r.status != tt.wantStatus || r.raw != "" || !maps.Equal(got, tt.wantCORS) {
				t.Errorf("%s %s = %d %q with %v, want %d, empty, with %v", tt.giveMethod, tt.givePath, r.status, r.raw, got, tt.wantStatus, tt.wantCORS)
			}
			if got := r.header.Get("Vary"); got != "Origin" {
				t.Errorf("%s %s: Vary = %q, want Origin", tt.giveMethod, tt.givePath, got)
			}
		})
	}

	// The requests the page then sends.
	login := `{"username":"alice","password":"` + pw + `"}`
	r := b.do("POST", "/api/token/", "application/json", login, map[string]string{"Origin": app})
	if want := map[string]string{"Access-Control-Allow-Origin": app, "Access-Control-Allow-Credentials": "true"}; r.status != 200 || !maps.Equal(corsOf(r.header), want) {
		t.Fatalf("POST /api/token/ from %s = %d %s with %v, want 200 with %v", app, r.status, r.raw, corsOf(r.header), want)
	}
	access := r.body["access"].(string)
	if r := b.do("GET", "/hello/", "", "", map[string]string{"Origin": app, "Authorization": "Bearer " + access}); r.status != 200 || corsOf(r.header)["Access-Control-Allow-Origin"] != app {
		t.Errorf("GET /hello/ from %s = %d %s with %v, want 200 allowing %s", app, r.status, r.raw, corsOf(r.header), app)
	}
	if r := b.do("GET", "/hello/", "", "", map[string]string{"Origin": app}); r.status != 401 || corsOf(r.header)["Access-Control-Allow-Origin"] != app {
		t.Errorf("unauthenticated GET /hello/ from %s = %d with %v, want a 401 the page can read", app, r.status, corsOf(r.header))
	}
	for _, req := range []struct{ method, path, ctype, body string }{
		{"POST", "/api/token/", "application/json", login},
		{"GET", "/hello/", "", ""},
	} {
		r := b.do(req.method, req.path, req.ctype, req.body, map[string]string{"Origin": evil, "Authorization": "Bearer " + access})
		if got := corsOf(r.header); r.status != 200 || len(got) != 0 {
			t.Errorf("%s %s from %s = %d with %v, want 200 and no CORS header", req.method, req.path, evil, r.status, got)
		}
	}

	// An OPTIONS that is no preflight still gets DRF's metadata.
	r = b.do("OPTIONS", "/api/token/", "", "", map[string]string{"Origin": app})
	if r.status != 200 || r.body["name"] != "Token Obtain Pair" || r.header.Get("Allow") != "POST, OPTIONS" {
		t.Errorf("plain OPTIONS /api/token/ = %d %s, want DRF's metadata", r.status, r.raw)
	}

	// "*" never goes with the cookie's credentials.
	out, code := runDrover(t, "check", "--cors-allowed-origins", "*", "--refresh-cookie", "rt")
	if code != 1 || !strings.Contains(out, `invalid --cors-allowed-origins: "*" cannot be combined with refresh-cookie`) {
		t.Errorf(`drover check --cors-allowed-origins "*" --refresh-cookie rt: exit %d, %q`, code, out)
	}
	out, code = runDrover(t, "check", "--cors-allowed-origins", "https://app.example/")
	if code != 1 || !strings.Contains(out, "it has a path") {
		t.Errorf("drover check with an origin with a path: exit %d, %q", code, out)
	}
}
