package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
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

// envStatusScreenshot, when set, is where TestStatusPage also saves a
// screenshot at the README's size (docs/status-page.png).
const envStatusScreenshot = "DROVER_STATUS_SCREENSHOT"

// chromiumTimeout bounds one headless Chromium run.
const chromiumTimeout = 30 * time.Second

// chromium runs Debian's headless Chromium on url with args (--dump-dom,
// --screenshot=…), in its own profile and process group, killed whole at
// chromiumTimeout; it returns what Chromium printed on stdout.
func chromium(t *testing.T, url string, args ...string) string {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not on PATH: apt-get install --no-install-recommends chromium (make deps installs it)")
	}
	profile := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), chromiumTimeout)
	defer cancel()
	all := append([]string{"--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
		"--disable-dev-shm-usage", "--user-data-dir=" + profile, "--virtual-time-budget=5000"}, args...)
	cmd := exec.CommandContext(ctx, bin, append(all, url)...)
	cmd.Env = append(os.Environ(), "HOME="+profile, "XDG_CONFIG_HOME="+profile, "XDG_CACHE_HOME="+profile)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // the helpers it may have left
	}
	if ctx.Err() != nil {
		t.Fatalf("chromium %v: no result within %s (killed)\n%s", args, chromiumTimeout, errOut.String())
	}
	if err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, errOut.String())
	}
	return out.String()
}

// pagePoint is the part of /status.json's series the test reads.
type pagePoint struct {
	Requests     uint64  `json:"requests"`
	RequestsPerS float64 `json:"requests_per_s"`
}

// waitSeries polls url (/status.json) until its series has n intervals
// with requests in them.
func waitSeries(t *testing.T, url string, n int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		busy, err := busyIntervals(url)
		if err != nil {
			t.Fatal(err)
		}
		if busy >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 15s of load, %s has %d intervals with requests, want %d", url, busy, n)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func busyIntervals(url string) (int, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, fmt.Errorf("get %s: %w", url, err)
	}
	defer resp.Body.Close()
	var page struct {
		Series struct{ Points []pagePoint }
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil || resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("get %s: %d %v", url, resp.StatusCode, errors.Join(err))
	}
	busy := 0
	for _, p := range page.Series.Points {
		if p.Requests > 0 && p.RequestsPerS > 0 {
			busy++
		}
	}
	return busy, nil
}

var (
	workerRowRE = regexp.MustCompile(`<tr data-pid="(\d+)"`)
	// throughputRE is the throughput chart's line: a path of at least
	// three points.
	throughputRE = regexp.MustCompile(`<path class="line requests_per_s" data-series="requests_per_s" d="(M[\d.]+,[\d.]+(?:L[\d.]+,[\d.]+){2,})"`)
	latencyRE    = regexp.MustCompile(`<path class="line p99_s" data-series="p99_s" d="(M[\d.,ML]+)"`)
)

// TestStatusPage: the status page on the admin listener, loaded in
// headless Chromium while keep-alive clients load the workers, shows one
// row per live worker (the supervisor's children in /proc) and a
// throughput chart with a line; a screenshot of it is saved and logged.
func TestStatusPage(t *testing.T) {
	s := serve(t, testappBin, 2, nil, "--metrics-bind", "127.0.0.1:0")
	served := s.waitLog(5*time.Second, 0, 1, msgIs("serving metrics"))[0]
	addr, _ := served.fields["address"].(string)
	page := "http://" + addr + "/"
	pids := s.waitWorkers(2, 10*time.Second)

	loadStarted := time.Now()
	stopLoad := backgroundLoad(s.url+"/pid", 4)
	waitSeries(t, page+"status.json", 3)

	dom := chromium(t, page, "--dump-dom")
	rows := map[int]bool{}
	for _, m := range workerRowRE.FindAllStringSubmatch(dom, -1) {
		pid, _ := strconv.Atoi(m[1])
		rows[pid] = true
	}
	if len(rows) != len(pids) {
		t.Errorf("the page has rows for workers %v, the supervisor's children are %v", rows, pids)
	}
	for _, pid := range pids {
		if !rows[pid] {
			t.Errorf("no row for worker %d (a child of the supervisor)", pid)
		}
		if ppid := statusPPid(pid); ppid != s.cmd.Process.Pid {
			t.Errorf("worker %d has parent %d, want the supervisor %d", pid, ppid, s.cmd.Process.Pid)
		}
	}
	if m := throughputRE.FindStringSubmatch(dom); m == nil {
		t.Errorf("no throughput line of three points or more in the page:\n%s", dom)
	} else {
		t.Logf("throughput line: %d points", strings.Count(m[1], "L")+1)
	}
	if !latencyRE.MatchString(dom) {
		t.Errorf("no p99 line in the latency chart:\n%s", dom)
	}
	if !strings.Contains(dom, `<span id="conn" class="conn ok">live</span>`) {
		t.Errorf("the page does not say it is live:\n%s", dom)
	}

	shot := filepath.Join(t.TempDir(), "status.png")
	chromium(t, page, "--screenshot="+shot, "--window-size=1200,900")
	checkPNG(t, shot)
	if readme := os.Getenv(envStatusScreenshot); readme != "" {
		chromium(t, page, "--screenshot="+readme, "--window-size=1000,700")
		checkPNG(t, readme)
	}

	// About 5 s of load in all, every request answered.
	if d := 5*time.Second - time.Since(loadStarted); d > 0 {
		time.Sleep(d)
	}
	stopLoad().check(t, 100)
}

// checkPNG fails unless path is a PNG of some size, and logs it.
func checkPNG(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	t.Logf("screenshot %s: %d bytes", path, len(data))
	if len(data) < 10<<10 || !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("screenshot %s: %d bytes, not a PNG of the page", path, len(data))
	}
}
