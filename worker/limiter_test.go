package worker

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestLimiterBoundsConcurrentRequests(t *testing.T) {
	var now, peak atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := now.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		now.Add(-1)
	})
	wrapped := newLimiter(2).wrap(h)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wrapped.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
		}()
	}
	wg.Wait()
	if p := peak.Load(); p != 2 {
		t.Errorf("peak concurrency = %d, want 2", p)
	}
}

func TestUnboundedLimiterIsTransparent(t *testing.T) {
	h := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	l := newLimiter(0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if l.gate(ln) != ln {
		t.Error("unbounded gate wrapped the listener")
	}
	if got := l.wrap(h); got == nil {
		t.Error("wrap returned nil")
	}
}

func TestGatedListenerCloseUnblocksAccept(t *testing.T) {
	l := newLimiter(1)
	if err := l.sem.Acquire(t.Context(), 1); err != nil { // the worker is busy
		t.Fatal(err)
	}
	defer l.sem.Release(1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := l.gate(ln)
	errc := make(chan error, 1)
	go func() {
		_, err := g.Accept()
		errc <- err
	}()
	select {
	case err := <-errc:
		t.Fatalf("Accept returned %v while the worker was at its bound", err)
	case <-time.After(50 * time.Millisecond):
	}
	g.Close()
	select {
	case err := <-errc:
		if err == nil {
			t.Error("Accept after Close = nil error")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Close did not unblock a waiting Accept")
	}
}
