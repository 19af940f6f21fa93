package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// adminRun runs a drover admin command with env and stdin, and returns its
// output and exit status.
func adminRun(t *testing.T, env []string, stdin string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(droverBin, args...)
	cmd.Env = append(os.Environ(), append([]string{"DROVER_ARGON2_MEMORY=64K", "DROVER_ARGON2_ITERATIONS=1"}, env...)...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

// TestAdminCommandsNameTheirStore: every admin command reads --config as
// serve does and says which store it acted on; users lists, deleteuser
// deletes; a pipe's password goes through Django's validators unless
// --no-validate.
func TestAdminCommandsNameTheirStore(t *testing.T) {
	state := t.TempDir()
	toml := filepath.Join(t.TempDir(), "drover.toml")
	if err := os.WriteFile(toml, []byte(fmt.Sprintf("state_dir = %q\n", state)), 0o644); err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(state, "drover.db")
	cwd := t.TempDir() // where ./var would be, without --config
	tests := []struct {
		name      string
		giveArgs  []string
		giveStdin string
		wantOut   string // a regexp; STORE is the TOML's store
		wantCode  int
	}{
		{name: "a store that is not there", giveArgs: []string{"users"},
			wantOut: `^drover: no store at ` + regexp.QuoteMeta(filepath.Join(cwd, "var", "drover.db")) + `: give the service's --state-dir`, wantCode: 1},
		{name: "empty stdin", giveArgs: []string{"createuser", "frank", "--config", toml},
			wantOut: `^drover: no password given: stdin was empty`, wantCode: 1},
		{name: "Django's validators", giveArgs: []string{"createuser", "frank", "--config", toml}, giveStdin: "frank123\n",
			wantOut: `^drover: The password is too similar to the username\. This password is too common\.\n$`, wantCode: 1},
		{name: "created", giveArgs: []string{"createuser", "frank", "--config", toml}, giveStdin: "marble-otter-93\n",
			wantOut: `^created user "frank" \(id 1\) in STORE\n$`},
		{name: "config before the name", giveArgs: []string{"createuser", "--config", toml, "--no-validate", "grace"}, giveStdin: "12345678\n",
			wantOut: `^created user "grace" \(id 2\) in STORE\n$`},
		{name: "users", giveArgs: []string{"users", "--config", toml},
			wantOut: `^2 users in STORE\nID +USERNAME +ACTIVE +JOINED +LAST LOGIN\n1 +frank +yes +\S+ +never\n2 +grace +yes +\S+ +never\n$`},
		{name: "deleteuser", giveArgs: []string{"deleteuser", "grace", "--config", toml},
			wantOut: `^deleted user "grace" \(id 2\) from STORE, and every refresh token they held\n$`},
		{name: "users after", giveArgs: []string{"users", "--config", toml}, wantOut: `^1 user in STORE\n.*\n1 +frank `},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(droverBin, tt.giveArgs...)
			cmd.Dir = cwd
			cmd.Env = append(os.Environ(), "DROVER_ARGON2_MEMORY=64K", "DROVER_ARGON2_ITERATIONS=1")
			cmd.Stdin = strings.NewReader(tt.giveStdin)
			outb, err := cmd.CombinedOutput()
			out, code := string(outb), 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			want := regexp.MustCompile(strings.ReplaceAll(tt.wantOut, "STORE", regexp.QuoteMeta(store)))
			if code != tt.wantCode || !want.MatchString(out) {
				t.Errorf("drover %q: exit %d, output %q; want exit %d and output matching %q", tt.giveArgs, code, out, tt.wantCode, want)
			}
		})
	}
}

// TestDeleteUserEndsTheirSession: through a running drover, a deleted
// user's refresh token refreshes no more, and their name logs in no more.
func TestDeleteUserEndsTheirSession(t *testing.T) {
	const pw = "marble-otter-93"
	a := startAPI(t, 2, map[string]string{"frank": pw, "grace": pw})
	_, frank := a.login(t, "frank", pw)
	_, grace := a.login(t, "grace", pw)
	out, code := adminRun(t, []string{"DROVER_STATE_DIR=" + a.stateDir}, "", "deleteuser", "frank")
	if code != 0 || !strings.HasPrefix(out, `deleted user "frank" (id `) {
		t.Fatalf("deleteuser frank: exit %d, %q", code, out)
	}
	for range 4 { // new connections: every worker
		if r := postFresh(a.url+"/api/token/refresh/", map[string]string{"refresh": frank}); r.status != http.StatusUnauthorized {
			t.Errorf("the deleted user's refresh = %d %s, want 401", r.status, r.raw)
		}
	}
	if r := a.tryCall("POST", "/api/token/", map[string]string{"username": "frank", "password": pw}); r.status != http.StatusUnauthorized {
		t.Errorf("the deleted user's login = %d %s, want 401", r.status, r.raw)
	}
	if r := a.refresh(t, grace); r.status != http.StatusOK {
		t.Errorf("grace's refresh, whom nothing happened to = %d %s, want 200", r.status, r.raw)
	}
}

