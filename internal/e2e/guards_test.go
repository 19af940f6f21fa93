package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The guards that recycle a worker (--max-rss, --request-timeout) and the
// one that kills it (--max-rss-hard), and --shutdown-delay, on the real
// binary under keep-alive load.

// served is one answered request of a guardLoad: when, and by which
// worker.
type served struct {
	at  time.Time
	pid int
}

// guardResult is what a guardLoad saw.
type guardResult struct {
	mu       sync.Mutex
	served   []served
	failures []string
}

func (r *guardResult) ok(pid int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.served = append(r.served, served{at: time.Now(), pid: pid})
}

func (r *guardResult) fail(what string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures = append(r.failures, what)
}

// check fails the test if any request failed or fewer than minOK were
// answered.
func (r *guardResult) check(t *testing.T, minOK int) {
	t.Helper()
	t.Logf("%d keep-alive requests answered, %d failed", len(r.served), len(r.failures))
	if len(r.failures) > 0 {
		t.Errorf("%d of %d keep-alive requests failed; first: %s", len(r.failures), len(r.failures)+len(r.served), r.failures[0])
	}
	if len(r.served) < minOK {
		t.Errorf("only %d requests answered, want at least %d", len(r.served), minOK)
	}
}

// servedBy counts the requests pid answered after since.
func (r *guardResult) servedBy(pid int, since time.Time) int {
	n := 0
	for _, s := range r.served {
		if s.pid == pid && s.at.After(since) {
			n++
		}
	}
	return n
}

// guardLoad runs conc goroutines, each with its own keep-alive client,
// sending GET /pid and POST /upload (a 2 KiB body: the request nginx and
// Go's client never retry) in turn until the returned function is called;
// that function returns what they saw. With getOnly they send GETs alone.
func guardLoad(base string, conc int, getOnly bool) func() *guardResult {
	res := &guardResult{}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	var wg sync.WaitGroup
	body := strings.Repeat("x", 2<<10)
	for i := range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := client()
			defer c.CloseIdleConnections()
			for n := i; ctx.Err() == nil; n++ {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/pid", nil)
				if !getOnly && n%2 == 1 {
					req, _ = http.NewRequestWithContext(ctx, http.MethodPost, base+"/upload", strings.NewReader(body))
					req.Header.Set("Content-Type", "application/octet-stream")
				}
				if n%50 == 49 {
					// Now and then a new connection, which the kernel may
					// hand to another worker: every worker carries load,
					// on connections kept alive in between.
					c.CloseIdleConnections()
				}
				resp, err := c.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						res.fail(req.Method + " " + req.URL.Path + ": " + err.Error())
					}
					continue
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				switch {
				case err != nil:
					res.fail(req.Method + " " + req.URL.Path + ": read: " + err.Error())
				case resp.StatusCode != http.StatusOK:
					res.fail(fmt.Sprintf("%s %s: status %d: %s", req.Method, req.URL.Path, resp.StatusCode, b))
				default:
					f := strings.Fields(string(b))
					pid, _ := strconv.Atoi(f[len(f)-1]) // "PID" or "read N bytes in PID"
					res.ok(pid)
				}
			}
		}()
	}
	return func() *guardResult {
		cancel()
		wg.Wait()
		return res
	}
}

// allocIn makes one worker allocate mb MiB, over a connection of its own,
// and returns that worker's PID.
func allocIn(t *testing.T, base string, mb int) int {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	status, body := get(t, c, fmt.Sprintf("%s/alloc?mb=%d", base, mb))
	f := strings.Fields(body)
	if status != http.StatusOK || len(f) == 0 {
		t.Fatalf("GET /alloc?mb=%d = %d %q", mb, status, body)
	}
	pid, _ := strconv.Atoi(f[len(f)-1])
	return pid
}

// byWorker matches the lines with msg about the worker pid.
func byWorker(msg string, pid int) func(logLine) bool {
	return func(l logLine) bool { return l.msg() == msg && l.int("worker_pid") == pid }
}

