package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/drover/drover/internal/control"
	"github.com/drover/drover/internal/exitcode"
)

// The control socket and drover status, reload, scale and stop on the
// real binary (issue 15, part 1). Each test gives the server a state
// directory of its own and runs the control commands with the same
// settings, as an operator would.

// ctlServer is a supervisor and the environment its control commands
// need to find its socket.
type ctlServer struct {
	*server
	env  []string
	sock string
}

// serveCtl starts testapp with n workers on state directory dir (a new
// one when ""), its control socket at the default place.
func serveCtl(t *testing.T, n int, dir string, env []string, args ...string) *ctlServer {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	env = append([]string{"DROVER_STATE_DIR=" + dir, "RUNTIME_DIRECTORY="}, env...)
	s := serve(t, testappBin, n, env, args...)
	return &ctlServer{server: s, env: env, sock: filepath.Join(dir, "testapp.ctl")}
}

// ctlRun runs testapp with args (a control command) in env, as cred
// when not nil, and returns what it printed and its exit status.
func ctlRun(t *testing.T, env []string, cred *syscall.Credential, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runControl(t, testappBin, env, cred, args...)
}

// runControl runs bin with args (a control command) in env, as cred when
// not nil, and returns what it printed and its exit status.
func runControl(t *testing.T, bin string, env []string, cred *syscall.Credential, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(append(os.Environ(), "DROVER_SECRET_KEY="+testSecretKey), env...)
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		code = exitErr.ExitCode()
	default:
		t.Fatalf("run %v: %v", args, err)
	}
	return out.String(), errOut.String(), code
}

// status is testapp status --json, which must succeed.
func (s *ctlServer) status(t *testing.T) control.Status {
	t.Helper()
	out, errOut, code := ctlRun(t, s.env, nil, "status", "--json")
	if code != 0 {
		t.Fatalf("status --json: exit status %d: %s", code, errOut)
	}
	var st control.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status --json printed %q: %v", out, err)
	}
	return st
}

