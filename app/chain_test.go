package app

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

func TestConfigDefaults(t *testing.T) {
	tests := []struct {
		name    string
		giveCfg Config
		want    Config
	}{
		{
			name:    "zero",
			giveCfg: Config{},
			want:    Config{LimitRequestLine: 4094, LimitRequestFields: 100, LimitRequestFieldSize: 8190, LimitRequestBody: 1 << 20, AccessLogFormat: "json"},
		},
		{
			name:    "negative means unlimited and is kept",
			giveCfg: Config{LimitRequestLine: -1, LimitRequestFields: -1, LimitRequestFieldSize: -1, LimitRequestBody: -1, AccessLogFormat: "combined"},
			want:    Config{LimitRequestLine: -1, LimitRequestFields: -1, LimitRequestFieldSize: -1, LimitRequestBody: -1, AccessLogFormat: "combined"},
		},
		{
			name:    "set values kept",
			giveCfg: Config{LimitRequestLine: 8190, LimitRequestFields: 10, LimitRequestFieldSize: 100, LimitRequestBody: 5},
			want:    Config{LimitRequestLine: 8190, LimitRequestFields: 10, LimitRequestFieldSize: 100, LimitRequestBody: 5, AccessLogFormat: "json"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.giveCfg.withDefaults()
			if got.LimitRequestLine != tt.want.LimitRequestLine || got.LimitRequestFields != tt.want.LimitRequestFields ||
				got.LimitRequestFieldSize != tt.want.LimitRequestFieldSize || got.LimitRequestBody != tt.want.LimitRequestBody ||
				got.AccessLogFormat != tt.want.AccessLogFormat {
				t.Errorf("withDefaults(%+v) = %+v, want %+v", tt.giveCfg, got, tt.want)
			}
		})
	}
}

// TestChainOrder checks the order written in Chain by what each layer can
// see of the others:
//
//   - recovery is outside everything: a panic is answered and both logs
//     carry the request ID and the 500;
//   - request ID and client IP are outside the access log: its lines carry
//     them, refused requests included;
//   - the access log is outside the limits: refused requests are logged;
//   - the limits are outside /healthz: an oversized health check is refused;
//   - /healthz is outside next: next never sees it.
func TestChainOrder(t *testing.T) {
	cfg := Config{
		LimitRequestLine:  64,
		ForwardedAllowIPs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
	}
	tests := []struct {
		name            string
		giveTarget      string
		wantStatus      int
		wantNextReached bool
		wantErrorLines  int
	}{
		{name: "handler", giveTarget: "/ok/", wantStatus: 200, wantNextReached: true},
		{name: "panic", giveTarget: "/panic/", wantStatus: 500, wantNextReached: true, wantErrorLines: 1},
		{name: "refused by limits", giveTarget: "/ok/" + strings.Repeat("a", 64), wantStatus: 414},
		{name: "health check", giveTarget: "/healthz", wantStatus: 200},
		{name: "oversized health check", giveTarget: "/healthz?" + strings.Repeat("a", 64), wantStatus: 414},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs, errLogs := observed()
			access, accessLogs := observed()
			reached := false
			next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				reached = true
				if r.URL.Path == "/panic/" {
					panic("boom")
				}
			})
			r := httptest.NewRequest(http.MethodGet, tt.giveTarget, nil)
			r.RemoteAddr = "10.0.0.1:1234"
			r.Header.Set("X-Forwarded-For", "198.51.100.7")
			r.Header.Set("X-Request-ID", "order-1")
			rec := serve(Chain(cfg, errs, access, next), r)

			if rec.Code != tt.wantStatus {
				t.Errorf("GET %s: status = %d, want %d", tt.giveTarget, rec.Code, tt.wantStatus)
			}
			if reached != tt.wantNextReached {
				t.Errorf("GET %s: next reached = %v, want %v", tt.giveTarget, reached, tt.wantNextReached)
			}
			if got := rec.Header().Get("X-Request-ID"); got != "order-1" {
				t.Errorf("GET %s: X-Request-ID = %q, want order-1", tt.giveTarget, got)
			}
			lines := accessLogs.All()
			if len(lines) != 1 {
				t.Fatalf("GET %s: %d access log lines, want 1", tt.giveTarget, len(lines))
			}
			f := lines[0].ContextMap()
			if f["status"] != int64(tt.wantStatus) || f["request_id"] != "order-1" || f["remote_addr"] != "198.51.100.7" {
				t.Errorf("GET %s: access log %v, want status %d, request_id order-1, remote_addr 198.51.100.7", tt.giveTarget, f, tt.wantStatus)
			}
			if got := errLogs.Len(); got != tt.wantErrorLines {
				t.Errorf("GET %s: %d error lines, want %d", tt.giveTarget, got, tt.wantErrorLines)
			}
			for _, e := range errLogs.All() {
				if e.ContextMap()["request_id"] != "order-1" {
					t.Errorf("GET %s: error line %v, want request_id order-1", tt.giveTarget, e.ContextMap())
				}
			}
		})
	}
}

