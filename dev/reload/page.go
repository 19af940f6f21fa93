package reload

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/drover/drover/dev"
	"github.com/drover/drover/internal/sockets"
)

// pageServer answers on the watcher's sockets while no program runs (it
// exited, or could not start): every request gets the failure page. It
// serves duplicates of the sockets, so stopping it leaves the watcher's own
// descriptors, and the connections waiting in their backlogs, untouched;
// and it stops as the development server does (dev.Serve), answering every
// connection it accepted.
type pageServer struct {
	failure atomic.Pointer[dev.Failure]
	cancel  context.CancelFunc
	done    chan struct{}
}

// servePage starts answering with f on every socket.
func servePage(socks []*sockets.Held, f dev.Failure, log *zap.Logger) (*pageServer, error) {
	var listeners []net.Listener
	for _, s := range socks {
		l, err := net.FileListener(s.File) // a new descriptor, closed on stop
		if err != nil {
			for _, l := range listeners {
				l.Close()
			}
			return nil, fmt.Errorf("serve the failure page: %w", err)
		}
		listeners = append(listeners, l)
	}
	p := &pageServer{done: make(chan struct{})}
	p.failure.Store(&f)
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p.failure.Load().ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          zap.NewStdLog(log.Named("http")),
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	go func() {
		defer close(p.done)
		if err := dev.Serve(ctx, srv, listeners, log); err != nil {
			log.Error("serve the failure page", zap.Error(err))
		}
	}()
	return p, nil
}

// set replaces the page served.
func (p *pageServer) set(f dev.Failure) { p.failure.Store(&f) }

// stop stops accepting, lets the requests already accepted be answered and
// returns once the server has stopped.
func (p *pageServer) stop() {
	p.cancel()
	<-p.done
}
