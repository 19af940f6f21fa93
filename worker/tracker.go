package worker

import (
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/drover/drover/app"
	"github.com/drover/drover/internal/proto"
)

// tracker counts the requests that reach the application and remembers
// the ones in flight, so the heartbeat can report them and the supervisor
// can name them if this worker hangs.
type tracker struct {
	retireAt uint64
	// retire closes when the worker has served retireAt requests.
	retire   chan struct{}
	requests atomic.Uint64
	now      func() time.Time

	mu     sync.Mutex
	active map[*inflight]struct{}
	// free holds the entries of finished requests for the next ones, so
	// tracking a request allocates nothing. An entry is only read under
	// mu while it is in active (oldest copies it), so reusing one after
	// done has taken it out is safe.
	free sync.Pool // *inflight
}

type inflight struct {
	method, path, id string
	start            time.Time
}

func newTracker(retireAt uint64, now func() time.Time) *tracker {
	return &tracker{
		retireAt: retireAt,
		retire:   make(chan struct{}),
		now:      now,
		active:   make(map[*inflight]struct{}),
	}
}

func (t *tracker) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e, _ := t.free.Get().(*inflight)
		if e == nil {
			e = new(inflight)
		}
		*e = inflight{method: r.Method, path: r.URL.Path, id: app.RequestID(r.Context()), start: t.now()}
		t.mu.Lock()
		t.active[e] = struct{}{}
		t.mu.Unlock()
		defer t.done(e)
		next.ServeHTTP(w, r)
	})
}

func (t *tracker) done(e *inflight) {
	t.mu.Lock()
	delete(t.active, e)
	t.mu.Unlock()
	*e = inflight{} // the pool keeps no request's strings alive
	t.free.Put(e)
	if n := t.requests.Add(1); n == t.retireAt {
		close(t.retire)
	}
}

func (t *tracker) served() uint64 { return t.requests.Load() }

func (t *tracker) inFlight() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.active)
}

// oldest returns up to n of the longest-running requests, oldest first.
func (t *tracker) oldest(n int) []proto.Request {
	t.mu.Lock()
	// Copies, taken under mu: an entry is reused once its request is done.
	all := make([]inflight, 0, len(t.active))
	for e := range t.active {
		all = append(all, *e)
	}
	t.mu.Unlock()
	sort.Slice(all, func(i, j int) bool { return all[i].start.Before(all[j].start) })
	now := t.now()
	out := make([]proto.Request, 0, min(n, len(all)))
	for _, e := range all[:min(n, len(all))] {
		out = append(out, proto.Request{Method: e.method, Path: e.path, RequestID: e.id, Age: now.Sub(e.start)})
	}
	return out
}