// TestMaxRSSRecyclesUnderLoadWithoutFailures: a worker pushed over
// --max-rss retires as after --max-requests: its replacement is ready
// before it drains, and keep-alive clients lose nothing.
func TestMaxRSSRecyclesUnderLoadWithoutFailures(t *testing.T) {
	s := serve(t, testappBin, 2, nil, "--max-rss", "64M", "--timeout", "2") // a heartbeat every 500ms
	s.waitWorkers(2, 5*time.Second)
	mark := s.mark()
	stop := guardLoad(s.url, 4, false)
	time.Sleep(300 * time.Millisecond) // the clients hold their keep-alive connections

	victim := allocIn(t, s.url, 100)
	retired := s.waitLog(5*time.Second, mark, 1, byWorker("worker retiring; starting its replacement", victim))[0]
	if retired.fields["reason"] != "max-rss" || retired.int("rss") <= 64<<20 {
		t.Errorf("retirement logged as %s, want reason max-rss with an RSS over 64 MiB", retired.text)
	}
	exited := s.waitLog(10*time.Second, mark, 1, byWorker("worker exited", victim))[0]
	s.waitLog(5*time.Second, mark, 1, supervisorReady) // the replacement
	if exited.fields["reason"] != "replaced" {
		t.Errorf("the worker over --max-rss exited as %s, want replaced", exited.text)
	}
	time.Sleep(300 * time.Millisecond) // the clients move on to the replacement
	res := stop()
	res.check(t, 200)
	if n := res.servedBy(victim, time.Time{}); n == 0 {
		t.Errorf("the load never reached worker %d: its recycle proves nothing", victim)
	}
	if after := s.waitWorkers(2, 5*time.Second); slices.Contains(after, victim) {
		t.Errorf("worker %d over --max-rss still runs: %v", victim, after)
	}
}

// TestMaxRSSHardKillsAndReplaces: a worker over --max-rss-hard is killed
// at once, logged with its RSS and the limit, and replaced, while the
// other worker keeps serving.
func TestMaxRSSHardKillsAndReplaces(t *testing.T) {
	s := serve(t, testappBin, 2, nil, "--max-rss-hard", "64M", "--timeout", "2")
	pids := s.waitWorkers(2, 5*time.Second)
	mark := s.mark()
	// GETs only: the killed worker's keep-alive connections are reset, and
	// a GET on a reused connection is what clients retry.
	stop := guardLoad(s.url, 4, true)
	time.Sleep(300 * time.Millisecond)

	// The worker may be killed before it answers: the heartbeat that sees
	// it over the limit can come while it allocates.
	go func() {
		c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		if resp, err := c.Get(s.url + "/alloc?mb=100"); err == nil {
			resp.Body.Close()
		}
	}()
	killed := s.waitLog(5*time.Second, mark, 1, msgIs("worker over --max-rss-hard; killing it"))[0]
	victim, survivor := killed.int("worker_pid"), pids[0]
	if survivor == victim {
		survivor = pids[1]
	}
	if !slices.Contains(pids, victim) {
		t.Fatalf("killed %d, not one of the workers %v", victim, pids)
	}
	if killed.int("rss") <= 64<<20 || killed.int("max_rss_hard") != 64<<20 || killed.fields["level"] != "error" {
		t.Errorf("kill logged as %s, want an error with the RSS over the limit and the limit, 64 MiB", killed.text)
	}
	killedAt := time.Now()
	died := s.waitLog(5*time.Second, mark, 1, byWorker("worker died; replacing it", victim))[0]
	if died.fields["status"] != "killed by SIGKILL" {
		t.Errorf("death logged as %s, want killed by SIGKILL", died.text)
	}
	s.waitLog(5*time.Second, mark, 1, supervisorReady)
	time.Sleep(300 * time.Millisecond)
	res := stop()
	if n := res.servedBy(survivor, killedAt); n < 20 {
		t.Errorf("the other worker %d answered %d requests around the kill, want it to keep serving", survivor, n)
	}
	if len(res.failures) > 0 {
		t.Logf("%d of %d requests failed around the SIGKILL; first: %s", len(res.failures), len(res.failures)+len(res.served), res.failures[0])
	}
	after := s.waitWorkers(2, 5*time.Second)
	if slices.Contains(after, victim) || !slices.Contains(after, survivor) {
		t.Errorf("workers after the kill = %v, want %d gone and %d still serving", after, victim, survivor)
	}
}

