package auth

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them: the
// hasher's waiters, the store's connections, the children's readers.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
