package server

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"github.com/drover/drover/internal/sockets"
)

// adminSocketMode is the mode of a unix admin socket: the supervisor's
// user and group may scrape it.
const adminSocketMode = 0o660

// admin is the admin listener (--metrics-bind). The supervisor serves it
// itself, not the workers, so it answers while they are replaced: /metrics
// in Prometheus' text format, 404 for every other path.
type admin struct {
	srv  *http.Server
	done chan struct{}
}

// checkMetricsBind reports what makes addr unusable as --metrics-bind:
// a TCP or unix address in sockets.ParseBind's syntax, or "" for none.
func checkMetricsBind(addr string) error {
	if addr == "" {
		return nil
	}
	b, err := sockets.ParseBind(addr)
	if err != nil {
		return fmt.Errorf("metrics-bind: %w", err)
	}
	if b.Network != "tcp" && b.Network != "unix" {
		return fmt.Errorf("metrics-bind: %q: HOST:PORT or unix:PATH", addr)
	}
	return nil
}

// startAdmin binds addr (--metrics-bind) and serves the supervisor's
// metrics on it until close.
func (s *Supervisor) startAdmin(addr string) (*admin, error) {
	return startAdmin(addr, s.metrics.reg, s.log)
}

// startAdmin binds addr and serves reg on it until close.
func startAdmin(addr string, reg *prometheus.Registry, log *zap.Logger) (*admin, error) {
	if err := checkMetricsBind(addr); err != nil {
		return nil, err
	}
	b, _ := sockets.ParseBind(addr)
	ln, err := sockets.Listen(b, sockets.Options{Unix: &sockets.Perm{Mode: adminSocketMode, Owner: sockets.Owner{UID: -1, GID: -1}}})
	if err != nil {
		return nil, fmt.Errorf("metrics-bind: %w", err)
	}
	log = log.Named("admin")
	a := &admin{
		srv: &http.Server{
			Handler:           adminHandler(reg, log),
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       10 * time.Second,
			WriteTimeout:      30 * time.Second,
			IdleTimeout:       time.Minute,
			ErrorLog:          zap.NewStdLog(log),
		},
		done: make(chan struct{}),
	}
	go func() {
		defer close(a.done)
		if err := a.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Error("admin listener stopped", zap.Error(err))
		}
	}()
	log.Info("serving metrics", zap.String("metrics_bind", b.String()), zap.String("address", ln.Addr().String()))
	return a, nil
}

// adminHandler answers the admin listener's requests: /metrics from reg,
// 404 for every other path. log, when not nil, gets the scrape errors.
func adminHandler(reg *prometheus.Registry, log *zap.Logger) http.Handler {
	if log == nil {
		log = zap.NewNop()
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: zap.NewStdLog(log)}))
	return mux
}

// close stops the listener and waits for its goroutine.
func (a *admin) close() {
	_ = a.srv.Close() // its only error is the listener's close
	<-a.done
}
