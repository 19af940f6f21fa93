package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// wrkResult is what a wrk run reports.
type wrkResult struct {
	requests, non2xx, socketErrors int
	raw                            string
}

var (
	wrkRequests = regexp.MustCompile(`(\d+) requests in`)
	wrkSocket   = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
	wrkNon2xx   = regexp.MustCompile(`drover-non2xx (\d+)`)
)

// startWrk runs wrk with the keep-alive script against base in the
// background; the returned function waits for its report.
func startWrk(t *testing.T, base, token string, threads, conns int, d time.Duration) func() wrkResult {
	t.Helper()
	bin, err := exec.LookPath("wrk")
	if err != nil {
		t.Fatal("wrk not installed: make deps installs Debian's wrk package")
	}
	script, err := filepath.Abs(filepath.Join("testdata", "keepalive.lua"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-t", strconv.Itoa(threads), "-c", strconv.Itoa(conns), "-d", fmt.Sprintf("%ds", int(d.Seconds())),
		"--timeout", "5s", "-s", script, base)
	cmd.Env = append(os.Environ(), "DROVER_TOKEN="+token)
	out := make(chan wrkResult, 1)
	var buf strings.Builder
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := cmd.Wait()
		raw := buf.String()
		if err != nil {
			raw += "\nwrk: " + err.Error()
		}
		out <- parseWrk(raw)
	}()
	return func() wrkResult { return <-out }
}

func parseWrk(raw string) wrkResult {
	r := wrkResult{raw: raw, requests: -1, non2xx: -1}
	if m := wrkRequests.FindStringSubmatch(raw); m != nil {
		r.requests, _ = strconv.Atoi(m[1])
	}
	if m := wrkNon2xx.FindStringSubmatch(raw); m != nil {
		r.non2xx, _ = strconv.Atoi(m[1])
	}
	if m := wrkSocket.FindStringSubmatch(raw); m != nil {
		for _, s := range m[1:] {
			n, _ := strconv.Atoi(s)
			r.socketErrors += n
		}
	}
	return r
}

// keepAliveRun is one run of the planned-events load: what wrk saw through
// nginx and straight at drover, nginx's upstream errors, and how many of
// each event the supervisor logged.
type keepAliveRun struct {
	viaNginx, direct wrkResult
	upstreamErrors   []string
	reloads, resizes int
	retired, killed  int
}

// runPlannedEvents serves bin with 3 workers recycling every ~2,000
// requests behind the shipped nginx site, loads it with wrk's keep-alive
// POST/GET mix through nginx and straight at drover at once, and sends
// HUP, TTIN, TTOU, HUP during the load.
func runPlannedEvents(t *testing.T, bin string) keepAliveRun {
	dir := t.TempDir()
	socket := filepath.Join(dir, "drover.sock")
	admin(t, dir, deployPassword+"\n", "createuser", "alice") // the password loginThrough logs in with
	s := serve(t, bin, 3, []string{"DROVER_STATE_DIR=" + dir},
		"--bind", "unix:"+socket, "--max-requests", "2000", "--max-requests-jitter", "200")
	n := startNginx(t, socket)
	token := loginThrough(t, clientFrom("127.0.0.1"), s.url)

	const load = 12 * time.Second
	from := s.mark()
	viaNginx := startWrk(t, n.httpsURL, token, 2, 32, load)
	direct := startWrk(t, s.url, token, 1, 16, load)
	for _, step := range []struct {
		after time.Duration
		sig   syscall.Signal
	}{{1500 * time.Millisecond, syscall.SIGHUP}, {2 * time.Second, syscall.SIGTTIN}, {2 * time.Second, syscall.SIGTTOU}, {2 * time.Second, syscall.SIGHUP}} {
		time.Sleep(step.after)
		s.signal(step.sig)
	}
	run := keepAliveRun{viaNginx: viaNginx(), direct: direct()}
	s.waitLog(10*time.Second, from, 2, msgIs("reload complete"))
	for _, l := range s.logsFrom(from) {
		switch l.msg() {
		case "reload complete":
			run.reloads++
		case "worker count changed":
			run.resizes++
		case "worker retiring; starting its replacement":
			run.retired++
		case "worker did not exit in time; killing it":
			run.killed++
		}
	}
	for _, line := range strings.Split(n.output(), "\n") {
		if strings.Contains(line, "[error]") || strings.Contains(line, "[crit]") || strings.Contains(line, "[alert]") {
			run.upstreamErrors = append(run.upstreamErrors, line)
		}
	}
	return run
}

