package server

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/drover/drover/internal/config"
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

func TestBindUnix(t *testing.T) {
	dir := t.TempDir()
	defaultPerm := unixPerm{mode: config.Default().Server.SocketMode, owner: config.Owner{UID: -1, GID: -1}}
	t.Run("creates with mode 0660", func(t *testing.T) {
		path := filepath.Join(dir, "a.sock")
		ln, err := bindUnix(path, defaultPerm)
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		info, err := os.Stat(path)
		if err != nil || info.Mode().Perm() != 0o660 {
			t.Errorf("socket mode = %v, %v; want 0660", info.Mode().Perm(), err)
		}
	})
	t.Run("takes the configured mode and owner", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("chown to another user needs root")
		}
		path := filepath.Join(dir, "owned.sock")
		ln, err := bindUnix(path, unixPerm{mode: 0o600, owner: config.Owner{UID: 65534, GID: 65534}})
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		st := info.Sys().(*syscall.Stat_t)
		if info.Mode().Perm() != 0o600 || st.Uid != 65534 || st.Gid != 65534 {
			t.Errorf("socket mode %o owner %d:%d, want 0600 65534:65534", info.Mode().Perm(), st.Uid, st.Gid)
		}
	})
	t.Run("replaces a stale socket", func(t *testing.T) {
		path := filepath.Join(dir, "stale.sock")
		old, err := net.Listen("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		old.(*net.UnixListener).SetUnlinkOnClose(false)
		old.Close()
		ln, err := bindUnix(path, defaultPerm)
		if err != nil {
			t.Fatalf("bindUnix over a stale socket: %v", err)
		}
		ln.Close()
	})
	t.Run("refuses a live socket", func(t *testing.T) {
		path := filepath.Join(dir, "live.sock")
		live, err := net.Listen("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		defer live.Close()
		if _, err := bindUnix(path, defaultPerm); err == nil || !strings.Contains(err.Error(), "another process") {
			t.Errorf("bindUnix over a live socket = %v, want refusal", err)
		}
	})
	t.Run("refuses a regular file", func(t *testing.T) {
		path := filepath.Join(dir, "file")
		if err := os.WriteFile(path, []byte("keep me"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := bindUnix(path, defaultPerm); err == nil || !strings.Contains(err.Error(), "not a socket") {
			t.Errorf("bindUnix over a file = %v, want refusal", err)
		}
		if data, _ := os.ReadFile(path); string(data) != "keep me" {
			t.Error("bindUnix touched a regular file")
		}
	})
}

func TestBindAllSetsBacklogAndPassesNonBlockingDuplicates(t *testing.T) {
	cfg := config.Default().Server
	cfg.Bind = []string{"127.0.0.1:0", "unix:" + filepath.Join(t.TempDir(), "d.sock")}
	cfg.Backlog = 16
	ls, err := bindAll(cfg, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll(ls)
	if len(ls) != 2 {
		t.Fatalf("bindAll opened %d listeners, want 2", len(ls))
	}
	for _, l := range ls {
		// os/exec reads Fd() of every ExtraFile; that must not make the
		// shared socket blocking (workers would hang in accept).
		fd := l.file.Fd()
		flags, err := fcntlFlags(fd)
		if err != nil {
			t.Fatal(err)
		}
		if flags&syscall.O_NONBLOCK == 0 {
			t.Errorf("%s: the descriptor passed to workers is blocking after Fd()", l.name)
		}
	}
}

func TestNewRejectsInvalidSettings(t *testing.T) {
	cfg := config.Default()
	cfg.Server.Workers = 0
	if _, err := New(Config{Settings: cfg}, zaptest.NewLogger(t)); err == nil {
		t.Error("New accepted workers = 0")
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
