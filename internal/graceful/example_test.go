package graceful_test

import (
	"context"
	"net"
	"net/http"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/drover/drover/internal/graceful"
)

// Serve until ctx ends, then drain for up to 30 seconds.
func Example() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return
	}
	s, err := graceful.New(graceful.Config{
		Server:        &http.Server{Handler: http.NotFoundHandler()},
		Listeners:     []graceful.Listener{{Listener: ln}},
		KeepAliveSafe: true,
	}, zap.NewNop())
	if err != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	g, gctx := errgroup.WithContext(ctx)
	s.Go(g)
	g.Go(func() error {
		<-gctx.Done()
		dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return s.Drain(dctx)
	})
	cancel() // a signal, in a real process
	_ = g.Wait()
	// Output:
}
