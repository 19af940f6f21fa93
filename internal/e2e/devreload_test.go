package e2e

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// devAppMain is the throwaway program the reload tests develop: a drover
// program whose handler answers BODY. BUILD is the statement run when the
// handler is built (a panic, to crash at start).
const devAppMain = `package main

import (
	"fmt"
	"net/http"
	"os"

	"go.uber.org/zap"

	"github.com/drover/drover/cli"
)

func main() {
	os.Exit(cli.Main(cli.Program{Name: "devapp", Handler: build}))
}

func build(log *zap.Logger) (http.Handler, error) {
	BUILD
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "BODY")
	}), nil
}
`

// devApp is a Go module in a temporary directory, developed by a test.
type devApp struct {
	dir  string // the test's temporary directory: everything lives below
	mod  string // the module root
	bin  string // the binary built at the start
	port int
}

// newDevApp writes the module (requiring this repository's drover through
// a replace directive, with its go.sum) and builds it once.
func newDevApp(t *testing.T) *devApp {
	t.Helper()
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	a := &devApp{dir: dir, mod: filepath.Join(dir, "devapp"), bin: filepath.Join(dir, "devapp-bin"), port: freePort(t)}
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o755); err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile(filepath.Join(repo, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	gosum, err := os.ReadFile(filepath.Join(repo, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	// The module lists drover's requirements as its own, as go mod tidy
	// would, so go build needs no network and no go.mod update.
	var mod strings.Builder
	fmt.Fprintf(&mod, "module example.com/devapp\n\ngo 1.26.8\n\nrequire github.com/drover/drover v0.0.0\n\nreplace github.com/drover/drover => %s\n", repo)
	inRequire := false
	for _, line := range strings.Split(string(gomod), "\n") {
		switch {
		case strings.HasPrefix(line, "require ("):
			inRequire = true
			mod.WriteString("\n" + line + "\n")
		case inRequire:
			mod.WriteString(line + "\n")
			inRequire = line != ")"
		}
	}
	a.write(t, "go.mod", mod.String())
	a.write(t, "go.sum", string(gosum))
	a.writeMain(t, "v1", "")
	cmd := exec.Command("go", "build", "-o", a.bin, ".")
	cmd.Dir = a.mod
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the dev app: %v\n%s", err, out)
	}
	return a
}

func (a *devApp) write(t *testing.T, rel, data string) {
	t.Helper()
	path := filepath.Join(a.mod, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeMain saves main.go answering body, running stmt at handler build.
func (a *devApp) writeMain(t *testing.T, body, stmt string) {
	t.Helper()
	a.write(t, "main.go", strings.NewReplacer("BODY", body, "BUILD", stmt).Replace(devAppMain))
}

func (a *devApp) url() string { return "http://127.0.0.1:" + strconv.Itoa(a.port) + "/" }

// startReload runs "devapp dev --reload" in the module, in a process group
// of its own (as a shell runs a foreground job), its temporary files under
// the test's directory.
func (a *devApp) startReload(t *testing.T) *proc {
	t.Helper()
	return a.startReloadOf(t, a.bin, a.mod)
}

// startReloadOf is startReload of the binary bin in the directory dir.
func (a *devApp) startReloadOf(t *testing.T, bin, dir string) *proc {
	t.Helper()
	cmd := exec.Command(bin, "dev", "--reload", "--bind", "127.0.0.1:"+strconv.Itoa(a.port))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TMPDIR="+filepath.Join(a.dir, "tmp"), "DROVER_STATE_DIR="+t.TempDir())
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Registered first, so it runs after launch's own cleanup stopped the
	// watcher: anything still alive then was left behind.
	t.Cleanup(func() {
		for _, pid := range a.leftovers() {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	p := launch(t, cmd)
	p.waitLog(10*time.Second, 0, 1, func(l logLine) bool { return strings.Contains(l.text, "Serving on http://") })
	return p
}

// leftovers lists the live processes running from, or started with
// arguments in, the test's directory: the dev app, its builds, the
// compilers building them.
func (a *devApp) leftovers() []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() || !alive(pid) {
			continue
		}
		exe, _ := os.Readlink("/proc/" + e.Name() + "/exe")
		cmdline, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if strings.HasPrefix(exe, a.dir) || strings.Contains(string(cmdline), a.dir) {
			out = append(out, pid)
		}
	}
	return out
}

// waitNoLeftovers fails the test if processes of the dev app are still
// there after a few seconds.
func (a *devApp) waitNoLeftovers(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		left := a.leftovers()
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			var desc []string
			for _, pid := range left {
				cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
				desc = append(desc, fmt.Sprintf("%d %s", pid, strings.ReplaceAll(string(cmdline), "\x00", " ")))
			}
			t.Fatalf("processes left behind:\n%s", strings.Join(desc, "\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// answer fetches url with an Accept header and returns status and body.
func answer(c *http.Client, url, accept string) (int, string, error) {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Accept", accept)
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// waitAnswer polls url until ok accepts the answer; it returns the body.
func waitAnswer(t *testing.T, url, what string, ok func(status int, body string) bool) string {
	t.Helper()
	c := client()
	defer c.CloseIdleConnections()
	deadline := time.Now().Add(20 * time.Second)
	for {
		status, body, err := answer(c, url, "*/*")
		if err == nil && ok(status, body) {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited 20s for %s; last answer: %d %q %v", what, status, body, err)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func bodyIs(want string) func(int, string) bool {
	return func(status int, body string) bool { return status == http.StatusOK && body == want }
}

// reloadLoop requests url continuously from two clients, one keeping its
// connection alive and one dialing anew for every request (as curl in a
// shell loop does), and counts what happens.
type reloadLoop struct {
	mu       sync.Mutex
	statuses map[int]int
	errs     []string
	stop     chan struct{}
	wg       sync.WaitGroup
}

func startReloadLoop(url string) *reloadLoop {
	l := &reloadLoop{statuses: map[int]int{}, stop: make(chan struct{})}
	for _, keepAlive := range []bool{true, false} {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			c := &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{DisableKeepAlives: !keepAlive}}
			defer c.CloseIdleConnections()
			deadline := time.Now().Add(2 * time.Minute) // bounded, whatever happens
			for time.Now().Before(deadline) {
				select {
				case <-l.stop:
					return
				default:
				}
				status, _, err := answer(c, url, "*/*")
				l.mu.Lock()
				if err != nil {
					l.errs = append(l.errs, err.Error())
				} else {
					l.statuses[status]++
				}
				l.mu.Unlock()
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
	return l
}

func (l *reloadLoop) finish() (statuses map[int]int, errs []string) {
	close(l.stop)
	l.wg.Wait()
	return l.statuses, l.errs
}

// isRebuild matches the watcher's line for each build, good or failed.
func isRebuild(l logLine) bool {
	return strings.Contains(l.text, "rebuilt in ") || strings.Contains(l.text, "build failed:")
}

// rebuildsSince counts the build lines from log index from on.
func rebuildsSince(p *proc, from int) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, l := range p.logs[min(from, len(p.logs)):] {
		if isRebuild(l) {
			out = append(out, l.text)
		}
	}
	return out
}

func TestDevReloadRebuildsOnSaveWithoutRefusingConnections(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Go program several times")
	}
	a := newDevApp(t)
	p := a.startReload(t)
	url := a.url()
	waitAnswer(t, url, "v1 from the first program", bodyIs("v1"))
	if n := strings.Count(p.output(), "DEVELOPMENT SERVER"); n != 1 {
		t.Errorf("banner printed %d times, want once", n)
	}
	loop := startReloadLoop(url)

	// Editing the handler changes the response within seconds, again and
	// again, while the loop runs.
	for _, v := range []string{"v2", "v3", "v4"} {
		mark, start := p.mark(), time.Now()
		a.writeMain(t, v, "")
		waitAnswer(t, url, v, bodyIs(v))
		line := p.waitLog(10*time.Second, mark, 1, isRebuild)[0]
		t.Logf("%s served %s after the save: %s", v, time.Since(start).Round(time.Millisecond), line.text)
		if !strings.Contains(line.text, `"changed": ["main.go"]`) {
			t.Errorf("rebuild line %q, want it to name main.go", line.text)
		}
	}

	// A syntax error: the old program keeps answering, with a 500 page
	// showing the compiler's message; fixing it restores 200.
	mark := p.mark()
	a.writeMain(t, "v5\", oops oops", "")
	page := waitAnswer(t, url, "the build failure page", func(s int, b string) bool { return s == http.StatusInternalServerError })
	if !strings.Contains(page, "build failed") || !strings.Contains(page, "main.go:") || !strings.Contains(page, "syntax error") {
		t.Errorf("build failure page = %q, want the compiler's message", page)
	}
	p.waitLog(5*time.Second, mark, 1, func(l logLine) bool { return strings.Contains(l.text, "syntax error") })
	c := client()
	status, html, err := answer(c, url, "text/html,application/xhtml+xml,*/*;q=0.8")
	c.CloseIdleConnections()
	if err != nil || status != http.StatusInternalServerError || !strings.Contains(html, "<h1>build failed") || !strings.Contains(html, "syntax error") {
		t.Errorf("build failure page for a browser = %d %v %q, want it as HTML", status, err, html)
	}
	a.writeMain(t, "v5", "")
	waitAnswer(t, url, "v5 after the fix", bodyIs("v5"))

	// A program that panics at start is shown the same way, by the
	// watcher itself.
	a.writeMain(t, "v6", `panic("devapp: cannot start")`)
	page = waitAnswer(t, url, "the crash page", func(s int, b string) bool { return s == http.StatusInternalServerError })
	if !strings.Contains(page, "devapp exited") || !strings.Contains(page, "devapp: cannot start") {
		t.Errorf("crash page = %q, want the exit and the panic", page)
	}
	a.writeMain(t, "v6", "")
	waitAnswer(t, url, "v6 after the crash", bodyIs("v6"))

	// A burst of 20 saves, 30ms apart, is one rebuild (two at most).
	mark = p.mark()
	for i := range 20 {
		a.writeMain(t, fmt.Sprintf("burst-%d", i+1), "")
		time.Sleep(30 * time.Millisecond)
	}
	waitAnswer(t, url, "the burst's last save", bodyIs("burst-20"))
	time.Sleep(time.Second) // a third rebuild would have started by now
	if got := rebuildsSince(p, mark); len(got) < 1 || len(got) > 2 {
		t.Errorf("20 saves 30ms apart made %d rebuilds, want 1 or 2:\n%s", len(got), strings.Join(got, "\n"))
	}

	// Tests, editor temporaries and .git are not the program: no rebuild.
	// The next real save rebuilds once, for main.go alone.
	mark = p.mark()
	a.write(t, "main_test.go", "package main\n")
	a.write(t, ".main.go.swp", "x")
	a.write(t, "4913", "")
	a.write(t, "main.go~", "x")
	a.write(t, "#main.go#", "x")
	a.write(t, ".git/index", "x")
	time.Sleep(time.Second) // debounce and a build would have shown by now
	if got := rebuildsSince(p, mark); len(got) != 0 {
		t.Errorf("edits of ignored files made rebuilds:\n%s", strings.Join(got, "\n"))
	}
	a.writeMain(t, "v7", "")
	waitAnswer(t, url, "v7", bodyIs("v7"))
	got := rebuildsSince(p, mark)
	if len(got) != 1 || !strings.Contains(got[0], `"changed": ["main.go"]`) {
		t.Errorf("rebuilds after ignored edits and one save = %q, want one for main.go", got)
	}

	statuses, errs := loop.finish()
	t.Logf("request loop: %v, %d connection errors", statuses, len(errs))
	if len(errs) > 0 {
		t.Errorf("%d requests failed during rebuilds; first: %s", len(errs), errs[0])
	}
	if statuses[http.StatusOK] < 20 || len(statuses) > 2 {
		t.Errorf("request loop statuses = %v, want many 200s and only 500 besides", statuses)
	}

	// Ctrl-C, as a terminal sends it, to the whole foreground group.
	if err := syscall.Kill(-p.cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(10 * time.Second); code != 0 {
		t.Errorf("exit status after Ctrl-C = %d, want 0", code)
	}
	a.waitNoLeftovers(t)
	if tmp, _ := os.ReadDir(filepath.Join(a.dir, "tmp")); len(tmp) != 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
}

func TestDevReloadKilledWatcherLeavesNoProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Go program")
	}
	a := newDevApp(t)
	p := a.startReload(t)
	waitAnswer(t, a.url(), "v1", bodyIs("v1"))
	if len(a.leftovers()) < 2 {
		t.Fatalf("want the watcher and its program running, have %v", a.leftovers())
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.wait(5 * time.Second)
	a.waitNoLeftovers(t)
	_, _, err := answer(client(), a.url(), "*/*")
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("after the watcher was killed: %v, want connection refused (nothing left serving)", err)
	}
}

// TestDevReloadRestartsAReplacedBinary: an installed binary run where no
// module is at hand watches itself; installing a new build over it (as
// go install or a package upgrade does, by rename) restarts the server on
// the same socket, with no connection refused.
func TestDevReloadRestartsAReplacedBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Go program twice")
	}
	a := newDevApp(t)
	bindir, elsewhere := filepath.Join(a.dir, "bin"), filepath.Join(a.dir, "elsewhere")
	for _, d := range []string{bindir, elsewhere} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	installed := filepath.Join(bindir, "devapp")
	data, err := os.ReadFile(a.bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(installed, data, 0o755); err != nil {
		t.Fatal(err)
	}
	p := a.startReloadOf(t, installed, elsewhere)
	url := a.url()
	waitAnswer(t, url, "v1", bodyIs("v1"))
	p.waitLog(5*time.Second, 0, 1, func(l logLine) bool { return strings.Contains(l.text, "no module to rebuild from") })
	loop := startReloadLoop(url)

	a.writeMain(t, "v2", "")
	next := filepath.Join(a.dir, "devapp-v2")
	build := exec.Command("go", "build", "-o", next, ".")
	build.Dir = a.mod
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build v2: %v\n%s", err, out)
	}
	if rebuilt := rebuildsSince(p, 0); len(rebuilt) != 0 {
		t.Errorf("the source edit was watched without a module at hand: %q", rebuilt)
	}
	mark := p.mark()
	if err := os.Rename(next, installed); err != nil {
		t.Fatal(err)
	}
	waitAnswer(t, url, "v2 from the replaced binary", bodyIs("v2"))
	p.waitLog(5*time.Second, mark, 1, func(l logLine) bool { return strings.Contains(l.text, "binary replaced: restarted") })

	statuses, errs := loop.finish()
	if len(errs) > 0 {
		t.Errorf("%d requests failed across the restart; first: %s", len(errs), errs[0])
	}
	if statuses[http.StatusOK] < 10 {
		t.Errorf("request loop statuses = %v, want 200s", statuses)
	}
	if err := syscall.Kill(-p.cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(10 * time.Second); code != 0 {
		t.Errorf("exit status after Ctrl-C = %d, want 0", code)
	}
	a.waitNoLeftovers(t)
}
