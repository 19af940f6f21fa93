package cli

import (
	"bytes"
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drover/drover/internal/control"
	"github.com/drover/drover/internal/exitcode"
)

// TestControlCommandErrors: the control commands name the socket they
// looked for and say why it cannot be used, with exit status 1.
func TestControlCommandErrors(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, "stale.ctl")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: stale, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	t.Setenv("RUNTIME_DIRECTORY", "")
	tests := []struct {
		name       string
		giveArgs   []string
		wantCode   int
		wantErrMsg string
	}{
		{name: "missing, from the state dir", giveArgs: []string{"status", "--state-dir", dir},
			wantCode: exitcode.Config, wantErrMsg: "no control socket at " + filepath.Join(dir, "drover.ctl") + ": is drover serve running with this --state-dir/--control-socket?"},
		{name: "stale", giveArgs: []string{"reload", "--wait", "--control-socket", stale},
			wantCode: exitcode.Config, wantErrMsg: "stale control socket at " + stale + ": no supervisor answers"},
		{name: "disabled", giveArgs: []string{"stop", "--control-socket-disable"},
			wantCode: exitcode.Config, wantErrMsg: "the control socket is off"},
		{name: "too long", giveArgs: []string{"status", "--control-socket", "/" + strings.Repeat("x", 120)},
			wantCode: exitcode.Config, wantErrMsg: "invalid control-socket: /xxx"},
		{name: "scale without N", giveArgs: []string{"scale"}, wantCode: exitcode.Usage, wantErrMsg: "usage: drover scale N"},
		{name: "scale 0", giveArgs: []string{"scale", "0"}, wantCode: exitcode.Usage, wantErrMsg: `"0" is not a worker count from 1 to 1024`},
		{name: "scale N last", giveArgs: []string{"scale", "--state-dir", dir, "3"},
			wantCode: exitcode.Config, wantErrMsg: "no control socket at "},
		{name: "status flags are its own", giveArgs: []string{"reload", "--json"}, wantCode: exitcode.Config, wantErrMsg: "unknown flag: --json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Run(context.Background(), Program{}, tt.giveArgs, new(bytes.Buffer))
			var ee *exitcode.Error
			if !errors.As(err, &ee) || ee.Code != tt.wantCode || !strings.Contains(err.Error(), tt.wantErrMsg) {
				t.Errorf("Run(%q) = %v, want code %d and %q", tt.giveArgs, err, tt.wantCode, tt.wantErrMsg)
			}
		})
	}
}

func TestControlSocketFromTheRuntimeDirectory(t *testing.T) {
	t.Setenv("RUNTIME_DIRECTORY", "/run/notes:/run/other")
	cfg, _, err := resolve(Program{Name: "notes"}.withDefaults(), nil, nil, nil, new(bytes.Buffer))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := (Program{Name: "notes"}).controlSocket(cfg); got != "/run/notes/notes.ctl" || err != nil {
		t.Errorf("controlSocket = %q, %v, want /run/notes/notes.ctl", got, err)
	}
}

func TestWriteStatus(t *testing.T) {
	now := time.Date(2026, 12, 2, 7, 0, 0, 0, time.UTC)
	st := &control.Status{
		PID: 4242, Name: "drover", Version: "v1.2.0", Started: now.Add(-192 * time.Second), UptimeS: 192,
		Generation: 2, Desired: 2, Ready: 2,
		Reload: &control.Reload{Generation: 3, Started: now.Add(-4 * time.Second)},
		Workers: []control.Worker{
			{Slot: 1, PID: 4300, Generation: 2, State: "ready", AgeS: 75, Requests: 1204, InFlight: 1, RSS: 23 << 20, Restarts: 1,
				LastExit: &control.Exit{Status: "killed by SIGKILL", At: now.Add(-76 * time.Second)}},
			{Slot: 1, PID: 4310, Generation: 3, State: "booting", AgeS: 4},
			{Slot: 2, PID: 4301, Generation: 2, State: "draining", AgeS: 7300, Requests: 98, RSS: 700 << 10,
				LastExit: &control.Exit{Status: "exit status 0", Reason: "reloaded", At: now.Add(-90000 * time.Second)}},
		},
	}
	var b bytes.Buffer
	writeStatus(&b, st, now)
	want := `drover v1.2.0, supervisor pid 4242
  uptime:      3m12s (since 2026-12-02 06:56:48 UTC)
  generation:  2
  workers:     2 ready of 2
  reload:      to generation 3, for 4s

SLOT  PID   GEN  STATE     AGE    REQUESTS  INFLIGHT  RSS   RESTARTS  LAST-EXIT
1     4300  2    ready     1m15s  1204      1         23M   1         killed by SIGKILL, 1m16s ago
1     4310  3    booting   4s     0         0         -     0         -
2     4301  2    draining  2h01m  98        0         700K  0         exit status 0 (reloaded), 1d1h ago
`
	if b.String() != want {
		t.Errorf("writeStatus printed\n%s\nwant\n%s", b.String(), want)
	}
}

func TestHumanUnits(t *testing.T) {
	tests := []struct {
		giveBytes uint64
		want      string
	}{{0, "-"}, {1000, "1K"}, {23 << 20, "23M"}, {1536 << 20, "1.5G"}}
	for _, tt := range tests {
		if got := humanBytes(tt.giveBytes); got != tt.want {
			t.Errorf("humanBytes(%d) = %q, want %q", tt.giveBytes, got, tt.want)
		}
	}
}
