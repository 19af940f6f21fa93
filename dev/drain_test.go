package dev

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
)

// dupListener returns a second listener on l's socket, as a process that
// inherited it has: closing it leaves l's socket and backlog alone.
func dupListener(t *testing.T, l net.Listener) net.Listener {
	t.Helper()
	f, err := l.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dl, err := net.FileListener(f)
	if err != nil {
		t.Fatal(err)
	}
	return dl
}

// TestStopAnswersEveryAcceptedConnection is a swap as drover dev --reload
// does it: the server stops while clients keep connecting, and the next
// server takes the socket over. Every request must be answered by one of
// them: net/http's Shutdown alone closes, unanswered, a connection whose
// request it reads after shutdown began.
func TestStopAnswersEveryAcceptedConnection(t *testing.T) {
	sock, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sock.Close()
	url := "http://" + sock.Addr().String() + "/"
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })

	stop := make(chan struct{})
	var mu sync.Mutex
	var answered int
	var failures []string
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := c.Get(url)
				if err == nil {
					_, err = io.ReadAll(resp.Body)
					resp.Body.Close()
				}
				mu.Lock()
				if err != nil {
					failures = append(failures, err.Error())
				} else {
					answered++
				}
				mu.Unlock()
			}
		}()
	}
	for i := range 30 {
		srv, err := New(Options{Handler: h, Listeners: []net.Listener{dupListener(t, sock)}}, zap.NewNop())
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- srv.Run(ctx) }()
		time.Sleep(time.Duration(5+i%7) * time.Millisecond) // serve a little, a varying while
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run = %v", err)
		}
	}
	// The last one serves what is left, and the clients stop.
	last := &http.Server{Handler: h}
	go last.Serve(dupListener(t, sock))
	close(stop)
	wg.Wait()
	last.Close()
	if len(failures) > 0 {
		t.Errorf("%d of %d requests failed across 30 stops; first: %s", len(failures), len(failures)+answered, failures[0])
	}
}
