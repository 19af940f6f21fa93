package api

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/drover/drover/auth"
)

// Permission is one of DRF's permission classes, its has_permission: it
// reports whether r may go on to the view. u is the user the request's
// token authenticated, or the zero User ([auth.User.IsAuthenticated] is
// false) for an anonymous request, as DRF's request.user is then an
// AnonymousUser. A refusal is answered as DRF's permission_denied does
// (see [Deny]). A Permission runs before the method is dispatched, on
// every method; a check that needs the object (has_object_permission)
// belongs in the handler, which calls [Deny].
type Permission func(r *http.Request, u auth.User) bool

// The permission classes of DRF that drover's users have: an is_staff or
// model-permission check needs fields drover's users do not have, and is
// a Permission of the program's own.
var (
	// AllowAny is DRF's AllowAny: every request, authenticated or not.
	AllowAny Permission = func(*http.Request, auth.User) bool { return true }
	// IsAuthenticated is DRF's IsAuthenticated: the request's token
	// authenticated a user.
	IsAuthenticated Permission = func(_ *http.Request, u auth.User) bool { return u.IsAuthenticated() }
	// IsAuthenticatedOrReadOnly is DRF's IsAuthenticatedOrReadOnly: the
	// safe methods (GET, HEAD, OPTIONS) for anyone, the others for an
	// authenticated user.
	IsAuthenticatedOrReadOnly Permission = func(r *http.Request, u auth.User) bool {
		return safeMethod(r.Method) || u.IsAuthenticated()
	}
)

// safeMethod reports whether m is one of DRF's SAFE_METHODS.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// Require returns a [Router.Guard] that runs what DRF's APIView.initial
// runs before a view's handler, in its order: perform_authentication with
// simplejwt's JWTAuthentication alone, then check_permissions, perms in
// order, the first refusal answering.
//
// Authentication: a request without an Authorization header, or whose
// header's first word is not "Bearer", is anonymous (JWTAuthentication
// returns None), which the permissions judge. "Bearer" with no token or
// with two, and a token that does not verify or whose user is missing or
// inactive, is answered 401 with simplejwt's body whatever the
// permissions: AllowAny does not admit a bad token. An authenticated
// request goes on with the user and the token's claims in its context
// ([auth.UserFrom], [auth.ClaimsFrom]) and its user id in the access log
// ([app.SetUser]).
//
// Permissions: a refusal is DRF's NotAuthenticated (401 "Authentication
// credentials were not provided." with WWW-Authenticate) when the request
// is anonymous, its PermissionDenied (403 "You do not have permission to
// perform this action.") otherwise. No perms is AllowAny, as DRF's empty
// permission_classes: authentication still runs. Require panics on a nil
// Permission.
func (a *Auth) Require(perms ...Permission) func(http.Handler) http.Handler {
	for i, p := range perms {
		if p == nil {
			panic("api: Auth.Require: permission " + strconv.Itoa(i) + " is nil")
		}
	}
	perms = slices.Clone(perms)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r, u, ok := a.authenticate(w, r)
			if !ok {
				return
			}
			for _, p := range perms {
				if !p(r, u) {
					deny(w, r, u.IsAuthenticated())
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// Deny answers r as DRF's permission_denied does, for a handler's own
// check that refuses (has_object_permission: the note is another
// user's): 401 with WWW-Authenticate and "Authentication credentials were
// not provided." when no user is authenticated (the request's context
// has none, [auth.UserFrom]), as DRF raises NotAuthenticated when its
// authenticators found nobody; 403 "You do not have permission to
// perform this action." when one is.
func Deny(w http.ResponseWriter, r *http.Request) {
	u, _ := auth.UserFrom(r.Context())
	deny(w, r, u.IsAuthenticated())
}

// deny is Deny with what authentication found.
func deny(w http.ResponseWriter, r *http.Request, authenticated bool) {
	if authenticated {
		writeAuthError(w, r, errPermissionDenied, scopeAccess, nil)
		return
	}
	writeAuthError(w, r, errNotProvided, scopeAccess, nil)
}
