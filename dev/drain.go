package dev

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/drover/drover/internal/graceful"
)

// freshWait bounds how long a stop waits for accepted connections to send
// their first request; a client that connects and sends nothing is not
// waited for longer.
const freshWait = time.Second

// Serve serves srv on listeners until ctx ends, then stops without
// dropping a connection it accepted (package graceful): it stops
// accepting, lets the connections already accepted reach the handler (up
// to 1s), and shuts down, which waits for their answers (up to 3s, then
// closes what is left, saying so in log). Keep-alive connections are left
// to Shutdown. It returns nil after such a stop, or the first error
// serving. It sets srv's ConnState and ConnContext and wraps its Handler.
// A listener it was given is closed, but the socket lives on in any other
// process or descriptor holding it, with the connections in its backlog:
// the reload watcher swaps programs this way.
func Serve(ctx context.Context, srv *http.Server, listeners []net.Listener, log *zap.Logger) error {
	ls := make([]graceful.Listener, len(listeners))
	for i, l := range listeners {
		ls[i] = graceful.Listener{Listener: l}
	}
	gs, err := graceful.New(graceful.Config{
		Server:          srv,
		Listeners:       ls,
		AcceptedWait:    freshWait,
		ShutdownTimeout: stopTimeout,
	}, log)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	g, gctx := errgroup.WithContext(ctx)
	gs.Go(g)
	g.Go(func() error {
		<-gctx.Done()
		if err := gs.Drain(context.Background()); err != nil {
			log.Warn("stopped before every request was answered", zap.Error(err))
		}
		return nil
	})
	return g.Wait()
}
