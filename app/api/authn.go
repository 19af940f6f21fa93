package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/drover/drover/app"
)

// authHeaderType is the only Authorization scheme accepted, as simplejwt's
// AUTH_HEADER_TYPES = ("Bearer",).
const authHeaderType = "Bearer"

// wwwAuthenticate is the challenge sent with every 401, as simplejwt's
// JWTAuthentication.authenticate_header writes it.
const wwwAuthenticate = `Bearer realm="api"`

// authenticated requires a valid access token, as DRF's IsAuthenticated
// with simplejwt's JWTAuthentication: no or another scheme → "not
// provided"; "Bearer" with no token or with two → bad header; a token that
// does not verify → token_not_valid with its messages. It is a
// [Router.Guard]: it runs before the method is looked at.
func (t *tokenHandlers) authenticated(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		parts := strings.Fields(r.Header.Get("Authorization"))
		switch {
		case len(parts) == 0 || parts[0] != authHeaderType:
			t.authError(w, r, errNotProvided, scopeAccess)
			return
		case len(parts) != 2:
			t.authError(w, r, errBadAuthorizationHeader, scopeAccess)
			return
		}
		uid, err := t.svc.Authenticate(r.Context(), parts[1])
		if err != nil {
			t.authError(w, r, err, scopeAccess)
			return
		}
		app.SetUser(r.Context(), strconv.FormatInt(uid, 10))
		next.ServeHTTP(w, r)
	})
}
