package worker

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
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

// source is a request body that yields its data, then err (io.EOF when
// nil), and counts what it yielded.
type source struct {
	data   string
	err    error
	read   int
	closed bool
}

func (s *source) Read(p []byte) (int, error) {
	if s.read == len(s.data) {
		if s.err != nil {
			return 0, s.err
		}
		return 0, io.EOF
	}
	n := copy(p, s.data[s.read:])
	s.read += n
	return n, nil
}

func (s *source) Close() error { s.closed = true; return nil }

func TestLimiterBuffersBodies(t *testing.T) {
	errReset := errors.New("connection reset")
	tests := []struct {
		name         string
		giveBody     string
		giveLength   int64 // Content-Length; -1 for chunked
		giveLimit    int64 // the chain's MaxBytesReader limit; 0 for none
		giveErr      error // what the connection returns after the body
		giveBudget   int64
		giveChunk    int64
		wantBuffered int    // body bytes read before the handler ran
		wantRead     string // what the handler reads
		wantErr      string // the error the handler's reading ends with
	}{
		{name: "Content-Length", giveBody: "hello", giveLength: 5, giveBudget: 64, giveChunk: 4, wantBuffered: 5, wantRead: "hello", wantErr: "EOF"},
		{name: "chunked", giveBody: "hello, world", giveLength: -1, giveBudget: 64, giveChunk: 4, wantBuffered: 12, wantRead: "hello, world", wantErr: "EOF"},
		{name: "chunked over the limit", giveBody: "hello, world", giveLength: -1, giveLimit: 5, giveBudget: 64, giveChunk: 4, wantBuffered: 6, wantRead: "hello", wantErr: "http: request body too large"},
		{name: "connection fails", giveBody: "hel", giveLength: 5, giveErr: errReset, giveBudget: 64, giveChunk: 4, wantBuffered: 3, wantRead: "hel", wantErr: "connection reset"},
		{name: "over the budget: the rest is read by the handler", giveBody: "hello, world", giveLength: -1, giveBudget: 8, giveChunk: 4, wantBuffered: 8, wantRead: "hello, world", wantErr: "EOF"},
		{name: "Content-Length over the budget", giveBody: "hello, world", giveLength: 12, giveBudget: 8, giveChunk: 4, wantBuffered: 8, wantRead: "hello, world", wantErr: "EOF"},
		{name: "budget below a chunk", giveBody: "hello", giveLength: -1, giveBudget: 2, giveChunk: 4, wantBuffered: 0, wantRead: "hello", wantErr: "EOF"},
		{name: "empty chunked body", giveBody: "", giveLength: -1, giveBudget: 64, giveChunk: 4, wantBuffered: 0, wantRead: "", wantErr: "EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLimiter(1)
			l.buffer = newBodyBuffer(tt.giveBudget, tt.giveChunk)
			src := &source{data: tt.giveBody, err: tt.giveErr}
			var body io.ReadCloser = src
			rec := httptest.NewRecorder()
			if tt.giveLimit > 0 {
				body = http.MaxBytesReader(rec, src, tt.giveLimit)
			}
			r := httptest.NewRequest("POST", "/", nil)
			r.Body, r.ContentLength = body, tt.giveLength

			var gotBuffered int
			var gotRead []byte
			var gotErr error
			l.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				gotBuffered = src.read
				buf := make([]byte, 3)
				for {
					n, err := r.Body.Read(buf)
					gotRead = append(gotRead, buf[:n]...)
					if err != nil {
						gotErr = err
						break
					}
				}
				r.Body.Close()
			})).ServeHTTP(rec, r)

			if gotBuffered != tt.wantBuffered {
				t.Errorf("%d body bytes read before the handler ran, want %d", gotBuffered, tt.wantBuffered)
			}
			if string(gotRead) != tt.wantRead || gotErr == nil || gotErr.Error() != tt.wantErr {
				t.Errorf("handler read %q, then %v; want %q, then %s", gotRead, gotErr, tt.wantRead, tt.wantErr)
			}
			if !src.closed {
				t.Errorf("handler's Close did not close the request's body")
			}
			if r.Body != body {
				t.Errorf("the caller's request had its Body replaced")
			}
			if !l.buffer.budget.TryAcquire(tt.giveBudget) {
				t.Errorf("budget not all returned after the request")
			}
		})
	}
}

// TestSlowUploadDoesNotHoldTheSlot: while one request's body trickles in,
// a request without one is answered by a worker bounded to one at a time.
func TestSlowUploadDoesNotHoldTheSlot(t *testing.T) {
	l := newLimiter(1)
	var gotBody string
	h := l.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		gotBody = string(b)
	}))
	pr, pw := io.Pipe()
	upload := httptest.NewRequest("POST", "/upload", nil)
	upload.Body, upload.ContentLength = pr, 5
	uploaded := make(chan struct{})
	go func() {
		defer close(uploaded)
		h.ServeHTTP(httptest.NewRecorder(), upload)
	}()
	if _, err := pw.Write([]byte("he")); err != nil {
		t.Fatal(err)
	}

	answered := make(chan struct{})
	go func() {
		defer close(answered)
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	}()
	select {
	case <-answered:
	case <-time.After(2 * time.Second):
		t.Fatal("a request without a body waited behind a slow upload")
	}

	if _, err := pw.Write([]byte("llo")); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	<-uploaded
	if gotBody != "hello" {
		t.Errorf("upload's handler read %q, want %q", gotBody, "hello")
	}
}

// FuzzBodyBuffer: whatever the body, its declared length, the budget and
// the chunk size, the handler reads exactly what it would have read from
// the connection, and the budget is all returned.
func FuzzBodyBuffer(f *testing.F) {
	f.Add([]byte("hello, world"), int16(12), uint16(64), uint8(4))
	f.Add([]byte("hello"), int16(-1), uint16(2), uint8(4))
	f.Add([]byte(""), int16(0), uint16(1), uint8(1))
	f.Add([]byte("short"), int16(9), uint16(100), uint8(3))
	f.Fuzz(func(t *testing.T, body []byte, length int16, budget uint16, chunk uint8) {
		if budget == 0 || chunk == 0 {
			return
		}
		b := newBodyBuffer(int64(budget), int64(chunk))
		r := httptest.NewRequest("POST", "/", nil)
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		r.ContentLength = max(int64(length), -1)
		r2, release := b.read(r)
		got, err := io.ReadAll(r2.Body)
		release()
		if err != nil || string(got) != string(body) {
			t.Fatalf("handler read %q, %v; want %q", got, err, body)
		}
		if !b.budget.TryAcquire(int64(budget)) {
			t.Fatalf("budget not all returned")
		}
	})
}
