package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// testSecretKey signs the tokens of every drover the tests start.
const testSecretKey = "e2e-test-signing-key-0123456789abcdef"

// binaries built once by TestMain.
var (
	droverBin  string
	testappBin string
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "drover-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	droverBin = filepath.Join(dir, "drover")
	testappBin = filepath.Join(dir, "testapp")
	for bin, pkg := range map[string]string{droverBin: "../../cmd/drover", testappBin: "../testapp"} {
		cmd := exec.Command("go", "build", "-o", bin, pkg)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n", pkg, err)
			return 1
		}
	}
	return m.Run()
}

// proc is a drover process started by a test, with its stderr kept as
// parsed log lines that tests wait on.
type proc struct {
	t    *testing.T
	cmd  *exec.Cmd
	mu   sync.Mutex
	cond *sync.Cond
	logs []logLine
	raw  bytes.Buffer
	done chan struct{}
	err  error // Wait's result, after done
	eof  bool  // stderr reached EOF (under mu)
}

// logLine is one line of stderr: a JSON log record or plain text.
type logLine struct {
	text   string
	fields map[string]any
}

func (l logLine) msg() string { s, _ := l.fields["msg"].(string); return s }

func (l logLine) int(key string) int {
	f, _ := l.fields[key].(float64)
	return int(f)
}

// start runs bin with args and env (added to the test's environment).
func start(t *testing.T, bin string, env []string, args ...string) *proc {
	t.Helper()
	return startWithout(t, bin, "", env, args...)
}

// startWithout is start with the variable unset removed from the
// environment (DROVER_SECRET_KEY, to see drover without a key).
func startWithout(t *testing.T, bin, unset string, env []string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(bin, args...)
	// Every process gets its own state dir and a signing key; env may
	// override both.
	base := []string{"DROVER_STATE_DIR=" + t.TempDir(), "DROVER_SECRET_KEY=" + testSecretKey}
	for _, kv := range append(append(os.Environ(), base...), env...) {
		if unset == "" || !strings.HasPrefix(kv, unset+"=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	return launch(t, cmd)
}

// startAs starts bin with exactly the environment env (none of the
// harness's state dir and key) as the user cred, or as the test's user
// when cred is nil.
func startAs(t *testing.T, cred *syscall.Credential, bin string, env []string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	return launch(t, cmd)
}

// launch starts cmd, keeping its stderr as log lines, and stops it (and
// any process it left) when the test ends.
func launch(t *testing.T, cmd *exec.Cmd) *proc {
	t.Helper()
	bin := cmd.Path
	p := &proc{t: t, done: make(chan struct{}), cmd: cmd}
	p.cond = sync.NewCond(&p.mu)
	// stderr is a pipe of our own: workers inherit it, so it stays open
	// after the supervisor exits; done tracks the supervisor alone.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stderr = w
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	w.Close()
	go p.scan(r)
	go func() {
		p.err = p.cmd.Wait()
		p.mu.Lock()
		close(p.done)
		p.cond.Broadcast()
		p.mu.Unlock()
	}()
	t.Cleanup(func() {
		p.stop()
		killStrays(t, p)
		if t.Failed() {
			t.Logf("stderr of %s:\n%s", bin, p.output())
		}
	})
	return p
}

func (p *proc) scan(r *os.File) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := logLine{text: sc.Text()}
		_ = json.Unmarshal(sc.Bytes(), &line.fields)
		p.mu.Lock()
		p.logs = append(p.logs, line)
		p.raw.WriteString(line.text + "\n")
		p.cond.Broadcast()
		p.mu.Unlock()
	}
	r.Close()
	p.mu.Lock()
	p.eof = true // every writer closed stderr: no line will come
	p.cond.Broadcast()
	p.mu.Unlock()
}

// stop ends the process if it still runs: TERM, then KILL after 10s.
func (p *proc) stop() {
	if !p.running() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
	}
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.raw.String()
}

