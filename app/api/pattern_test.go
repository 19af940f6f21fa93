package api

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/drover/drover/app"
)

// echo is a handler that names its route in X-Route and writes it with
// the request's path values in place of the parameters: the request path
// itself when the Router matched right. A value that is empty or holds a
// "/" is written as "<bad>", which no route has.
func echo(route string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Route", route)
		var b strings.Builder
		for i, s := range strings.Split(route, "/") {
			if i > 0 {
				b.WriteByte('/')
			}
			if strings.HasPrefix(s, "{") {
				s = r.PathValue(s[1 : len(s)-1])
				if s == "" || strings.Contains(s, "/") {
					s = "<bad>"
				}
			}
			b.WriteString(s)
		}
		_, _ = io.WriteString(w, b.String())
	})
}

// patternRouter is a program's routes: a list, its detail and nested
// routes, an exact path among them, a pattern without the trailing slash,
// and a guarded pattern whose guard reads the path value.
func patternRouter() *Router {
	var rt Router
	for _, p := range []string{
		"/notes/",
		"/notes/{id}/",
		"/notes/latest/",
		"/notes/{id}/comments/",
		"/notes/{id}/comments/{cid}/",
		"/{kind}/{id}/comments/",
		"/files/{name}",
		"/users/{name}/",
		"/a/{x}/c/{w}/",
		"/{y}/b/{z}/{w}/",
	} {
		rt.Handle(http.MethodGet, p, echo(p))
	}
	rt.Handle(http.MethodDelete, "/notes/{id}/", echo("DELETE /notes/{id}/"))
	rt.Handle(http.MethodPut, "/notes/{id}/", echo("PUT /notes/{id}/"))
	rt.Accepts("/notes/{id}/", http.MethodPut, Field{Name: "text", Required: true})
	rt.Describe("/notes/{id}/comments/{cid}/", "Comment Detail", "One comment.")
	rt.Guard("/users/{name}/", func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.PathValue("name") == "mallory" {
				app.Error(w, http.StatusForbidden, "You do not have permission to perform this action.")
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	return &rt
}

func TestRouterPatterns(t *testing.T) {
	rt := patternRouter()
	const (
		parses    = `"renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"]`
		notFound  = `{"detail":"Not found."}`
		forbidden = `{"detail":"You do not have permission to perform this action."}`
		detail    = "GET, PUT, DELETE, HEAD, OPTIONS"
		get       = "GET, HEAD, OPTIONS"
	)
	tests := []struct {
		name         string
		giveMethod   string
		giveTarget   string
		giveHeader   map[string]string
		wantStatus   int
		wantBody     string
		wantAllow    string
		wantLocation string
		wantRoute    string // X-Route: the handler that ran
	}{
		{name: "exact list", wantRoute: "/notes/", giveMethod: "GET", giveTarget: "/notes/", wantStatus: 200, wantBody: "/notes/", wantAllow: get},
		{name: "detail", wantRoute: "/notes/{id}/", giveMethod: "GET", giveTarget: "/notes/7/", wantStatus: 200, wantBody: "/notes/7/", wantAllow: detail},
		{name: "exact wins over a pattern", wantRoute: "/notes/latest/", giveMethod: "GET", giveTarget: "/notes/latest/", wantStatus: 200, wantBody: "/notes/latest/", wantAllow: get},
		{name: "more literals win", wantRoute: "/notes/{id}/comments/", giveMethod: "GET", giveTarget: "/notes/7/comments/", wantStatus: 200, wantBody: "/notes/7/comments/", wantAllow: get},
		{name: "fewer literals when the other does not match", wantRoute: "/{kind}/{id}/comments/", giveMethod: "GET", giveTarget: "/users/7/comments/", wantStatus: 200, wantBody: "/users/7/comments/", wantAllow: get},
		{name: "two parameters", wantRoute: "/notes/{id}/comments/{cid}/", giveMethod: "GET", giveTarget: "/notes/7/comments/3/", wantStatus: 200, wantBody: "/notes/7/comments/3/", wantAllow: get},
		{name: "overlap decided by literals", wantRoute: "/a/{x}/c/{w}/", giveMethod: "GET", giveTarget: "/a/b/c/d/", wantStatus: 200, wantBody: "/a/b/c/d/", wantAllow: get},
		{name: "the other of an overlap", wantRoute: "/{y}/b/{z}/{w}/", giveMethod: "GET", giveTarget: "/x/b/c/d/", wantStatus: 200, wantBody: "/x/b/c/d/", wantAllow: get},
		{name: "escape decoded", wantRoute: "/notes/{id}/", giveMethod: "GET", giveTarget: "/notes/a%20b/", wantStatus: 200, wantBody: "/notes/a b/", wantAllow: detail},
		{name: "unicode", wantRoute: "/notes/{id}/", giveMethod: "GET", giveTarget: "/notes/%C3%A9t%C3%A9/", wantStatus: 200, wantBody: "/notes/été/", wantAllow: detail},
		{name: "a literal brace is a value", wantRoute: "/notes/{id}/", giveMethod: "GET", giveTarget: "/notes/{id}/", wantStatus: 200, wantBody: "/notes/{id}/", wantAllow: detail},
		{name: "dot segments are values, as in Django", wantRoute: "/notes/{id}/", giveMethod: "GET", giveTarget: "/notes/../", wantStatus: 200, wantBody: "/notes/../", wantAllow: detail},
		{name: "%2F separates segments, as in Django", giveMethod: "GET", giveTarget: "/notes/a%2Fb/", wantStatus: 404, wantBody: notFound},
		{name: "%2F into a longer pattern", wantRoute: "/notes/{id}/comments/", giveMethod: "GET", giveTarget: "/notes/7%2Fcomments/", wantStatus: 200, wantBody: "/notes/7/comments/", wantAllow: get},
		{name: "empty segment", giveMethod: "GET", giveTarget: "/notes//", wantStatus: 404, wantBody: notFound},
		{name: "empty parameter, no slash", giveMethod: "GET", giveTarget: "/files/", wantStatus: 404, wantBody: notFound},
		{name: "extra segment", giveMethod: "GET", giveTarget: "/notes/7/x/y/", wantStatus: 404, wantBody: notFound},
		{name: "case-sensitive literal", giveMethod: "GET", giveTarget: "/Notes/7/", wantStatus: 404, wantBody: notFound},
		{name: "pattern without the slash", wantRoute: "/files/{name}", giveMethod: "GET", giveTarget: "/files/a.txt", wantStatus: 200, wantBody: "/files/a.txt", wantAllow: get},
		{name: "no slash removal", giveMethod: "GET", giveTarget: "/files/a.txt/", wantStatus: 404, wantBody: notFound},
		{name: "APPEND_SLASH to a pattern", giveMethod: "GET", giveTarget: "/notes/7", wantStatus: 301, wantLocation: "/notes/7/"},
		{name: "APPEND_SLASH keeps escaping and query", giveMethod: "POST", giveTarget: "/notes/a%20b/comments?x=%2F", wantStatus: 301, wantLocation: "/notes/a%20b/comments/?x=%2F"},
		{name: "APPEND_SLASH to nothing", giveMethod: "GET", giveTarget: "/notes/7/x", wantStatus: 404, wantBody: notFound},
		{name: "HEAD", wantRoute: "/notes/{id}/", giveMethod: "HEAD", giveTarget: "/notes/7/", wantStatus: 200, wantBody: "/notes/7/", wantAllow: detail},
		{name: "second method", wantRoute: "DELETE /notes/{id}/", giveMethod: "DELETE", giveTarget: "/notes/7/", wantStatus: 200, wantBody: "DELETE /notes/7/", wantAllow: detail},
		{name: "405", giveMethod: "POST", giveTarget: "/notes/7/", wantStatus: 405, wantBody: `{"detail":"Method \"POST\" not allowed."}`, wantAllow: detail},
		{name: "OPTIONS names the last literal", giveMethod: "OPTIONS", giveTarget: "/notes/7/", wantStatus: 200, wantAllow: detail,
			wantBody: `{"name":"Notes","description":"",` + parses + `,"actions":{"PUT":{"text":{"type":"string","required":true,"read_only":false,"label":"Text"}}}}`},
		{name: "OPTIONS described", giveMethod: "OPTIONS", giveTarget: "/notes/7/comments/3/", wantStatus: 200, wantAllow: get,
			wantBody: `{"name":"Comment Detail","description":"One comment.",` + parses + `}`},
		{name: "format=xml", giveMethod: "GET", giveTarget: "/notes/7/?format=xml", wantStatus: 404, wantBody: notFound, wantAllow: detail},
		{name: "406", giveMethod: "GET", giveTarget: "/notes/7/", giveHeader: map[string]string{"Accept": "text/html"}, wantStatus: 406, wantBody: `{"detail":"Could not satisfy the request Accept header."}`, wantAllow: detail},
		{name: "guard passes", wantRoute: "/users/{name}/", giveMethod: "GET", giveTarget: "/users/alice/", wantStatus: 200, wantBody: "/users/alice/", wantAllow: get},
		{name: "guard reads the value", giveMethod: "GET", giveTarget: "/users/mallory/", wantStatus: 403, wantBody: forbidden, wantAllow: get},
		{name: "guard before OPTIONS", giveMethod: "OPTIONS", giveTarget: "/users/mallory/", wantStatus: 403, wantBody: forbidden, wantAllow: get},
		{name: "guard before 405", giveMethod: "POST", giveTarget: "/users/mallory/", wantStatus: 403, wantBody: forbidden, wantAllow: get},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.giveMethod, tt.giveTarget, nil)
			for k, v := range tt.giveHeader {
				req.Header.Set(k, v)
			}
			rec := serve(rt, req)
			if got := rec.Body.String(); rec.Code != tt.wantStatus || got != tt.wantBody {
				t.Errorf("%s %s = %d %q, want %d %q", tt.giveMethod, tt.giveTarget, rec.Code, got, tt.wantStatus, tt.wantBody)
			}
			if got := rec.Header().Get("Allow"); got != tt.wantAllow {
				t.Errorf("%s %s: Allow = %q, want %q", tt.giveMethod, tt.giveTarget, got, tt.wantAllow)
			}
			if got := rec.Header().Get("Location"); got != tt.wantLocation {
				t.Errorf("%s %s: Location = %q, want %q", tt.giveMethod, tt.giveTarget, got, tt.wantLocation)
			}
			if got := rec.Header().Get("X-Route"); got != tt.wantRoute {
				t.Errorf("%s %s: served by %q, want %q", tt.giveMethod, tt.giveTarget, got, tt.wantRoute)
			}
		})
	}
}

