package api

import (
	"errors"
	"net/http"

	"go.uber.org/zap"

	"github.com/drover/drover/app"
	"github.com/drover/drover/app/internal/drf"
	"github.com/drover/drover/auth"
)

// Errors the authentication layer finds before asking the token service,
// and the refusal of a permission.
var (
	// errNotProvided is DRF's NotAuthenticated: a permission refused a
	// request that nobody authenticated.
	errNotProvided            = errors.New("authentication credentials were not provided")
	errBadAuthorizationHeader = errors.New("authorization header must contain two space-delimited values")
	// errPermissionDenied is DRF's PermissionDenied: a permission refused
	// an authenticated user.
	errPermissionDenied = errors.New("you do not have permission to perform this action")
)

// scope says which view an auth error comes from: simplejwt words the same
// failure differently for a protected view, the token views and verify.
type scope int

const (
	scopeAccess scope = iota // a view behind JWTAuthentication
	scopeToken               // obtain, refresh, blacklist
	scopeVerify              // verify
)

// authError renders an authentication failure of the token endpoints.
func (t *tokenHandlers) authError(w http.ResponseWriter, r *http.Request, err error, sc scope) {
	writeAuthError(w, r, err, sc, t.log)
}

// writeAuthError renders every authentication failure and permission
// refusal as simplejwt and DRF do. It is the one place auth errors become
// HTTP responses. log receives the errors that are the server's; nil
// when err is one of this package's own.
func writeAuthError(w http.ResponseWriter, r *http.Request, err error, sc scope, log *zap.Logger) {
	unauthorized := func(body string) {
		w.Header()["Www-Authenticate"] = []string{wwwAuthenticate}
		drf.WriteJSON(w, http.StatusUnauthorized, body)
	}
	switch {
	case errors.Is(err, errNotProvided):
		unauthorized(detailBody("Authentication credentials were not provided.", ""))
	case errors.Is(err, errPermissionDenied):
		// DRF's PermissionDenied renders its detail alone, no code.
		app.Error(w, http.StatusForbidden, "You do not have permission to perform this action.")
	case errors.Is(err, errBadAuthorizationHeader):
		unauthorized(detailBody("Authorization header must contain two space-delimited values", "bad_authorization_header"))
	case errors.Is(err, auth.ErrBadCredentials):
		unauthorized(detailBody("No active account found with the given credentials", ""))
	case errors.Is(err, auth.ErrUserNotFound):
		unauthorized(detailBody("User not found", "user_not_found"))
	case errors.Is(err, auth.ErrUserInactive) && sc == scopeAccess:
		unauthorized(detailBody("User is inactive", "user_inactive"))
	case errors.Is(err, auth.ErrUserInactive):
		unauthorized(detailBody("No active account found for the given token.", "no_active_account"))
	case errors.Is(err, auth.ErrTokenBlacklisted) && sc == scopeVerify:
		drf.WriteJSON(w, http.StatusBadRequest, `{"non_field_errors":["Token is blacklisted"]}`)
	case errors.Is(err, auth.ErrTokenBlacklisted):
		unauthorized(detailBody("Token is blacklisted", "token_not_valid"))
	case errors.Is(err, auth.ErrNoUserID):
		// simplejwt's JWTAuthentication.get_user: an InvalidToken with a
		// detail of its own, not the token classes' messages.
		unauthorized(detailBody(auth.TokenMessage(err), "token_not_valid"))
	case errors.Is(err, auth.ErrTokenInvalid) || errors.Is(err, auth.ErrWrongTokenType):
		if sc == scopeAccess {
			unauthorized(accessTokenBody(auth.TokenMessage(err)))
			return
		}
		unauthorized(detailBody(auth.TokenMessage(err), "token_not_valid"))
	case errors.Is(err, auth.ErrStoreUnavailable):
		// DRF's ServiceUnavailable. One warning, no stack: the store's
		// server is down or slow, not this code; a retry may succeed.
		if log != nil {
			log.Warn("store unavailable", zap.String("path", r.URL.Path),
				zap.String("request_id", app.RequestID(r.Context())), zap.Error(err))
		}
		w.Header().Set("Retry-After", "1")
		app.Error(w, http.StatusServiceUnavailable, "Service temporarily unavailable, try again later.")
	default:
		if log == nil {
			log = zap.NewNop()
		}
		log.Error("authentication failed on the server's side",
			zap.String("path", r.URL.Path), zap.String("request_id", app.RequestID(r.Context())), zap.Error(err))
		app.Error(w, http.StatusInternalServerError, "A server error occurred.")
	}
}

// detailBody is {"detail":…} with simplejwt's "code" when it has one.
func detailBody(detail, code string) string {
	b := drf.AppendString([]byte(`{"detail":`), detail)
	if code != "" {
		b = drf.AppendString(append(b, `,"code":`...), code)
	}
	return string(append(b, '}'))
}

// accessTokenBody is simplejwt's InvalidToken for a protected view: the
// token was tried as an AccessToken and failed with message.
func accessTokenBody(message string) string {
	b := []byte(`{"detail":"Given token not valid for any token type","code":"token_not_valid","messages":[{"token_class":"AccessToken","token_type":"access","message":`)
	b = drf.AppendString(b, message)
	return string(append(b, "}]}"...))
}
