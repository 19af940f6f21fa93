package e2e

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// twoConcurrent times two concurrent slow requests against url.
func twoConcurrent(t *testing.T, url string) time.Duration {
	t.Helper()
	start := time.Now()
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if status, body := get(t, client(), url+"/sleep?d=500ms"); status != http.StatusOK {
				t.Errorf("status %d: %s", status, body)
			}
		}()
	}
	wg.Wait()
	return time.Since(start)
}

func TestDevServesOneRequestAtATimeUnlikeServe(t *testing.T) {
	s := serve(t, testappBin, 2, nil)
	serveTook := twoConcurrent(t, s.url)

	d := start(t, testappBin, nil, "dev", "--bind", "127.0.0.1:0", "--log-format", "json")
	devURL := devAddress(t, d)
	devTook := twoConcurrent(t, devURL)

	ratio := float64(devTook) / float64(serveTook)
	t.Logf("two concurrent 500ms requests: serve %s, dev %s, ratio %.2f", serveTook, devTook, ratio)
	if ratio < 1.6 {
		t.Errorf("dev/serve time ratio = %.2f, want about 2 (dev is single-threaded)", ratio)
	}
}

// devAddress waits for the dev server's banner and returns its URL.
func devAddress(t *testing.T, d *proc) string {
	t.Helper()
	line := d.waitLog(10*time.Second, 0, 1, func(l logLine) bool {
		return strings.Contains(l.text, "Serving on http://")
	})[0]
	rest := line.text[strings.Index(line.text, "http://"):]
	return strings.TrimSuffix(strings.Fields(rest)[0], "/")
}

func TestDevShowsBannerAndStackTracePage(t *testing.T) {
	d := start(t, testappBin, nil, "dev", "--bind", "127.0.0.1:0")
	url := devAddress(t, d)
	if !strings.Contains(d.output(), "DEVELOPMENT SERVER") {
		t.Errorf("banner missing from dev output:\n%s", d.output())
	}
	resp, err := client().Get(url + "/panic")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	_, _ = body.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusInternalServerError ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") ||
		!strings.Contains(body.String(), "testapp: deliberate panic") ||
		!strings.Contains(body.String(), "goroutine") {
		t.Errorf("dev panic page = %d %s %q, want a 500 text/plain stack trace", resp.StatusCode, resp.Header.Get("Content-Type"), body.String())
	}
	d.signal(syscall.SIGINT)
	if code := d.wait(10 * time.Second); code != 0 {
		t.Errorf("dev exit code after Ctrl-C = %d, want 0", code)
	}
}

func TestDevGeneratesAndKeepsASigningKey(t *testing.T) {
	state := t.TempDir()
	d := startWithout(t, droverBin, "DROVER_SECRET_KEY", []string{"DROVER_STATE_DIR=" + state}, "dev", "--bind", "127.0.0.1:0")
	url := devAddress(t, d)
	d.waitLog(5*time.Second, 0, 1, func(l logLine) bool { return strings.Contains(l.text, "generated a development signing key") })
	key, err := os.ReadFile(filepath.Join(state, "dev-secret.key"))
	if err != nil || len(strings.TrimSpace(string(key))) < 32 {
		t.Fatalf("dev key file = %q, %v", key, err)
	}
	admin(t, state, "dev-password\n", "createuser", "dev")
	a := &apiServer{server: &server{proc: d, url: url}, stateDir: state}
	access, _ := a.login(t, "dev", "dev-password")
	d.signal(syscall.SIGINT)
	d.wait(10 * time.Second)

	// A second run keeps the key: the first run's token still works.
	d2 := startWithout(t, droverBin, "DROVER_SECRET_KEY", []string{"DROVER_STATE_DIR=" + state}, "dev", "--bind", "127.0.0.1:0")
	a2 := &apiServer{server: &server{proc: d2, url: devAddress(t, d2)}, stateDir: state}
	if r := a2.call(t, "GET", "/hello/", "", nil, "Bearer "+access); r.status != http.StatusOK {
		t.Errorf("token from the first dev run = %d %s after a restart, want 200", r.status, r.raw)
	}
}
