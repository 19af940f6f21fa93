package app

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// fakeClock returns start, then start+step, start+2*step, …
func fakeClock(start time.Time, step time.Duration) func() time.Time {
	next := start
	return func() time.Time {
		t := next
		next = next.Add(step)
		return t
	}
}

// accessChain is the part of Chain the access log depends on, with a fake
// clock: request ID → client IP → access log → h.
func accessChain(cfg Config, access *zap.Logger, h http.Handler) http.Handler {
	cfg = cfg.withDefaults()
	a := newAccessLog(cfg, zap.NewNop(), access)
	a.now = fakeClock(time.Date(2025, 3, 1, 12, 30, 45, 0, time.FixedZone("", -7*3600)), 1500*time.Microsecond)
	return requestID(newClientIP(cfg).wrap(a.wrap(h)))
}

func TestAccessLogJSON(t *testing.T) {
	tests := []struct {
		name       string
		giveMethod string
		giveTarget string
		giveHeader map[string]string
		giveHandle http.HandlerFunc
		wantFields map[string]any
	}{
		{
			name:       "nothing written",
			giveMethod: http.MethodGet,
			giveTarget: "/hello/",
			giveHandle: func(http.ResponseWriter, *http.Request) {},
			wantFields: map[string]any{"method": "GET", "path": "/hello/", "query": "", "status": int64(200), "bytes": int64(0)},
		},
		{
			name:       "status and body",
			giveMethod: http.MethodPost,
			giveTarget: "/things/?a=1&b=%20",
			giveHandle: func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusCreated)
				_, _ = io.WriteString(w, "hello")
				_, _ = w.Write([]byte(" world"))
			},
			wantFields: map[string]any{"method": "POST", "path": "/things/", "query": "a=1&b=%20", "status": int64(201), "bytes": int64(11)},
		},
		{
			name:       "HEAD sends no body",
			giveMethod: http.MethodHead,
			giveTarget: "/",
			giveHandle: func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "hello") },
			wantFields: map[string]any{"method": "HEAD", "status": int64(200), "bytes": int64(0)},
		},
		{
			name:       "escaped path",
			giveMethod: http.MethodGet,
			giveTarget: "/a%20b/c%2Fd",
			giveHandle: func(http.ResponseWriter, *http.Request) {},
			wantFields: map[string]any{"path": "/a%20b/c%2Fd"},
		},
		{
			name:       "informational status is not final",
			giveMethod: http.MethodGet,
			giveTarget: "/",
			giveHandle: func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusEarlyHints)
				w.WriteHeader(http.StatusNoContent)
			},
			wantFields: map[string]any{"status": int64(204)},
		},
		{
			name:       "flush sends 200",
			giveMethod: http.MethodGet,
			giveTarget: "/",
			giveHandle: func(w http.ResponseWriter, _ *http.Request) {
				_ = http.NewResponseController(w).Flush()
				w.WriteHeader(http.StatusTeapot) // superfluous: the client got 200
			},
			wantFields: map[string]any{"status": int64(200)},
		},
		{
			name:       "client headers",
			giveMethod: http.MethodGet,
			giveTarget: "/",
			giveHeader: map[string]string{"User-Agent": "curl/8.5.0", "Referer": "https://example.com/", "X-Request-ID": "req-1"},
			giveHandle: func(http.ResponseWriter, *http.Request) {},
			wantFields: map[string]any{"user_agent": "curl/8.5.0", "referer": "https://example.com/", "request_id": "req-1"},
		},
		{
			name:       "fixed fields",
			giveMethod: http.MethodGet,
			giveTarget: "/",
			giveHandle: func(http.ResponseWriter, *http.Request) {},
			wantFields: map[string]any{"remote_addr": "192.0.2.1", "proto": "HTTP/1.1", "duration_s": 1500 * time.Microsecond, "user_id": "", "worker_pid": int64(4242), "generation": int64(3)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			access, logs := observed()
			h := accessChain(Config{WorkerPID: 4242, Generation: 3}, access, tt.giveHandle)
			r := httptest.NewRequest(tt.giveMethod, tt.giveTarget, nil)
			for k, v := range tt.giveHeader {
				r.Header.Set(k, v)
			}
			serve(h, r)

			entries := logs.All()
			if len(entries) != 1 {
				t.Fatalf("logged %d lines, want 1", len(entries))
			}
			if entries[0].Message != "request" || entries[0].Level != zapcore.InfoLevel {
				t.Errorf("logged %v %q, want info \"request\"", entries[0].Level, entries[0].Message)
			}
			got := entries[0].ContextMap()
			for k, want := range tt.wantFields {
				if got[k] != want {
					t.Errorf("field %s = %#v, want %#v", k, got[k], want)
				}
			}
			for _, k := range []string{"remote_addr", "method", "path", "query", "proto", "status", "bytes", "duration_s", "user_agent", "referer", "request_id", "user_id", "worker_pid", "generation"} {
				if _, ok := got[k]; !ok {
					t.Errorf("field %s missing from %v", k, got)
				}
			}
		})
	}
}

