package e2e

import (
	"context"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"
)

// The adaptive worker count on the real binary (issue 15): sync workers,
// which run one request each, under requests that keep every one of them
// busy; the count rises to --workers-max, then falls back to
// --workers-min once the load stops. With min = max it never changes.

// busyLoad keeps n clients requesting a slow page until ctx ends; it
// returns a wait for them.
func busyLoad(ctx context.Context, t *testing.T, url string, n int) func() {
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 10 * time.Second}
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/sleep?d=200ms", nil)
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						t.Errorf("load request: %v", err)
					}
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	return wg.Wait
}

// waitDesired polls drover status until the supervisor keeps want
// workers, all of them ready.
func (s *ctlServer) waitDesired(t *testing.T, want int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st := s.status(t)
		if st.Desired == want && st.Ready == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s the supervisor keeps %d workers (%d ready), want %d", timeout, st.Desired, st.Ready, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestAdaptiveWorkerCountRisesAndFalls(t *testing.T) {
	s := serveCtl(t, 1, "", nil, "--worker-class", "sync", "--workers-min", "1", "--workers-max", "3", "--workers-idle", "2s")
	from := s.mark()
	ctx, stopLoad := context.WithCancel(context.Background())
	wait := busyLoad(ctx, t, s.url, 6)
	s.waitDesired(t, 3, 30*time.Second)
	s.waitLog(time.Second, from, 2, msgIs("workers busy; adding one"))
	stopLoad()
	wait()
	from = s.mark()
	s.waitDesired(t, 1, 30*time.Second)
	s.waitLog(time.Second, from, 2, msgIs("workers quiet; removing one"))
	s.waitWorkers(1, 30*time.Second)
}

func TestAdaptiveWorkerCountOffWhenMinIsMax(t *testing.T) {
	s := serveCtl(t, 2, "", nil, "--worker-class", "sync", "--workers-min", "2", "--workers-max", "2", "--workers-idle", "1s")
	ctx, stopLoad := context.WithCancel(context.Background())
	wait := busyLoad(ctx, t, s.url, 6)
	// Longer than the 3 s an adaptive count waits before it adds one.
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(500 * time.Millisecond) {
		if st := s.status(t); st.Desired != 2 {
			t.Fatalf("under load the supervisor keeps %d workers, want 2", st.Desired)
		}
	}
	stopLoad()
	wait()
	time.Sleep(1500 * time.Millisecond) // past --workers-idle: nothing to remove either
	if st := s.status(t); st.Desired != 2 || len(s.workerPIDs()) != 2 {
		t.Fatalf("after the load the supervisor keeps %d workers (%d processes), want 2", st.Desired, len(s.workerPIDs()))
	}
	for _, l := range s.logsFrom(0) {
		if m := l.msg(); m == "workers busy; adding one" || m == "workers quiet; removing one" {
			t.Errorf("with min = max the count changed: %s", l.text)
		}
	}
}
