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

// authenticated requires a valid access token, as DRF's IsAuthenticated
// with simplejwt's JWTAuthentication: no or another scheme → "not
// provided"; "Bearer" with no token or with two → bad header; a token that
// does not verify → token_not_valid with its messages. The handler behind
// it finds the user and the token's claims in the request's context
// ([auth.UserFrom], [auth.ClaimsFrom]). It is a [Router.Guard]: it runs
// before the method is looked at.
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
		u, c, err := t.svc.Authenticate(r.Context(), parts[1])
		if err != nil {
			t.authError(w, r, err, scopeAccess)
			return
		}
		app.SetUser(r.Context(), strconv.FormatInt(u.ID, 10))
		next.ServeHTTP(w, r.WithContext(auth.WithUser(r.Context(), u, c)))
	})
}
