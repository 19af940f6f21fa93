package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/drover/drover/app"
	"github.com/drover/drover/auth"
)

// authHeaderType is the only Authorization scheme accepted, as simplejwt's
// AUTH_HEADER_TYPES = ("Bearer",).
const authHeaderType = "Bearer"

// wwwAuthenticate is the challenge sent with every 401, as simplejwt's
// JWTAuthentication.authenticate_header writes it.
const wwwAuthenticate = `Bearer realm="api"`

// authenticate is simplejwt's JWTAuthentication.authenticate: it returns
// r with the user and the token's claims in its context and the user, or
// r itself and the zero User when r carries no Bearer token (anonymous,
// None in simplejwt); ok is false when it has answered r with a 401.
func (a *Auth) authenticate(w http.ResponseWriter, r *http.Request) (_ *http.Request, _ auth.User, ok bool) {
	scheme, token, n := authorizationFields(r.Header.Get("Authorization"))
	switch {
	case n == 0 || scheme != authHeaderType:
		return r, auth.User{}, true
	case n != 2:
		writeAuthError(w, r, errBadAuthorizationHeader, scopeAccess, a.log)
		return r, auth.User{}, false
	}
	u, c, err := a.svc.Authenticate(r.Context(), token)
	if err != nil {
		writeAuthError(w, r, err, scopeAccess, a.log)
		return r, auth.User{}, false
	}
	app.SetUser(r.Context(), strconv.FormatInt(u.ID, 10))
	return r.WithContext(auth.WithUser(r.Context(), u, c)), u, true
}

// authorizationFields splits an Authorization header value as
// strings.Fields does (simplejwt's header.split()), without the slice: it
// returns the first two fields and how many there are, counting no
// further than three, which is all authenticate needs to tell them apart.
func authorizationFields(v string) (first, second string, n int) {
	for f := range strings.FieldsSeq(v) {
		switch n {
		case 0:
			first = f
		case 1:
			second = f
		default:
			return first, second, n + 1
		}
		n++
	}
	return first, second, n
}
