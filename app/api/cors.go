package api

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
)

// AnyOrigin in [Config.CORSAllowedOrigins] lets a page of any origin call
// the API (django-cors-headers' CORS_ALLOW_ALL_ORIGINS). It cannot be
// combined with the refresh cookie: credentials are never shared with
// every origin.
const AnyOrigin = "*"

// corsAllowHeaders is Access-Control-Allow-Headers on a preflight:
// django-cors-headers' CORS_ALLOW_HEADERS default, which has Authorization
// and Content-Type, and drover's CSRFHeader.
const corsAllowHeaders = "accept, authorization, content-type, user-agent, x-csrftoken, x-requested-with, x-drover-csrf"

// corsMaxAge is Access-Control-Max-Age on a preflight, in seconds:
// django-cors-headers' CORS_PREFLIGHT_MAX_AGE default (a day). Browsers
// cap it lower (Chromium at two hours).
const corsMaxAge = "86400"

// cors is django-cors-headers' CorsMiddleware for browser pages of other
// origins: the settings, which [cors.wrap] puts around a handler.
type cors struct {
	origins     map[string]bool // exact origins, as ParseOrigin writes them
	any         bool            // AnyOrigin was listed
	credentials bool            // the refresh cookie is on
}

// corsAllowMethods is Access-Control-Allow-Methods on a preflight for a
// handler that is not a Router, which cannot say what a path allows:
// django-cors-headers' CORS_ALLOW_METHODS default.
const corsAllowMethods = "DELETE, GET, OPTIONS, PATCH, POST, PUT"

// newCORS returns the CORS layer for origins, or nil when origins is
// empty: then no response carries a CORS header and an OPTIONS request
// always gets DRF's metadata, as without django-cors-headers.
// credentials adds Access-Control-Allow-Credentials, which lets a page
// send and receive the refresh cookie.
func newCORS(origins []string, credentials bool) (*cors, error) {
	if len(origins) == 0 {
		return nil, nil
	}
	c := &cors{origins: make(map[string]bool, len(origins)), credentials: credentials}
	for _, o := range origins {
		if o == AnyOrigin {
			c.any = true
			continue
		}
		norm, err := ParseOrigin(o)
		if err != nil {
			return nil, err
		}
		c.origins[norm] = true
	}
	if c.any && credentials {
		return nil, errors.New(`CORS allowed origins: "*" cannot be combined with the refresh cookie: every site's pages could use it; list the front ends' origins`)
	}
	return c, nil
}

// CORS returns the CORS layer of django-cors-headers for origins (see
// [Config.CORSAllowedOrigins]), without credentials: the layer of a
// program that does not use drover's authentication ([Auth.Wrap] is the
// one of a program that does). With no origins, it returns h unchanged.
// Its error names the origin it cannot read.
func CORS(origins []string) (func(http.Handler) http.Handler, error) {
	c, err := newCORS(origins, false)
	if err != nil {
		return nil, err
	}
	return c.wrap, nil
}

// wrap returns h behind the CORS layer, or h itself when c is nil.
//
// Every response varies on Origin. A request whose Origin is allowed gets
// Access-Control-Allow-Origin (and -Credentials with the cookie) on
// whatever h answers, errors included, so the page can read them. A
// preflight (OPTIONS with Origin and Access-Control-Request-Method) is
// answered here, before any guard, since a browser never sends
// credentials with one: 200 with an empty body, and for an allowed
// origin the methods, the headers a page may send and how long to cache
// that. When h is a *Router, only a preflight for one of its paths is
// answered, with that path's methods (its Allow), and a preflight for
// another path goes on to the Router's 404; for another handler every
// preflight is answered, with django-cors-headers' default methods. Any
// other OPTIONS goes on to h, which a Router answers with DRF's metadata.
// A request from an origin not allowed gets no CORS header: its page
// cannot read the answer, and a preflight fails, so the browser never
// sends the request.
func (c *cors) wrap(h http.Handler) http.Handler {
	if c == nil {
		return h
	}
	rt, _ := h.(*Router)
	return &corsHandler{cors: c, next: h, routes: rt}
}

// corsHandler is the CORS layer in front of one handler.
type corsHandler struct {
	*cors
	next   http.Handler
	routes *Router // next, when it is a Router
}

var _ http.Handler = (*corsHandler)(nil)

