package e2e

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The connection hardening for when drover faces clients directly: each
// test talks raw TCP to a real `drover serve` (or the test app under it).

// hiddenPath is requested only by requests hidden in a body.
const hiddenPath = "/healthz?hidden=1"

// exchange writes raw on a new connection and reads responses until the
// server closes it or timeout passes. It returns the status lines, and
// whether the server closed the connection (EOF or reset) rather than
// leaving it open.
func exchange(t *testing.T, addr, raw string, timeout time.Duration) (statuses []string, closed bool) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(timeout))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatalf("write: %v", err)
	}
	br := bufio.NewReader(c)
	for {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			break
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		statuses = append(statuses, resp.Status)
	}
	_, err = br.ReadByte()
	var ne net.Error
	timedOut := errors.As(err, &ne) && ne.Timeout()
	return statuses, err != nil && !timedOut
}

// TestHardenSmuggledRequestIsNotServed: a body framed by Content-Length
// for a front and by Transfer-Encoding for drover hides a second request
// (CL.TE smuggling). Whatever the spelling of the Transfer-Encoding,
// drover answers once and closes the connection, so the hidden request
// is never served.
func TestHardenSmuggledRequestIsNotServed(t *testing.T) {
	s := serve(t, droverBin, 1, nil)
	body := "0\r\n\r\nGET " + hiddenPath + " HTTP/1.1\r\nHost: x\r\n\r\n"
	tests := []struct {
		name     string
		giveTE   string // the header lines after Host, "CL" standing for the body's length
		wantCode string // of the one response
	}{
		{name: "chunked", giveTE: "Content-Length: CL\r\nTransfer-Encoding: chunked\r\n", wantCode: "200"},
		{name: "upper case", giveTE: "Content-Length: CL\r\nTransfer-Encoding: CHUNKED\r\n", wantCode: "200"},
		{name: "tab before the value", giveTE: "Content-Length: CL\r\nTransfer-Encoding:\tchunked\r\n", wantCode: "200"},
		{name: "tab after the value", giveTE: "Content-Length: CL\r\nTransfer-Encoding: chunked\t\r\n", wantCode: "200"},
		{name: "trailing space", giveTE: "Content-Length: CL\r\nTransfer-Encoding: chunked \r\n", wantCode: "200"},
		{name: "after a bare-LF line", giveTE: "Content-Length: CL\nTransfer-Encoding: chunked\r\n", wantCode: "200"},
		{name: "obs-folded", giveTE: "Content-Length: CL\r\nTransfer-Encoding:\r\n chunked\r\n", wantCode: "200"},
		{name: "Transfer-Encoding first", giveTE: "Transfer-Encoding: chunked\r\nContent-Length: CL\r\n", wantCode: "200"},
		// net/http refuses these itself; the connection is closed too.
		{name: "two Transfer-Encodings", giveTE: "Content-Length: CL\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", wantCode: "501"},
		{name: "gzip, chunked", giveTE: "Content-Length: CL\r\nTransfer-Encoding: gzip, chunked\r\n", wantCode: "501"},
		{name: "space before the colon", giveTE: "Content-Length: CL\r\nTransfer-Encoding : chunked\r\n", wantCode: "400"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			head := strings.Replace(tt.giveTE, "CL", strconv.Itoa(len(body)), 1)
			raw := "GET /healthz HTTP/1.1\r\nHost: x\r\n" + head + "\r\n" + body
			statuses, closed := exchange(t, s.addr, raw, 3*time.Second)
			if len(statuses) != 1 || !strings.HasPrefix(statuses[0], tt.wantCode) {
				t.Errorf("responses %q, want one %s: the hidden GET %s must not be served", statuses, tt.wantCode, hiddenPath)
			}
			if !closed {
				t.Errorf("connection left open after the response, want it closed")
			}
		})
	}
}