// TestRequestTimeoutAnswers504AndReplacesWorker: a request past
// --request-timeout, in a handler that ignores its context, gets 504 in
// DRF's shape; the worker logs the request's stack with its ID, retires,
// is replaced and, the handler never ending, is cut off by
// --graceful-timeout; keep-alive clients of both workers lose nothing.
func TestRequestTimeoutAnswers504AndReplacesWorker(t *testing.T) {
	s := serve(t, testappBin, 2, nil, "--request-timeout", "1", "--graceful-timeout", "2")
	s.waitWorkers(2, 5*time.Second)
	mark := s.mark()
	stop := guardLoad(s.url, 4, false)
	time.Sleep(300 * time.Millisecond)

	req, _ := http.NewRequest(http.MethodGet, s.url+"/sleep?d=60s", nil)
	req.Header.Set("X-Request-ID", "guard-timeout-0001")
	start := time.Now()
	resp, err := client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	var body map[string]string
	if resp.StatusCode != http.StatusGatewayTimeout || json.Unmarshal(raw, &body) != nil || body["detail"] == "" ||
		resp.Header.Get("Content-Type") != "application/json" || resp.Header.Get("X-Request-ID") != "guard-timeout-0001" {
		t.Errorf("GET /sleep?d=60s = %d %s %q, want 504 {\"detail\":…} with the request's ID", resp.StatusCode, resp.Header, raw)
	}
	if took < time.Second || took > 2500*time.Millisecond {
		t.Errorf("the 504 came after %s, want it at the 1s timeout", took)
	}

	timedOut := s.waitLog(5*time.Second, mark, 1, msgIs("request timed out; the worker retires"))[0]
	victim := timedOut.int("worker_pid")
	stack, _ := timedOut.fields["stack"].(string)
	if timedOut.fields["level"] != "error" || timedOut.fields["request_id"] != "guard-timeout-0001" || timedOut.fields["method"] != "GET" ||
		timedOut.fields["path"] != "/sleep" || timedOut.fields["age_s"] == nil || !strings.Contains(stack, "time.Sleep") {
		t.Errorf("timeout logged as %s, want an error naming GET /sleep, its request ID and age, with the stack in time.Sleep", timedOut.text)
	}
	retired := s.waitLog(5*time.Second, mark, 1, byWorker("worker retiring; starting its replacement", victim))[0]
	if retired.fields["reason"] != "request-timeout" {
		t.Errorf("retirement logged as %s, want reason request-timeout", retired.text)
	}
	s.waitLog(5*time.Second, mark, 1, supervisorReady) // its replacement, before it drains
	exited := s.waitLog(6*time.Second, mark, 1, byWorker("worker exited", victim))[0]
	if exited.fields["reason"] != "replaced" {
		t.Errorf("the timed-out worker exited as %s, want replaced", exited.text)
	}
	time.Sleep(300 * time.Millisecond)
	res := stop()
	res.check(t, 200)
	if n := res.servedBy(victim, time.Time{}); n == 0 {
		t.Errorf("the load never reached worker %d: its retirement proves nothing", victim)
	}
	if after := s.waitWorkers(2, 5*time.Second); slices.Contains(after, victim) {
		t.Errorf("timed-out worker %d still runs: %v", victim, after)
	}
}

// TestShutdownDelayAnswers503WhileServing: on TERM with --shutdown-delay,
// /healthz answers 503 at once while /hello/ is still 200, over kept and
// new connections alike, for the delay; then the workers drain and the
// supervisor exits 0.
func TestShutdownDelayAnswers503WhileServing(t *testing.T) {
	const delay = 2 * time.Second
	s := serve(t, testappBin, 2, nil, "--shutdown-delay", "2", "--graceful-timeout", "5")
	kept := client()
	if status, _ := get(t, kept, s.url+"/healthz"); status != http.StatusOK {
		t.Fatalf("/healthz before TERM = %d, want 200", status)
	}
	mark := s.mark()
	termAt := time.Now()
	s.signal(syscall.SIGTERM)
	s.waitLog(2*time.Second, mark, 2, msgIs("supervisor stopping: /healthz answers 503 until the drain"))

	fresh := func() *http.Client {
		return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	}
	checks := 0
	for time.Since(termAt) < delay-500*time.Millisecond {
		for _, c := range []*http.Client{kept, fresh()} {
			if status, body := get(t, c, s.url+"/healthz"); status != http.StatusServiceUnavailable {
				t.Errorf("/healthz %s after TERM = %d %s, want 503", time.Since(termAt).Round(time.Millisecond), status, body)
			}
			if status, body := get(t, c, s.url+"/hello/"); status != http.StatusOK {
				t.Errorf("/hello/ %s after TERM = %d %s, want 200", time.Since(termAt).Round(time.Millisecond), status, body)
			}
		}
		checks++
		time.Sleep(100 * time.Millisecond)
	}
	if checks < 5 {
		t.Errorf("only %d rounds of checks during the delay", checks)
	}
	kept.CloseIdleConnections()
	if code := s.wait(delay + 5*time.Second); code != 0 {
		t.Errorf("supervisor exit code = %d, want 0", code)
	}
	if took := time.Since(termAt); took < delay {
		t.Errorf("TERM completed after %s, before the %s delay", took, delay)
	}
	s.waitLog(time.Second, mark, 1, msgIs("shutdown delay over; the workers drain"))
}