// openPTY opens a pseudo-terminal pair: the controller the test reads and
// writes, and the terminal the command gets as its stdin.
// echoOff waits until the terminal behind controller no longer echoes
// (on Linux the controller reports its terminal's settings).
func echoOff(t *testing.T, controller *os.File) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		tio, err := unix.IoctlGetTermios(int(controller.Fd()), unix.TCGETS)
		if err != nil {
			t.Fatalf("terminal settings: %v", err)
		}
		if tio.Lflag&unix.ECHO == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the password prompt left echo on for 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

func openPTY(t *testing.T) (controller, tty *os.File) {
	t.Helper()
	controller, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fd := int(controller.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("ptsname: %v", err)
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { controller.Close(); tty.Close() })
	return controller, tty
}

// terminal is what a command printed on a pseudo-terminal, read as it
// comes.
type terminal struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	more chan struct{} // closed and replaced at each read
}

func (tm *terminal) read(f *os.File) {
	b := make([]byte, 1024)
	for {
		n, err := f.Read(b)
		tm.mu.Lock()
		tm.buf.Write(b[:n])
		close(tm.more)
		tm.more = make(chan struct{})
		tm.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// waitFor waits until the output holds want count times.
func (tm *terminal) waitFor(t *testing.T, want string, count int) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		tm.mu.Lock()
		got, more := tm.buf.String(), tm.more
		tm.mu.Unlock()
		if strings.Count(got, want) >= count {
			return
		}
		select {
		case <-more:
		case <-deadline:
			t.Fatalf("no %d× %q on the terminal within 10s; it shows %q", count, want, got)
		}
	}
}

// TestCreateUserAtATerminalAsksAgain: at a terminal, a refused password
// (too short, then too common) and two that differ are reported and
// asked for again; the fourth try would be the last, the third succeeds.
func TestCreateUserAtATerminalAsksAgain(t *testing.T) {
	state := t.TempDir()
	controller, tty := openPTY(t)
	cmd := exec.Command(droverBin, "createuser", "frank")
	cmd.Env = append(os.Environ(), "DROVER_STATE_DIR="+state, "DROVER_ARGON2_MEMORY=64K", "DROVER_ARGON2_ITERATIONS=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close() // the child holds it; EOF on the controller once it exits
	tm := &terminal{more: make(chan struct{})}
	go tm.read(controller)
	answers := []struct{ prompt, line string }{
		{"Password: ", "short"}, {"Password (again): ", "short"},
		{"Password: ", "marble-otter-93"}, {"Password (again): ", "marble-otter-39"},
		{"Password: ", "marble-otter-93"}, {"Password (again): ", "marble-otter-93"},
	}
	seen := map[string]int{}
	for _, a := range answers {
		seen[a.prompt]++
		tm.waitFor(t, a.prompt, seen[a.prompt])
		// The prompt is written just before echo goes off: typing at once
		// would race that, as no person can.
		echoOff(t, controller)
		if _, err := controller.Write([]byte(a.line + "\r")); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("createuser at a terminal: %v", err)
		}
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("createuser at a terminal did not exit")
	}
	tm.waitFor(t, "created user", 1)
	tm.mu.Lock()
	out := tm.buf.String()
	tm.mu.Unlock()
	for _, want := range []string{
		"This password is too short. It must contain at least 8 characters.",
		"the two passwords differ",
		`created user "frank" (id 1) in ` + filepath.Join(state, "drover.db"),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the terminal shows %q, want %q in it", out, want)
		}
	}
	if strings.Contains(out, "marble") || strings.Contains(out, "short\r") {
		t.Errorf("a password was echoed: %q", out)
	}
}
