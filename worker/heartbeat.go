package worker

import (
	"time"

	"go.uber.org/zap"

	"github.com/drover/drover/internal/proto"
)

// heartbeatInterval is how often a worker reports: often enough that the
// supervisor's liveness timeout sees several beats, at most once a second;
// once a second when the timeout is not set.
func heartbeatInterval(timeout time.Duration) time.Duration {
	if d := timeout / 4; d > 0 {
		return min(time.Second, d)
	}
	return time.Second
}

// heartbeat reports stats every interval, and Retiring once the worker has
// served its share of requests, until done closes.
func (w *Worker) heartbeat(done <-chan struct{}, stop chan<- stopKind) error {
	ticker := time.NewTicker(heartbeatInterval(w.opts.HeartbeatTimeout))
	defer ticker.Stop()
	retire := w.track.retire
	for {
		select {
		case <-done:
			return nil
		case <-retire:
			retire = nil // report once
			n := w.track.served()
			w.log.Info("worker retiring: max-requests reached; waiting for its replacement", zap.Uint64("requests", n))
			w.send(proto.Retiring{Reason: "max-requests", Requests: n}, stop)
		case <-ticker.C:
			w.send(w.stats(), stop)
		}
	}
}

func (w *Worker) stats() proto.Heartbeat {
	return proto.Heartbeat{
		Requests: w.track.served(),
		InFlight: w.track.inFlight(),
		RSS:      rss(),
		Oldest:   w.track.oldest(3),
	}
}

// send reports m; a write error means the supervisor is gone.
func (w *Worker) send(m proto.Message, stop chan<- stopKind) {
	if err := proto.Encode(w.opts.Channel, m); err != nil {
		w.log.Warn("supervisor unreachable; draining", zap.Error(err))
		requestStop(stop, stopGraceful)
	}
}
