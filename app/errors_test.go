package app

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/drover/drover/app/internal/drf"
)

func TestError(t *testing.T) {
	tests := []struct {
		name       string
		giveStatus int
		giveDetail string
		wantBody   string
	}{
		{name: "not found", giveStatus: 404, giveDetail: "Not found.", wantBody: `{"detail":"Not found."}`},
		{name: "quotes", giveStatus: 405, giveDetail: `Method "POST" not allowed.`, wantBody: `{"detail":"Method \"POST\" not allowed."}`},
		{name: "backslash and controls", giveStatus: 400, giveDetail: "a\\b\n\r\t\x00\x1f\x7f", wantBody: `{"detail":"a\\b\n\r\t\u0000\u001f\u007f"}`},
		{name: "unicode kept", giveStatus: 400, giveDetail: "Jeton invalide ou expiré", wantBody: `{"detail":"Jeton invalide ou expiré"}`},
		{name: "invalid UTF-8", giveStatus: 400, giveDetail: "a\xffb", wantBody: `{"detail":"a\ufffdb"}`},
		{name: "line separators", giveStatus: 400, giveDetail: "a\u2028b\u2029c", wantBody: `{"detail":"a\u2028b\u2029c"}`},
		{name: "HTML not escaped", giveStatus: 400, giveDetail: "<a>&", wantBody: `{"detail":"<a>&"}`},
		{name: "empty", giveStatus: 500, giveDetail: "", wantBody: `{"detail":""}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				Error(w, tt.giveStatus, tt.giveDetail)
			}), nil)
			if rec.Code != tt.giveStatus {
				t.Errorf("Error(%d, %q): status = %d", tt.giveStatus, tt.giveDetail, rec.Code)
			}
			if got := rec.Header().Get("Content-Type"); got != "application/json" {
				t.Errorf("Error(%d, %q): Content-Type = %q, want application/json", tt.giveStatus, tt.giveDetail, got)
			}
			if got := rec.Body.String(); got != tt.wantBody {
				t.Errorf("Error(%d, %q) body = %s, want %s", tt.giveStatus, tt.giveDetail, got, tt.wantBody)
			}
		})
	}
}

// FuzzError checks that any detail, however hostile, gives valid JSON that
// decodes back to the detail (invalid UTF-8 replaced).
func FuzzError(f *testing.F) {
	f.Add("Not found.")
	f.Add("\"\\\x00\u2028\xff\xfe")
	f.Add("é\U0001F600")
	f.Fuzz(func(t *testing.T, detail string) {
		body := drf.AppendString(nil, detail)
		var got string
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("appendJSONString(%q) = %s: invalid JSON: %v", detail, body, err)
		}
		if want := validUTF8(detail); got != want {
			t.Fatalf("appendJSONString(%q) decodes to %q, want %q", detail, got, want)
		}
		if !utf8.Valid(body) {
			t.Fatalf("appendJSONString(%q) = %q: invalid UTF-8", detail, body)
		}
	})
}

// validUTF8 replaces each invalid byte of s with U+FFFD.
func validUTF8(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		b.WriteRune(r) // utf8.RuneError for an invalid byte
		i += size
	}
	return b.String()
}
