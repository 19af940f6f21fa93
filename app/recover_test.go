package app

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func panicWith(v any) http.HandlerFunc {
	return func(http.ResponseWriter, *http.Request) { panic(v) }
}

func TestRecover(t *testing.T) {
	tests := []struct {
		name             string
		giveDev          bool
		giveHandler      http.HandlerFunc
		wantRepanic      any // the value ServeHTTP panics with; nil = returns
		wantStatus       int // of the recorded response, when not re-panicked
		wantContentType  string
		wantBody         []string // substrings of the body
		wantErrorLines   int
		wantAccessStatus int64
	}{
		{
			name:             "panic answers JSON 500",
			giveHandler:      panicWith("boom"),
			wantStatus:       http.StatusInternalServerError,
			wantContentType:  "application/json",
			wantBody:         []string{`{"detail":"A server error occurred."}`},
			wantErrorLines:   1,
			wantAccessStatus: 500,
		},
		{
			name:             "error value",
			giveHandler:      panicWith(errors.New("db down")),
			wantStatus:       http.StatusInternalServerError,
			wantContentType:  "application/json",
			wantBody:         []string{`{"detail":"A server error occurred."}`},
			wantErrorLines:   1,
			wantAccessStatus: 500,
		},
		{
			name: "handler headers dropped",
			giveHandler: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Set-Cookie", "session=1")
				w.Header().Set("Content-Type", "text/html")
				panic("boom")
			},
			wantStatus:       http.StatusInternalServerError,
			wantContentType:  "application/json",
			wantBody:         []string{`{"detail":"A server error occurred."}`},
			wantErrorLines:   1,
			wantAccessStatus: 500,
		},
		{
			name:             "dev page",
			giveDev:          true,
			giveHandler:      panicWith("boom"),
			wantStatus:       http.StatusInternalServerError,
			wantContentType:  "text/plain; charset=utf-8",
			wantBody:         []string{"A server error occurred.", "panic: boom", "goroutine ", "recover_test.go:"},
			wantErrorLines:   1,
			wantAccessStatus: 500,
		},
		{
			name:             "ErrAbortHandler is net/http's",
			giveHandler:      panicWith(http.ErrAbortHandler),
			wantRepanic:      http.ErrAbortHandler,
			wantErrorLines:   0,
			wantAccessStatus: 0,
		},
		{
			name: "panic after the response started aborts it",
			giveHandler: func(w http.ResponseWriter, _ *http.Request) {
				_, _ = io.WriteString(w, "partial")
				panic("boom")
			},
			wantRepanic:      http.ErrAbortHandler,
			wantErrorLines:   1,
			wantAccessStatus: 200,
		},
		{
			name:    "dev: a status and a body, then a panic, still get the page",
			giveDev: true,
			giveHandler: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Set-Cookie", "session=1")
				w.WriteHeader(http.StatusCreated)
				_, _ = io.WriteString(w, "partial")
				panic("boom")
			},
			wantStatus:       http.StatusInternalServerError,
			wantContentType:  "text/plain; charset=utf-8",
			wantBody:         []string{"panic: boom"},
			wantErrorLines:   1,
			wantAccessStatus: 500,
		},
		{
			name:    "dev: a response held until the handler returns",
			giveDev: true,
			giveHandler: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "text/plain")
				w.WriteHeader(http.StatusAccepted)
				_, _ = io.WriteString(w, "held")
			},
			wantStatus:       http.StatusAccepted,
			wantContentType:  "text/plain",
			wantBody:         []string{"held"},
			wantAccessStatus: 202,
		},
		{
			name:    "dev: a flushed response aborts",
			giveDev: true,
			giveHandler: func(w http.ResponseWriter, _ *http.Request) {
				_, _ = io.WriteString(w, "partial")
				w.(http.Flusher).Flush()
				panic("boom")
			},
			wantRepanic:      http.ErrAbortHandler,
			wantErrorLines:   1,
			wantAccessStatus: 200,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs, errLogs := observed()
			access, accessLogs := observed()
			h := Chain(Config{DevErrors: tt.giveDev}, errs, access, tt.giveHandler)
			r := httptest.NewRequest(http.MethodGet, "/boom/", nil)
			r.Header.Set("X-Request-ID", "req-1")
			rec := httptest.NewRecorder()

			gotRepanic := func() (p any) {
				defer func() { p = recover() }()
				h.ServeHTTP(rec, r)
				return nil
			}()

			if gotRepanic != tt.wantRepanic {
				t.Fatalf("ServeHTTP panicked with %v, want %v", gotRepanic, tt.wantRepanic)
			}
			if tt.wantRepanic == nil {
				if rec.Code != tt.wantStatus {
					t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
				}
				if got := rec.Header().Get("Content-Type"); got != tt.wantContentType {
					t.Errorf("Content-Type = %q, want %q", got, tt.wantContentType)
				}
				if got := rec.Header().Get("X-Request-ID"); got != "req-1" {
					t.Errorf("X-Request-ID = %q, want req-1", got)
				}
				if got := rec.Header().Get("Set-Cookie"); got != "" {
					t.Errorf("Set-Cookie = %q on the 500, want none", got)
				}
				for _, want := range tt.wantBody {
					if !strings.Contains(rec.Body.String(), want) {
						t.Errorf("body = %q, want it to contain %q", rec.Body.String(), want)
					}
				}
			}
			if got := errLogs.Len(); got != tt.wantErrorLines {
				t.Errorf("logged %d error lines, want %d", got, tt.wantErrorLines)
			}
			for _, e := range errLogs.All() {
				f := e.ContextMap()
				if e.Message != "panic serving request" || f["method"] != "GET" || f["path"] != "/boom/" || f["request_id"] != "req-1" || f["panic"] == nil {
					t.Errorf("error line = %q %v, want the panic, method, path and request_id", e.Message, f)
				}
				if stack, _ := f["stack"].(string); !strings.Contains(stack, "app.TestRecover") {
					t.Errorf("stack field = %q, want the panicking stack", stack)
				}
			}
			if got := accessLogs.All(); len(got) != 1 || got[0].ContextMap()["status"] != tt.wantAccessStatus {
				t.Errorf("access log = %v, want one line with status %d", got, tt.wantAccessStatus)
			}
		})
	}
}

