package api

import (
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/drover/drover/app"
	"github.com/drover/drover/app/internal/drf"
)

// Router is a small router that answers the way Django REST Framework
// does: JSON 404 and 405 (with Allow), OPTIONS metadata, content
// negotiation (406) and Django's APPEND_SLASH redirect. GET implies HEAD;
// OPTIONS is always allowed. Every response for a known path carries
// Allow, as DRF's views do. A known path's request goes, in DRF's order,
// through content negotiation, then the path's [Router.Guard] (DRF's
// authentication and permissions), then method dispatch: an unauthenticated
// OPTIONS or wrong method on a guarded path is a 401, not a 200 or 405.
//
// # Paths and patterns
//
// A route is an exact path ("/notes/") or a pattern with named segments
// ("/notes/{id}/"), as Django's path("notes/<str:id>/") and Go's
// http.ServeMux write them. A {name} is a whole segment and matches
// exactly one non-empty segment of the request's path; the handler (and
// the guard) reads it with r.PathValue("id"). Everything the Router does
// for an exact path it does for a pattern: Allow, OPTIONS, 405, 406, the
// guard and the APPEND_SLASH redirect ("/notes/7" → "/notes/7/").
//
// Matching is on r.URL.Path, the decoded path, as for an exact path and
// as Django matches on its decoded PATH_INFO: an encoded slash (%2F)
// separates segments as "/" does, so a value never holds a "/" and "/notes/a%2Fb/" is not
// "/notes/{id}/" (404, as in Django); other escapes are decoded
// ("/notes/a%20b/" gives id "a b"). A value is otherwise the segment as
// sent, "." and ".." included (Django's str converter takes them too): a
// handler that makes a file name of one must check it.
//
// Precedence, whatever the order of registration:
//
//  1. an exact path;
//  2. the pattern with more literal segments ("/notes/{id}/comments/"
//     before "/{kind}/{id}/{sub}/").
//
// Between two patterns with as many literal segments that can match one
// path ("/a/{x}/" and "/a/{y}/", or "/a/{x}/" and "/{y}/b/") only the
// order of registration could choose, as Django's first match does; the
// Router refuses the second at registration instead, as http.ServeMux
// refuses two patterns neither of which is more specific.
//
// The zero Router is ready to use. Register routes with Handle, Describe,
// Accepts and Guard before serving; they must not run concurrently with
// ServeHTTP.
type Router struct {
	routes    map[string]*route // exact paths
	byPattern map[string]*route // patterns, by their text
	patterns  []*route          // patterns in precedence order
}

var _ http.Handler = (*Router)(nil)

// route is one path or pattern with its handlers and what is precomputed
// for it.
type route struct {
	path        string
	pat         *pattern // nil for an exact path
	name        string
	description string
	handlers    []methodHandler
	actions     []methodFields
	guard       func(http.Handler) http.Handler
	allow       string       // Allow header value
	allowHeader []string     // []string{allow}, shared by every response; never written into
	options     string       // OPTIONS body
	serve       http.Handler // guard(dispatch)
}

// Field is one input field of a view, as DRF's SimpleMetadata describes a
// serializer field under "actions" in an OPTIONS answer.
type Field struct {
	// Name is the field's key in the request body.
	Name string
	// Type is DRF's label for the field class; empty means "string"
	// (a CharField).
	Type string
	// Required is true for a field the request must carry.
	Required bool
	// ReadOnly marks a field that only appears in responses.
	ReadOnly bool
	// Label is the field's label; empty means the name as DRF makes it:
	// underscores become spaces and the first letter is capitalised
	// ("refresh" → "Refresh").
	Label string
}

// methodFields is the fields one method takes.
type methodFields struct {
	method string
	fields []Field
}

type methodHandler struct {
	method string
	h      http.Handler
}