func (p *proc) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// waitLog waits until count log lines from index from on match, and
// returns them.
func (p *proc) waitLog(timeout time.Duration, from, count int, match func(logLine) bool) []logLine {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	timer := time.AfterFunc(timeout, func() {
		p.mu.Lock()
		p.cond.Broadcast()
		p.mu.Unlock()
	})
	defer timer.Stop()
	p.mu.Lock()
	var found []logLine
	for {
		found = found[:0]
		for _, l := range p.logs[min(from, len(p.logs)):] {
			if match(l) {
				found = append(found, l)
			}
		}
		if len(found) >= count || time.Now().After(deadline) || p.eof {
			break
		}
		p.cond.Wait()
	}
	p.mu.Unlock()
	if len(found) < count {
		p.t.Fatalf("waited %s for %d matching log lines, got %d", timeout, count, len(found))
	}
	return found[:count]
}

// mark is the index of the next log line, for waitLog's from.
func (p *proc) mark() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.logs)
}

func msgIs(msg string) func(logLine) bool {
	return func(l logLine) bool { return l.msg() == msg }
}

// supervisorReady matches the supervisor's "worker ready" lines.
func supervisorReady(l logLine) bool {
	return l.msg() == "worker ready" && l.fields["logger"] == "supervisor"
}

// wait waits for the process to exit and returns its exit code.
func (p *proc) wait(timeout time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.t.Fatalf("process did not exit within %s", timeout)
	}
	return p.cmd.ProcessState.ExitCode()
}

func (p *proc) signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("signal %s: %v", sig, err)
	}
}

// server is a running supervisor with its address and first workers.
type server struct {
	*proc
	addr string
	url  string
}

// serve starts bin's supervisor on a free loopback port with n workers and
// waits until they are all ready.
func serve(t *testing.T, bin string, n int, env []string, args ...string) *server {
	t.Helper()
	all := append([]string{"serve", "--bind", "127.0.0.1:0", "--workers", strconv.Itoa(n)}, args...)
	p := start(t, bin, env, all...)
	listening := p.waitLog(10*time.Second, 0, 1, msgIs("listening"))[0]
	addr, _ := listening.fields["address"].(string)
	p.waitLog(10*time.Second, 0, n, supervisorReady)
	return &server{proc: p, addr: addr, url: "http://" + addr}
}

// workerPIDs lists the live child processes of the supervisor.
func (s *server) workerPIDs() []int {
	return children(s.cmd.Process.Pid)
}

