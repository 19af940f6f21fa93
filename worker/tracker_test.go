package worker

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestTrackerCountsAndReportsOldest(t *testing.T) {
	clock := time.Unix(1000, 0)
	tr := newTracker(2, func() time.Time { return clock })
	release := make(chan struct{})
	entered := make(chan struct{})
	h := tr.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
	}))
	go h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/first", nil))
	<-entered
	clock = clock.Add(3 * time.Second)
	go h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/second", nil))
	<-entered
	clock = clock.Add(time.Second)

	if n := tr.inFlight(); n != 2 {
		t.Errorf("inFlight() = %d, want 2", n)
	}
	oldest := tr.oldest(1)
	if len(oldest) != 1 || oldest[0].Path != "/first" || oldest[0].Age != 4*time.Second {
		t.Errorf("oldest(1) = %+v, want /first aged 4s", oldest)
	}
	close(release)
	select {
	case <-tr.retire:
	case <-time.After(2 * time.Second):
		t.Fatal("retire did not close after 2 of 2 requests")
	}
	if n := tr.served(); n != 2 {
		t.Errorf("served() = %d, want 2", n)
	}
}
