package e2e

import (
	"net"
	"strings"
	"testing"
	"time"
)

func TestHostileRequestsGetHonestErrors(t *testing.T) {
	s := serve(t, droverBin, 1, nil,
		"--limit-request-line", "256",
		"--limit-request-fields", "10",
		"--limit-request-field-size", "200",
		"--limit-request-body", "1K",
	)
	tests := []struct {
		name       string
		giveRaw    string
		wantStatus string
	}{
		{
			name:       "request line over the limit",
			giveRaw:    "GET /hello/?" + strings.Repeat("a", 300) + " HTTP/1.1\r\nHost: x\r\n\r\n",
			wantStatus: "HTTP/1.1 414 ",
		},
		{
			name:       "too many header fields",
			giveRaw:    "GET /hello/ HTTP/1.1\r\nHost: x\r\n" + strings.Repeat("X-A: b\r\n", 11) + "\r\n",
			wantStatus: "HTTP/1.1 431 ",
		},
		{
			name:       "one header field over the limit",
			giveRaw:    "GET /hello/ HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("b", 250) + "\r\n\r\n",
			wantStatus: "HTTP/1.1 431 ",
		},
		{
			name:       "declared body over the limit",
			giveRaw:    "POST /hello/ HTTP/1.1\r\nHost: x\r\nContent-Length: 2048\r\n\r\n",
			wantStatus: "HTTP/1.1 413 ",
		},
		{
			name:       "header block beyond any budget",
			giveRaw:    "GET /hello/ HTTP/1.1\r\nHost: x\r\nX-Huge: " + strings.Repeat("h", 64<<10) + "\r\n\r\n",
			wantStatus: "HTTP/1.1 431 ",
		},
		{
			name:       "within limits",
			giveRaw:    "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
			wantStatus: "HTTP/1.1 200 ",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rawRequest(t, s.addr, tt.giveRaw, 5*time.Second)
			if !strings.HasPrefix(got, tt.wantStatus) {
				t.Errorf("response = %.200q, want it to start with %q", got, tt.wantStatus)
			}
		})
	}
}

func TestTricklingHeadersAreCutOff(t *testing.T) {
	s := serve(t, droverBin, 1, nil, "--read-header-timeout", "1")
	c, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	closed := make(chan time.Duration, 1)
	go func() {
		buf := make([]byte, 512)
		for {
			if _, err := c.Read(buf); err != nil {
				closed <- time.Since(start)
				return
			}
		}
	}()
	// One header byte every 200ms: never a complete request.
	raw := "GET /hello/ HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("s", 100)
	var took time.Duration
	for i := 0; i < len(raw); i++ {
		if _, err := c.Write([]byte{raw[i]}); err != nil {
			break
		}
		select {
		case took = <-closed:
		case <-time.After(200 * time.Millisecond):
			continue
		}
		break
	}
	if took == 0 {
		select {
		case took = <-closed:
		case <-time.After(3 * time.Second):
			t.Fatal("server kept a trickling connection open past 3s with a 1s read-header timeout")
		}
	}
	if took > 2500*time.Millisecond {
		t.Errorf("trickling connection closed after %s, want about the 1s read-header timeout", took)
	}
}
