package app

import (
	"io"
	"net/http"
	"net/netip"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// TestChainAllocations pins what one request costs the chain in
// allocations, over the demo API and a writer that reuses its header map,
// so that a change that adds one on the request path is seen. What is
// left: the exchange, the request's shallow copy that carries it
// (http.Request.WithContext), the generated request ID's string, and for
// a text access log the line, which zap takes as a string.
func TestChainAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items: counts vary")
	}
	combined := zap.New(zapcore.NewCore(zapcore.NewConsoleEncoder(CombinedEncoderConfig()), zapcore.AddSync(io.Discard), zapcore.InfoLevel))
	forwarded := benchRequest()
	forwarded.RemoteAddr = "10.0.0.1:40000"
	forwarded.Header.Set("X-Forwarded-For", "198.51.100.7, 10.0.0.2")
	forwarded.Header.Set("X-Request-ID", "0123456789abcdef0123456789abcdef")
	tests := []struct {
		name       string
		giveCfg    Config
		giveAccess *zap.Logger
		giveReq    *http.Request
		wantAllocs float64
	}{
		{name: "json access log", giveAccess: jsonAccessLogger(), giveReq: benchRequest(), wantAllocs: 3},
		{name: "combined access log", giveCfg: Config{AccessLogFormat: AccessLogCombined}, giveAccess: combined, giveReq: benchRequest(), wantAllocs: 4},
		{name: "no access log", giveReq: benchRequest(), wantAllocs: 3},
		{
			name:       "trusted proxy, client's request ID",
			giveCfg:    Config{ForwardedAllowIPs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}},
			giveAccess: jsonAccessLogger(),
			giveReq:    forwarded,
			wantAllocs: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := Chain(tt.giveCfg, zap.NewNop(), tt.giveAccess, Routes())
			w := &discardWriter{h: make(http.Header)}
			got := testing.AllocsPerRun(200, func() {
				clear(w.h)
				h.ServeHTTP(w, tt.giveReq)
			})
			if got != tt.wantAllocs {
				t.Errorf("GET %s allocates %.1f times, want %.0f", tt.giveReq.URL.Path, got, tt.wantAllocs)
			}
		})
	}
}
