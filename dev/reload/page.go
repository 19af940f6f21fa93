package reload

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/drover/drover/dev"
)

// pageServer answers on the watcher's sockets while no program runs (it
// exited, or could not start): every request gets the failure page. It
// serves duplicates of the sockets, so stopping it leaves the watcher's own
// descriptors, and the connections waiting in their backlogs, untouched.
type pageServer struct {
	failure atomic.Pointer[dev.Failure]
	srv     *http.Server
	wg      sync.WaitGroup
}

// servePage starts answering with f on every socket.
func servePage(socks []socket, f dev.Failure, log *zap.Logger) (*pageServer, error) {
	p := &pageServer{}
	p.failure.Store(&f)
	p.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p.failure.Load().ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          zap.NewStdLog(log.Named("http")),
	}
	var listeners []net.Listener
	for _, s := range socks {
		l, err := net.FileListener(s.file) // a new descriptor, closed by Shutdown
		if err != nil {
			for _, l := range listeners {
				l.Close()
			}
			return nil, fmt.Errorf("serve the failure page: %w", err)
		}
		listeners = append(listeners, l)
	}
	for _, l := range listeners {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			if err := p.srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
				log.Error("serve the failure page", zap.Stringer("address", l.Addr()), zap.Error(err))
			}
		}()
	}
	return p, nil
}

// set replaces the page served.
func (p *pageServer) set(f dev.Failure) { p.failure.Store(&f) }

// stop stops accepting, lets the requests in progress finish and returns
// once every serving goroutine has ended.
func (p *pageServer) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := p.srv.Shutdown(ctx); err != nil {
		_ = p.srv.Close()
	}
	p.wg.Wait()
}
