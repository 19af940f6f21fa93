package dev

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
)

// TestBannerNamesTheProgram: the banner Run prints names Options.Name,
// as the command to run and the one not to use in production.
func TestBannerNamesTheProgram(t *testing.T) {
	tests := []struct {
		name     string
		giveName string
		want     []string
		wantNot  string
	}{
		{name: "the program's name", giveName: "notes",
			want:    []string{"  notes dev: DEVELOPMENT SERVER.", `run` + "\n" + `  "notes serve" behind nginx`},
			wantNot: "drover"},
		{name: "no name: drover",
			want:    []string{"  drover dev: DEVELOPMENT SERVER.", `run` + "\n" + `  "drover serve" behind nginx`},
			wantNot: "notes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			var banner strings.Builder
			// No test logger: Run's "stopping" comes from a goroutine of
			// its own, which may outlive this test when ctx starts done.
			srv, err := New(Options{Name: tt.giveName, Listeners: []net.Listener{ln}, Banner: &banner,
				Handler: http.NotFoundHandler()}, zap.NewNop())
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // Run prints the banner, then stops at once
			if err := srv.Run(ctx); err != nil {
				t.Fatalf("Run = %v", err)
			}
			got := banner.String()
			for _, want := range tt.want {
				if !strings.Contains(got, want) {
					t.Errorf("banner lacks %q:\n%s", want, got)
				}
			}
			if strings.Contains(got, tt.wantNot) {
				t.Errorf("banner names %q:\n%s", tt.wantNot, got)
			}
		})
	}
}

// TestErrorPagesNameTheProgram: the failed build's page (a failure file,
// as under --reload) and the panic page name Options.Name in their title
// and hint. The panic's stack may name drover's packages; the text around
// it names no other program.
func TestErrorPagesNameTheProgram(t *testing.T) {
	tests := []struct {
		name            string
		giveName        string
		giveFailureFile string // "" for none: the handler's panic shows
		want            []string
		wantNot         []string
	}{
		{name: "build failed", giveName: "notes", giveFailureFile: "testdata/build-failure",
			want: []string{"<title>build failed: go build example.com/notes · notes dev</title>",
				"<p>notes dev (development only) shows this page for every request until the next successful build."},
			wantNot: []string{"drover"}},
		{name: "panic", giveName: "notes",
			want: []string{"<title>panic: boom · notes dev</title>",
				"<p>notes dev (development only) shows a panic&#39;s stack to the client; notes serve logs it and answers a JSON 500."},
			wantNot: []string{"drover dev", "drover serve"}},
		{name: "build failed, no name", giveFailureFile: "testdata/build-failure",
			want: []string{"<title>build failed: go build example.com/notes · drover dev</title>",
				"<p>drover dev (development only) shows this page"},
			wantNot: []string{"notes dev"}},
		{name: "panic, no name",
			want: []string{"<title>panic: boom · drover dev</title>",
				"<p>drover dev (development only) shows a panic&#39;s stack to the client; drover serve logs it"},
			wantNot: []string{"notes dev", "notes serve"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := New(Options{Name: tt.giveName, Bind: []string{"127.0.0.1:0"}, FailureFile: tt.giveFailureFile,
				Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })}, zaptest.NewLogger(t))
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("Accept", "text/html")
			rec := httptest.NewRecorder()
			srv.srv.Handler.ServeHTTP(rec, r)
			body := rec.Body.String()
			if rec.Code != http.StatusInternalServerError {
				t.Errorf("page = %d, want 500", rec.Code)
			}
			for _, want := range tt.want {
				if !strings.Contains(body, want) {
					t.Errorf("page lacks %q:\n%s", want, body)
				}
			}
			for _, not := range tt.wantNot {
				if strings.Contains(body, not) {
					t.Errorf("page names %q:\n%s", not, body)
				}
			}
		})
	}
}