// TestRecoverKeepsServing checks over a real connection that a panic costs
// one request, not the server, and that net/http's abort semantics hold.
func TestRecoverKeepsServing(t *testing.T) {
	errs, errLogs := observed()
	mux := http.NewServeMux()
	mux.Handle("/panic/", panicWith("boom"))
	mux.Handle("/abort/", panicWith(http.ErrAbortHandler))
	mux.HandleFunc("/partial/", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", "100")
		_, _ = io.WriteString(w, "partial")
		panic("boom")
	})
	mux.Handle("/", Routes())
	srv := httptest.NewServer(Chain(Config{}, errs, nil, mux))
	defer srv.Close()
	client := srv.Client()

	get := func(path string) (int, string, error) {
		resp, err := client.Get(srv.URL + path)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body), err
	}

	if code, body, err := get("/panic/"); err != nil || code != http.StatusInternalServerError || body != `{"detail":"A server error occurred."}` {
		t.Errorf("GET /panic/ = %d %q %v, want 500 and the DRF body", code, body, err)
	}
	if _, _, err := get("/abort/"); err == nil {
		t.Errorf("GET /abort/ succeeded, want the connection aborted")
	}
	if _, _, err := get("/partial/"); err == nil {
		t.Errorf("GET /partial/ read a complete body, want the connection aborted")
	}
	if code, body, err := get("/hello/"); err != nil || code != http.StatusOK || body != `{"message":"Hello, World!"}` {
		t.Errorf("GET /hello/ after panics = %d %q %v, want 200", code, body, err)
	}
	if got := errLogs.Len(); got != 2 {
		t.Errorf("logged %d error lines, want 2 (ErrAbortHandler is not an error)", got)
	}
	client.CloseIdleConnections()
}
