package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Issue 13, items 7, 14, 15 and 17: what a person (and a log reader)
// sees in the first hour.

// TestServeLogsOneServingLineAndOneReadyLinePerWorker: once every worker
// is ready the supervisor says where it serves, in one line; each worker's
// readiness is logged once (by the supervisor, with boot_s), and every
// line about a worker names it worker_pid.
func TestServeLogsOneServingLineAndOneReadyLinePerWorker(t *testing.T) {
	s := serve(t, droverBin, 2, nil)
	want := "drover "
	line := s.waitLog(10*time.Second, 0, 1, func(l logLine) bool {
		return strings.HasPrefix(l.msg(), want) && strings.Contains(l.msg(), " serving ")
	})[0]
	if !strings.HasSuffix(line.msg(), " serving "+s.url+" with 2 workers") || line.int("workers") != 2 {
		t.Errorf("serving line = %s, want \"drover VERSION serving %s with 2 workers\" with workers 2", line.text, s.url)
	}
	if urls, _ := line.fields["urls"].([]any); len(urls) != 1 || urls[0] != s.url {
		t.Errorf("serving line urls = %v, want [%s]", line.fields["urls"], s.url)
	}

	// Stopped, every process has written all it will: count then.
	s.signal(syscall.SIGINT)
	if code := s.wait(10 * time.Second); code != 0 {
		t.Errorf("exit status after INT = %d, want 0", code)
	}
	ready := 0
	for _, l := range s.logged(0) {
		if l.msg() == "worker ready" {
			ready++
			if l.fields["logger"] != "supervisor" || l.int("worker_pid") == 0 || l.fields["boot_s"] == nil {
				t.Errorf("ready line = %s, want the supervisor's, with worker_pid and boot_s", l.text)
			}
		}
		if l.fields["logger"] == "worker" && (l.fields["pid"] != nil || l.int("worker_pid") == 0) {
			t.Errorf("worker line = %s, want worker_pid and no pid", l.text)
		}
	}
	if ready != 2 {
		t.Errorf("%d \"worker ready\" lines for 2 workers, want 2", ready)
	}
}

