package worker

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/drover/drover/internal/proto"
)

func TestOverRSS(t *testing.T) {
	tests := []struct {
		name             string
		giveRSS, giveMax uint64
		want             bool
	}{
		{name: "no limit", giveRSS: 1 << 40, giveMax: 0, want: false},
		{name: "under", giveRSS: 100 << 20, giveMax: 512 << 20, want: false},
		{name: "at the limit", giveRSS: 512 << 20, giveMax: 512 << 20, want: false},
		{name: "over", giveRSS: 512<<20 + 1, giveMax: 512 << 20, want: true},
		{name: "RSS unknown", giveRSS: 0, giveMax: 512 << 20, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := overRSS(tt.giveRSS, tt.giveMax); got != tt.want {
				t.Errorf("overRSS(%d, %d) = %t, want %t", tt.giveRSS, tt.giveMax, got, tt.want)
			}
		})
	}
}

// A request past RequestTimeout is answered 504 and the worker reports
// Retiring for it, once, while it keeps serving.
func TestWorkerRetiresAfterRequestTimeout(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			<-r.Context().Done()
			return
		}
		hello(w, r)
	})
	sup, url, done := startWorker(t, func(o *Options) { o.RequestTimeout = 100 * time.Millisecond }, h)
	next(t, sup, proto.KindReady)
	for range 2 {
		resp, err := http.Get(url + "/slow")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusGatewayTimeout || string(body) != `{"detail":"Request timed out."}` {
			t.Errorf("GET /slow = %d %s, want the 504", resp.StatusCode, body)
		}
	}
	r := next(t, sup, proto.KindRetiring).(proto.Retiring)
	if r.Reason != "request-timeout" || r.RSS == 0 && rss() != 0 {
		t.Errorf("Retiring = %+v, want request-timeout with the RSS", r)
	}
	if resp, err := http.Get(url + "/"); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("retiring worker stopped serving: %v", err)
	} else {
		resp.Body.Close()
	}
	// One Retiring only: the next messages are heartbeats.
	for range 3 {
		if m := next(t, sup, proto.KindHeartbeat); m == nil {
			t.Fatal("no heartbeat")
		}
	}
	sup.Close()
	<-done
}

// Told the supervisor is stopping, the worker answers /healthz 503 and
// everything else as before, until it is told to drain.
func TestWorkerStoppingAnswersHealthz503(t *testing.T) {
	healthy := true
	sup, url, done := startWorker(t, func(o *Options) { o.Chain.Healthy = func() bool { return healthy } }, http.HandlerFunc(hello))
	next(t, sup, proto.KindReady)
	if got := status(t, url+"/healthz"); got != http.StatusOK {
		t.Errorf("/healthz before Stopping = %d, want 200", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	go func() { // the heartbeats the worker writes meanwhile
		for ctx.Err() == nil {
			_ = sup.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			_, _ = proto.Decode(sup)
		}
	}()
	if err := proto.Encode(sup, proto.Stopping{Delay: time.Second}); err != nil {
		t.Fatal(err)
	}
	for status(t, url+"/healthz") != http.StatusServiceUnavailable {
		if ctx.Err() != nil {
			t.Fatal("/healthz still 200 after Stopping")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := status(t, url+"/"); got != http.StatusOK {
		t.Errorf("GET / while stopping = %d, want 200", got)
	}
	cancel()
	sup.Close()
	<-done
}

func status(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