// TestRouterPatternPreflight: the CORS layer answers a preflight for a
// path that only a pattern matches, with that pattern's methods.
func TestRouterPatternPreflight(t *testing.T) {
	c, err := newCORS([]string{"https://app.example"}, false)
	if err != nil {
		t.Fatal(err)
	}
	h := c.wrap(patternRouter())
	req := httptest.NewRequest(http.MethodOptions, "/notes/7/", nil)
	req.Header.Set("Origin", "https://app.example")
	req.Header.Set("Access-Control-Request-Method", "DELETE")
	rec := serve(h, req)
	if got := rec.Header().Get("Access-Control-Allow-Methods"); rec.Code != 200 || got != "GET, PUT, DELETE, HEAD, OPTIONS" {
		t.Errorf("preflight /notes/7/ = %d, Access-Control-Allow-Methods %q, want 200 and the pattern's methods", rec.Code, got)
	}
}

func TestRouterPatternRegistration(t *testing.T) {
	h := answer("x")
	tests := []struct {
		name      string
		give      []string // patterns registered in order
		giveCall  func(rt *Router, path string)
		wantPanic string // "" for none
	}{
		{name: "open brace", give: []string{"/a/{"}, wantPanic: `Router.Handle: invalid pattern "/a/{": segment "{": a parameter is a whole segment, {name}`},
		{name: "close brace", give: []string{"/a/}/"}, wantPanic: `segment "}": a parameter is a whole segment`},
		{name: "no name", give: []string{"/a/{}/"}, wantPanic: `segment "{}": a parameter needs a name`},
		{name: "two in a segment", give: []string{"/a/{a}{b}/"}, wantPanic: `segment "{a}{b}": a parameter is a whole segment`},
		{name: "part of a segment", give: []string{"/a/x{a}/"}, wantPanic: `segment "x{a}": a parameter is a whole segment`},
		{name: "nested", give: []string{"/a/{{a}}/"}, wantPanic: `segment "{{a}}": a parameter is a whole segment`},
		{name: "not an identifier", give: []string{"/a/{note-id}/"}, wantPanic: `"note-id" is not a Go identifier`},
		{name: "leading digit", give: []string{"/a/{1d}/"}, wantPanic: `"1d" is not a Go identifier`},
		{name: "ServeMux's rest wildcard", give: []string{"/a/{rest...}"}, wantPanic: `"rest..." is not a Go identifier`},
		{name: "repeated name", give: []string{"/a/{x}/b/{x}/"}, wantPanic: `parameter "x" used twice`},
		{name: "empty segment", give: []string{"/a//{x}/"}, wantPanic: "empty segment"},
		{name: "same shape", give: []string{"/a/{x}/", "/a/{y}/"}, wantPanic: `pattern "/a/{y}/" conflicts with "/a/{x}/": both match "/a/y/"`},
		{name: "crossing, as many literals", give: []string{"/a/{x}/", "/{y}/b/"}, wantPanic: `pattern "/{y}/b/" conflicts with "/a/{x}/": both match "/a/b/"`},
		{name: "conflict found by Describe", give: []string{"/a/{x}/"}, giveCall: func(rt *Router, _ string) { rt.Describe("/a/{y}/", "A", "") }, wantPanic: `Router.Describe: pattern "/a/{y}/" conflicts`},
		{name: "invalid in Guard", give: []string{"/a/{x}/"}, giveCall: func(rt *Router, _ string) { rt.Guard("/b/{}/", func(h http.Handler) http.Handler { return h }) }, wantPanic: `Router.Guard: invalid pattern "/b/{}/"`},
		{name: "invalid in Accepts", give: []string{"/a/{x}/"}, giveCall: func(rt *Router, _ string) { rt.Accepts("/b/{", http.MethodPost) }, wantPanic: `Router.Accepts: invalid pattern "/b/{"`},
		{name: "same pattern, two methods", give: []string{"/a/{x}/"}, giveCall: func(rt *Router, p string) { rt.Handle(http.MethodPost, p, h) }},
		{name: "same pattern, same method", give: []string{"/a/{x}/"}, giveCall: func(rt *Router, p string) { rt.Handle(http.MethodGet, p, h) }, wantPanic: "GET /a/{x}/ registered twice"},
		{name: "more literals", give: []string{"/a/{x}/", "/a/b/{y}/", "/{k}/{x}/{y}/"}},
		{name: "crossing, more literals", give: []string{"/a/{x}/c/{w}/", "/{y}/b/{z}/"}},
		{name: "slash or not", give: []string{"/a/{x}/", "/a/{x}"}},
		{name: "trailing slash is a literal a parameter never matches", give: []string{"/{x}/", "/a/{y}"}},
		{name: "lengths differ", give: []string{"/{x}/", "/{x}/{y}/"}},
		{name: "keyword name", give: []string{"/a/{type}/"}},
		{name: "exact beside a pattern", give: []string{"/a/{x}/", "/a/b/"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rt Router
			got := func() (msg string) {
				defer func() { msg, _ = recover().(string) }()
				for _, p := range tt.give {
					rt.Handle(http.MethodGet, p, h)
				}
				if tt.giveCall != nil {
					tt.giveCall(&rt, tt.give[len(tt.give)-1])
				}
				return ""
			}()
			if tt.wantPanic == "" && got != "" || !strings.Contains(got, tt.wantPanic) {
				t.Errorf("registering %q panicked with %q, want %q", tt.give, got, tt.wantPanic)
			}
		})
	}
}

