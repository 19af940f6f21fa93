package server

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
)

// listenNotify is a NOTIFY_SOCKET the test holds, as systemd would, set
// in the environment for the test's duration.
func listenNotify(t *testing.T) *net.UnixConn {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	t.Setenv("NOTIFY_SOCKET", path)
	return conn
}

// nextNotify is the next datagram on conn.
func nextNotify(t *testing.T, conn *net.UnixConn) string {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 4096)
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatalf("no sd_notify message: %v", err)
	}
	return string(buf[:n])
}

// statusOf is the STATUS= line of a notification, "" for none.
func statusOf(msg string) string {
	for _, line := range strings.Split(msg, "\n") {
		if strings.HasPrefix(line, "STATUS=") {
			return line
		}
	}
	return ""
}

// TestNotifierNamesTheProgramInEveryStatus: whatever the notification,
// its STATUS starts with the program's name.
func TestNotifierNamesTheProgramInEveryStatus(t *testing.T) {
	tests := []struct {
		name      string
		giveSend  func(n *notifier)
		wantState string
		want      string
	}{
		{name: "ready", giveSend: func(n *notifier) { n.serving("2 of 2 workers ready (generation 1)") },
			wantState: "READY=1", want: "STATUS=notes: 2 of 2 workers ready (generation 1)"},
		{name: "status update", giveSend: func(n *notifier) { n.ready = true; n.update("1 of 2 workers ready (generation 1)") },
			wantState: "STATUS=notes: 1 of 2 workers ready (generation 1)", want: "STATUS=notes: 1 of 2 workers ready (generation 1)"},
		{name: "reloading", giveSend: func(n *notifier) { n.reloading("reloading: starting generation 2") },
			wantState: "RELOADING=1", want: "STATUS=notes: reloading: starting generation 2"},
		{name: "reloaded", giveSend: func(n *notifier) { n.reloaded("2 of 2 workers ready (generation 2)") },
			wantState: "READY=1", want: "STATUS=notes: 2 of 2 workers ready (generation 2)"},
		{name: "stopping", giveSend: func(n *notifier) { n.stopping("stopping 2 workers") },
			wantState: "STOPPING=1", want: "STATUS=notes: stopping 2 workers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn := listenNotify(t)
			n := newNotifier("notes", zaptest.NewLogger(t))
			tt.giveSend(n)
			got := nextNotify(t, conn)
			if state, _, _ := strings.Cut(got, "\n"); state != tt.wantState || statusOf(got) != tt.want {
				t.Errorf("notification = %q, want %s with %q", got, tt.wantState, tt.want)
			}
		})
	}
}

// TestSupervisorStatusNamesTheProgram: the supervisor tells systemd its
// state under Options.Name; without one, under the executable's base
// name.
func TestSupervisorStatusNamesTheProgram(t *testing.T) {
	tests := []struct {
		name         string
		giveName     string
		wantReady    string
		wantStopping string
	}{
		{name: "the program's name", giveName: "notes",
			wantReady:    "STATUS=notes: 2 of 2 workers ready (generation 1)",
			wantStopping: "STATUS=notes: stopping 2 workers"},
		{name: "no name: the executable's",
			wantReady:    "STATUS=drover: 2 of 2 workers ready (generation 1)",
			wantStopping: "STATUS=drover: stopping 2 workers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn := listenNotify(t)
			cfg := testbedConfig() // the executable is /nonexistent/drover
			cfg.Options.Name = tt.giveName
			tb := newTestbedFrom(t, cfg)
			ready(101)(tb)
			ready(102)(tb) // READY=1 comes once both are ready
			if got := nextNotify(t, conn); statusOf(got) != tt.wantReady {
				t.Errorf("READY notification = %q, want %q", got, tt.wantReady)
			}
			term()(tb)
			if got := nextNotify(t, conn); statusOf(got) != tt.wantStopping {
				t.Errorf("STOPPING notification = %q, want %q", got, tt.wantStopping)
			}
		})
	}
}
