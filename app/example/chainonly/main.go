package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/drover/drover/app"
)

// shutdownTimeout bounds the graceful stop.
const shutdownTimeout = 10 * time.Second

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()
	log, err := zap.NewProduction()
	if err != nil {
		fmt.Fprintln(os.Stderr, "chainonly: logger:", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = run(ctx, *addr, log, os.Stdout)
	stop()
	if err != nil {
		log.Error("chainonly stopped", zap.Error(err))
	}
	_ = log.Sync() // stderr may not support fsync
	if err != nil {
		os.Exit(1)
	}
}

// run serves the chain on addr until ctx ends, then shuts down gracefully.
// access receives the combined access log.
func run(ctx context.Context, addr string, log *zap.Logger, access io.Writer) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", addr, err)
	}
	cfg := app.Config{AccessLogFormat: app.AccessLogCombined}
	srv := &http.Server{
		Handler:           handler(cfg, log, access),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       5 * time.Second,
		MaxHeaderBytes:    app.MaxHeaderBytes(cfg),
		ErrorLog:          zap.NewStdLog(log.Named("http")),
	}
	log.Info("listening", zap.Stringer("addr", ln.Addr()))
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// handler is hello behind the chain, with a combined access log to access.
func handler(cfg app.Config, log *zap.Logger, access io.Writer) http.Handler {
	enc := zapcore.NewConsoleEncoder(app.CombinedEncoderConfig())
	accessLog := zap.New(zapcore.NewCore(enc, zapcore.Lock(zapcore.AddSync(access)), zapcore.InfoLevel))
	return app.Chain(cfg, log, accessLog, http.HandlerFunc(hello))
}

// hello greets the client the chain worked out.
func hello(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/hello/" {
		app.Error(w, http.StatusNotFound, "Not found.")
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "Hello, %s! (request %s)\n", app.ClientIP(r.Context()), app.RequestID(r.Context()))
}
