package server

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/drover/drover/internal/sockets"
)

func TestBackoff(t *testing.T) {
	tests := []struct {
		giveFailures int
		want         time.Duration
	}{
		{giveFailures: 0, want: 0},
		{giveFailures: 1, want: 0},
		{giveFailures: 2, want: 100 * time.Millisecond},
		{giveFailures: 3, want: 200 * time.Millisecond},
		{giveFailures: 5, want: 800 * time.Millisecond},
		{giveFailures: 9, want: maxBackoff},
		{giveFailures: 1000, want: maxBackoff},
	}
	for _, tt := range tests {
		if got := backoff(tt.giveFailures); got != tt.want {
			t.Errorf("backoff(%d) = %s, want %s", tt.giveFailures, got, tt.want)
		}
	}
}

func TestCommandFor(t *testing.T) {
	tests := []struct {
		give os.Signal
		want command
	}{
		{give: syscall.SIGTERM, want: cmdStopGraceful},
		{give: syscall.SIGINT, want: cmdStopFast},
		{give: syscall.SIGQUIT, want: cmdStopFast},
		{give: syscall.SIGHUP, want: cmdReload},
		{give: syscall.SIGTTIN, want: cmdIncrease},
		{give: syscall.SIGTTOU, want: cmdDecrease},
		{give: syscall.SIGUSR1, want: cmdReopenLogs},
		{give: syscall.SIGUSR2, want: cmdUpgrade},
	}
	for _, tt := range tests {
		if got := commandFor(tt.give); got != tt.want {
			t.Errorf("commandFor(%s) = %s, want %s", tt.give, got, tt.want)
		}
	}
	if n := len(handledSignals()); n != len(tests) {
		t.Errorf("handledSignals() has %d signals, the table %d", n, len(tests))
	}
}

func TestPIDFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "drover.pid")
	if err := writePIDFile(path, 4242); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil || string(data) != "4242\n" {
		t.Fatalf("pid file = %q, %v; want 4242", data, err)
	}
	// Another supervisor's PID is left alone.
	if err := removePIDFile(path, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("removePIDFile removed another process's pid file: %v", err)
	}
	if err := removePIDFile(path, 4242); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("pid file still there: %v", err)
	}
	if err := writePIDFile(filepath.Join(t.TempDir(), "missing", "x.pid"), 1); err == nil {
		t.Error("writePIDFile into a missing directory succeeded")
	}
}

func TestClaimPIDFile(t *testing.T) {
	// Live processes of this program (the test binary) and of another
	// (sleep), and one that has exited.
	start := func(cmd *exec.Cmd) int {
		t.Helper()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		return cmd.Process.Pid
	}
	peer := exec.Command(os.Args[0])
	peer.Env = append(os.Environ(), envPeer+"=1")
	ours, other := start(peer), start(exec.Command("sleep", "60"))
	exited := exec.Command("true")
	if err := exited.Run(); err != nil {
		t.Fatal(err)
	}
	gone := exited.Process.Pid

	tests := []struct {
		name         string
		give         string // the file's content; "-" for no file
		giveClaimant int
		wantStale    bool
		wantRunning  int // the PID of an *AlreadyRunningError; 0 for none
	}{
		{name: "no file", give: "-", giveClaimant: 4242},
		{name: "this program running", give: strconv.Itoa(ours) + "\n", giveClaimant: 4242, wantRunning: ours},
		{name: "a process that exited", give: strconv.Itoa(gone) + "\n", giveClaimant: 4242, wantStale: true},
		{name: "another program", give: strconv.Itoa(other) + "\n", giveClaimant: 4242, wantStale: true},
		{name: "the claimant itself", give: strconv.Itoa(os.Getpid()) + "\n", giveClaimant: os.Getpid(), wantStale: true},
		{name: "no PID", give: "drover\n", giveClaimant: 4242, wantStale: true},
		{name: "empty", give: "", giveClaimant: 4242, wantStale: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "drover.pid")
			wantFile := strconv.Itoa(tt.giveClaimant) + "\n"
			if tt.give != "-" {
				if err := os.WriteFile(path, []byte(tt.give), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if tt.wantRunning != 0 {
				wantFile = tt.give // left alone
			}

			stale, err := claimPIDFile(path, tt.giveClaimant)

			running := 0
			var are *AlreadyRunningError
			if errors.As(err, &are) {
				running = are.PID
			} else if err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(path)
			if stale != tt.wantStale || running != tt.wantRunning || string(got) != wantFile {
				t.Errorf("claimPIDFile(%q over %q, %d) = stale %v, running %d, file %q; want %v, %d, %q",
					path, tt.give, tt.giveClaimant, stale, running, got, tt.wantStale, tt.wantRunning, wantFile)
			}
		})
	}
}

