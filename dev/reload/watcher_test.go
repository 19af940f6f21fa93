package reload

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
)

// syncBuffer is a bytes.Buffer safe to read while the watcher writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// copyExe copies the test binary to path the way an install does: a new
// file renamed over the old one.
func copyExe(t *testing.T, path string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := copyBinary(exe, path+".new"); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".new", path); err != nil {
		t.Fatal(err)
	}
}

// fetch GETs url and returns the status and body, or the error.
func fetch(c *http.Client, url string) (int, string, error) {
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// htmlPage GETs url as a browser does (Accept: text/html) and returns the
// body.
func htmlPage(t *testing.T, c *http.Client, url string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

// waitFor polls url until ok accepts the answer, or fails the test.
func waitFor(t *testing.T, c *http.Client, url, what string, ok func(status int, body string) bool) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, body, err := fetch(c, url)
		if err == nil && ok(status, body) {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited 10s for %s; last answer %d %q %v", what, status, body, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestWatcherRestartsAReplacedBinaryWithoutRefusingConnections(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "app")
	copyExe(t, exe)
	versionFile := filepath.Join(dir, "version")
	writeFile(t, versionFile, "v1")
	terminal := &syncBuffer{}
	w, err := New(Config{
		Name:      "app",
		Bind:      []string{"127.0.0.1:0"},
		Exe:       exe,
		BuildInfo: &debug.BuildInfo{}, // no module to build from
		Env:       append(os.Environ(), envHelperVersionFile+"="+versionFile),
		Terminal:  terminal,
		Stdout:    io.Discard,
	}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if w.builder != nil {
		t.Fatalf("watcher would build with %s; want the binary-replaced mode", w.builder)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	stopRun := sync.OnceValue(func() error {
		cancel()
		return <-done
	})
	defer stopRun()

	urlRE := regexp.MustCompile(`http://127\.0\.0\.1:\d+/`)
	deadline := time.Now().Add(10 * time.Second)
	for urlRE.FindString(terminal.String()) == "" && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	url := urlRE.FindString(terminal.String())
	if url == "" {
		t.Fatalf("no URL in the banner: %q", terminal.String())
	}
	if banner := terminal.String(); !strings.Contains(banner, "app dev: DEVELOPMENT SERVER") || !strings.Contains(banner, `"app serve"`) || strings.Contains(banner, "drover") {
		t.Errorf("banner = %q, want it to name app, not drover", banner)
	}
	c := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
	defer c.CloseIdleConnections()
	first := waitFor(t, c, url, "v1", func(s int, b string) bool { return s == 200 && strings.HasPrefix(b, "v1 ") })

	// A request loop across the restarts: every request is answered.
	stop := make(chan struct{})
	var loopErrs []error
	var loopOK int
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		lc := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
		defer lc.CloseIdleConnections()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, _, err := fetch(lc, url); err != nil {
				loopErrs = append(loopErrs, err)
			} else {
				loopOK++
			}
		}
	}()

	writeFile(t, versionFile, "v2")
	copyExe(t, exe)
	waitFor(t, c, url, "v2 from a new process", func(s int, b string) bool {
		return s == 200 && strings.HasPrefix(b, "v2 ") && b != first
	})

	// A program that panics at start: the watcher serves its output.
	writeFile(t, versionFile, "panic")
	copyExe(t, exe)
	page := waitFor(t, c, url, "the failure page", func(s int, b string) bool { return s == 500 })
	if !strings.Contains(page, "app exited") || !strings.Contains(page, "deliberate panic at start") {
		t.Errorf("failure page = %q, want the exit and the panic", page)
	}
	html := htmlPage(t, c, url)
	if !strings.Contains(html, " · app dev</title>") || !strings.Contains(html, "<p>app dev (development only)") || strings.Contains(html, "drover dev") {
		t.Errorf("failure page for a browser = %q, want it to name app, not drover", html)
	}
	writeFile(t, versionFile, "v3")
	copyExe(t, exe)
	last := waitFor(t, c, url, "v3", func(s int, b string) bool { return s == 200 && strings.HasPrefix(b, "v3 ") })

	close(stop)
	wg.Wait()
	if len(loopErrs) > 0 || loopOK < 10 {
		t.Errorf("request loop: %d answered, %d errors %v; want every request answered", loopOK, len(loopErrs), loopErrs)
	}

	if err := stopRun(); err != nil {
		t.Errorf("Run = %v after cancel, want nil", err)
	}
	var pid int
	fmt.Sscanf(last, "v3 %d", &pid)
	if pid == 0 || syscall.Kill(pid, 0) == nil {
		t.Errorf("program %d (from %q) still running after Run returned", pid, last)
	}
	if _, _, err := fetch(c, url); err == nil {
		t.Error("the address still answers after Run returned")
	}
}