// TestHardenHTTP10KeepAliveTransferEncoding: net/http ignores
// Transfer-Encoding on HTTP/1.0, so on a keep-alive connection the chunk
// data would be read as a second request. drover keeps no HTTP/1.0
// connection alive.
func TestHardenHTTP10KeepAliveTransferEncoding(t *testing.T) {
	s := serve(t, droverBin, 1, nil)
	hidden := "GET " + hiddenPath + " HTTP/1.0\r\n\r\n"
	chunks := strconv.FormatInt(int64(len(hidden)), 16) + "\r\n" + hidden + "\r\n0\r\n\r\n"
	tests := []struct {
		name    string
		giveRaw string
	}{
		{name: "chunked", giveRaw: "GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks},
		{name: "the chunk data alone", giveRaw: "GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n" + hidden},
		{name: "Content-Length and chunked", giveRaw: "GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + hidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			statuses, closed := exchange(t, s.addr, tt.giveRaw, 3*time.Second)
			if len(statuses) != 1 || !strings.HasPrefix(statuses[0], "200") {
				t.Errorf("responses %q, want one 200: the chunk data must not be read as a request", statuses)
			}
			if !closed {
				t.Errorf("HTTP/1.0 keep-alive connection left open after a request with a Transfer-Encoding, want it closed")
			}
		})
	}
}

// TestHardenWriteTimeoutCutsOffNonReader: a client that asks for a large
// response and never reads it is cut off at the write timeout instead of
// holding a connection and a goroutine for as long as it likes.
func TestHardenWriteTimeoutCutsOffNonReader(t *testing.T) {
	s := serve(t, testappBin, 1, nil, "--write-timeout", "1")
	c, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.(*net.TCPConn).SetReadBuffer(64 << 10)
	const size = 64 << 20
	if _, err := io.WriteString(c, "GET /big?mb=64 HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	// Not reading for longer than the write timeout. Had the server kept
	// writing, reading now would fetch the whole 64 MiB in well under a
	// second; cut off, only what the kernel buffered arrives, then EOF.
	notReading := time.NewTimer(1500 * time.Millisecond)
	<-notReading.C
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := io.Copy(io.Discard, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("connection still open 5s after the client began reading (%d bytes read)", n)
	}
	if n >= size {
		t.Errorf("read %d bytes, the whole response: the client that did not read for 1.5s was not cut off by a 1s write timeout", n)
	}
	t.Logf("after 1.5s without reading: %d bytes of a %d-byte response, then %v", n, size, err)
}

// TestHardenSyncSlowUploads: under -k sync with two workers, clients
// uploading at 10 bytes/s hold connections, not workers: another
// client's requests are answered in under a second each.
func TestHardenSyncSlowUploads(t *testing.T) {
	s := serve(t, testappBin, 2, nil, "-k", "sync")
	// Three uploads for two workers: the kernel may hand two connections
	// to one worker while the other is waiting in accept, so only a third
	// makes sure that, without buffering, each worker holds an upload.
	const uploaders = 3
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer func() {
		close(stop)
		wg.Wait()
	}()
	for i := range uploaders {
		c, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(c, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		// Two bytes of body at 10 bytes/s before the next upload starts,
		// so that, without buffering, this one's handler took its slot.
		started := make(chan struct{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			for sent := 0; ; sent++ {
				if sent == 2 {
					close(started)
				}
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				if _, err := c.Write([]byte{'u'}); err != nil {
					t.Errorf("upload %d: %v", i, err)
					return
				}
			}
		}()
		<-started
	}

	hc := &http.Client{Timeout: time.Second}
	for i := range 5 {
		begin := time.Now()
		resp, err := hc.Get(s.url + "/pid")
		if err != nil {
			t.Fatalf("request %d beside %d slow uploads: %v", i, uploaders, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if took := time.Since(begin); resp.StatusCode != http.StatusOK || took >= time.Second {
			t.Errorf("request %d beside %d slow uploads: %s after %s, want 200 in under 1s", i, uploaders, resp.Status, took)
		}
	}
}

// TestHardenFieldSizeCountsTheLine: --limit-request-field-size counts a
// field as Gunicorn does, the whole line with its CRLF.
func TestHardenFieldSizeCountsTheLine(t *testing.T) {
	s := serve(t, droverBin, 1, nil, "--limit-request-field-size", "200")
	// "X-Big: " and "\r\n" are 9 bytes.
	tests := []struct {
		name       string
		giveValue  int
		wantStatus string
	}{
		{name: "line of exactly the limit", giveValue: 200 - 9, wantStatus: "HTTP/1.1 200 "},
		{name: "one byte more", giveValue: 200 - 9 + 1, wantStatus: "HTTP/1.1 431 "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			field := "X-Big: " + strings.Repeat("b", tt.giveValue) + "\r\n"
			raw := "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + field + "\r\n"
			got := rawRequest(t, s.addr, raw, 5*time.Second)
			if !strings.HasPrefix(got, tt.wantStatus) {
				t.Errorf("a %d-byte field line: response %.120q, want %q", len(field), got, tt.wantStatus)
			}
		})
	}
}
