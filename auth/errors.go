package auth

import "errors"

// ErrTokenInvalid is returned by [Tokens.Parse] for every token that cannot
// be trusted: malformed, oversized, badly signed, signed with an algorithm
// other than the configured one, expired, not yet valid, issued in the
// future, with the wrong audience, issuer or key ID, or missing a claim
// simplejwt requires. The wrapping error says which ("token invalid:
// expired"); callers branch on the sentinel with errors.Is and show the
// client only [TokenMessage].
var ErrTokenInvalid = errors.New("token invalid")

// ErrWrongTokenType is returned by [Tokens.Parse] for a token that is valid
// in every respect but whose token_type is not the one asked for: a
// refresh token presented as an access token, the reverse, or a type
// drover does not issue ("sliding").
var ErrWrongTokenType = errors.New("token has wrong type")

// The claims simplejwt names when a validly signed, unexpired token lacks
// them. [Tokens.Parse] returns them wrapped together with
// [ErrTokenInvalid] (errors.Is matches both), in simplejwt's order: exp,
// jti, token_type, then user_id.
var (
	// ErrNoExp: the token has no exp claim.
	ErrNoExp = errors.New("token has no exp claim")
	// ErrNoJTI: the token has no jti claim, or an empty one.
	ErrNoJTI = errors.New("token has no jti claim")
	// ErrNoTokenType: the token has no token_type claim.
	ErrNoTokenType = errors.New("token has no token_type claim")
	// ErrNoUserID: the token has no user_id claim.
	ErrNoUserID = errors.New("token has no user_id claim")
)

// ErrWeakSecret is returned by [NewTokens] when the HS256 secret is shorter
// than 32 bytes (RFC 7518, section 3.2: at least the hash size).
var ErrWeakSecret = errors.New("hs256 secret shorter than 32 bytes")

// TokenMessage returns the detail simplejwt 5.2 shows a client for err,
// the error of a failed [Tokens.Parse]: "Token has wrong type" for
// [ErrWrongTokenType]; "Token has no 'exp' claim", "Token has no id",
// "Token has no type" and "Token contained no recognizable user
// identification" for [ErrNoExp], [ErrNoJTI], [ErrNoTokenType] and
// [ErrNoUserID]; and "Token is invalid or expired" for anything else, so
// that no detail of why a token was refused reaches the client beyond what
// simplejwt itself tells (a missing claim is told only for a token that is
// validly signed: made by a holder of the key). The HTTP layer maps parse
// errors to DRF bodies with it, in one place.
func TokenMessage(err error) string {
	switch {
	case errors.Is(err, ErrWrongTokenType):
		return "Token has wrong type"
	case errors.Is(err, ErrNoExp):
		return "Token has no 'exp' claim"
	case errors.Is(err, ErrNoJTI):
		return "Token has no id"
	case errors.Is(err, ErrNoTokenType):
		return "Token has no type"
	case errors.Is(err, ErrNoUserID):
		return "Token contained no recognizable user identification"
	}
	return "Token is invalid or expired"
}
