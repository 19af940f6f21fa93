package reload

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/drover/drover/dev"
	"github.com/drover/drover/internal/sockets"
)

func TestPageServerStopsWithoutClosingTheSocket(t *testing.T) {
	socks, err := bindAll([]string{"127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer sockets.CloseAll(socks)
	addr := socks[0].Listener.Addr().String()
	p, err := servePage(socks, dev.Failure{Title: "build failed", Output: "main.go:1: oops"}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Transport: &http.Transport{}, Timeout: 5 * time.Second}
	defer c.CloseIdleConnections()
	get := func() (int, string) {
		t.Helper()
		resp, err := c.Get("http://" + addr + "/")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if status, body := get(); status != 500 || !strings.Contains(body, "main.go:1: oops") {
		t.Errorf("page = %d %q, want 500 with the output", status, body)
	}
	p.set(dev.Failure{Title: "app exited", Output: "panic: boom"})
	if status, body := get(); status != 500 || !strings.Contains(body, "panic: boom") {
		t.Errorf("page after set = %d %q, want 500 with the new output", status, body)
	}
	p.stop()

	// Stopped, the socket still takes connections: they wait in the
	// backlog for whoever serves next.
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatalf("dial after the page stopped: %v", err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	next, err := servePage(socks, dev.Failure{Title: "next", Output: "served from the backlog"}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer next.stop()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	r, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("request made while nothing served: %v", err)
	}
	got, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if !strings.Contains(string(got), "served from the backlog") {
		t.Errorf("request made while nothing served got %q", got)
	}
}
