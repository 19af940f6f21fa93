package app

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRequestID(t *testing.T) {
	tests := []struct {
		name     string
		giveID   string // incoming X-Request-ID, "" for none
		wantKept bool   // the incoming ID is used
	}{
		{name: "none", giveID: "", wantKept: false},
		{name: "sane", giveID: "abc-123_DEF.456", wantKept: true},
		{name: "uuid", giveID: "0b9c7a2e-5d36-4b8e-9a0c-2f1e3d4c5b6a", wantKept: true},
		{name: "200 chars", giveID: strings.Repeat("a", 200), wantKept: true},
		{name: "201 chars", giveID: strings.Repeat("a", 201), wantKept: false},
		{name: "space", giveID: "abc 123", wantKept: false},
		{name: "tab", giveID: "abc\t123", wantKept: false},
		{name: "non-ASCII", giveID: "café", wantKept: false},
		{name: "DEL", giveID: "abc\x7f", wantKept: false},
		{name: "quote is visible ASCII", giveID: `a"b`, wantKept: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seen string
			h := requestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen = RequestID(r.Context())
			}))
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			if tt.giveID != "" {
				r.Header.Set("X-Request-ID", tt.giveID)
			}
			rec := serve(h, r)

			if got := rec.Header().Get("X-Request-ID"); got != seen {
				t.Errorf("response X-Request-ID = %q, handler saw %q", got, seen)
			}
			if got := seen == tt.giveID; got != tt.wantKept {
				t.Errorf("RequestID = %q with X-Request-ID %q: kept = %v, want %v", seen, tt.giveID, got, tt.wantKept)
			}
			if !tt.wantKept && !isHexID(seen) {
				t.Errorf("generated RequestID = %q, want 32 lowercase hex characters", seen)
			}
		})
	}
}

func TestNewRequestIDUnique(t *testing.T) {
	seen := make(map[string]bool)
	for range 1000 {
		id := newRequestID()
		if !isHexID(id) {
			t.Fatalf("newRequestID() = %q, want 32 lowercase hex characters", id)
		}
		if seen[id] {
			t.Fatalf("newRequestID() = %q twice", id)
		}
		seen[id] = true
	}
}

func TestRequestIDOutsideChain(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	if got := RequestID(r.Context()); got != "" {
		t.Errorf("RequestID(plain context) = %q, want \"\"", got)
	}
}

func isHexID(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !('0' <= s[i] && s[i] <= '9' || 'a' <= s[i] && s[i] <= 'f') {
			return false
		}
	}
	return true
}
