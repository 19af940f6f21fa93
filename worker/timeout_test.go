package worker

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/drover/drover/app"
)

// The request timeout through the real chain and a real server: what the
// client gets, what the handler's late writes get, what is logged and
// whether the worker is told to retire, for each way a handler can meet
// its deadline.
func TestRequestTimeout(t *testing.T) {
	const limit = 100 * time.Millisecond
	tests := []struct {
		name string
		// handler runs as the application; late receives the error of a
		// write it makes after the deadline, if it makes one.
		handler      func(w http.ResponseWriter, r *http.Request, late chan<- error)
		wantStatus   int
		wantBody     string
		wantHeader   http.Header
		wantClose    bool  // the response says Connection: close
		wantBodyErr  bool  // the body ends in an error: the response was cut
		wantLate     error // what the late write returned
		wantExpired  int32 // times the worker was told to retire
		wantAnswered bool  // the log line says the 504 was sent
	}{
		{
			name: "in time: the handler's own response",
			handler: func(w http.ResponseWriter, r *http.Request, late chan<- error) {
				w.Header().Set("X-Made-By", "handler")
				w.WriteHeader(http.StatusCreated)
				io.WriteString(w, "made")
			},
			wantStatus: http.StatusCreated,
			wantBody:   "made",
			wantHeader: http.Header{"X-Made-By": {"handler"}},
		},
		{
			name: "ignores its context: 504 at the deadline, its late write fails",
			handler: func(w http.ResponseWriter, r *http.Request, late chan<- error) {
				w.Header().Set("X-Made-By", "handler")
				time.Sleep(3 * limit)
				_, err := io.WriteString(w, "late")
				late <- err
			},
			wantStatus:   http.StatusGatewayTimeout,
			wantBody:     `{"detail":"Request timed out."}`,
			wantHeader:   http.Header{"Content-Type": {"application/json"}, "X-Made-By": nil},
			wantClose:    true,
			wantLate:     http.ErrHandlerTimeout,
			wantExpired:  1,
			wantAnswered: true,
		},
		{
			name: "honours its context: 504, the context's cause says why",
			handler: func(w http.ResponseWriter, r *http.Request, late chan<- error) {
				<-r.Context().Done()
				late <- context.Cause(r.Context())
			},
			wantStatus:   http.StatusGatewayTimeout,
			wantBody:     `{"detail":"Request timed out."}`,
			wantClose:    true,
			wantLate:     errRequestTimeout,
			wantExpired:  1,
			wantAnswered: true,
		},
		{
			name: "started its response: kept, cut at the deadline",
			handler: func(w http.ResponseWriter, r *http.Request, late chan<- error) {
				io.WriteString(w, "part")
				http.NewResponseController(w).Flush()
				time.Sleep(3 * limit)
				_, err := io.WriteString(w, "rest")
				late <- err
			},
			wantStatus:  http.StatusOK,
			wantBody:    "part",
			wantBodyErr: true,
			wantLate:    http.ErrHandlerTimeout,
			wantExpired: 1,
		},
		{
			name: "hijacked: no longer a request, no deadline",
			handler: func(w http.ResponseWriter, r *http.Request, late chan<- error) {
				c, brw, err := http.NewResponseController(w).Hijack()
				if err != nil {
					late <- err
					return
				}
				defer c.Close()
				time.Sleep(2 * limit)
				brw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nhijacked")
				late <- brw.Flush()
			},
			wantStatus: http.StatusOK,
			wantBody:   "hijacked",
			wantClose:  true, // its own response says so
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			core, logs := observer.New(zapcore.InfoLevel)
			var expired atomic.Int32
			rt := &requestTimeout{limit: limit, log: zap.New(core), now: time.Now, expired: func() { expired.Add(1) }}
			late := make(chan error, 1)
			finished := make(chan struct{})
			h := rt.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { tt.handler(w, r, late) }))
			srv := httptest.NewServer(app.Chain(app.Config{}, zap.New(core), nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				defer close(finished)
				h.ServeHTTP(w, r)
			})))
			defer srv.Close()

			start := time.Now()
			resp, err := http.Get(srv.URL + "/slow")
			if err != nil {
				t.Fatalf("GET: %v", err)
			}
			body, bodyErr := io.ReadAll(resp.Body)
			resp.Body.Close()
			took := time.Since(start)
			<-finished

			if resp.StatusCode != tt.wantStatus || string(body) != tt.wantBody || (bodyErr != nil) != tt.wantBodyErr {
				t.Errorf("response = %d %q (read error %v), want %d %q (read error: %t)", resp.StatusCode, body, bodyErr, tt.wantStatus, tt.wantBody, tt.wantBodyErr)
			}
			for k, v := range tt.wantHeader {
				if got := resp.Header.Values(k); strings.Join(got, ",") != strings.Join(v, ",") {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			if resp.Close != tt.wantClose {
				t.Errorf("Connection: close = %t, want %t", resp.Close, tt.wantClose)
			}
			if tt.wantAnswered && took > 2*limit {
				t.Errorf("the 504 came after %s, want it at the %s deadline, before the handler returns", took, limit)
			}
			var gotLate error
			select {
			case gotLate = <-late:
			default:
			}
			if !errors.Is(gotLate, tt.wantLate) {
				t.Errorf("the handler's write after the deadline = %v, want %v", gotLate, tt.wantLate)
			}
			if n := expired.Load(); n != tt.wantExpired {
				t.Errorf("worker told to retire %d times, want %d", n, tt.wantExpired)
			}
			timedOut := logs.FilterMessage("request timed out; the worker retires").All()
			if len(timedOut) != int(tt.wantExpired) {
				t.Fatalf("%d timeout log lines, want %d", len(timedOut), tt.wantExpired)
			}
			for _, l := range timedOut {
				f := l.ContextMap()
				stack, _ := f["stack"].(string)
				if f["method"] != "GET" || f["path"] != "/slow" || f["request_id"] != resp.Header.Get("X-Request-ID") ||
					f["answered_504"] != tt.wantAnswered || f["age_s"].(time.Duration) < limit {
					t.Errorf("timeout logged as %v, want GET /slow, the response's request ID, answered_504 %t, age over %s", f, tt.wantAnswered, limit)
				}
				if !strings.HasPrefix(stack, "goroutines: 1\n") || !strings.Contains(stack, "worker.TestRequestTimeout") {
					t.Errorf("logged stack does not name the handler:\n%s", stack)
				}
			}
		})
	}
}

