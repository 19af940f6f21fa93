package worker

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/drover/drover/app"
	"github.com/drover/drover/internal/proto"
	"github.com/drover/drover/internal/sockets"
)

// defaultOptions are the options the default settings make (as cli maps
// them), with the heartbeat every 100ms and a drain of at most 5s.
func defaultOptions() Options {
	return Options{
		Chain: app.Config{
			ForwardedAllowIPs: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")},
			WorkerPID:         os.Getpid(),
		},
		Timeouts:         Timeouts{ReadHeader: 10 * time.Second, Read: 60 * time.Second, Idle: 5 * time.Second},
		HeartbeatTimeout: 400 * time.Millisecond, // heartbeat every 100ms
		GracefulTimeout:  5 * time.Second,
	}
}

// startWorker runs a worker in-process on a loopback listener, with the
// test holding the supervisor's end of the channel.
func startWorker(t *testing.T, mutate func(*Options), h http.Handler) (sup net.Conn, url string, done <-chan error) {
	t.Helper()
	opts := defaultOptions()
	if mutate != nil {
		mutate(&opts)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sup, theirs := net.Pipe()
	opts.Slot, opts.Generation, opts.Channel, opts.Listeners, opts.Handler = 1, 1, theirs, []net.Listener{ln}, h
	w, err := New(opts, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- w.Run(context.Background()) }()
	return sup, "http://" + ln.Addr().String(), errc
}

// next reads messages until one of kind k arrives.
func next(t *testing.T, c net.Conn, k proto.Kind) proto.Message {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		m, err := proto.Decode(c)
		if err != nil {
			t.Fatalf("waiting for message kind %d: %v", k, err)
		}
		if m.Kind() == k {
			return m
		}
	}
}

func hello(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") }

func TestWorkerReportsReadyAndHeartbeats(t *testing.T) {
	sup, url, done := startWorker(t, nil, http.HandlerFunc(hello))
	next(t, sup, proto.KindReady)
	resp, err := http.Get(url + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	hb := next(t, sup, proto.KindHeartbeat).(proto.Heartbeat)
	for hb.Requests < 1 {
		hb = next(t, sup, proto.KindHeartbeat).(proto.Heartbeat)
	}
	if hb.RSS == 0 {
		t.Errorf("heartbeat RSS = 0, want the worker's resident size")
	}
	sup.Close() // the supervisor is gone: the worker drains and returns
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run after supervisor EOF = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("worker kept running after its supervisor's channel closed")
	}
}

func TestWorkerDrainFinishesRequestInFlight(t *testing.T) {
	started := make(chan struct{})
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		time.Sleep(300 * time.Millisecond)
		io.WriteString(w, "done")
	})
	sup, url, done := startWorker(t, nil, slow)
	next(t, sup, proto.KindReady)
	got := make(chan string, 1)
	go func() {
		resp, err := http.Get(url + "/")
		if err != nil {
			got <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got <- string(b)
	}()
	<-started
	sup.Close()
	if body := <-got; body != "done" {
		t.Errorf("request in flight during drain got %q, want done", body)
	}
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
}

