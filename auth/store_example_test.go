package auth_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/drover/drover/auth"
)

// A login records the first refresh token of a family; each refresh
// rotates it. Presenting a rotated token again is a reuse. Within the grace
// window (a retry after a lost response) it is only refused; after it, the
// whole family is revoked, the newest token included, and the thief and
// the owner both have to log in again.
func ExampleSQLiteStore() {
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
	hash, err := hasher.Hash(ctx, "s3cret")
	if err != nil {
		fmt.Println(err)
		return
	}
	alice, err := store.CreateUser(ctx, "alice", hash)
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = store.CreateUser(ctx, "alice", hash)
	fmt.Println("again:", errors.Is(err, auth.ErrUserExists))

	// Login: the jti values come from the tokens' claims.
	now := time.Now()
	expires := now.Add(24 * time.Hour)
	if err := store.AddRefresh(ctx, auth.RefreshToken{JTI: "jti-1", Family: "family-1", UserID: alice.ID, ExpiresAt: expires}); err != nil {
		fmt.Println(err)
		return
	}
	// Refresh: jti-1 is consumed, jti-2 joins its family.
	const grace = 10 * time.Second
	err = store.RotateRefresh(ctx, "jti-1", auth.RefreshToken{JTI: "jti-2", UserID: alice.ID, ExpiresAt: expires}, now, grace)
	fmt.Println("rotate:", err)

	// jti-1 again, a second later: refused, jti-2 still usable.
	err = store.RotateRefresh(ctx, "jti-1", auth.RefreshToken{JTI: "jti-3", UserID: alice.ID, ExpiresAt: expires}, now.Add(time.Second), grace)
	fmt.Println("retry:", errors.Is(err, auth.ErrRefreshReused), store.RefreshState(ctx, "jti-2"))

	// jti-1 again, a minute later: a reuse, the family is revoked.
	err = store.RotateRefresh(ctx, "jti-1", auth.RefreshToken{JTI: "jti-4", UserID: alice.ID, ExpiresAt: expires}, now.Add(time.Minute), grace)
	var reuse *auth.ReuseError
	fmt.Println("reuse:", errors.As(err, &reuse), reuse.Outcome)
	fmt.Println("newest:", errors.Is(store.RefreshState(ctx, "jti-2"), auth.ErrRefreshRevoked))
	// Output:
	// again: true
	// rotate: <nil>
	// retry: true <nil>
	// reuse: true family revoked
	// newest: true
}