func TestHealthz(t *testing.T) {
	tests := []struct {
		name        string
		giveMethod  string
		giveTarget  string
		giveHealthy func() bool
		wantStatus  int
		wantBody    string
		wantAllow   string
	}{
		{name: "GET", giveMethod: "GET", giveTarget: "/healthz", wantStatus: 200, wantBody: `{"status":"ok"}`},
		{name: "HEAD", giveMethod: "HEAD", giveTarget: "/healthz", wantStatus: 200, wantBody: `{"status":"ok"}`},
		{name: "query ignored", giveMethod: "GET", giveTarget: "/healthz?full=1", wantStatus: 200, wantBody: `{"status":"ok"}`},
		{name: "healthy", giveMethod: "GET", giveTarget: "/healthz", giveHealthy: func() bool { return true }, wantStatus: 200, wantBody: `{"status":"ok"}`},
		{name: "draining", giveMethod: "GET", giveTarget: "/healthz", giveHealthy: func() bool { return false }, wantStatus: 503, wantBody: `{"status":"unavailable"}`},
		{name: "POST", giveMethod: "POST", giveTarget: "/healthz", wantStatus: 405, wantBody: `{"detail":"Method \"POST\" not allowed."}`, wantAllow: "GET, HEAD"},
		{name: "trailing slash is the app's", giveMethod: "GET", giveTarget: "/healthz/", wantStatus: 404, wantBody: `{"detail":"Not found."}`},
		{name: "prefix is the app's", giveMethod: "GET", giveTarget: "/healthzz", wantStatus: 404, wantBody: `{"detail":"Not found."}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := Chain(Config{Healthy: tt.giveHealthy}, zap.NewNop(), nil, Routes())
			rec := serve(h, httptest.NewRequest(tt.giveMethod, tt.giveTarget, nil))
			if rec.Code != tt.wantStatus || rec.Body.String() != tt.wantBody {
				t.Errorf("%s %s = %d %s, want %d %s", tt.giveMethod, tt.giveTarget, rec.Code, rec.Body, tt.wantStatus, tt.wantBody)
			}
			if got := rec.Header().Get("Content-Type"); got != "application/json" {
				t.Errorf("%s %s: Content-Type = %q, want application/json", tt.giveMethod, tt.giveTarget, got)
			}
			if got := rec.Header().Get("Allow"); got != tt.wantAllow {
				t.Errorf("%s %s: Allow = %q, want %q", tt.giveMethod, tt.giveTarget, got, tt.wantAllow)
			}
		})
	}
}

// TestResponseWriterUnwrap checks that http.ResponseController reaches the
// connection through the chain's writer.
func TestResponseWriterUnwrap(t *testing.T) {
	h := Chain(Config{}, zap.NewNop(), nil, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		rc := http.NewResponseController(w)
		if err := rc.EnableFullDuplex(); err != nil {
			t.Errorf("EnableFullDuplex through the chain: %v", err)
		}
		if _, ok := w.(http.Flusher); !ok {
			t.Errorf("chain's writer is not an http.Flusher")
		}
		_, _ = io.WriteString(w, "ok")
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/")
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	resp.Body.Close()
	srv.Client().CloseIdleConnections()
}

// discardWriter is a reusable http.ResponseWriter for benchmarks.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteString(s string) (int, error) {
	return len(s), nil
}
func (d *discardWriter) WriteHeader(int) {}

func benchmarkChain(b *testing.B, h http.Handler, r *http.Request) {
	w := &discardWriter{h: make(http.Header)}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, r)
	}
}

func jsonAccessLogger() *zap.Logger {
	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	return zap.New(zapcore.NewCore(enc, zapcore.AddSync(io.Discard), zapcore.InfoLevel))
}

func benchRequest() *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/hello/", nil)
	r.Header.Set("User-Agent", "drover-bench/1.0")
	r.Header.Set("Accept", "application/json")
	return r
}

// BenchmarkChain is the full chain over the demo API with the JSON access log.
func BenchmarkChain(b *testing.B) {
	benchmarkChain(b, Chain(Config{}, zap.NewNop(), jsonAccessLogger(), Routes()), benchRequest())
}

// BenchmarkChainCombined is BenchmarkChain with the combined access log.
func BenchmarkChainCombined(b *testing.B) {
	enc := zapcore.NewConsoleEncoder(CombinedEncoderConfig())
	access := zap.New(zapcore.NewCore(enc, zapcore.AddSync(io.Discard), zapcore.InfoLevel))
	benchmarkChain(b, Chain(Config{AccessLogFormat: AccessLogCombined}, zap.NewNop(), access, Routes()), benchRequest())
}

// BenchmarkChainNoAccessLog is the chain with the access log off.
func BenchmarkChainNoAccessLog(b *testing.B) {
	benchmarkChain(b, Chain(Config{}, zap.NewNop(), nil, Routes()), benchRequest())
}

// BenchmarkChainForwarded is BenchmarkChain behind a trusted proxy.
func BenchmarkChainForwarded(b *testing.B) {
	cfg := Config{ForwardedAllowIPs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}
	r := benchRequest()
	r.RemoteAddr = "10.0.0.1:40000"
	r.Header.Set("X-Forwarded-For", "198.51.100.7, 10.0.0.2")
	r.Header.Set("X-Forwarded-Proto", "https")
	r.Header.Set("X-Request-ID", "0123456789abcdef0123456789abcdef")
	benchmarkChain(b, Chain(cfg, zap.NewNop(), jsonAccessLogger(), Routes()), r)
}

// BenchmarkRoutes is the demo API alone: the baseline the chain adds to.
func BenchmarkRoutes(b *testing.B) {
	benchmarkChain(b, Routes(), benchRequest())
}