func TestWorkerRetiresAfterMaxRequests(t *testing.T) {
	sup, url, done := startWorker(t, func(o *Options) { o.MaxRequests = 3 }, http.HandlerFunc(hello))
	next(t, sup, proto.KindReady)
	for range 3 {
		resp, err := http.Get(url + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	r := next(t, sup, proto.KindRetiring).(proto.Retiring)
	if r.Reason != "max-requests" || r.Requests < 3 {
		t.Errorf("Retiring = %+v, want max-requests after 3", r)
	}
	// Retiring is a request, not a stop: it keeps serving.
	resp, err := http.Get(url + "/")
	if err != nil {
		t.Fatalf("retiring worker stopped serving: %v", err)
	}
	resp.Body.Close()
	sup.Close()
	<-done
}

func TestNewRejectsIncompleteConfig(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	h := http.HandlerFunc(hello)
	tests := []struct {
		name    string
		give    Options
		wantErr string
	}{
		{name: "no channel", give: Options{Listeners: []net.Listener{ln}, Handler: h}, wantErr: "no channel"},
		{name: "no listeners", give: Options{Channel: a, Handler: h}, wantErr: "no listeners"},
		{name: "no handler", give: Options{Channel: a, Listeners: []net.Listener{ln}}, wantErr: "no handler"},
		{name: "two sources of certificates", give: Options{Channel: a, Listeners: []net.Listener{ln}, Handler: h, Certificate: &tls.Certificate{}, AutoTLS: &AutoTLS{Domains: []string{"a.example"}}},
			wantErr: "both a certificate and AutoTLS"},
		{name: "AutoTLS without domains", give: Options{Channel: a, Listeners: []net.Listener{ln}, Handler: h, AutoTLS: &AutoTLS{}}, wantErr: "AutoTLS without domains"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.give, zaptest.NewLogger(t))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("New() = %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestHeartbeatInterval(t *testing.T) {
	tests := []struct {
		giveTimeout time.Duration
		want        time.Duration
	}{
		{giveTimeout: 30 * time.Second, want: time.Second},
		{giveTimeout: 2 * time.Second, want: 500 * time.Millisecond},
		{giveTimeout: 400 * time.Millisecond, want: 100 * time.Millisecond},
		{giveTimeout: 0, want: time.Second},
	}
	for _, tt := range tests {
		if got := heartbeatInterval(tt.giveTimeout); got != tt.want {
			t.Errorf("heartbeatInterval(%s) = %s, want %s", tt.giveTimeout, got, tt.want)
		}
	}
}

func TestRetireAfter(t *testing.T) {
	if got := retireAfter(0, 0); got != 0 {
		t.Errorf("retireAfter(no max) = %d, want 0", got)
	}
	for range 100 {
		got := retireAfter(10, 5)
		if got < 10 || got > 15 {
			t.Fatalf("retireAfter(10, jitter 5) = %d, want 10..15", got)
		}
	}
}

// roled is a listener with a role, as sockets.Inherit returns them.
type roled struct {
	net.Listener
	role sockets.Role
}

func (l roled) Role() sockets.Role { return l.role }

func TestNewFindsTheRedirectSocketByRole(t *testing.T) {
	listen := func(role sockets.Role) net.Listener {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		return roled{Listener: ln, role: role}
	}
	redirect, app := listen(sockets.RoleRedirect), listen(sockets.RoleApp)
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	tests := []struct {
		name       string
		give       []net.Listener
		wantServed []net.Listener
		wantPlain  []net.Listener
	}{
		{name: "redirect first", give: []net.Listener{redirect, app}, wantServed: []net.Listener{app}, wantPlain: []net.Listener{redirect}},
		{name: "redirect last", give: []net.Listener{app, redirect}, wantServed: []net.Listener{app}, wantPlain: []net.Listener{redirect}},
		{name: "no redirect", give: []net.Listener{app}, wantServed: []net.Listener{app}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := defaultOptions()
			opts.Channel, opts.Listeners, opts.Handler = a, tt.give, http.HandlerFunc(hello)
			w, err := New(opts, zaptest.NewLogger(t))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(w.served, tt.wantServed) || !reflect.DeepEqual(w.plain, tt.wantPlain) {
				t.Errorf("New(%s) served %v, plain %v; want %v, %v", tt.name, w.served, w.plain, tt.wantServed, tt.wantPlain)
			}
		})
	}
	opts := defaultOptions()
	opts.Channel, opts.Listeners, opts.Handler = a, []net.Listener{redirect}, http.HandlerFunc(hello)
	if _, err := New(opts, zaptest.NewLogger(t)); err == nil {
		t.Error("New with only a redirect socket succeeded")
	}
}