// ServeHTTP is the CORS layer in front of c.next.
func (c *corsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Add("Vary", "Origin")
	origin := r.Header.Get("Origin")
	allowed := origin != "" && (c.any || c.origins[origin])
	if allowed {
		if c.any {
			h["Access-Control-Allow-Origin"] = []string{AnyOrigin} // canonical keys: no Set needed
		} else {
			h["Access-Control-Allow-Origin"] = []string{origin}
		}
		if c.credentials {
			h["Access-Control-Allow-Credentials"] = []string{"true"}
		}
	}
	if _, preflight := r.Header["Access-Control-Request-Method"]; preflight && origin != "" && r.Method == http.MethodOptions {
		if methods, ok := c.methods(r.URL.Path); ok {
			if allowed {
				h["Access-Control-Allow-Methods"] = []string{methods}
				h["Access-Control-Allow-Headers"] = []string{corsAllowHeaders}
				h["Access-Control-Max-Age"] = []string{corsMaxAge}
			}
			h["Content-Length"] = []string{"0"}
			w.WriteHeader(http.StatusOK)
			return
		}
	}
	c.next.ServeHTTP(w, r)
}

// methods is what a preflight for path may be told the path allows, and
// whether the preflight is answered here.
func (c *corsHandler) methods(path string) (string, bool) {
	if c.routes == nil {
		return corsAllowMethods, true
	}
	if rte := c.routes.lookup(path); rte != nil {
		return rte.allow, true
	}
	return "", false
}

// ParseOrigin checks an allowed origin as a browser writes it in the
// Origin header, scheme://host[:port], and returns it in that form:
// scheme and host lower-cased, the default port of http (80) and https
// (443) dropped. A path (even "/"), query, fragment, user, "*" and "null"
// are refused, and so is a host that is not ASCII (give its xn-- form, as
// browsers send it).
func ParseOrigin(s string) (string, error) {
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("%q is not an origin (scheme://host[:port]): %s", s, why)
	}
	switch s {
	case "":
		return bad("empty")
	case AnyOrigin:
		return bad(`"*" is not one origin`)
	case "null":
		return bad(`"null" is the origin of sandboxed frames and files, which any site can make`)
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return bad("no scheme")
	}
	scheme = strings.ToLower(scheme)
	if !validScheme(scheme) {
		return bad("bad scheme")
	}
	if i := strings.IndexAny(rest, "/?#@"); i >= 0 {
		switch rest[i] {
		case '/':
			return bad("it has a path")
		case '?':
			return bad("it has a query")
		case '#':
			return bad("it has a fragment")
		default:
			return bad("it has a user")
		}
	}
	host, port, err := splitHostPort(rest)
	if err != nil {
		return bad(err.Error())
	}
	if port != "" {
		n, err := strconv.ParseUint(port, 10, 16)
		if err != nil || n == 0 || strings.TrimLeft(port, "0123456789") != "" {
			return bad("bad port")
		}
		port = strconv.FormatUint(n, 10)
		if scheme == "http" && n == 80 || scheme == "https" && n == 443 {
			port = ""
		}
	}
	out := scheme + "://" + host
	if port != "" {
		out += ":" + port
	}
	return out, nil
}

// validScheme reports whether s is a lower-case URI scheme (RFC 3986,
// section 3.1): http, https, or an app's own (capacitor, tauri).
func validScheme(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// splitHostPort splits host[:port] or [IPv6][:port], checks the host and
// returns it lower-cased (an IPv6 address in brackets, in its canonical
// form).
func splitHostPort(hp string) (host, port string, err error) {
	if strings.HasPrefix(hp, "[") {
		end := strings.IndexByte(hp, ']')
		if end < 0 {
			return "", "", errors.New("unclosed [")
		}
		a, perr := netip.ParseAddr(hp[1:end])
		if perr != nil || !a.Is6() || a.Zone() != "" {
			return "", "", errors.New("bad IPv6 address")
		}
		host, rest := "["+a.String()+"]", hp[end+1:]
		if rest == "" {
			return host, "", nil
		}
		if rest[0] != ':' || rest == ":" {
			return "", "", errors.New("bad port")
		}
		return host, rest[1:], nil
	}
	host = hp
	if i := strings.LastIndexByte(hp, ':'); i >= 0 {
		host, port = hp[:i], hp[i+1:]
		if port == "" {
			return "", "", errors.New("bad port")
		}
	}
	host = strings.ToLower(host)
	if host == "" || len(host) > 253 {
		return "", "", errors.New("bad host")
	}
	for label := range strings.SplitSeq(host, ".") {
		if label == "" || len(label) > 63 {
			return "", "", errors.New("bad host")
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			switch {
			case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_':
			case c >= 0x80:
				return "", "", errors.New("the host is not ASCII: give its xn-- (punycode) form, as browsers send it")
			default:
				return "", "", errors.New("bad host")
			}
		}
	}
	return host, port, nil
}
