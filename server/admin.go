package server

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"github.com/drover/drover/internal/control"
	"github.com/drover/drover/internal/sockets"
)

// adminSocketMode is the mode of a unix admin socket: the supervisor's
// user and group may scrape it.
const adminSocketMode = 0o660

// admin is the admin listener (--metrics-bind). The supervisor serves it
// itself, not the workers, so it answers while they are replaced:
// /metrics in Prometheus' text format, the status page at / (statuspage.go),
// 404 for every other path.
type admin struct {
	srv  *http.Server
	done chan struct{}
	// quit, closed by close, ends the status requests waiting on the
	// loop, which no longer answers once Run is returning.
	quit chan struct{}
}

// adminStatus bounds how long /status.json waits for the loop's status:
// the page asks again a second later.
const adminStatus = 2 * time.Second

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
// metrics and status page on it until close. The page's status comes from
// the loop, asked as the control socket asks it, never from the
// supervisor's fields on the listener's goroutines.
func (s *Supervisor) startAdmin(addr string) (*admin, error) {
	quit := make(chan struct{})
	status := func() (*control.Status, error) {
		r := controlRequest{req: control.Request{V: control.Version, Cmd: control.CmdStatus}, quiet: true}
		resp := askLoop(s.controls, quit, r, adminStatus)
		if err := resp.Err(); err != nil {
			return nil, fmt.Errorf("status: %w", err)
		}
		return resp.Status, nil
	}
	return startAdmin(addr, adminHandler(s.metrics, status, s.log.Named("admin")), quit, s.log)
}

// startAdmin binds addr and serves h on it until close; close closes quit.
func startAdmin(addr string, h http.Handler, quit chan struct{}, log *zap.Logger) (*admin, error) {
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
			Handler:           h,
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       10 * time.Second,
			WriteTimeout:      30 * time.Second,
			IdleTimeout:       time.Minute,
			ErrorLog:          zap.NewStdLog(log),
		},
		done: make(chan struct{}),
		quit: quit,
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

// adminHandler answers the admin listener's requests: /metrics from m's
// registry, the status page (statusPageRoutes) with status for the
// supervisor's state, 404 for every other path. log, when not nil, gets
// the scrape errors.
func adminHandler(m *supervisorMetrics, status func() (*control.Status, error), log *zap.Logger) http.Handler {
	if log == nil {
		log = zap.NewNop()
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorLog: zap.NewStdLog(log)}))
	statusPageRoutes(mux, m, status, log)
	return nosniff(mux)
}

// nosniff tells browsers to take every answer as the type it says it is.
func nosniff(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}

// close stops the listener, ends the status requests waiting on the loop
// and waits for the listener's goroutine.
func (a *admin) close() {
	close(a.quit)
	_ = a.srv.Close() // its only error is the listener's close
	<-a.done
}
