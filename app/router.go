package app

import (
	"net/http"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Router is a small exact-path router that answers the way Django REST
// Framework does: JSON 404 and 405 (with Allow), OPTIONS metadata, and
// Django's APPEND_SLASH redirect. GET implies HEAD; OPTIONS is always
// allowed. Every response for a known path carries Allow, as DRF's views do.
//
// The zero Router is ready to use. Register routes with Handle before
// serving; Handle must not run concurrently with ServeHTTP.
type Router struct {
	routes map[string]*route
}

var _ http.Handler = (*Router)(nil)

// route is one path with its handlers and what is precomputed for it.
type route struct {
	path        string
	name        string
	description string
	handlers    []methodHandler
	allow       string // Allow header value
	options     string // OPTIONS body
}

type methodHandler struct {
	method string
	h      http.Handler
}

// Handle registers h for method on path. path is matched exactly against
// r.URL.Path and must start with a single "/"; by Django's convention it
// ends with "/". Handle panics, like http.ServeMux, on an empty or invalid
// method, an invalid path, a nil handler or a duplicate registration: these
// are programming errors found at startup.
func (rt *Router) Handle(method, path string, h http.Handler) {
	switch {
	case !validMethod(method):
		panic("app: Router.Handle: invalid method " + quote(method))
	case !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") || strings.ContainsAny(path, "?#"):
		panic("app: Router.Handle: invalid path " + quote(path))
	case h == nil:
		panic("app: Router.Handle: nil handler for " + method + " " + path)
	}
	rte := rt.entry(path)
	for _, mh := range rte.handlers {
		if mh.method == method {
			panic("app: Router.Handle: " + method + " " + path + " registered twice")
		}
	}
	rte.handlers = append(rte.handlers, methodHandler{method: method, h: h})
	rte.allow = allowHeader(rte.handlers)
	rte.options = optionsBody(rte.name, rte.description)
}

// Describe sets the name and description an OPTIONS request on path
// reports, as DRF's metadata does from the view's name and docstring. By
// default the name comes from the last path segment ("/hello/" → "Hello")
// and the description is empty.
func (rt *Router) Describe(path, name, description string) {
	rte := rt.entry(path)
	rte.name, rte.description = name, description
	rte.options = optionsBody(name, description)
}

// entry returns the route for path, creating it.
func (rt *Router) entry(path string) *route {
	if rt.routes == nil {
		rt.routes = make(map[string]*route)
	}
	rte := rt.routes[path]
	if rte == nil {
		rte = &route{path: path, name: nameFromPath(path)}
		rte.allow = allowHeader(nil)
		rte.options = optionsBody(rte.name, "")
		rt.routes[path] = rte
	}
	return rte
}

// ServeHTTP dispatches r to the handler registered for its path and method.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rte := rt.routes[r.URL.Path]
	if rte == nil {
		rt.notFound(w, r)
		return
	}
	w.Header()["Allow"] = []string{rte.allow} // canonical key: no Set needed
	if h := rte.handler(r.Method); h != nil {
		h.ServeHTTP(w, r)
		return
	}
	if r.Method == http.MethodOptions {
		writeJSON(w, http.StatusOK, rte.options)
		return
	}
	Error(w, http.StatusMethodNotAllowed, methodNotAllowed(r.Method))
}

// handler returns the handler for method; HEAD falls back to GET.
func (rte *route) handler(method string) http.Handler {
	var get http.Handler
	for _, mh := range rte.handlers {
		if mh.method == method {
			return mh.h
		}
		if mh.method == http.MethodGet {
			get = mh.h
		}
	}
	if method == http.MethodHead {
		return get
	}
	return nil
}

// notFound answers a path with no route. Like Django's APPEND_SLASH, a GET
// or HEAD whose path lacks only the trailing slash is redirected (301) to the
// slash form, query kept; everything else gets DRF's 404.
func (rt *Router) notFound(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if (r.Method == http.MethodGet || r.Method == http.MethodHead) && !strings.HasSuffix(p, "/") {
		if _, ok := rt.routes[p+"/"]; ok {
			loc := r.URL.EscapedPath() + "/"
			if r.URL.RawQuery != "" {
				loc += "?" + r.URL.RawQuery
			}
			w.Header().Set("Location", loc)
			w.WriteHeader(http.StatusMovedPermanently)
			return
		}
	}
	Error(w, http.StatusNotFound, "Not found.")
}

// allowHeader lists the allowed methods in DRF's order: the registered
// ones, HEAD when GET is registered, and OPTIONS.
func allowHeader(handlers []methodHandler) string {
	order := [...]string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE"}
	has := map[string]bool{http.MethodOptions: true}
	for _, mh := range handlers {
		has[mh.method] = true
		if mh.method == http.MethodGet {
			has[http.MethodHead] = true
		}
	}
	var allow []string
	for _, m := range order {
		if has[m] {
			allow = append(allow, m)
			delete(has, m)
		}
	}
	rest := make([]string, 0, len(has))
	for m := range has {
		rest = append(rest, m)
	}
	sort.Strings(rest)
	return strings.Join(append(allow, rest...), ", ")
}

// optionsBody is DRF's SimpleMetadata for a JSON-only view.
func optionsBody(name, description string) string {
	b := []byte(`{"name":`)
	b = appendJSONString(b, name)
	b = append(b, `,"description":`...)
	b = appendJSONString(b, description)
	b = append(b, `,"renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"]}`...)
	return string(b)
}

// nameFromPath makes a view name from the last path segment: "/api/token/"
// → "Token", "/password-reset/" → "Password Reset". "/" is "Root".
func nameFromPath(path string) string {
	seg := strings.Trim(path, "/")
	if i := strings.LastIndexByte(seg, '/'); i >= 0 {
		seg = seg[i+1:]
	}
	if seg == "" {
		return "Root"
	}
	words := strings.FieldsFunc(seg, func(r rune) bool { return r == '-' || r == '_' })
	for i, w := range words {
		r, size := utf8.DecodeRuneInString(w)
		words[i] = string(unicode.ToUpper(r)) + w[size:]
	}
	return strings.Join(words, " ")
}

// validMethod reports whether m is an HTTP token (RFC 9110, section 5.6.2).
func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for i := 0; i < len(m); i++ {
		c := m[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// quote wraps s in double quotes for a panic message.
func quote(s string) string { return `"` + s + `"` }