// TestLogFormatFollowsTheFlag: --log-format console gives tab-separated
// lines (no color: stderr is a pipe, not a terminal); the default, auto,
// gives JSON when stderr is not a terminal, as under make test or
// journald.
func TestLogFormatFollowsTheFlag(t *testing.T) {
	tests := []struct {
		name      string
		giveArgs  []string
		wantJSON  bool
		wantReady string // a substring of the ready line
	}{
		{name: "console", giveArgs: []string{"--log-format", "console"}, wantReady: "\tinfo\tsupervisor\tworker ready\t{"},
		{name: "auto off a terminal", giveArgs: nil, wantJSON: true, wantReady: `"msg":"worker ready"`},
		{name: "json", giveArgs: []string{"--log-format", "json"}, wantJSON: true, wantReady: `"msg":"worker ready"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"serve", "--bind", "127.0.0.1:0", "--workers", "1"}, tt.giveArgs...)
			p := start(t, droverBin, nil, args...)
			p.waitLog(10*time.Second, 0, 1, func(l logLine) bool { return strings.Contains(l.text, " serving http://") })
			p.waitLog(time.Second, 0, 1, func(l logLine) bool { return strings.Contains(l.text, tt.wantReady) })
			for _, l := range p.logged(0) {
				if (l.fields != nil) != tt.wantJSON {
					t.Errorf("line %q: JSON %v, want %v", l.text, l.fields != nil, tt.wantJSON)
				}
				if strings.Contains(l.text, "\x1b[") {
					t.Errorf("line %q has color codes, on a pipe", l.text)
				}
			}
			p.signal(syscall.SIGINT)
			if code := p.wait(10 * time.Second); code != 0 {
				t.Errorf("exit status after INT = %d, want 0 (make run must not end in Error 1)", code)
			}
		})
	}
}

// TestAccessLogCarriesUserAndTime: the combined line names the
// authenticated user (%u) and ends with the response time in µs; the
// JSON line has user_id and duration_s; a template writes Gunicorn's
// atoms.
func TestAccessLogCarriesUserAndTime(t *testing.T) {
	tests := []struct {
		name     string
		giveArgs []string
		wantLine func(line, uid string) bool
	}{
		{
			name:     "combined",
			giveArgs: []string{"--access-log-format", "combined"},
			wantLine: func(line, uid string) bool {
				return regexp.MustCompile(`^127\.0\.0\.1 - ` + uid + ` \[[^]]+\] "GET /hello/ HTTP/1\.1" 200 \d+ "-" "Go-http-client/1\.1" "[0-9a-f]+" \d+$`).MatchString(line)
			},
		},
		{
			name: "json",
			wantLine: func(line, uid string) bool {
				var m map[string]any
				_ = json.Unmarshal([]byte(line), &m)
				d, _ := m["duration_s"].(float64)
				return m["user_id"] == uid && m["path"] == "/hello/" && d > 0 && d < 5 && m["worker_pid"] != nil
			},
		},
		{
			name:     "template",
			giveArgs: []string{"--access-log-format", `%(u)s "%(r)s" %(s)s %(D)s %(p)s`},
			wantLine: func(line, uid string) bool {
				return regexp.MustCompile(`^` + uid + ` "GET /hello/ HTTP/1\.1" 200 \d+ <\d+>$`).MatchString(line)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logFile := filepath.Join(t.TempDir(), "access.log")
			a := startAPI(t, 1, map[string]string{"alice": "first-hour-pass-17"}, append([]string{"--access-logfile", logFile}, tt.giveArgs...)...)
			access, _ := a.login(t, "alice", "first-hour-pass-17")
			if r := a.call(t, "GET", "/hello/", "", nil, "Bearer "+access); r.status != 200 {
				t.Fatalf("GET /hello/ = %d %s", r.status, r.raw)
			}
			uid := strconv.Itoa(userID(t, access))
			var line string
			deadline := time.Now().Add(5 * time.Second)
			for line == "" && time.Now().Before(deadline) {
				data, _ := os.ReadFile(logFile)
				for _, l := range strings.Split(string(data), "\n") {
					if strings.Contains(l, "/hello/") {
						line = l
					}
				}
				if line == "" {
					time.Sleep(50 * time.Millisecond)
				}
			}
			if !tt.wantLine(line, uid) {
				t.Errorf("access log line for GET /hello/ as user %s = %q", uid, line)
			}
		})
	}
}

// userID reads the user_id claim of an access token (no verification:
// the server just issued it).
func userID(t *testing.T, token string) int {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q is not a JWT", token)
	}
	payload, err := base64URL(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		UserID int `json:"user_id"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	return claims.UserID
}

func base64URL(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

// TestDevPanicPages: a handler that writes a status and then panics gets
// the panic page, not a dropped connection; a browser gets it as HTML;
// the stack starts with the program's own frames.
func TestDevPanicPages(t *testing.T) {
	d := start(t, testappBin, nil, "dev", "--bind", "127.0.0.1:0")
	url := devAddress(t, d)
	tests := []struct {
		name            string
		givePath        string
		giveAccept      string
		wantContentType string
		wantBody        []string
	}{
		{name: "after a status", givePath: "/panic-after-status", wantContentType: "text/plain", wantBody: []string{"panic: testapp: panic after a status", "goroutine "}},
		{name: "for a browser", givePath: "/panic", giveAccept: "text/html,application/xhtml+xml,*/*;q=0.8", wantContentType: "text/html", wantBody: []string{"<!doctype html>", "<h1>panic: testapp: deliberate panic</h1>", "<pre>goroutine "}},
		{name: "after a status, for a browser", givePath: "/panic-after-status", giveAccept: "text/html", wantContentType: "text/html", wantBody: []string{"<h1>panic: testapp: panic after a status</h1>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", url+tt.givePath, nil)
			if tt.giveAccept != "" {
				req.Header.Set("Accept", tt.giveAccept)
			}
			resp, err := client().Do(req)
			if err != nil {
				t.Fatalf("GET %s: %v (want the panic page, not a dropped connection)", tt.givePath, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusInternalServerError || !strings.HasPrefix(resp.Header.Get("Content-Type"), tt.wantContentType) {
				t.Errorf("GET %s = %d %s, want 500 %s", tt.givePath, resp.StatusCode, resp.Header.Get("Content-Type"), tt.wantContentType)
			}
			for _, want := range tt.wantBody {
				if !bytes.Contains(body, []byte(want)) {
					t.Errorf("GET %s body lacks %q:\n%s", tt.givePath, want, body)
				}
			}
			// The first frame is the testapp's handler, not the recovery
			// or net/http.
			_, stack, _ := strings.Cut(string(body), "goroutine ")
			lines := strings.Split(stack, "\n")
			if len(lines) < 2 || !strings.HasPrefix(lines[1], "  main.") {
				t.Errorf("GET %s stack starts %q, want the testapp's main frames first", tt.givePath, lines[:min(3, len(lines))])
			}
		})
	}
}

// TestDevRequestLinesAndNoColorOffATerminal: drover dev logs each request
// as "GET /x 200 54µs", and, its stderr being a pipe, without color; a
// panic's stack is printed as lines, not as an escaped field.
func TestDevRequestLinesAndNoColorOffATerminal(t *testing.T) {
	logFile := filepath.Join(t.TempDir(), "access.log")
	d := start(t, testappBin, nil, "dev", "--bind", "127.0.0.1:0", "--access-logfile", logFile)
	url := devAddress(t, d)
	if status, body := get(t, client(), url+"/pid?x=1"); status != 200 {
		t.Fatalf("GET /pid = %d %s", status, body)
	}
	resp, err := client().Get(url + "/panic")
	if err == nil {
		resp.Body.Close()
	}
	d.waitLog(5*time.Second, 0, 1, func(l logLine) bool { return strings.Contains(l.text, "panic serving request") })
	line := regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d\.\d{3}\tGET /pid\?x=1 200 [0-9.]+(ns|µs|ms|s)$`)
	deadline := time.Now().Add(5 * time.Second)
	var data []byte
	for time.Now().Before(deadline) {
		data, _ = os.ReadFile(logFile)
		if line.Match(data) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !line.Match(data) || !strings.Contains(string(data), "\tGET /panic 500 ") {
		t.Errorf("dev access log =\n%s\nwant lines like \"15:04:05.000\tGET /pid?x=1 200 54µs\"", data)
	}
	out := d.output()
	if strings.Contains(out, "\x1b[") {
		t.Errorf("dev stderr has color codes on a pipe:\n%s", out)
	}
	if strings.Contains(out, `"stack"`) || !regexp.MustCompile(`(?m)^goroutine \d+ \[running\]:\n  main\.`).MatchString(out) {
		t.Errorf("dev stderr does not print the panic's stack as lines, main's frames first:\n%s", out)
	}
}