func TestAccessLogCombined(t *testing.T) {
	tests := []struct {
		name       string
		giveTarget string
		giveRemote string
		giveHeader map[string]string
		giveHandle http.HandlerFunc
		wantLine   string
	}{
		{
			name:       "plain",
			giveTarget: "/hello/?x=1",
			giveRemote: "198.51.100.7:4711",
			giveHeader: map[string]string{"User-Agent": "curl/8.5.0", "X-Request-ID": "req-1"},
			giveHandle: func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "hi") },
			wantLine:   `198.51.100.7 - - [01/Mar/2025:12:30:45 -0700] "GET /hello/?x=1 HTTP/1.1" 200 2 "-" "curl/8.5.0" "req-1" 1500`,
		},
		{
			name:       "no body is a dash",
			giveTarget: "/",
			giveRemote: "[2001:db8::1]:80",
			giveHeader: map[string]string{"X-Request-ID": "req-2", "Referer": "https://example.com/"},
			giveHandle: func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) },
			wantLine:   `2001:db8::1 - - [01/Mar/2025:12:30:45 -0700] "GET / HTTP/1.1" 204 - "https://example.com/" "-" "req-2" 1500`,
		},
		{
			name:       "escapes",
			giveTarget: "/",
			giveRemote: "@",
			giveHeader: map[string]string{"X-Request-ID": `q"id\`, "User-Agent": "a\"b\\c\x01d\x7fé", "Referer": "x\ty"},
			giveHandle: func(http.ResponseWriter, *http.Request) {},
			wantLine:   `- - - [01/Mar/2025:12:30:45 -0700] "GET / HTTP/1.1" 200 - "x\x09y" "a\"b\\c\x01d\x7f\xc3\xa9" "q\"id\\" 1500`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			access, logs := observed()
			h := accessChain(Config{AccessLogFormat: AccessLogCombined}, access, tt.giveHandle)
			r := httptest.NewRequest(http.MethodGet, tt.giveTarget, nil)
			r.RemoteAddr = tt.giveRemote
			for k, v := range tt.giveHeader {
				r.Header.Set(k, v)
			}
			serve(h, r)

			entries := logs.All()
			if len(entries) != 1 {
				t.Fatalf("logged %d lines, want 1", len(entries))
			}
			if got := entries[0].Message; got != tt.wantLine {
				t.Errorf("combined line =\n%s\nwant\n%s", got, tt.wantLine)
			}
			if n := len(entries[0].Context); n != 0 {
				t.Errorf("combined line has %d fields, want none", n)
			}
		})
	}
}

func TestCombinedEncoderConfig(t *testing.T) {
	var buf bytes.Buffer
	enc := zapcore.NewConsoleEncoder(CombinedEncoderConfig())
	access := zap.New(zapcore.NewCore(enc, zapcore.AddSync(&buf), zapcore.InfoLevel))
	h := Chain(Config{AccessLogFormat: AccessLogCombined}, zap.NewNop(), access, Routes())
	r := httptest.NewRequest(http.MethodGet, "/hello/", nil)
	r.Header.Set("X-Request-ID", "req-1")
	serve(h, r)

	line := buf.String()
	if !strings.HasPrefix(line, `192.0.2.1 - - [`) || !strings.Contains(line, `] "GET /hello/ HTTP/1.1" 200 27 "-" "-" "req-1" `) ||
		!strings.HasSuffix(line, "\n") || strings.Count(line, "\n") != 1 {
		t.Errorf("access log output = %q, want exactly one combined line", line)
	}
}

func TestAccessLogOff(t *testing.T) {
	errs, logs := observed()
	h := Chain(Config{}, errs, nil, Routes())
	if rec := serve(h, httptest.NewRequest(http.MethodGet, "/hello/", nil)); rec.Code != http.StatusOK {
		t.Errorf("GET /hello/ = %d, want 200", rec.Code)
	}
	if n := logs.Len(); n != 0 {
		t.Errorf("logged %d lines with the access log off, want 0", n)
	}
}

func TestAccessLogUnknownFormat(t *testing.T) {
	errs, errLogs := observed()
	access, accessLogs := observed()
	h := Chain(Config{AccessLogFormat: "apache"}, errs, access, Routes())
	serve(h, httptest.NewRequest(http.MethodGet, "/hello/", nil))

	if n := errLogs.FilterMessage("unknown access log format, using json").Len(); n != 1 {
		t.Errorf("logged %d warnings for an unknown format, want 1", n)
	}
	if got := accessLogs.All(); len(got) != 1 || got[0].ContextMap()["status"] != int64(200) {
		t.Errorf("access log = %v, want one JSON line with status 200", got)
	}
}