func TestAlreadyRunningErrorNamesPIDAndFile(t *testing.T) {
	err := error(&AlreadyRunningError{PID: 1234, Path: "/run/drover.pid"})
	if got, want := err.Error(), "already running as PID 1234 (pid file /run/drover.pid)"; got != want {
		t.Errorf("AlreadyRunningError.Error() = %q, want %q", got, want)
	}
}

func TestBindAllSetsBacklogAndPassesNonBlockingDuplicates(t *testing.T) {
	cfg := Sockets{
		Bind:       []string{"127.0.0.1:0", "unix:" + filepath.Join(t.TempDir(), "d.sock")},
		Backlog:    16,
		SocketMode: 0o660,
	}
	ls, err := bindAll(cfg, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer sockets.CloseAll(ls)
	if len(ls) != 2 {
		t.Fatalf("bindAll opened %d listeners, want 2", len(ls))
	}
	for _, l := range ls {
		// os/exec reads Fd() of every ExtraFile; that must not make the
		// shared socket blocking (workers would hang in accept).
		fd := l.File.Fd()
		flags, err := fcntlFlags(fd)
		if err != nil {
			t.Fatal(err)
		}
		if flags&syscall.O_NONBLOCK == 0 {
			t.Errorf("%s: the descriptor passed to workers is blocking after Fd()", l.Name)
		}
	}
}

// usable is a set of options New accepts.
func usable() Options {
	return Options{
		Sockets:         Sockets{Bind: []string{"127.0.0.1:0"}},
		Workers:         2,
		BootTimeout:     time.Second,
		Timeout:         time.Second,
		GracefulTimeout: time.Second,
		Settings:        WorkerSettings{Schema: "test", JSON: []byte(`{}`)},
	}
}

func TestNewRefusesUnusableOptions(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Options)
		want   string // in the error; "" for accepted
	}{
		{name: "usable", change: func(*Options) {}},
		{name: "no workers", change: func(o *Options) { o.Workers = 0 }, want: "workers must be at least 1, got 0"},
		{name: "no boot timeout", change: func(o *Options) { o.BootTimeout = 0 }, want: "boot timeout must be positive"},
		{name: "negative timeout", change: func(o *Options) { o.Timeout = -time.Second }, want: "timeout must not be negative, got -1s"},
		{name: "zero timeout: never judged", change: func(o *Options) { o.Timeout = 0 }},
		{name: "no graceful timeout", change: func(o *Options) { o.GracefulTimeout = 0 }, want: "graceful timeout must be positive"},
		{name: "settings without a schema", change: func(o *Options) { o.Settings.Schema = "" }, want: "worker settings have no schema"},
		{name: "the supervisor's own identity", change: func(o *Options) {
			o.User = &syscall.Credential{Uid: uint32(os.Geteuid()), Gid: uint32(os.Getegid())}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := usable()
			tt.change(&opts)
			_, err := New(Config{Options: opts}, zaptest.NewLogger(t))
			if tt.want == "" && err != nil {
				t.Errorf("New = %v, want it accepted", err)
			}
			if tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("New = %v, want an error with %q", err, tt.want)
			}
		})
	}
}

func TestCheckPrivileges(t *testing.T) {
	if err := CheckPrivileges(nil); err != nil {
		t.Errorf("CheckPrivileges(nil) = %v, want nil", err)
	}
	other := &syscall.Credential{Uid: 65534, Gid: 65534}
	err := CheckPrivileges(other)
	switch {
	case os.Geteuid() == 0 && err != nil:
		t.Errorf("CheckPrivileges(nobody) as root = %v, want nil", err)
	case os.Geteuid() != 0 && (err == nil || !strings.Contains(err.Error(), "needs root; this process runs as")):
		t.Errorf("CheckPrivileges(nobody) as %d = %v, want a needs-root error", os.Geteuid(), err)
	}
}

func TestDescribeExit(t *testing.T) {
	cmd := exec.Command("sh", "-c", "exit 3")
	_ = cmd.Run()
	if got := describeExit(cmd.ProcessState); got != "exit status 3" {
		t.Errorf("describeExit(exit 3) = %q", got)
	}
	cmd = exec.Command("sh", "-c", "kill -9 $$")
	_ = cmd.Run()
	if got := describeExit(cmd.ProcessState); got != "killed by SIGKILL" {
		t.Errorf("describeExit(kill -9) = %q", got)
	}
	if got := describeExit(nil); got != "unknown" {
		t.Errorf("describeExit(nil) = %q", got)
	}
}
