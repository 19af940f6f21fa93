package auth_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/drover/drover/auth"
)

// Hash writes Django's argon2 format. Verify also reads the pbkdf2_sha256
// hashes of a Django user table, and asks for a re-hash after a
// successful login with one.
func ExampleHasher() {
	ctx := context.Background()
	hasher := auth.NewHasher(auth.HasherConfig{}) // argon2id, m=19 MiB, t=2, p=1

	hash, err := hasher.Hash(ctx, "s3cret")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(strings.Join(strings.Split(hash, "$")[:4], "$"))
	ok, rehash, err := hasher.Verify(ctx, hash, "s3cret")
	fmt.Println(ok, rehash, err)

	// Made by Django 3.2's make_password("s3cret").
	django := "pbkdf2_sha256$260000$pK2un5gKVkDOtYUZe9s0Dd$1IWvmFB4mi9O3GxSSAMLQNnaRsXorFR+yMa/kkGDyyo="
	ok, rehash, err = hasher.Verify(ctx, django, "s3cret")
	fmt.Println(ok, rehash, err)
	// Output:
	// argon2$argon2id$v=19$m=19456,t=2,p=1
	// true false <nil>
	// true true <nil>
}
