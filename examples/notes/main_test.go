package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The tests run notes as a person would: TestMain builds the binary once,
// each test starts it (serve, dev, check, createuser …) as a process and
// talks HTTP to it. They need nothing but Go.

// secretKey signs the tokens of every notes the tests start: drover's
// DROVER_SECRET_KEY (NOTES_SECRET_KEY would do too), 32 bytes or more.
const secretKey = "notes-example-test-signing-key-0123456789"

// password is every test user's password: strong enough for Django's
// validators, so createuser needs no --no-validate.
const password = "quiet-otter-lantern-42"

// notesBin is the binary TestMain builds.
var notesBin string

func TestMain(m *testing.M) { os.Exit(runTests(m)) }

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "noteshelper-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	notesBin = filepath.Join(dir, "notes")
	build := exec.Command("go", "build", "-o", notesBin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "go build -o %s .: %v\n", notesBin, err)
		return 1
	}
	return m.Run()
}

// env is the environment of every process: the test's, without the
// variables of drover and notes that would change the outcome, plus the
// signing key and extra.
func env(extra ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DROVER_") && !strings.HasPrefix(kv, "NOTES_") {
			out = append(out, kv)
		}
	}
	return append(append(out, "DROVER_SECRET_KEY="+secretKey), extra...)
}

// run runs notes with args to its end and returns its stdout, stderr and
// exit status.
func run(t *testing.T, stdin string, extraEnv []string, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	cmd := exec.Command(notesBin, args...)
	cmd.Env = env(extraEnv...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("notes %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errOut.String(), cmd.ProcessState.ExitCode()
}

// createUser creates name with the test password, as a person would:
// notes createuser, the password piped on stdin.
func createUser(t *testing.T, stateDir, name string) {
	t.Helper()
	out, errOut, status := run(t, password+"\n", nil, "createuser", name, "--state-dir", stateDir)
	if status != 0 {
		t.Fatalf("notes createuser %s: status %d, want 0\nstdout: %s\nstderr: %s", name, status, out, errOut)
	}
}

// proc is a notes process started by a test, in a process group of its
// own, with its stderr kept.
type proc struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan struct{} // closed when it has exited
	url    string        // http://127.0.0.1:port
}

// start starts notes with args (serve or dev) on a free loopback port,
// whose --bind it adds, and waits until /healthz answers 200. The
// process is killed, with its group, when the test ends if it still runs.
func start(t *testing.T, extraEnv []string, args ...string) *proc {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(notesBin, append(args, "--bind", addr)...)
	cmd.Env = env(extraEnv...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p := &proc{cmd: cmd, stderr: &syncBuffer{}, done: make(chan struct{}), url: "http://" + addr}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start notes %s: %v", strings.Join(args, " "), err)
	}
	go func() {
		_ = cmd.Wait() // the status is in cmd.ProcessState
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
		if t.Failed() {
			t.Logf("stderr of notes %s:\n%s", strings.Join(args, " "), p.stderr)
		}
	})
	p.waitReady(t)
	return p
}

// serve starts notes serve with workers workers and args, and waits
// until every worker is ready: the supervisor's serving line.
func serve(t *testing.T, workers int, extraEnv []string, args ...string) *proc {
	t.Helper()
	p := start(t, extraEnv, append([]string{"serve", "-w", fmt.Sprint(workers)}, args...)...)
	p.waitStderr(t, fmt.Sprintf("with %d workers", workers))
	return p
}

// waitTimeout bounds every wait for a process.
const waitTimeout = 20 * time.Second

// waitReady polls /healthz until it answers 200.
func (p *proc) waitReady(t *testing.T) {
	t.Helper()
	c := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(waitTimeout)
	for {
		resp, err := c.Get(p.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-p.done:
			t.Fatalf("notes exited with status %d before it was ready", p.cmd.ProcessState.ExitCode())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s/healthz not 200 within %s (last error: %v)", p.url, waitTimeout, err)
		}
	}
}

// waitStderr polls until stderr holds s.
func (p *proc) waitStderr(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !strings.Contains(p.stderr.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("stderr has no %q within %s", s, waitTimeout)
		}
		select {
		case <-p.done:
			if !strings.Contains(p.stderr.String(), s) {
				t.Fatalf("notes exited with status %d, its stderr without %q", p.cmd.ProcessState.ExitCode(), s)
			}
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// stop sends sig and waits for the exit, which must be status 0.
func (p *proc) stop(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %s: %v", sig, err)
	}
	select {
	case <-p.done:
	case <-time.After(waitTimeout):
		t.Fatalf("notes did not exit within %s of %s", waitTimeout, sig)
	}
	if status := p.cmd.ProcessState.ExitCode(); status != 0 {
		t.Errorf("notes exited with status %d after %s, want 0", status, sig)
	}
}

// freeAddr is a loopback address with a port free at the moment.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// syncBuffer is a bytes.Buffer that a process writes while a test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// client talks to one notes server over keep-alive connections.
type client struct {
	t    *testing.T
	c    *http.Client
	base string
}

func newClient(t *testing.T, p *proc) *client {
	return &client{t: t, base: p.url, c: &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 4},
		// DRF's clients see the APPEND_SLASH redirect itself.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// response is what a request got.
type response struct {
	status int
	header http.Header
	body   string
}

// do sends method path with body (JSON unless a string, which is sent
// as is with contentType) and the access token, if any.
func (c *client) do(method, path, token string, body any) response {
	c.t.Helper()
	r, err := c.request(method, path, token, body)
	if err != nil {
		c.t.Fatal(err)
	}
	return r
}

// request is do returning its error, for goroutines.
func (c *client) request(method, path, token string, body any) (response, error) {
	var rd io.Reader
	contentType := "application/json"
	switch b := body.(type) {
	case nil:
	case rawBody:
		rd, contentType = strings.NewReader(b.text), b.contentType
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return response{}, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return response{}, err
	}
	if rd != nil && contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.c.Do(req)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: read the body: %w", method, path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(data)}, nil
}

// rawBody is a request body sent as is.
type rawBody struct{ contentType, text string }

// login obtains name's tokens at /api/token/.
func (c *client) login(name string) (access, refresh string) {
	c.t.Helper()
	r := c.do(http.MethodPost, "/api/token/", "", map[string]string{"username": name, "password": password})
	if r.status != http.StatusOK {
		c.t.Fatalf("POST /api/token/ as %s: %d %s, want 200", name, r.status, r.body)
	}
	var tokens struct{ Access, Refresh string }
	decode(c.t, r.body, &tokens)
	if tokens.Access == "" || tokens.Refresh == "" {
		c.t.Fatalf("POST /api/token/ as %s: %s, want access and refresh tokens", name, r.body)
	}
	return tokens.Access, tokens.Refresh
}

// decode unmarshals a response body.
func decode(t *testing.T, body string, v any) {
	t.Helper()
	if err := decodeErr(body, v); err != nil {
		t.Fatal(err)
	}
}

// decodeErr is decode returning its error, for goroutines.
func decodeErr(body string, v any) error {
	if err := json.Unmarshal([]byte(body), v); err != nil {
		return fmt.Errorf("decode %q: %w", body, err)
	}
	return nil
}

// payload is a JWT's claims, read without verifying it: the middle
// part, base64url.
func payload(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q has %d parts, want 3", token, len(parts))
	}
	data, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("token payload: %v", err)
	}
	var claims map[string]any
	decode(t, string(data), &claims)
	return claims
}