// waitWorkers polls (with a deadline) until the supervisor has exactly n
// children, and returns their PIDs.
func (s *server) waitWorkers(n int, timeout time.Duration) []int {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		pids := s.workerPIDs()
		if len(pids) == n {
			return pids
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("supervisor has %d workers %v, want %d", len(pids), pids, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// children lists the PIDs whose parent is ppid, from /proc.
func children(ppid int) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if parentOf(pid) == ppid {
			out = append(out, pid)
		}
	}
	return out
}

var statRE = regexp.MustCompile(`^\d+ \(.*\) (\S) (\d+)`)

// parentOf returns pid's parent, or -1 when pid is gone or a zombie.
func parentOf(pid int) int {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return -1
	}
	m := statRE.FindSubmatch(data)
	if m == nil || string(m[1]) == "Z" {
		return -1
	}
	ppid, _ := strconv.Atoi(string(m[2]))
	return ppid
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool { return parentOf(pid) != -1 }

// killStrays fails the test for, and kills, any worker still running 5s
// after its supervisor exited: drover must leave no orphans.
func killStrays(t *testing.T, p *proc) {
	p.mu.Lock()
	var pids []int
	for _, l := range p.logs {
		if pid := l.int("worker_pid"); pid > 0 {
			pids = append(pids, pid)
		}
	}
	p.mu.Unlock()
	deadline := time.Now().Add(5 * time.Second)
	for _, pid := range pids {
		for alive(pid) && isOurs(pid) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if alive(pid) && isOurs(pid) {
			t.Errorf("worker %d still running 5s after its supervisor exited; its stacks follow", pid)
			_ = syscall.Kill(pid, syscall.SIGABRT)
			time.Sleep(time.Second)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// isOurs reports whether pid runs one of the test binaries (PIDs recycle).
func isOurs(pid int) bool {
	exe, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
	return err == nil && (exe == droverBin || exe == testappBin)
}

// client is an HTTP client with its own keep-alive pool.
func client() *http.Client {
	return &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 16},
	}
}

// get fetches url and returns status and body.
func get(t *testing.T, c *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", url, err)
	}
	return resp.StatusCode, string(body)
}

// loadResult counts the outcomes of a request loop.
type loadResult struct {
	mu       sync.Mutex
	ok       int
	failures []string
	pids     map[string]bool
}

// load runs conc goroutines requesting path until stop closes, each with
// its own keep-alive client; it is bounded by maxDuration as well.
func load(url string, conc int, maxDuration time.Duration, stop <-chan struct{}) *loadResult {
	return loadWith(url, conc, maxDuration, stop, client)
}

// loadWith is load with each goroutine's client made by newClient.
func loadWith(url string, conc int, maxDuration time.Duration, stop <-chan struct{}, newClient func() *http.Client) *loadResult {
	res := &loadResult{pids: map[string]bool{}}
	ctx, cancel := context.WithTimeout(context.Background(), maxDuration)
	defer cancel()
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newClient()
			defer c.CloseIdleConnections()
			for {
				select {
				case <-stop:
					return
				case <-ctx.Done():
					return
				default:
				}
				resp, err := c.Get(url)
				if err != nil {
					res.add(false, err.Error(), "")
					continue
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				switch {
				case err != nil:
					res.add(false, "read: "+err.Error(), "")
				case resp.StatusCode != http.StatusOK:
					res.add(false, fmt.Sprintf("status %d: %s", resp.StatusCode, body), "")
				default:
					res.add(true, "", string(body))
				}
			}
		}()
	}
	wg.Wait()
	return res
}

func (r *loadResult) add(ok bool, failure, body string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ok {
		r.ok++
		r.pids[strings.TrimSpace(body)] = true
		return
	}
	r.failures = append(r.failures, failure)
}

// check fails the test if any request failed or too few succeeded.
func (r *loadResult) check(t *testing.T, minOK int) {
	t.Helper()
	if len(r.failures) > 0 {
		t.Errorf("%d of %d requests failed; first: %s", len(r.failures), len(r.failures)+r.ok, r.failures[0])
	}
	if r.ok < minOK {
		t.Errorf("only %d requests succeeded, want at least %d", r.ok, minOK)
	}
}

// backgroundLoad starts load and returns a function that stops it and
// returns the result.
func backgroundLoad(url string, conc int) func() *loadResult {
	return backgroundLoadWith(url, conc, client)
}

// backgroundLoadWith is backgroundLoad with clients made by newClient.
func backgroundLoadWith(url string, conc int, newClient func() *http.Client) func() *loadResult {
	stop := make(chan struct{})
	out := make(chan *loadResult, 1)
	go func() { out <- loadWith(url, conc, 60*time.Second, stop, newClient) }()
	return func() *loadResult {
		close(stop)
		return <-out
	}
}

// rawRequest writes raw bytes on a new connection and returns what the
// server answers until it closes or timeout passes.
func rawRequest(t *testing.T, addr string, raw string, timeout time.Duration) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(timeout))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatalf("write: %v", err)
	}
	out, _ := io.ReadAll(c)
	return string(out)
}

// unixClient is an HTTP client that dials the unix socket at path.
func unixClient(path string) *http.Client {
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "unix", path)
			},
		},
	}
}
