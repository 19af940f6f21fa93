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

// heartbeat reports stats every interval until done closes, and Retiring
// once, when the first of the guards trips: the worker has served its
// share of requests (max-requests), its heartbeat's RSS is over MaxRSS
// (max-rss), or a request ran past RequestTimeout (request-timeout). Each
// recycles the worker the same way: the supervisor starts a replacement
// and drains this worker once it is ready.
func (w *Worker) heartbeat(done <-chan struct{}, stop chan<- stopKind) error {
	ticker := time.NewTicker(heartbeatInterval(w.opts.HeartbeatTimeout))
	defer ticker.Stop()
	maxRequests, timedOut := w.track.retire, w.timedOut
	retired := false
	retire := func(reason string, rss uint64) {
		retired, maxRequests, timedOut = true, nil, nil // report once
		n := w.track.served()
		w.log.Info("worker retiring; waiting for its replacement", zap.String("reason", reason),
			zap.Uint64("requests", n), zap.Uint64("rss", rss), zap.Uint64("max_rss", w.opts.MaxRSS))
		w.send(proto.Retiring{Reason: reason, Requests: n, RSS: rss}, stop)
	}
	for {
		select {
		case <-done:
			return nil
		case <-maxRequests:
			retire("max-requests", rss())
		case <-timedOut:
			retire("request-timeout", rss())
		case <-ticker.C:
			hb := w.stats()
			w.send(hb, stop)
			if overRSS(hb.RSS, w.opts.MaxRSS) && !retired {
				retire("max-rss", hb.RSS)
			}
		}
	}
}

// overRSS reports whether rss is over limit; a zero limit is none, and
// an unknown (zero) RSS is over nothing.
func overRSS(rss, limit uint64) bool { return limit > 0 && rss > limit }

func (w *Worker) stats() proto.Heartbeat {
	return proto.Heartbeat{
		Requests: w.track.served(),
		InFlight: w.track.inFlight(),
		RSS:      rss(),
		Oldest:   w.track.oldest(3),
		Metrics:  w.opts.Metrics.delta(),
	}
}

// lastReport sends one last heartbeat once the server has stopped, with
// what was counted since the previous one: without it, the requests
// served between the last tick and the end of the drain would be missing
// from the supervisor's totals. A failure is logged: the worker is
// exiting anyway.
func (w *Worker) lastReport() {
	if w.opts.Metrics == nil {
		return
	}
	if err := proto.Encode(w.opts.Channel, w.stats()); err != nil {
		w.log.Warn("last report to the supervisor", zap.Error(err))
	}
}

// send reports m; a write error means the supervisor is gone.
func (w *Worker) send(m proto.Message, stop chan<- stopKind) {
	if err := proto.Encode(w.opts.Channel, m); err != nil {
		w.log.Warn("supervisor unreachable; draining", zap.Error(err))
		requestStop(stop, stopGraceful)
	}
}
