package dev

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
	"go.uber.org/zap/zaptest"

	"github.com/drover/drover/internal/config"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// syncBuffer is a bytes.Buffer safe to read while the server writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestDevHandlesOneRequestAtATime(t *testing.T) {
	urlRE := regexp.MustCompile(`http://127\.0\.0\.1:\d+/`)
	var now, peak atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := now.Add(1)
		if n > peak.Load() {
			peak.Store(n)
		}
		time.Sleep(50 * time.Millisecond)
		now.Add(-1)
	})
	cfg := config.Default()
	cfg.Server.Bind = []string{"127.0.0.1:0"}
	banner := &syncBuffer{}
	srv, err := New(Options{Bind: cfg.Server.Bind, Chain: cfg.Chain(), Handler: h, Banner: banner}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()

	deadline := time.Now().Add(5 * time.Second)
	for urlRE.FindString(banner.String()) == "" && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	url := urlRE.FindString(banner.String())
	if url == "" {
		t.Fatalf("no URL in the banner: %q", banner.String())
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Transport: &http.Transport{}}
			defer c.CloseIdleConnections()
			resp, err := c.Get(url)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
		}()
	}
	wg.Wait()
	if p := peak.Load(); p != 1 {
		t.Errorf("dev server handled %d requests at once, want 1", p)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
}

func TestListenRejectsFDBinds(t *testing.T) {
	if _, err := listen([]string{"fd://3"}); err == nil {
		t.Error("listen(fd://3) succeeded; dev binds its own sockets")
	}
}
