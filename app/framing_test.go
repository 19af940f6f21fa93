package app

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
)

func TestFraming(t *testing.T) {
	tests := []struct {
		name      string
		giveRaw   string
		wantClose bool
	}{
		{name: "HTTP/1.1 GET", giveRaw: "GET / HTTP/1.1\r\nHost: x\r\n\r\n", wantClose: false},
		{name: "HTTP/1.1 Content-Length", giveRaw: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nb", wantClose: false},
		{name: "HTTP/1.1 chunked", giveRaw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", wantClose: true},
		{name: "HTTP/1.1 Content-Length and chunked", giveRaw: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", wantClose: true},
		{name: "HTTP/1.1 CHUNKED", giveRaw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: CHUNKED\r\n\r\n0\r\n\r\n", wantClose: true},
		{name: "HTTP/1.0 keep-alive GET", giveRaw: "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", wantClose: true},
		{name: "HTTP/1.0 keep-alive Transfer-Encoding", giveRaw: "POST / HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n", wantClose: true},
		{name: "HTTP/1.0 keep-alive Content-Length", giveRaw: "POST / HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nb", wantClose: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(tt.giveRaw)))
			if err != nil {
				t.Fatalf("ReadRequest(%q): %v", tt.giveRaw, err)
			}
			r.RemoteAddr = "192.0.2.1:1234"
			rec := serve(Chain(Config{}, zap.NewNop(), nil, Routes()), r)
			if got := rec.Header().Get("Connection") == "close"; got != tt.wantClose {
				t.Errorf("Connection: close on the response to %q = %v, want %v", tt.giveRaw, got, tt.wantClose)
			}
		})
	}
}

// TestFramingOverTheWire sends each request with net/http's own parser in
// front of the chain, followed on the same connection by a request that
// asks for the connection to be closed after it: a request the chain
// closes after gets one response, one it keeps alive two, and a hidden
// request in a body (request smuggling) is never served.
func TestFramingOverTheWire(t *testing.T) {
	var (
		mu     sync.Mutex
		served []string
	)
	srv := httptest.NewServer(Chain(Config{}, zap.NewNop(), nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		served = append(served, r.URL.Path)
		mu.Unlock()
		_, _ = io.WriteString(w, "ok")
	})))
	defer srv.Close()

	const next = "GET /next/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
	// smuggled is a chunked body that ends at once, followed by a hidden
	// request: a front framing by Content-Length sends it all as one body.
	const smuggled = "0\r\n\r\nGET /hidden/ HTTP/1.1\r\nHost: x\r\n\r\n"
	withCL := func(head string) string {
		return strings.Replace(head, "CL", strconv.Itoa(len(smuggled)), 1) + smuggled + next
	}
	tests := []struct {
		name       string
		giveRaw    string
		wantServed []string
	}{
		{name: "keep-alive GET", giveRaw: "GET /a/ HTTP/1.1\r\nHost: x\r\n\r\n" + next, wantServed: []string{"/a/", "/next/"}},
		{name: "Content-Length alone", giveRaw: "POST /a/ HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello" + next, wantServed: []string{"/a/", "/next/"}},
		{name: "chunked alone", giveRaw: "POST /a/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" + next, wantServed: []string{"/a/"}},
		{name: "Content-Length and chunked", giveRaw: withCL("POST /a/ HTTP/1.1\r\nHost: x\r\nContent-Length: CL\r\nTransfer-Encoding: chunked\r\n\r\n"), wantServed: []string{"/a/"}},
		{name: "CHUNKED", giveRaw: withCL("POST /a/ HTTP/1.1\r\nHost: x\r\nContent-Length: CL\r\nTransfer-Encoding: CHUNKED\r\n\r\n"), wantServed: []string{"/a/"}},
		{name: "tab before the value", giveRaw: withCL("POST /a/ HTTP/1.1\r\nHost: x\r\nContent-Length: CL\r\nTransfer-Encoding:\tchunked\r\n\r\n"), wantServed: []string{"/a/"}},
		{name: "tab after the value", giveRaw: withCL("POST /a/ HTTP/1.1\r\nHost: x\r\nContent-Length: CL\r\nTransfer-Encoding: chunked\t\r\n\r\n"), wantServed: []string{"/a/"}},
		{name: "trailing space", giveRaw: withCL("POST /a/ HTTP/1.1\r\nHost: x\r\nContent-Length: CL\r\nTransfer-Encoding: chunked \r\n\r\n"), wantServed: []string{"/a/"}},
		{name: "after a bare-LF line", giveRaw: withCL("POST /a/ HTTP/1.1\r\nHost: x\nContent-Length: CL\r\nTransfer-Encoding: chunked\r\n\r\n"), wantServed: []string{"/a/"}},
		{name: "bare LF after the value", giveRaw: withCL("POST /a/ HTTP/1.1\r\nHost: x\r\nContent-Length: CL\r\nTransfer-Encoding: chunked\n\r\n"), wantServed: []string{"/a/"}},
		{name: "obs-folded value", giveRaw: withCL("POST /a/ HTTP/1.1\r\nHost: x\r\nContent-Length: CL\r\nTransfer-Encoding:\r\n chunked\r\n\r\n"), wantServed: []string{"/a/"}},
		// net/http refuses these itself (501) and closes.
		{name: "two Transfer-Encodings", giveRaw: withCL("POST /a/ HTTP/1.1\r\nHost: x\r\nContent-Length: CL\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"), wantServed: nil},
		{name: "gzip, chunked", giveRaw: withCL("POST /a/ HTTP/1.1\r\nHost: x\r\nContent-Length: CL\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"), wantServed: nil},
		// HTTP/1.0: net/http ignores Transfer-Encoding.
		{name: "HTTP/1.0 keep-alive, Content-Length and chunked", giveRaw: withCL("POST /a/ HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: CL\r\nTransfer-Encoding: chunked\r\n\r\n"), wantServed: []string{"/a/"}},
		{name: "HTTP/1.0 keep-alive, chunked alone", giveRaw: "POST /a/ HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n" + "1f\r\nGET /hidden/ HTTP/1.0\r\nA: b\r\n\r\n\r\n0\r\n\r\n" + next, wantServed: []string{"/a/"}},
		{name: "HTTP/1.0 keep-alive GET", giveRaw: "GET /a/ HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" + next, wantServed: []string{"/a/"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			served = nil
			mu.Unlock()
			conn, err := net.Dial("tcp", srv.Listener.Addr().String())
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := io.WriteString(conn, tt.giveRaw); err != nil {
				t.Fatalf("write: %v", err)
			}
			br := bufio.NewReader(conn)
			responses := 0
			for {
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					break
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				responses++
			}
			if _, err := br.ReadByte(); err != io.EOF {
				t.Errorf("connection after the responses: %v, want EOF (closed by the server)", err)
			}
			wantResponses := max(len(tt.wantServed), 1)
			if responses != wantResponses {
				t.Errorf("%d responses to %q, want %d", responses, tt.giveRaw, wantResponses)
			}
			mu.Lock()
			got := slices.Clone(served)
			mu.Unlock()
			if !slices.Equal(got, tt.wantServed) {
				t.Errorf("served %q, want %q", got, tt.wantServed)
			}
		})
	}
}