// A handler that panics after its 504 went out is still recovered by the
// chain, on the request's own goroutine, and the connection is closed.
func TestRequestTimeoutPanicAfterDeadline(t *testing.T) {
	rt := &requestTimeout{limit: 50 * time.Millisecond, log: zap.NewNop(), now: time.Now, expired: func() {}}
	core, logs := observer.New(zapcore.ErrorLevel)
	finished := make(chan struct{})
	h := rt.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
		panic("after the deadline")
	}))
	chain := app.Chain(app.Config{}, zap.New(core), nil, h)
	// Outside the chain: finished closes once the recovery has logged.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(finished)
		chain.ServeHTTP(w, r)
	}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	<-finished
	if resp.StatusCode != http.StatusGatewayTimeout || !strings.Contains(string(body), "timed out") {
		t.Errorf("response = %d %s, want the 504", resp.StatusCode, body)
	}
	if n := logs.FilterMessage("panic serving request").Len(); n != 1 {
		t.Errorf("%d panic log lines, want 1", n)
	}
}

// Off, the timeout adds nothing to the chain.
func TestRequestTimeoutOff(t *testing.T) {
	h := http.HandlerFunc(hello)
	rt := &requestTimeout{}
	got := rt.wrap(h)
	rec := httptest.NewRecorder()
	got.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if _, wrapped := rec.Result().Header["Connection"]; wrapped || rec.Body.String() != "hello" {
		t.Errorf("wrap with no limit changed the response: %v %q", rec.Result().Header, rec.Body)
	}
}

func TestLabelledStacks(t *testing.T) {
	release := make(chan struct{})
	running := make(chan struct{})
	go labelled(context.Background(), "test-7", func(ctx context.Context) {
		go func() { <-release }() // started by the request: labelled too
		close(running)
		<-release
	})
	<-running
	defer close(release)
	stack := string(labelledStacks("test-7"))
	if strings.Count(stack, "goroutines: 1\n") != 2 || !strings.Contains(stack, "worker.TestLabelledStacks.func1") ||
		!strings.Contains(stack, "timeout_test.go:") {
		t.Errorf("labelledStacks(test-7) =\n%s\nwant the labelled goroutine and the one it started, with files and lines", stack)
	}
	if s := labelledStacks("test-70"); s != nil {
		t.Errorf("labelledStacks(no such label) = %q, want nil", s)
	}
	labelled(context.Background(), "test-8", func(context.Context) {})
	if s := labelledStacks("test-8"); s != nil {
		t.Errorf("labelledStacks of a finished request = %q, want nil", s)
	}
}
