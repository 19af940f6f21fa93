package dev

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap/zaptest"
)

func TestAcceptsHTML(t *testing.T) {
	tests := []struct {
		name       string
		giveAccept []string
		want       bool
	}{
		{name: "browser", giveAccept: []string{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}, want: true},
		{name: "text/*", giveAccept: []string{"text/*"}, want: true},
		{name: "upper case", giveAccept: []string{"Text/HTML"}, want: true},
		{name: "second header", giveAccept: []string{"application/json", "text/html"}, want: true},
		{name: "none (curl without -H)", giveAccept: nil, want: false},
		{name: "curl", giveAccept: []string{"*/*"}, want: false},
		{name: "API client", giveAccept: []string{"application/json"}, want: false},
		{name: "html refused", giveAccept: []string{"text/html;q=0, application/json"}, want: false},
		{name: "bad q", giveAccept: []string{"text/html;q=x"}, want: false},
		{name: "garbage", giveAccept: []string{";;;,"}, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := acceptsHTML(tt.giveAccept); got != tt.want {
				t.Errorf("acceptsHTML(%q) = %v, want %v", tt.giveAccept, got, tt.want)
			}
		})
	}
}

func TestFailurePage(t *testing.T) {
	f := Failure{Title: "build failed: go build example.com/app", Output: "./main.go:3:1: syntax error: unexpected <-, expected }\n"}
	tests := []struct {
		name        string
		giveAccept  string
		giveMethod  string
		wantType    string
		wantBody    []string
		wantNotBody []string
	}{
		{
			name: "curl gets text", giveMethod: "GET", giveAccept: "*/*", wantType: "text/plain; charset=utf-8",
			wantBody: []string{"build failed: go build example.com/app\n\n./main.go:3:1: syntax error: unexpected <-, expected }\n"},
		},
		{
			name: "browser gets escaped HTML", giveMethod: "GET", giveAccept: "text/html", wantType: "text/html; charset=utf-8",
			wantBody:    []string{"<h1>build failed: go build example.com/app</h1>", "unexpected &lt;-, expected }"},
			wantNotBody: []string{"unexpected <-"},
		},
		{name: "HEAD has no body", giveMethod: "HEAD", giveAccept: "*/*", wantType: "text/plain; charset=utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.giveMethod, "/anything", nil)
			r.Header.Set("Accept", tt.giveAccept)
			w := httptest.NewRecorder()
			f.ServeHTTP(w, r)
			body := w.Body.String()
			if w.Code != http.StatusInternalServerError || w.Header().Get("Content-Type") != tt.wantType ||
				w.Header().Get("Cache-Control") != "no-store" {
				t.Errorf("page = %d %q Cache-Control %q, want 500 %q no-store", w.Code, w.Header().Get("Content-Type"), w.Header().Get("Cache-Control"), tt.wantType)
			}
			for _, want := range tt.wantBody {
				if !strings.Contains(body, want) {
					t.Errorf("body = %q, want it to contain %q", body, want)
				}
			}
			for _, not := range tt.wantNotBody {
				if strings.Contains(body, not) {
					t.Errorf("body = %q, must not contain %q", body, not)
				}
			}
			if tt.giveMethod == "HEAD" && body != "" {
				t.Errorf("HEAD body = %q, want none", body)
			}
		})
	}
}

func TestFailureFileRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "failure")
	if _, ok, err := ReadFailureFile(path); ok || err != nil {
		t.Fatalf("ReadFailureFile(missing) = %v, %v; want none", ok, err)
	}
	want := Failure{Title: "app exited (exit status 2)", Output: "panic: boom\n\ngoroutine 1 [running]:\n"}
	if err := want.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	got, ok, err := ReadFailureFile(path)
	if !ok || err != nil || got != want {
		t.Errorf("ReadFailureFile = %+v, %v, %v; want %+v", got, ok, err, want)
	}
}

// TestServerShowsTheFailureFileOnGivenListeners is the server as a
// reload watcher's child runs it: on a listener it was given, answering
// with the failure page while the file exists.
func TestServerShowsTheFailureFileOnGivenListeners(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	failureFile := filepath.Join(t.TempDir(), "failure")
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "app") })
	srv, err := New(Options{Bind: []string{"fd://3"} /* ignored: Listeners win */, Handler: h, Listeners: []net.Listener{ln}, FailureFile: failureFile}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	c := &http.Client{Transport: &http.Transport{}}
	defer c.CloseIdleConnections()
	get := func() (int, string) {
		t.Helper()
		resp, err := c.Get("http://" + ln.Addr().String() + "/")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if status, body := get(); status != 200 || body != "app" {
		t.Errorf("without a failure file: %d %q, want 200 app", status, body)
	}
	if err := (Failure{Title: "build failed", Output: "main.go:1: oops"}).WriteFile(failureFile); err != nil {
		t.Fatal(err)
	}
	if status, body := get(); status != 500 || !strings.Contains(body, "main.go:1: oops") {
		t.Errorf("with a failure file: %d %q, want 500 with the output", status, body)
	}
	os.Remove(failureFile)
	if status, body := get(); status != 200 || body != "app" {
		t.Errorf("after the failure file went: %d %q, want 200 app", status, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
}

// TestPanicPage: through dev's chain, a panic (after a status, too) is
// the Failure page: HTML for a browser with the panic as its title and
// the panic hint, plain text for curl.
func TestPanicPage(t *testing.T) {
	tests := []struct {
		name            string
		giveAccept      string
		wantContentType string
		wantBody        []string
	}{
		{name: "browser", giveAccept: "text/html", wantContentType: "text/html; charset=utf-8",
			wantBody: []string{"<title>panic: boom &lt;b&gt; · drover dev</title>", "<pre>goroutine ", "drover serve logs it"}},
		{name: "curl", giveAccept: "*/*", wantContentType: "text/plain; charset=utf-8",
			wantBody: []string{"panic: boom <b>\n\ngoroutine "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := New(Options{Bind: []string{"127.0.0.1:0"}, Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusAccepted)
				panic("boom <b>")
			})}, zaptest.NewLogger(t))
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("Accept", tt.giveAccept)
			rec := httptest.NewRecorder()
			srv.srv.Handler.ServeHTTP(rec, r)
			if rec.Code != http.StatusInternalServerError || rec.Header().Get("Content-Type") != tt.wantContentType {
				t.Errorf("panic page = %d %s, want 500 %s", rec.Code, rec.Header().Get("Content-Type"), tt.wantContentType)
			}
			for _, want := range tt.wantBody {
				if !strings.Contains(rec.Body.String(), want) {
					t.Errorf("panic page lacks %q:\n%s", want, rec.Body.String())
				}
			}
		})
	}
}
