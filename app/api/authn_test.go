package api

import (
	"strings"
	"testing"
)

func TestAuthorizationFields(t *testing.T) {
	tests := []struct {
		name       string
		give       string
		wantFirst  string
		wantSecond string
		wantN      int
	}{
		{name: "empty", give: "", wantN: 0},
		{name: "blank", give: " \t ", wantN: 0},
		{name: "scheme only", give: "Bearer", wantFirst: "Bearer", wantN: 1},
		{name: "scheme and token", give: "Bearer a1", wantFirst: "Bearer", wantSecond: "a1", wantN: 2},
		{name: "spaces around", give: "  Bearer \t a1  ", wantFirst: "Bearer", wantSecond: "a1", wantN: 2},
		{name: "three", give: "Bearer a b", wantFirst: "Bearer", wantSecond: "a", wantN: 3},
		{name: "many counted as three", give: "Bearer a b c d", wantFirst: "Bearer", wantSecond: "a", wantN: 3},
		{name: "unicode space", give: "Bearer\u00a0a1", wantFirst: "Bearer", wantSecond: "a1", wantN: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first, second, n := authorizationFields(tt.give)
			if first != tt.wantFirst || second != tt.wantSecond || n != tt.wantN {
				t.Errorf("authorizationFields(%q) = %q, %q, %d, want %q, %q, %d", tt.give, first, second, n, tt.wantFirst, tt.wantSecond, tt.wantN)
			}
		})
	}
}

// FuzzAuthorizationFields checks authorizationFields against
// strings.Fields, which it stands in for.
func FuzzAuthorizationFields(f *testing.F) {
	for _, s := range []string{"", "Bearer a1", "Bearer  a1 ", "Bearer a b", "\u00a0Bearer a1", "Bearer\u2028a1", "\xffBearer a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		parts := strings.Fields(v)
		var wantFirst, wantSecond string
		if len(parts) > 0 {
			wantFirst = parts[0]
		}
		if len(parts) > 1 {
			wantSecond = parts[1]
		}
		first, second, n := authorizationFields(v)
		if first != wantFirst || second != wantSecond || n != min(len(parts), 3) {
			t.Errorf("authorizationFields(%q) = %q, %q, %d, want %q, %q, %d", v, first, second, n, wantFirst, wantSecond, min(len(parts), 3))
		}
	})
}

func TestAuthorizationFieldsAllocatesNothing(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { authorizationFields("Bearer a1.b2.c3") }); n != 0 {
		t.Errorf("authorizationFields allocates %.0f times, want 0", n)
	}
}