// FuzzRouterPath serves arbitrary paths against patternRouter: no panic,
// a status among 200, 301, 404 and 405, a 200 from the route whose
// pattern, with the path values put in, is the path, and a 301 to the
// slash form of a path that has a route.
func FuzzRouterPath(f *testing.F) {
	for _, p := range []string{"/", "", "*", "/notes/", "/notes/7/", "/notes/7", "/notes//", "/notes/7/comments/3/",
		"/x/b/c/", "/a/b/c/", "/files/a", "/files/", "/users/mallory", "/{x}/", "/notes/../", "//", "/a/b/c/d/e/f/"} {
		f.Add(p, uint8(0))
	}
	f.Add("/notes/7/", uint8(3))
	rt := patternRouter()
	methods := []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodDelete, http.MethodOptions, "PURGE"}
	f.Fuzz(func(t *testing.T, path string, m uint8) {
		if strings.Contains(path, "mallory") {
			return // the guard's 403
		}
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Method = methods[int(m)%len(methods)]
		req.URL.Path = path
		rec := serve(rt, req)
		switch rec.Code {
		case 200:
			if req.Method != http.MethodOptions && !strings.HasSuffix(rec.Body.String(), path) {
				t.Errorf("%s %q: 200 %q, want the path back", req.Method, path, rec.Body)
			}
		case 301:
			if rt.lookup(path+"/") == nil || rec.Header().Get("Location") != req.URL.EscapedPath()+"/" {
				t.Errorf("%s %q: 301 to %q, and the slash form has no route", req.Method, path, rec.Header().Get("Location"))
			}
		case 404, 405:
		default:
			t.Errorf("%s %q: status %d", req.Method, path, rec.Code)
		}
	})
}
