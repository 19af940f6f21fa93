package e2e

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drover/drover/internal/exitcode"
)

// The first hour's signals, keep-alive, liveness, pid file and exit
// statuses (issue 13, items 1 to 5).

// freshClient opens a new connection for every request, so the kernel
// hands them to every worker, and a stop at the test's end need not wait
// out an idle keep-alive connection's linger.
func freshClient() *http.Client {
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
}

// procState is the state letter of /proc/PID/stat ("S", "R", "T" for
// stopped), "" when pid is gone.
func procState(pid int) string {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	if m := statRE.FindSubmatch(data); m != nil {
		return string(m[1])
	}
	return ""
}

// TestSupervisorSignalsSentToAWorkerAreIgnored: systemctl kill -s TTIN
// signals every process of the unit. A worker that gets TTIN, TTOU, WINCH,
// USR2 or HUP keeps serving (TTIN's default action would stop it until
// --timeout killed it), and the supervisor, which got nothing, keeps its
// workers.
func TestSupervisorSignalsSentToAWorkerAreIgnored(t *testing.T) {
	s := serve(t, testappBin, 2, nil, "--timeout", "2")
	before := s.waitWorkers(2, 5*time.Second)
	victim := before[0]
	mark := s.mark()
	for _, sig := range []syscall.Signal{syscall.SIGTTIN, syscall.SIGTTOU, syscall.SIGWINCH, syscall.SIGUSR2, syscall.SIGHUP} {
		if err := syscall.Kill(victim, sig); err != nil {
			t.Fatalf("kill -%s %d: %v", sig, victim, err)
		}
	}

	// Serve past --timeout: a stopped worker would be killed by then. The
	// victim must answer some of the requests.
	c := freshClient()
	servedByVictim := 0
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); {
		if st := procState(victim); st == "T" || st == "" {
			t.Fatalf("worker %d is in state %q after the supervisor's signals, want running", victim, st)
		}
		status, body := get(t, c, s.url+"/pid")
		if status != http.StatusOK {
			t.Fatalf("GET /pid = %d %s", status, body)
		}
		if body == strconv.Itoa(victim) {
			servedByVictim++
		}
		time.Sleep(20 * time.Millisecond)
	}
	if servedByVictim == 0 {
		t.Errorf("worker %d answered no request in 3s after the signals", victim)
	}
	if after := s.waitWorkers(2, time.Second); !slices.Equal(sorted(after), sorted(before)) {
		t.Errorf("workers after the signals = %v, want the same %v", after, before)
	}
	for _, l := range s.logsFrom(mark) {
		if l.msg() == "signal received" || strings.Contains(l.msg(), "timed out") || l.msg() == "worker died; replacing it" {
			t.Errorf("supervisor reacted to signals sent to a worker: %s", l.text)
		}
	}
}

func sorted(pids []int) []int {
	out := slices.Clone(pids)
	slices.Sort(out)
	return out
}

// waitEOF waits, up to timeout, until every writer closed the process's
// stderr: its output is complete.
func (p *proc) waitEOF(timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	timer := time.AfterFunc(timeout, func() {
		p.mu.Lock()
		p.cond.Broadcast()
		p.mu.Unlock()
	})
	defer timer.Stop()
	p.mu.Lock()
	defer p.mu.Unlock()
	for !p.eof && time.Now().Before(deadline) {
		p.cond.Wait()
	}
}

// TestKeepAliveZeroClosesEveryConnection: --keep-alive 0 is Gunicorn's
// "no keep-alive", under serve and dev: the response says Connection:
// close and the server closes at once, not after the read timeout.
func TestKeepAliveZeroClosesEveryConnection(t *testing.T) {
	tests := []struct {
		name    string
		address func(t *testing.T) string
	}{
		{name: "serve", address: func(t *testing.T) string {
			return serve(t, droverBin, 1, nil, "--keep-alive", "0").addr
		}},
		{name: "dev", address: func(t *testing.T) string {
			d := start(t, droverBin, nil, "dev", "--bind", "127.0.0.1:0", "--keep-alive", "0")
			return strings.TrimPrefix(devAddress(t, d), "http://")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := tt.address(t)
			began := time.Now()
			out := rawRequest(t, addr, "GET /healthz HTTP/1.1\r\nHost: drover\r\n\r\n", 8*time.Second)
			took := time.Since(began)
			if !strings.HasPrefix(out, "HTTP/1.1 200") || !strings.Contains(out, "\r\nConnection: close\r\n") || took > 2*time.Second {
				t.Errorf("--keep-alive 0: answer %q after %s; want 200 with Connection: close, and the connection closed at once", out, took)
			}
		})
	}
}