// waitStatus polls status, with a deadline, until cond holds, and
// returns that status.
func (s *ctlServer) waitStatus(t *testing.T, what string, cond func(control.Status) bool) control.Status {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st := s.status(t)
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited 20s for status to show %s; last: %+v", what, st)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// allReady holds when status lists exactly n workers, all ready, of the
// serving generation.
func allReady(n int) func(control.Status) bool {
	return func(st control.Status) bool {
		if len(st.Workers) != n || st.Ready != n || st.Desired != n || st.Reload != nil {
			return false
		}
		for _, w := range st.Workers {
			if w.State != control.StateReady || w.Generation != st.Generation {
				return false
			}
		}
		return true
	}
}

// checkLive checks that status lists exactly the supervisor's live
// children, each with the supervisor as its parent in /proc/PID/status.
func (s *ctlServer) checkLive(t *testing.T, st control.Status) {
	t.Helper()
	sup := s.cmd.Process.Pid
	if st.PID != sup {
		t.Errorf("status names supervisor %d, want %d", st.PID, sup)
	}
	var listed []int
	for _, w := range st.Workers {
		listed = append(listed, w.PID)
		if ppid := statusPPid(w.PID); ppid != sup {
			t.Errorf("worker %d (slot %d) has parent %d in /proc, want the supervisor %d", w.PID, w.Slot, ppid, sup)
		}
	}
	if live := s.workerPIDs(); !slices.Equal(sorted(listed), sorted(live)) {
		t.Errorf("status lists workers %v, the process table %v", sorted(listed), sorted(live))
	}
}

// statusPPid is the PPid line of /proc/PID/status, -1 when pid is gone.
func statusPPid(pid int) int {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "PPid:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return -1
}

// workerRow is a row of status's table: a slot, then a PID.
var workerRow = regexp.MustCompile(`(?m)^\d+\s+\d+\s+\d+\s+(booting|ready|retiring|draining|killed)\s`)

// TestControlStatusFollowsTheWorkers: status lists exactly the live
// workers through a kill -9 (the replacement, with restarts 1 for its
// slot), TTIN (one more) and HUP (a new generation); the table has one
// row per worker.
func TestControlStatusFollowsTheWorkers(t *testing.T) {
	s := serveCtl(t, 2, "", nil)
	st := s.waitStatus(t, "2 ready workers", allReady(2))
	s.checkLive(t, st)
	if st.Name != "testapp" || st.Generation != 1 {
		t.Errorf("status names %q generation %d, want testapp generation 1", st.Name, st.Generation)
	}
	if info, err := os.Stat(s.sock); err != nil || info.Mode().Type() != os.ModeSocket || info.Mode().Perm() != 0o600 {
		t.Fatalf("control socket %s: %v, %v; want a socket of mode 0600", s.sock, info.Mode(), err)
	}

	out, errOut, code := ctlRun(t, s.env, nil, "status")
	if code != 0 || len(workerRow.FindAllString(out, -1)) != 2 || !strings.Contains(out, "SLOT  PID") {
		t.Errorf("status: exit status %d, %s; printed\n%s\nwant a table of 2 rows", code, errOut, out)
	}

	// kill -9 the worker of slot 1: its replacement, restarts 1.
	victim := st.Workers[0]
	if err := syscall.Kill(victim.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	st = s.waitStatus(t, "slot 1 replaced", func(st control.Status) bool {
		return allReady(2)(st) && st.Workers[0].PID != victim.PID
	})
	s.checkLive(t, st)
	w := st.Workers[0]
	if w.Slot != 1 || w.Restarts != 1 || w.LastExit == nil || w.LastExit.Status != "killed by SIGKILL" {
		t.Errorf("slot 1 after kill -9 = %+v, want restarts 1 and last exit killed by SIGKILL", w)
	}
	if w := st.Workers[1]; w.Restarts != 0 || w.LastExit != nil {
		t.Errorf("slot 2 after slot 1's kill = %+v, want no restart", w)
	}

	// TTIN: one more row.
	s.signal(syscall.SIGTTIN)
	st = s.waitStatus(t, "3 ready workers", allReady(3))
	s.checkLive(t, st)
	out, _, _ = ctlRun(t, s.env, nil, "status")
	if n := len(workerRow.FindAllString(out, -1)); n != 3 {
		t.Errorf("status after TTIN has %d rows, want 3:\n%s", n, out)
	}

	// HUP: a new generation (of --workers 2), the old one gone.
	before := st.Workers
	s.signal(syscall.SIGHUP)
	st = s.waitStatus(t, "generation 2 alone", func(st control.Status) bool { return st.Generation == 2 && allReady(2)(st) })
	s.checkLive(t, st)
	for _, w := range st.Workers {
		for _, old := range before {
			if w.PID == old.PID {
				t.Errorf("worker %d of generation 1 is listed after the reload", w.PID)
			}
		}
	}
}

// TestControlReloadWait: reload --wait returns 0 once the new generation
// is ready, and exit status 4 with the reason when it is abandoned.
func TestControlReloadWait(t *testing.T) {
	failFile := filepath.Join(t.TempDir(), "fail")
	s := serveCtl(t, 2, "", []string{"TESTAPP_FAIL_BOOT_FILE=" + failFile})
	s.waitStatus(t, "2 ready workers", allReady(2))

	out, errOut, code := ctlRun(t, s.env, nil, "reload", "--wait")
	if code != 0 || out != "reloaded: generation 2 is ready\n" {
		t.Fatalf("reload --wait: exit status %d, printed %q, %q; want 0 and generation 2 ready", code, out, errOut)
	}
	// Answered once generation 2 is ready: status shows it at once.
	st := s.status(t)
	ready := 0
	for _, w := range st.Workers {
		if w.Generation == 2 && w.State == control.StateReady {
			ready++
			if ppid := statusPPid(w.PID); ppid != s.cmd.Process.Pid {
				t.Errorf("new worker %d has parent %d, want the supervisor", w.PID, ppid)
			}
		}
	}
	if st.Generation != 2 || ready != 2 || st.Reload != nil {
		t.Errorf("status right after reload --wait: generation %d, %d ready of generation 2, reload %+v; want 2, 2, none", st.Generation, ready, st.Reload)
	}
	st = s.waitStatus(t, "generation 2 alone", allReady(2))
	s.checkLive(t, st)

	// New workers that fail to boot: the reload is abandoned.
	if err := os.WriteFile(failFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = ctlRun(t, s.env, nil, "reload", "--wait")
	if code != exitcode.Runtime || !strings.Contains(errOut, "reload abandoned; the running workers keep serving") || out != "" {
		t.Errorf("reload --wait onto failing workers: exit status %d, stdout %q, stderr %q; want %d and the reason", code, out, errOut, exitcode.Runtime)
	}
	st = s.waitStatus(t, "generation 2 serving alone", allReady(2))
	if st.Generation != 2 {
		t.Errorf("generation after the abandoned reload = %d, want 2", st.Generation)
	}
	s.checkLive(t, st)
	if status, body := get(t, freshClient(), s.url+"/pid"); status != http.StatusOK {
		t.Errorf("GET /pid after the abandoned reload = %d %s", status, body)
	}
}

// TestControlScale: scale 5, then scale 2.
func TestControlScale(t *testing.T) {
	s := serveCtl(t, 2, "", nil)
	s.waitStatus(t, "2 ready workers", allReady(2))
	for _, n := range []int{5, 2} {
		out, errOut, code := ctlRun(t, s.env, nil, "scale", strconv.Itoa(n))
		if code != 0 || out != "workers: "+strconv.Itoa(n)+"\n" {
			t.Fatalf("scale %d: exit status %d, %q %q", n, code, out, errOut)
		}
		st := s.waitStatus(t, strconv.Itoa(n)+" ready workers", allReady(n))
		s.checkLive(t, st)
	}
	if _, errOut, code := ctlRun(t, s.env, nil, "scale", "0"); code != exitcode.Usage || !strings.Contains(errOut, "not a worker count") {
		t.Errorf("scale 0: exit status %d, %q; want %d", code, errOut, exitcode.Usage)
	}
}

// TestControlStop: stop answers, the supervisor drains and exits 0, and
// its socket is gone.
func TestControlStop(t *testing.T) {
	s := serveCtl(t, 2, "", nil)
	s.waitStatus(t, "2 ready workers", allReady(2))
	mark := s.mark()
	out, errOut, code := ctlRun(t, s.env, nil, "stop")
	if code != 0 || !strings.Contains(out, "stopping") {
		t.Fatalf("stop: exit status %d, %q %q", code, out, errOut)
	}
	if got := s.wait(20 * time.Second); got != 0 {
		t.Errorf("supervisor exit status after stop = %d, want 0", got)
	}
	s.waitLog(time.Second, mark, 1, func(l logLine) bool { return l.msg() == "control command" && l.fields["command"] == "stop" })
	if _, err := os.Stat(s.sock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("control socket after the stop: %v, want it removed", err)
	}
}

// TestControlPermissions: another user cannot use the socket (mode
// 0600), even through a directory it may enter, and is told so.
func TestControlPermissions(t *testing.T) {
	base := privilegeDirs(t) // skips unless root; binaries nobody can run
	sock := filepath.Join(base, "t.ctl")
	s := serveCtl(t, 1, "", nil, "--control-socket", sock)
	s.env = append(s.env, "DROVER_CONTROL_SOCKET="+sock)
	s.waitStatus(t, "1 ready worker", allReady(1))
	_, errOut, code := ctlRun(t, s.env, &syscall.Credential{Uid: nobody, Gid: nobody}, "status")
	want := "permission denied on control socket " + sock + ": run as the server's user"
	if code != exitcode.Config || !strings.Contains(errOut, want) {
		t.Errorf("status as nobody: exit status %d, %q; want %d and %q", code, errOut, exitcode.Config, want)
	}
	if _, errOut, code := ctlRun(t, s.env, &syscall.Credential{Uid: nobody, Gid: nobody}, "stop"); code != exitcode.Config {
		t.Errorf("stop as nobody: exit status %d, %q; want %d", code, errOut, exitcode.Config)
	}
	if !s.running() {
		t.Errorf("the supervisor stopped on nobody's stop")
	}
}

// TestControlSocketErrors: a missing socket, a stale one (its supervisor
// was killed), a second supervisor refused while one answers, and the
// stale one replaced by the next supervisor.
func TestControlSocketErrors(t *testing.T) {
	dir := t.TempDir()
	env := []string{"DROVER_STATE_DIR=" + dir, "RUNTIME_DIRECTORY="}
	sock := filepath.Join(dir, "testapp.ctl")
	_, errOut, code := ctlRun(t, env, nil, "status")
	if want := "no control socket at " + sock + ": is testapp serve running with this --state-dir/--control-socket?"; code != exitcode.Config || !strings.Contains(errOut, want) {
		t.Errorf("status without a server: exit status %d, %q; want %d and %q", code, errOut, exitcode.Config, want)
	}

	a := serveCtl(t, 1, dir, nil)
	a.waitStatus(t, "1 ready worker", allReady(1))
	second := start(t, testappBin, env, "serve", "--bind", "127.0.0.1:0", "--workers", "1")
	if got := second.wait(10 * time.Second); got != exitcode.Config || !strings.Contains(second.output(), sock) {
		t.Errorf("a second supervisor on the same state dir: exit status %d, output\n%s\nwant %d naming %s", got, second.output(), exitcode.Config, sock)
	}

	a.signal(syscall.SIGKILL)
	a.wait(5 * time.Second)
	_, errOut, code = ctlRun(t, env, nil, "status")
	if want := "stale control socket at " + sock + ": no supervisor answers"; code != exitcode.Config || !strings.Contains(errOut, want) {
		t.Errorf("status on a killed supervisor's socket: exit status %d, %q; want %d and %q", code, errOut, exitcode.Config, want)
	}

	b := serveCtl(t, 1, dir, nil)
	b.waitLog(5*time.Second, 0, 1, msgIs("replaced a stale control socket"))
	st := b.waitStatus(t, "1 ready worker", allReady(1))
	b.checkLive(t, st)
}

// syncBuffer is a bytes.Buffer a command writes while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestControlStatusWatch: status --watch, its stdout no terminal, prints
// a table every second, separated by a blank line and without ANSI
// escapes, until Ctrl-C (INT), then exits 0.
func TestControlStatusWatch(t *testing.T) {
	s := serveCtl(t, 2, "", nil)
	s.waitStatus(t, "2 ready workers", allReady(2))
	cmd := exec.Command(testappBin, "status", "--watch")
	cmd.Env = append(os.Environ(), s.env...)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(out.String(), "SLOT  PID") < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("status --watch printed in 10s:\n%s\nwant 3 tables", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("status --watch after Ctrl-C: %v, want exit status 0", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("status --watch did not exit within 10s of Ctrl-C")
	}
	got := out.String()
	if strings.Contains(got, "\x1b[") {
		t.Errorf("status --watch into a pipe printed ANSI escapes:\n%q", got)
	}
	if n := strings.Count(got, "\n\ntestapp "); n < 2 {
		t.Errorf("status --watch printed %d blank-line separated tables after the first, want at least 2:\n%s", n, got)
	}
	if rows := len(workerRow.FindAllString(got, -1)); rows%2 != 0 || rows < 6 {
		t.Errorf("status --watch printed %d worker rows, want 2 per table:\n%s", rows, got)
	}
}
