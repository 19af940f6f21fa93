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
// in every respect but is of the other [TokenType]: a refresh token
// presented as an access token, or the reverse.
var ErrWrongTokenType = errors.New("token has wrong type")

// ErrWeakSecret is returned by [NewTokens] when the HS256 secret is shorter
// than 32 bytes (RFC 7518, section 3.2: at least the hash size).
var ErrWeakSecret = errors.New("hs256 secret shorter than 32 bytes")

// TokenMessage returns the detail simplejwt shows a client for err, the
// error of a failed [Tokens.Parse]: "Token has wrong type" for
// [ErrWrongTokenType] and "Token is invalid or expired" for anything else,
// so that no detail of why a token was refused reaches the client. The HTTP
// layer maps parse errors to DRF bodies with it, in one place.
func TokenMessage(err error) string {
	if errors.Is(err, ErrWrongTokenType) {
		return "Token has wrong type"
	}
	return "Token is invalid or expired"
}