// TestTimeoutZeroNeverKillsASilentWorker: --timeout 0 is accepted and
// means no liveness timeout, as in Gunicorn: a worker that stops
// heartbeating (SIGSTOP) is left alone, and serves again once continued.
func TestTimeoutZeroNeverKillsASilentWorker(t *testing.T) {
	s := serve(t, testappBin, 1, nil, "--timeout", "0")
	victim := s.waitWorkers(1, 5*time.Second)[0]
	mark := s.mark()
	if err := syscall.Kill(victim, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	// Silent for three heartbeats' worth and more: with any timeout the
	// supervisor's clock would have judged it by now.
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if !alive(victim) {
			t.Fatalf("silent worker %d was killed under --timeout 0", victim)
		}
	}
	if err := syscall.Kill(victim, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	if status, body := get(t, freshClient(), s.url+"/pid"); status != http.StatusOK || body != strconv.Itoa(victim) {
		t.Errorf("GET /pid after SIGCONT = %d %q, want 200 from worker %d", status, body, victim)
	}
	for _, l := range s.logsFrom(mark) {
		if strings.Contains(l.msg(), "timed out") {
			t.Errorf("supervisor judged a worker under --timeout 0: %s", l.text)
		}
	}
}

// TestSecondServeWithARunningPIDFileRefuses: a second drover serve given
// the pid file of a running one exits with status 1 and one line naming
// the PID; the first keeps serving and keeps its file.
func TestSecondServeWithARunningPIDFileRefuses(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "drover.pid")
	first := serve(t, droverBin, 1, nil, "--pid", pidFile)
	firstPID := first.cmd.Process.Pid

	second := start(t, droverBin, nil, "serve", "--bind", "127.0.0.1:0", "--workers", "1", "--pid", pidFile)
	code := second.wait(10 * time.Second)
	second.waitEOF(5 * time.Second)
	wantLine := "drover: already running as PID " + strconv.Itoa(firstPID) + " (pid file " + pidFile + ")"
	if out := strings.TrimSpace(second.output()); code != exitcode.Config || out != wantLine {
		t.Errorf("second serve: exit %d, stderr %q; want exit %d and %q", code, out, exitcode.Config, wantLine)
	}
	if data, err := os.ReadFile(pidFile); err != nil || strings.TrimSpace(string(data)) != strconv.Itoa(firstPID) {
		t.Errorf("pid file after the refused start = %q, %v; want %d", data, err, firstPID)
	}
	if status, _ := get(t, freshClient(), first.url+"/healthz"); status != http.StatusOK {
		t.Errorf("first supervisor's /healthz = %d after the refused start, want 200", status)
	}
}

// TestStalePIDFileIsReplaced: a pid file naming a process that is gone,
// or a live process of another program, is replaced.
func TestStalePIDFileIsReplaced(t *testing.T) {
	exited := exec.Command("true")
	if err := exited.Run(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		givePID int
	}{
		{name: "a process that exited", givePID: exited.Process.Pid},
		{name: "another program (this test)", givePID: os.Getpid()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pidFile := filepath.Join(t.TempDir(), "drover.pid")
			if err := os.WriteFile(pidFile, []byte(strconv.Itoa(tt.givePID)+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			s := serve(t, droverBin, 1, nil, "--pid", pidFile)
			s.waitLog(time.Second, 0, 1, msgIs("replaced a stale pid file"))
			data, err := os.ReadFile(pidFile)
			if want := strconv.Itoa(s.cmd.Process.Pid); err != nil || strings.TrimSpace(string(data)) != want {
				t.Errorf("pid file naming %d = %q, %v after start; want %s", tt.givePID, data, err, want)
			}
		})
	}
}

// TestBindFailureExitStatus: an address that cannot be bound is a refusal
// to start, with the same status under serve, dev and dev --reload: the
// README table's status for "cannot bind".
func TestBindFailureExitStatus(t *testing.T) {
	want := readmeExitStatus(t, "cannot bind")
	if want != exitcode.Config {
		t.Errorf("README gives %d for a bind failure, internal/exitcode.Config is %d", want, exitcode.Config)
	}
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	addr := taken.Addr().String()
	tests := []struct {
		name     string
		giveArgs []string
	}{
		{name: "serve", giveArgs: []string{"serve", "--bind", addr, "--workers", "1"}},
		{name: "dev", giveArgs: []string{"dev", "--bind", addr}},
		{name: "dev --reload", giveArgs: []string{"dev", "--reload", "--bind", addr}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := start(t, droverBin, nil, tt.giveArgs...)
			code := p.wait(20 * time.Second)
			p.waitEOF(5 * time.Second)
			if out := p.output(); code != want || !strings.Contains(out, "address already in use") {
				t.Errorf("drover %v on a bound address: exit %d, stderr %q; want exit %d and the bind error", tt.giveArgs, code, out, want)
			}
		})
	}
}

// readmeExitStatus returns the status of the README's "Exit statuses" row
// whose meaning contains what.
func readmeExitStatus(t *testing.T, what string) int {
	t.Helper()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(data), "\n## Exit statuses\n")
	section, _, _ = strings.Cut(section, "\n## ")
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 3 || !strings.Contains(cells[2], what) {
			continue
		}
		if n, err := strconv.Atoi(strings.TrimSpace(cells[1])); err == nil {
			return n
		}
	}
	t.Fatalf("README's Exit statuses table has no row mentioning %q", what)
	return -1
}
