package app_test

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/drover/drover/app"
)

// Chain wraps any handler; the handler reads what the chain learnt from the
// request context.
func ExampleChain() {
	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		fmt.Fprintf(w, "client %s over %s, request %s\n", app.ClientIP(ctx), app.Scheme(ctx), app.RequestID(ctx))
	})
	cfg := app.Config{
		ForwardedAllowIPs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
	}
	h := app.Chain(cfg, zap.NewNop(), nil, hello)

	// In a worker, h is the http.Server's Handler, with
	// MaxHeaderBytes: app.MaxHeaderBytes(cfg).
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "10.0.0.1:40000" // nginx
	r.Header.Set("X-Forwarded-For", "198.51.100.7")
	r.Header.Set("X-Forwarded-Proto", "https")
	r.Header.Set("X-Request-ID", "example-1")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	fmt.Print(rec.Body.String())
	// Output: client 198.51.100.7 over https, request example-1
}

// TrustedProxies is the one trusted-proxy rule the chain and the worker's
// PROXY protocol reader share.
func ExampleTrustedProxies() {
	p := app.NewTrustedProxies([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, false)
	nginx := &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 40000}
	stranger := &net.TCPAddr{IP: net.IPv4(198, 51, 100, 7), Port: 40000}
	local := &net.UnixAddr{Name: "@", Net: "unix"}
	fmt.Println(p.Trusts(nginx), p.Trusts(stranger), p.Trusts(local))
	// Output: true false true
}

// A combined access log needs a logger that prints the message only.
func ExampleCombinedEncoderConfig() {
	enc := zapcore.NewConsoleEncoder(app.CombinedEncoderConfig())
	access := zap.New(zapcore.NewCore(enc, zapcore.AddSync(os.Stdout), zapcore.InfoLevel))
	hello := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "hello") })
	h := app.Chain(app.Config{AccessLogFormat: app.AccessLogCombined}, zap.NewNop(), access, hello)
	_ = h // serve h; each request logs one line such as
	// 198.51.100.7 - - [01/Mar/2025:12:30:45 +0000] "GET /hello/ HTTP/1.1" 200 27 "-" "curl/8.5.0" "5f0c…"
}