// Handle registers h for method on path, an exact path or a pattern (see
// [Router]). path must start with a single "/"; by Django's convention it
// ends with "/". Handle panics, like http.ServeMux, on an empty or invalid
// method, an invalid path or pattern, a pattern that conflicts with
// another, a nil handler or a duplicate registration: these are
// programming errors found at startup.
func (rt *Router) Handle(method, path string, h http.Handler) {
	switch {
	case !validMethod(method):
		panic("api: Router.Handle: invalid method " + quote(method))
	case !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") || strings.ContainsAny(path, "?#"):
		panic("api: Router.Handle: invalid path " + quote(path))
	case h == nil:
		panic("api: Router.Handle: nil handler for " + method + " " + path)
	}
	rte := rt.entry("Handle", path)
	for _, mh := range rte.handlers {
		if mh.method == method {
			panic("api: Router.Handle: " + method + " " + path + " registered twice")
		}
	}
	rte.handlers = append(rte.handlers, methodHandler{method: method, h: h})
	rte.build()
}

// Describe sets the name and description an OPTIONS request on path (an
// exact path or a pattern, as given to Handle) reports, as DRF's metadata
// does from the view's name and docstring. By default the name comes from
// the last literal segment ("/hello/" → "Hello", "/notes/{id}/" →
// "Notes") and the description is empty.
func (rt *Router) Describe(path, name, description string) {
	rte := rt.entry("Describe", path)
	rte.name, rte.description = name, description
	rte.build()
}

// Accepts records the fields method takes on path, which an OPTIONS
// request reports under "actions", as DRF's SimpleMetadata does for a view
// with a serializer. DRF describes only POST and PUT: Accepts panics for
// another method, or when called twice for one method.
func (rt *Router) Accepts(path, method string, fields ...Field) {
	if method != http.MethodPost && method != http.MethodPut {
		panic("api: Router.Accepts: DRF's metadata describes POST and PUT only, not " + quote(method))
	}
	rte := rt.entry("Accepts", path)
	for _, a := range rte.actions {
		if a.method == method {
			panic("api: Router.Accepts: fields of " + method + " " + path + " given twice")
		}
	}
	rte.actions = append(rte.actions, methodFields{method: method, fields: fields})
	rte.build()
}

// Guard makes every request for path pass through mw before its method is
// dispatched, OPTIONS and unknown methods included, as DRF runs a view's
// authentication and permission checks before it looks at the method. mw
// answers the requests it refuses and passes the others on; on a pattern
// it sees r.PathValue already. [Auth.Require] makes one. One guard per path: Guard panics when
// called twice for one path.
func (rt *Router) Guard(path string, mw func(http.Handler) http.Handler) {
	rte := rt.entry("Guard", path)
	switch {
	case mw == nil:
		panic("api: Router.Guard: nil guard for " + path)
	case rte.guard != nil:
		panic("api: Router.Guard: " + path + " guarded twice")
	}
	rte.guard = mw
	rte.build()
}

// entry returns the route for path, creating it; caller names the method
// in a panic. A new pattern is checked and put in precedence order.
func (rt *Router) entry(caller, path string) *route {
	if !isPattern(path) {
		if rt.routes == nil {
			rt.routes = make(map[string]*route)
		}
		rte := rt.routes[path]
		if rte == nil {
			rte = &route{path: path, name: nameFromPath(path)}
			rte.build()
			rt.routes[path] = rte
		}
		return rte
	}
	if rte := rt.byPattern[path]; rte != nil {
		return rte
	}
	pat, err := parsePattern(path)
	if err != nil {
		panic("api: Router." + caller + ": invalid pattern " + quote(path) + ": " + err.Error())
	}
	for _, other := range rt.patterns {
		if both, ok := pat.conflict(other.pat); ok {
			panic("api: Router." + caller + ": pattern " + quote(path) + " conflicts with " + quote(other.path) +
				": both match " + quote(both) + " and neither has more literal segments")
		}
	}
	rte := &route{path: path, pat: pat, name: nameFromPath(path)}
	rte.build()
	if rt.byPattern == nil {
		rt.byPattern = make(map[string]*route)
	}
	rt.byPattern[path] = rte
	// Stable: among patterns with as many literals (which cannot match
	// one path, or they would have conflicted), registration order.
	i := sort.Search(len(rt.patterns), func(i int) bool { return rt.patterns[i].pat.literals < pat.literals })
	rt.patterns = slices.Insert(rt.patterns, i, rte)
	return rte
}

