package graceful

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"go.uber.org/zap/zaptest"
	"golang.org/x/sync/errgroup"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

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

func ok(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }

// TestDrainAnswersEveryAcceptedConnection drains server after server on
// one socket while clients keep connecting, the next server taking over:
// every request must be answered by one of them, in both keep-alive
// modes, with and without keep-alive clients.
func TestDrainAnswersEveryAcceptedConnection(t *testing.T) {
	tests := []struct {
		name            string
		keepAliveSafe   bool
		clientKeepAlive bool
		method          string
	}{
		{name: "dev, new connection per request", keepAliveSafe: false, method: "GET"},
		{name: "worker, new connection per request", keepAliveSafe: true, method: "GET"},
		{name: "worker, keep-alive clients", keepAliveSafe: true, clientKeepAlive: true, method: "GET"},
		// net/http's client retries neither a POST nor anything else on
		// a reused connection closed under it: every one must be answered.
		{name: "worker, keep-alive POST clients", keepAliveSafe: true, clientKeepAlive: true, method: "POST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sock, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer sock.Close()
			url := "http://" + sock.Addr().String() + "/"

			stop := make(chan struct{})
			var mu sync.Mutex
			var answered int
			var failures []string
			var wg sync.WaitGroup
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					tr := &http.Transport{DisableKeepAlives: !tt.clientKeepAlive}
					defer tr.CloseIdleConnections()
					c := &http.Client{Timeout: 10 * time.Second, Transport: tr}
					for {
						select {
						case <-stop:
							return
						default:
						}
						req, _ := http.NewRequest(tt.method, url, strings.NewReader("body"))
						if tt.method == "GET" {
							req.Body, req.ContentLength = nil, 0
						}
						resp, err := c.Do(req)
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
			for i := range 20 {
				srv := &http.Server{Handler: http.HandlerFunc(ok)}
				s, err := New(Config{
					Server: srv, Listeners: []Listener{{Listener: dupListener(t, sock)}},
					KeepAliveSafe: tt.keepAliveSafe, AcceptedWait: time.Second, ShutdownTimeout: 3 * time.Second,
				}, zaptest.NewLogger(t))
				if err != nil {
					t.Fatal(err)
				}
				var g errgroup.Group
				s.Go(&g)
				time.Sleep(time.Duration(5+i%7) * time.Millisecond) // serve a little, a varying while
				if err := s.Drain(context.Background()); err != nil {
					t.Fatalf("Drain = %v", err)
				}
				if err := g.Wait(); err != nil {
					t.Fatalf("serve = %v", err)
				}
			}
			last := &http.Server{Handler: http.HandlerFunc(ok)}
			go last.Serve(dupListener(t, sock))
			close(stop)
			wg.Wait()
			last.Close()
			if len(failures) > 0 {
				t.Errorf("%d of %d requests failed across 20 drains; first: %s", len(failures), len(failures)+answered, failures[0])
			}
		})
	}
}

func TestDrainFinishesRequestInFlightOrCutsItShort(t *testing.T) {
	tests := []struct {
		name     string
		giveWait time.Duration // the drain's deadline
		wantBody string
		wantErr  error
	}{
		{name: "finished", giveWait: 5 * time.Second, wantBody: "done"},
		{name: "cut short", giveWait: 50 * time.Millisecond, wantErr: ErrCutShort},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			started, release := make(chan struct{}), make(chan struct{})
			srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				close(started)
				select {
				case <-time.After(300 * time.Millisecond):
				case <-release:
				}
				io.WriteString(w, "done")
			})}
			defer close(release)
			s, err := New(Config{Server: srv, Listeners: []Listener{{Listener: ln}}, KeepAliveSafe: true}, zaptest.NewLogger(t))
			if err != nil {
				t.Fatal(err)
			}
			var g errgroup.Group
			s.Go(&g)
			got := make(chan string, 1)
			go func() {
				resp, err := http.Get("http://" + ln.Addr().String() + "/")
				if err != nil {
					got <- ""
					return
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				got <- string(b)
			}()
			<-started
			ctx, cancel := context.WithTimeout(context.Background(), tt.giveWait)
			defer cancel()
			if err := s.Drain(ctx); !errors.Is(err, tt.wantErr) {
				t.Errorf("Drain = %v, want %v", err, tt.wantErr)
			}
			if body := <-got; body != tt.wantBody {
				t.Errorf("request in flight during drain got %q, want %q", body, tt.wantBody)
			}
			if err := g.Wait(); err != nil {
				t.Errorf("serve = %v", err)
			}
		})
	}
}

func TestServeErrorIsReported(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close() // closed by someone else: not a stop
	s, err := New(Config{Server: &http.Server{Handler: http.HandlerFunc(ok)}, Listeners: []Listener{{Listener: ln}}}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	var g errgroup.Group
	s.Go(&g)
	if err := g.Wait(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("serve on a listener closed by another = %v, want net.ErrClosed", err)
	}
}

func TestNewRejectsIncompleteConfig(t *testing.T) {
	tests := []struct {
		name string
		give Config
	}{
		{name: "no server", give: Config{Listeners: []Listener{{}}}},
		{name: "no listeners", give: Config{Server: &http.Server{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.give, zaptest.NewLogger(t)); err == nil {
				t.Errorf("New(%s) = nil error", tt.name)
			}
		})
	}
}
