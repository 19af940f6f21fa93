package auth_test

import (
	"errors"
	"fmt"

	"github.com/drover/drover/auth"
)

func ExamplePasswordValidator_Validate() {
	v, err := auth.NewPasswordValidator()
	if err != nil {
		panic(err)
	}
	for _, pw := range []string{"frank123", "2718281828", "lantern-quarry-58"} {
		var pe *auth.PasswordError
		if err := v.Validate(pw, "frank"); errors.As(err, &pe) {
			fmt.Printf("%s: %q\n", pw, pe.Problems)
			continue
		}
		fmt.Printf("%s: accepted\n", pw)
	}
	// Output:
	// frank123: ["The password is too similar to the username." "This password is too common."]
	// 2718281828: ["This password is entirely numeric."]
	// lantern-quarry-58: accepted
}
