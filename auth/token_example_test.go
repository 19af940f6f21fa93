package auth_test

import (
	"errors"
	"fmt"

	"github.com/drover/drover/auth"
)

// Issue signs a token as simplejwt would; Parse verifies it and checks its
// type. A refresh token is not an access token: TokenMessage gives the
// detail simplejwt answers with.
func ExampleTokens() {
	tokens, err := auth.NewTokens(auth.TokenConfig{
		Secret: []byte("a secret of at least 32 bytes...."), // from the config, never the source
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	access, issued, err := tokens.Issue(auth.Access, 42)
	if err != nil {
		fmt.Println(err)
		return
	}
	claims, err := tokens.Parse(access, auth.Access)
	fmt.Println(claims.UserID, claims.TokenType, claims == issued, err)
	fmt.Println(claims.ExpiresAt.Sub(claims.IssuedAt))

	refresh, _, _ := tokens.Issue(auth.Refresh, 42)
	_, err = tokens.Parse(refresh, auth.Access)
	fmt.Println(errors.Is(err, auth.ErrWrongTokenType), auth.TokenMessage(err))

	_, err = tokens.Parse(access+"x", auth.Access)
	fmt.Println(errors.Is(err, auth.ErrTokenInvalid), auth.TokenMessage(err))
	// Output:
	// 42 access true <nil>
	// 5m0s
	// true Token has wrong type
	// true Token is invalid or expired
}
