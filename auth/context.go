package auth

import "context"

// ctxKey is the key of the authenticated user in a context.
type ctxKey struct{}

// ctxValue is what [WithUser] stores: the user and the token's claims in
// one value, so that both cost one allocation.
type ctxValue struct {
	user   User
	claims Claims
}

// WithUser returns a copy of ctx that carries u and the claims c of the
// token that authenticated it, for the handlers behind the
// authentication to read with [UserFrom] and [ClaimsFrom].
func WithUser(ctx context.Context, u User, c Claims) context.Context {
	return context.WithValue(ctx, ctxKey{}, &ctxValue{user: u, claims: c})
}

// UserFrom returns the user [WithUser] put in ctx, and whether there is
// one. Without one it returns the zero User, the anonymous user
// ([User.IsAuthenticated] is false), as Django's request.user is an
// AnonymousUser on a request nobody authenticated.
func UserFrom(ctx context.Context) (User, bool) {
	v, ok := ctx.Value(ctxKey{}).(*ctxValue)
	if !ok {
		return User{}, false
	}
	return v.user, true
}

// ClaimsFrom returns the claims of the token [WithUser] put in ctx, and
// whether there are any (DRF's request.auth); [Claims.Decode] and
// [Claims.Claim] read the token's other claims.
func ClaimsFrom(ctx context.Context) (Claims, bool) {
	v, ok := ctx.Value(ctxKey{}).(*ctxValue)
	if !ok {
		return Claims{}, false
	}
	return v.claims, true
}
