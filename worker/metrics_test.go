package worker

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/drover/drover/internal/proto"
)

// TestWorkerReportsEveryRequestAfterDrain serves requests and makes the
// worker drain before its first heartbeat tick: the deltas it sent, the
// last one after the drain included, count every request exactly once.
func TestWorkerReportsEveryRequestAfterDrain(t *testing.T) {
	const requests = 25
	supConn, theirs := socketPair(t)
	sup := supConn.(*net.UnixConn) // half-closed below: EOF, and still read
	defer sup.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	opts := defaultOptions()
	opts.HeartbeatTimeout = 0 // a heartbeat a second: none before the drain
	opts.Metrics = NewMetrics()
	opts.Slot, opts.Generation, opts.Channel, opts.Listeners = 1, 1, theirs, []net.Listener{ln}
	opts.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, "hello")
	})
	w, err := New(opts, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- w.Run(context.Background()) }()
	next(t, sup, proto.KindReady)

	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	url := "http://" + ln.Addr().String()
	for i := range requests {
		path := "/"
		if i%5 == 0 {
			path = "/missing"
		}
		resp, err := client.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if err := sup.CloseWrite(); err != nil { // EOF: the worker drains
		t.Fatal(err)
	}
	byCode := map[int]uint64{}
	var bytes uint64
	_ = sup.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		m, err := proto.Decode(sup)
		if err != nil {
			break // EOF once the worker closed its end
		}
		hb, ok := m.(proto.Heartbeat)
		if !ok || hb.Metrics == nil {
			continue
		}
		for _, rc := range hb.Metrics.Requests {
			if rc.Class != "app" {
				t.Errorf("a request of class %q, want app", rc.Class)
			}
			byCode[rc.Code] += rc.N
		}
		bytes += hb.Metrics.ResponseBytes
	}
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
	if byCode[200] != 20 || byCode[404] != 5 || len(byCode) != 2 {
		t.Errorf("reported requests by code %v, want 20 200s and 5 404s", byCode)
	}
	if want := uint64(20*len("hello") + 5*len("404 page not found\n")); bytes != want {
		t.Errorf("reported %d response bytes, want %d", bytes, want)
	}
}