// lookup returns the route for path, exact paths first, then patterns in
// precedence order, or nil.
func (rt *Router) lookup(path string) *route {
	if rte := rt.routes[path]; rte != nil {
		return rte
	}
	return rt.matchPattern(path)
}

// matchPattern returns the first pattern in precedence order that matches
// path, or nil.
func (rt *Router) matchPattern(path string) *route {
	if len(rt.patterns) == 0 {
		return nil
	}
	n := strings.Count(path, "/")
	for _, rte := range rt.patterns {
		if len(rte.pat.segs) == n && rte.pat.match(path) {
			return rte
		}
	}
	return nil
}

// build precomputes what ServeHTTP needs from the route's registrations.
func (rte *route) build() {
	rte.allow = allowHeader(rte.handlers)
	rte.allowHeader = []string{rte.allow}
	rte.options = optionsBody(rte.name, rte.description, rte.actions)
	rte.serve = http.HandlerFunc(rte.dispatch)
	if rte.guard != nil {
		rte.serve = rte.guard(rte.serve)
	}
}

// ServeHTTP answers r as DRF's view for its path would: content
// negotiation, the path's guard, then the handler for the method.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rte := rt.routes[r.URL.Path]
	if rte == nil {
		if rte = rt.matchPattern(r.URL.Path); rte == nil {
			rt.notFound(w, r)
			return
		}
		rte.pat.setValues(r)
	}
	// Canonical key: no Set needed. The slice is the route's, shared by
	// all its responses so that this allocates nothing: net/http only
	// reads and copies header values, and Add on it appends to a new
	// array (its capacity is its length); nothing writes into it.
	w.Header()["Allow"] = rte.allowHeader[:1:1]
	switch negotiate(r) {
	case noRenderer:
		app.Error(w, http.StatusNotFound, "Not found.")
		return
	case notAcceptable:
		app.Error(w, http.StatusNotAcceptable, "Could not satisfy the request Accept header.")
		return
	}
	rte.serve.ServeHTTP(w, r)
}

// dispatch runs the handler for r's method, answers OPTIONS with the
// route's metadata, or answers 405.
func (rte *route) dispatch(w http.ResponseWriter, r *http.Request) {
	if h := rte.handler(r.Method); h != nil {
		h.ServeHTTP(w, r)
		return
	}
	if r.Method == http.MethodOptions {
		drf.WriteJSON(w, http.StatusOK, rte.options)
		return
	}
	app.Error(w, http.StatusMethodNotAllowed, drf.MethodNotAllowed(r.Method))
}

// negotiation is the outcome of DRF's content negotiation for a view
// whose only renderer is JSONRenderer.
type negotiation int

const (
	acceptable    negotiation = iota
	noRenderer                // ?format= names another format: DRF raises Http404
	notAcceptable             // no Accept media range admits application/json: 406
)