// TestKeepAliveLoadLosesNothingAcrossPlannedEvents is the promise that
// planned events lose nothing, under the traffic users have: keep-alive
// clients, nginx's upstream keep-alive pool, and POSTs, which nginx never
// retries. Across two HUPs, TTIN, TTOU and max-requests recycling of 3
// workers, every answer is 2xx, no socket errors, and nginx logs no
// upstream error.
//
// The control runs the same load on a drover built with the drain the
// worker had before (keep-alives disabled as it began, which closes every
// idle keep-alive connection at once): it must lose requests, or this
// load does not exercise what the test claims.
func TestKeepAliveLoadLosesNothingAcrossPlannedEvents(t *testing.T) {
	if testing.Short() {
		t.Skip("a 12-second load through nginx, twice")
	}
	t.Run("keep-alive-safe drain", func(t *testing.T) {
		run := runPlannedEvents(t, droverBin)
		t.Logf("via nginx: %d requests, %d non-2xx, %d socket errors; direct: %d requests, %d non-2xx, %d socket errors; %d reloads, %d resizes, %d max-requests retirements",
			run.viaNginx.requests, run.viaNginx.non2xx, run.viaNginx.socketErrors, run.direct.requests, run.direct.non2xx, run.direct.socketErrors,
			run.reloads, run.resizes, run.retired)
		if run.reloads < 2 || run.resizes < 2 || run.retired < 3 {
			t.Errorf("the supervisor logged %d reloads, %d resizes, %d retirements; want 2, 2 and at least 3 (the events did not happen)", run.reloads, run.resizes, run.retired)
		}
		for name, r := range map[string]wrkResult{"through nginx": run.viaNginx, "straight at drover": run.direct} {
			if r.requests < 1000 || r.non2xx != 0 || r.socketErrors != 0 {
				t.Errorf("%s: %d requests, %d non-2xx, %d socket errors; want 0 and 0\n%s", name, r.requests, r.non2xx, r.socketErrors, r.raw)
			}
		}
		if len(run.upstreamErrors) > 0 {
			t.Errorf("nginx logged %d upstream errors; first: %s", len(run.upstreamErrors), run.upstreamErrors[0])
		}
		if run.killed > 0 {
			t.Errorf("%d draining workers were killed at the deadline", run.killed)
		}
	})
	t.Run("control: the drain that closes idle keep-alive connections at once", func(t *testing.T) {
		bin := filepath.Join(t.TempDir(), "drover-abrupt")
		buildAbruptDrain(t, bin)
		run := runPlannedEvents(t, bin)
		lost := run.viaNginx.non2xx + run.viaNginx.socketErrors + run.direct.non2xx + run.direct.socketErrors
		t.Logf("control: via nginx %d non-2xx, %d socket errors; direct %d non-2xx, %d socket errors; nginx %d errors",
			run.viaNginx.non2xx, run.viaNginx.socketErrors, run.direct.non2xx, run.direct.socketErrors, len(run.upstreamErrors))
		if lost == 0 {
			t.Errorf("the abrupt drain lost nothing under this load: the test does not exercise keep-alive drains")
		}
	})
}

// buildAbruptDrain builds drover at out with the worker's drain as it was
// before it was keep-alive safe: a patched copy of worker/worker.go given
// to go build -overlay, so no production code carries a test hook.
func buildAbruptDrain(t *testing.T, out string) {
	t.Helper()
	src, err := filepath.Abs(filepath.Join("..", "..", "worker", "worker.go"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	const safe = "KeepAliveSafe: true"
	if !strings.Contains(string(data), safe) {
		t.Fatalf("%s has no %q to patch", src, safe)
	}
	// The old drain closed every idle keep-alive connection as it began
	// (keep-alives disabled); graceful's other mode leaves them to
	// Shutdown, which does the same.
	patched := strings.Replace(string(data), safe, "KeepAliveSafe: false", 1)
	dir := t.TempDir()
	file := filepath.Join(dir, "worker.go")
	if err := os.WriteFile(file, []byte(patched), 0o600); err != nil {
		t.Fatal(err)
	}
	overlay, err := json.Marshal(map[string]map[string]string{"Replace": {src: file}})
	if err != nil {
		t.Fatal(err)
	}
	overlayFile := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(overlayFile, overlay, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("go", "build", "-overlay", overlayFile, "-o", out, "../../cmd/drover").CombinedOutput(); err != nil {
		t.Fatalf("go build -overlay: %v\n%s", err, out)
	}
}

// logsFrom are the log lines from index from on.
func (p *proc) logsFrom(from int) []logLine {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]logLine(nil), p.logs[min(from, len(p.logs)):]...)
}
