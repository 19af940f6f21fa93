package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/drover/drover/app"
	"github.com/drover/drover/app/internal/drf"
)

// CSRFHeader is the request header a browser front end sends to use the
// refresh cookie, with any non-empty value ("1"). An HTML form, a link or
// an image cannot send it, and a page of another origin can send it only
// after a CORS preflight that drover answers for the allowed origins
// alone: a request carrying it comes from a page allowed to call the API.
// (X-Requested-With would do the same in a browser, but Android's WebView
// adds it to every request, forms included.)
const CSRFHeader = "X-Drover-CSRF"

// tokenPrefix is where [New] mounts the token views, and so the refresh
// cookie's Path there: the prefix [Auth.Mount] puts them at is the
// cookie's Path, so the cookie travels with no other request.
const tokenPrefix = "/api/token/"

// csrfFailed is the 403 detail for a request that relies on the cookie
// without CSRFHeader, worded as DRF words its own CSRF failures.
const csrfFailed = "CSRF Failed: the refresh cookie is accepted only with the " + CSRFHeader + " header."

// cookieTossed is the 403 detail for a request carrying the cookie twice:
// drover sets one, so the other was set by another host of the domain.
const cookieTossed = "CSRF Failed: more than one refresh cookie."

// CheckCookieName reports whether name can be the refresh cookie's name:
// a token as RFC 6265 defines it, and without the __Host- prefix, which
// browsers accept only on a cookie for Path=/ (the refresh cookie's path
// is the token views' prefix, /api/token/ for [New]). __Secure- is fine.
func CheckCookieName(name string) error {
	if err := (&http.Cookie{Name: name}).Valid(); err != nil {
		return fmt.Errorf("%q is not a cookie name (letters, digits and !#$%%&'*+-.^_`|~)", name)
	}
	if len(name) >= len("__Host-") && strings.EqualFold(name[:len("__Host-")], "__Host-") {
		return fmt.Errorf("%q: browsers take a __Host- cookie only for Path=/, and the refresh cookie's path is %s; __Secure- is fine", name, tokenPrefix)
	}
	return nil
}

// refreshCookie is the refresh token's httpOnly cookie; the zero value is
// off, simplejwt's behaviour.
//
// Only a request carrying CSRFHeader is given the cookie: a browser front
// end, whose answer then holds the refresh token in the cookie alone
// (HttpOnly, so a script injected into the page cannot read it) and the
// access token in the JSON. A request without the header is answered as
// simplejwt answers, refresh token in the JSON and no cookie: scripts and
// mobile apps keep working, and a cross-site form posting credentials to
// /api/token/ cannot log a browser into another account.
type refreshCookie struct {
	name   string
	maxAge int    // seconds
	path   string // the token endpoints' prefix
}

func newRefreshCookie(name string, lifetime time.Duration) (refreshCookie, error) {
	if name == "" {
		return refreshCookie{}, nil
	}
	if err := CheckCookieName(name); err != nil {
		return refreshCookie{}, fmt.Errorf("refresh cookie: %w", err)
	}
	if lifetime < time.Second {
		return refreshCookie{}, errors.New("refresh cookie: its lifetime must be at least 1s")
	}
	return refreshCookie{name: name, maxAge: int(lifetime / time.Second), path: tokenPrefix}, nil
}

// at returns c for token endpoints mounted at prefix.
func (c refreshCookie) at(prefix string) refreshCookie {
	c.path = prefix
	return c
}

func (c refreshCookie) on() bool { return c.name != "" }

// browser reports whether r is from a browser front end that holds its
// refresh token in the cookie: the cookie is on and r carries CSRFHeader.
func (c refreshCookie) browser(r *http.Request) bool {
	return c.on() && r.Header.Get(CSRFHeader) != ""
}

// give sets the cookie to refresh on a browser's answer and reports
// whether r is a browser's, whose JSON must then leave the refresh token
// out. An empty refresh (no rotation) leaves the cookie as it is.
func (c refreshCookie) give(w http.ResponseWriter, r *http.Request, refresh string) bool {
	if !c.browser(r) {
		return false
	}
	if refresh != "" {
		c.set(w, refresh, c.maxAge)
	}
	return true
}

// set adds the Set-Cookie header; maxAge -1 deletes the cookie.
func (c refreshCookie) set(w http.ResponseWriter, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name:     c.name,
		Value:    value,
		Path:     c.path,
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   true,
		SameSite: http.SameSiteStrictMode,
	})
}

// refreshFields is t.fields(w, r, "refresh") for refresh and blacklist,
// with the cookie: when the body has no "refresh" field and r carries the
// cookie, its value is the field's. Relying on the cookie needs
// CSRFHeader, else the answer is 403. With forget (blacklist: logging
// out), the answer clears the cookie it was taken from, whatever the
// outcome: a logout always ends the browser's session. A refresh token
// in the body is used as it always was, and leaves the cookie alone.
func (t *tokenHandlers) refreshFields(w http.ResponseWriter, r *http.Request, forget bool) (map[string]string, bool) {
	data, berr := parseBody(r)
	if berr != nil {
		drf.WriteJSON(w, berr.status, berr.body)
		return nil, false
	}
	if _, inBody := data["refresh"]; !inBody && t.cookie.on() {
		switch cookies := r.CookiesNamed(t.cookie.name); {
		case len(cookies) > 1:
			app.Error(w, http.StatusForbidden, cookieTossed)
			return nil, false
		case len(cookies) == 1:
			if r.Header.Get(CSRFHeader) == "" {
				app.Error(w, http.StatusForbidden, csrfFailed)
				return nil, false
			}
			if forget {
				t.cookie.set(w, "", -1)
			}
			data["refresh"] = cookies[0].Value
		}
	}
	values, berr := charFields(data, "refresh")
	if berr != nil {
		drf.WriteJSON(w, berr.status, berr.body)
		return nil, false
	}
	return values, true
}
