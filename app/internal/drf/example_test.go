package drf_test

import (
	"fmt"

	"github.com/drover/drover/app/internal/drf"
)

// AppendString escapes what JSON needs escaped and keeps other text as is.
func ExampleAppendString() {
	b := drf.AppendString([]byte(`{"detail":`), drf.MethodNotAllowed("PÜT"))
	fmt.Println(string(append(b, '}')))
	// Output: {"detail":"Method \"PÜT\" not allowed."}
}
