package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The samples in testdata are wrk 4.1.0's output, captured on loopback:
// drover serve on /hello/, the same with a bad token (every response a
// 401), and Gunicorn+DRF logins with --timeout 1s (socket timeouts).
func TestParseWrk(t *testing.T) {
	tests := []struct {
		name string
		give string // file in testdata
		want wrkResult
	}{
		{
			name: "drover hello",
			give: "wrk-drover.txt",
			want: wrkResult{
				Requests: 180879, Elapsed: 4010 * time.Millisecond, RPS: 45139.80,
				Mean: 1660 * time.Microsecond,
				P50:  1040 * time.Microsecond, P75: 2260 * time.Microsecond,
				P90: 3780 * time.Microsecond, P99: 7900 * time.Microsecond,
			},
		},
		{
			name: "non-2xx responses and microseconds",
			give: "wrk-non2xx.txt",
			want: wrkResult{
				Requests: 172227, Elapsed: 3010 * time.Millisecond, RPS: 57192.89,
				Mean: 1700 * time.Microsecond,
				P50:  759 * time.Microsecond, P75: 2390 * time.Microsecond,
				P90: 4570 * time.Microsecond, P99: 9920 * time.Microsecond,
				Non2xx: 172227,
			},
		},
		{
			name: "socket timeouts",
			give: "wrk-login-timeouts.txt",
			want: wrkResult{
				Requests: 119, Elapsed: 4010 * time.Millisecond, RPS: 29.67,
				Mean: 567410 * time.Microsecond,
				P50:  572190 * time.Microsecond, P75: 758940 * time.Microsecond,
				P90: 883700 * time.Microsecond, P99: 946080 * time.Microsecond,
				Timeout: 94,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := os.ReadFile(filepath.Join("testdata", tt.give))
			if err != nil {
				t.Fatal(err)
			}
			got, err := parseWrk(string(out))
			if err != nil {
				t.Fatalf("parseWrk(%s) error: %v", tt.give, err)
			}
			if got != tt.want {
				t.Errorf("parseWrk(%s) = %+v, want %+v", tt.give, got, tt.want)
			}
		})
	}
}

func TestParseWrkIncomplete(t *testing.T) {
	tests := []struct {
		name string
		give string
	}{
		{name: "empty", give: ""},
		{name: "refused", give: "unable to connect to 127.0.0.1:1 Connection refused\n"},
		{name: "no latency distribution", give: "  10 requests in 1.00s, 1.00KB read\nRequests/sec:     10.00\n"},
		{name: "unknown unit", give: "  Latency Distribution\n     50%    1.00xs\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := parseWrk(tt.give); err == nil {
				t.Errorf("parseWrk(%q) = %+v, want an error", tt.give, got)
			}
		})
	}
}

func TestParseWrkDuration(t *testing.T) {
	tests := []struct {
		give string
		want time.Duration
	}{
		{give: "759.00us", want: 759 * time.Microsecond},
		{give: "1.04ms", want: 1040 * time.Microsecond},
		{give: "4.01s", want: 4010 * time.Millisecond},
		{give: "1.50m", want: 90 * time.Second},
		{give: "2.00h", want: 2 * time.Hour},
	}
	for _, tt := range tests {
		got, err := parseWrkDuration(tt.give)
		if err != nil || got != tt.want {
			t.Errorf("parseWrkDuration(%q) = %v, %v, want %v", tt.give, got, err, tt.want)
		}
	}
}

func TestWrkRunString(t *testing.T) {
	w := wrkRun{Threads: 2, Conns: 64, Duration: 8 * time.Second, Header: "Authorization: Bearer eyJ.x.y", URL: "http://127.0.0.1:1/hello/"}
	want := "wrk -t2 -c64 -d8s --latency -H 'Authorization: Bearer $TOKEN' http://127.0.0.1:1/hello/"
	if got := w.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestWrkRunScriptArgs(t *testing.T) {
	w := wrkRun{Threads: 2, Conns: 8, Duration: 5 * time.Second, Timeout: 10 * time.Second, Script: "/d/refresh.lua",
		URL: "http://127.0.0.1:1/api/token/refresh/", ScriptArgs: []string{"/d/tokens.txt", "2"}}
	want := "wrk -t2 -c8 -d5s --timeout 10s --latency -s /d/refresh.lua http://127.0.0.1:1/api/token/refresh/ -- /d/tokens.txt 2"
	if got := w.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
