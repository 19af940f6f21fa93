package api

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// discard is a ResponseWriter that keeps nothing but its header map, so
// BenchmarkRouter measures the Router and not a recorder.
type discard struct {
	h      http.Header
	status int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(status int)      { d.status = status }

// BenchmarkRouter serves one request on a router of a program's size (a
// few exact routes and a few patterns): "exact" is the hot path of every
// route that has no parameter, "pattern" a request that only a pattern
// matches. "pattern" serves a new *http.Request each iteration, since the
// path values are set on it and a reused request would hide what that
// costs (http.Request.SetPathValue's map); one of its allocations, the
// request's 320 bytes, is the benchmark's own.
func BenchmarkRouter(b *testing.B) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	var rt Router
	for _, p := range []string{"/api/token/", "/api/token/refresh/", "/api/token/verify/", "/api/token/blacklist/", "/hello/", "/notes/"} {
		rt.Handle(http.MethodGet, p, ok)
	}
	for _, p := range []string{"/notes/{id}/", "/notes/{id}/comments/", "/notes/{id}/comments/{cid}/", "/users/{name}/"} {
		if !isPattern(p) {
			continue // the same benchmark runs on a router without patterns
		}
		rt.Handle(http.MethodGet, p, ok)
	}
	for _, bb := range []struct {
		name, target string
		fresh        bool // a new request each iteration
	}{
		{"exact", "/hello/", false},
		{"pattern", "/notes/42/comments/7/", true},
	} {
		b.Run(bb.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, bb.target, nil)
			w := &discard{h: make(http.Header)}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				r := req
				if bb.fresh {
					r = &http.Request{Method: req.Method, URL: req.URL, Header: req.Header}
				}
				rt.ServeHTTP(w, r)
				if w.status != http.StatusOK {
					b.Fatalf("GET %s: status %d", bb.target, w.status)
				}
			}
		})
	}
}