// negotiate is DRF's DefaultContentNegotiation.select_renderer with the
// JSON renderer alone. The last non-empty ?format= value must be "json".
// Without an Accept header anything goes; with one, some comma-separated
// media range must match application/json: "*/*", "application/*" or
// "application/json", parameters (q=0 included) ignored, as DRF does.
func negotiate(r *http.Request) negotiation {
	if r.URL.RawQuery != "" {
		if formats, ok := r.URL.Query()["format"]; ok {
			if f := formats[len(formats)-1]; f != "" && f != "json" {
				return noRenderer
			}
		}
	}
	accept, ok := r.Header["Accept"]
	if !ok {
		return acceptable
	}
	for _, value := range accept {
		for token := range strings.SplitSeq(value, ",") {
			mediaType, _, _ := strings.Cut(token, ";")
			main, sub, _ := strings.Cut(strings.TrimSpace(mediaType), "/")
			if (sub == "*" || strings.EqualFold(sub, "json")) && (main == "*" || strings.EqualFold(main, "application")) {
				return acceptable
			}
		}
	}
	return notAcceptable
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

// notFound answers a path with no route. Like Django's CommonMiddleware
// with APPEND_SLASH (and DEBUG off), a request of any method whose path
// lacks only the trailing slash is redirected (301, empty text/html body)
// to the slash form, query kept, when the slash form has a route (an exact
// path or a pattern); everything else gets DRF's 404. Django
// itself answers an unknown path with an HTML page: drover keeps DRF's JSON,
// as every other error of the chain.
func (rt *Router) notFound(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if !strings.HasSuffix(p, "/") {
		if rt.lookup(p+"/") != nil {
			loc := r.URL.EscapedPath() + "/"
			if r.URL.RawQuery != "" {
				loc += "?" + r.URL.RawQuery
			}
			h := w.Header()
			h["Location"] = []string{loc}                            // canonical keys: no Set needed
			h["Content-Type"] = []string{"text/html; charset=utf-8"} // Django's HttpResponse default
			// CommonMiddleware answers this before the view is reached,
			// so XFrameOptionsMiddleware, below it in Django's default
			// order, never sees it; SecurityMiddleware, above, does
			// (see SecurityHeaders).
			delete(h, "X-Frame-Options")
			w.WriteHeader(http.StatusMovedPermanently)
			return
		}
	}
	app.Error(w, http.StatusNotFound, "Not found.")
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

// optionsBody is DRF's SimpleMetadata for a JSON-only view, with
// "actions" when some method takes fields.
func optionsBody(name, description string, actions []methodFields) string {
	b := []byte(`{"name":`)
	b = drf.AppendString(b, name)
	b = append(b, `,"description":`...)
	b = drf.AppendString(b, description)
	b = append(b, `,"renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"]`...)
	if len(actions) > 0 {
		b = append(b, `,"actions":{`...)
		for i, a := range actions {
			if i > 0 {
				b = append(b, ',')
			}
			b = drf.AppendString(b, a.method)
			b = append(b, ":{"...)
			for j, f := range a.fields {
				if j > 0 {
					b = append(b, ',')
				}
				b = appendField(b, f)
			}
			b = append(b, '}')
		}
		b = append(b, '}')
	}
	return string(append(b, '}'))
}

// appendField appends "name":{…} as DRF's SimpleMetadata.get_field_info
// writes it.
func appendField(b []byte, f Field) []byte {
	typ, label := f.Type, f.Label
	if typ == "" {
		typ = "string"
	}
	if label == "" {
		label = labelFromName(f.Name)
	}
	b = drf.AppendString(b, f.Name)
	b = append(b, `:{"type":`...)
	b = drf.AppendString(b, typ)
	b = strconv.AppendBool(append(b, `,"required":`...), f.Required)
	b = strconv.AppendBool(append(b, `,"read_only":`...), f.ReadOnly)
	b = append(b, `,"label":`...)
	b = drf.AppendString(b, label)
	return append(b, '}')
}

// labelFromName is DRF's default field label: underscores become spaces,
// then Python's str.capitalize ("user_name" → "User name").
func labelFromName(name string) string {
	s := strings.ReplaceAll(name, "_", " ")
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 {
		return ""
	}
	return string(unicode.ToUpper(r)) + strings.ToLower(s[size:])
}

// nameFromPath makes a view name from the last literal path segment:
// "/api/token/" → "Token", "/password-reset/" → "Password Reset",
// "/notes/{id}/" → "Notes" (a parameter names nothing). "/" and a path of
// parameters alone are "Root".
func nameFromPath(path string) string {
	var seg string
	for s := range strings.SplitSeq(path, "/") {
		if s != "" && !strings.HasPrefix(s, "{") {
			seg = s
		}
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
