package app

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

type testCtxKey struct{}

// TestExchangeContext checks that the exchange, which is the request's
// context inside the chain, keeps what the context it wraps had: values,
// the deadline, cancellation and its cause, and that the chain's getters
// find it under contexts a handler derives from it.
func TestExchangeContext(t *testing.T) {
	deadline := time.Now().Add(time.Hour)
	parent, cancel := context.WithDeadline(context.WithValue(context.Background(), testCtxKey{}, "outer"), deadline)
	var ctx context.Context
	h := Chain(Config{}, nil, nil, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		ctx = r.Context()
	}))
	r := httptest.NewRequest(http.MethodGet, "/", nil).WithContext(parent)
	r.Header.Set("X-Request-ID", "id-1")
	h.ServeHTTP(httptest.NewRecorder(), r)

	derived, stop := context.WithCancel(context.WithValue(ctx, testCtxKey{}, "inner"))
	defer stop()
	if got := ctx.Value(testCtxKey{}); got != "outer" {
		t.Errorf("Value(key) = %v, want outer", got)
	}
	if got := RequestID(derived); got != "id-1" {
		t.Errorf("RequestID(derived context) = %q, want id-1", got)
	}
	if got, ok := ctx.Deadline(); !ok || !got.Equal(deadline) {
		t.Errorf("Deadline() = %v, %v, want %v, true", got, ok, deadline)
	}
	if ctx.Err() != nil || derived.Err() != nil {
		t.Fatalf("Err() = %v, %v before cancel, want nil", ctx.Err(), derived.Err())
	}
	cancel()
	<-derived.Done()
	if ctx.Err() != context.Canceled || derived.Err() != context.Canceled {
		t.Errorf("Err() = %v, %v after cancel, want %v", ctx.Err(), derived.Err(), context.Canceled)
	}
}
