package auth_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.uber.org/zap"

	"github.com/drover/drover/auth"
)

// A program adds its own claims to drover's tokens with a claims hook, as
// a Django project overrides simplejwt's get_token, and reads them back in
// its handlers from the context the authentication fills.
func ExampleService_claims() {
	dir, err := os.MkdirTemp("", "drover-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	ctx := context.Background()
	store, err := auth.OpenSQLite(ctx, filepath.Join(dir, "drover.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()
	hasher := auth.NewHasher(auth.HasherConfig{})
	hash, err := hasher.Hash(ctx, "s3cret-passphrase")
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := store.CreateUser(ctx, "alice", hash); err != nil {
		fmt.Println(err)
		return
	}
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: []byte(strings.Repeat("k", 32))})
	if err != nil {
		fmt.Println(err)
		return
	}

	svc, err := auth.NewService(auth.ServiceConfig{
		Tokens: tokens,
		Store:  store,
		Hasher: hasher,
		// Asked at every login and refresh.
		Claims: func(ctx context.Context, u auth.User) (map[string]any, error) {
			return map[string]any{"plan": "pro", "seats": 3}, nil
		},
	}, zap.NewNop())
	if err != nil {
		fmt.Println(err)
		return
	}
	pair, err := svc.Login(ctx, "alice", "s3cret-passphrase")
	if err != nil {
		fmt.Println(err)
		return
	}

	// What the authentication in front of a handler does.
	u, c, err := svc.Authenticate(ctx, pair.Access)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx = auth.WithUser(ctx, u, c)

	// What the handler does.
	user, _ := auth.UserFrom(ctx)
	claims, _ := auth.ClaimsFrom(ctx)
	var billing struct {
		Plan  string `json:"plan"`
		Seats int    `json:"seats"`
	}
	if err := claims.Decode(&billing); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(user.Username, user.IsAuthenticated(), billing.Plan, billing.Seats)

	// The hook cannot overwrite what drover sets.
	bad, err := auth.NewService(auth.ServiceConfig{
		Tokens: tokens, Store: store, Hasher: hasher,
		Claims: func(context.Context, auth.User) (map[string]any, error) {
			return map[string]any{"exp": 0}, nil
		},
	}, zap.NewNop())
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = bad.Login(ctx, "alice", "s3cret-passphrase")
	fmt.Println(err)
	// Output:
	// alice true pro 3
	// login: claims hook: "exp" is set by drover and cannot be overwritten
}
