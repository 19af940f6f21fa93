package e2e

import (
	"debug/buildinfo"
	"debug/elf"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// renderUnit copies deploy/NAME into dir with the binary path replaced by
// the test's build, as an installation would place it.
func renderUnit(t *testing.T, dir, name string, edit func(string) string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "deploy", name))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(data), "/usr/local/bin/drover", droverBin)
	if edit != nil {
		text = edit(text)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func systemdAnalyze(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if testing.Short() {
			t.Skip("systemd-analyze not installed")
		}
		t.Fatal("systemd-analyze not installed: make deps installs Debian's systemd package")
	}
	return path
}

func TestSystemdUnitsVerify(t *testing.T) {
	analyze := systemdAnalyze(t)
	tests := []struct {
		name   string
		edit   func(string) string
		wantOK bool
	}{
		{name: "as shipped", wantOK: true},
		{name: "broken (negative control)", edit: func(s string) string { return strings.Replace(s, "Type=notify", "Type=bogus", 1) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			service := renderUnit(t, dir, "drover.service", tt.edit)
			socket := renderUnit(t, dir, "drover.socket", nil)
			out, err := exec.Command(analyze, "verify", service, socket).CombinedOutput()
			ok := err == nil && strings.TrimSpace(string(out)) == ""
			if ok != tt.wantOK {
				t.Errorf("systemd-analyze verify: err %v, output %q; want ok=%t", err, out, tt.wantOK)
			}
		})
	}
}

func TestSocketActivation(t *testing.T) {
	activate, err := exec.LookPath("systemd-socket-activate")
	if err != nil {
		if testing.Short() {
			t.Skip("systemd-socket-activate not installed")
		}
		t.Fatal("systemd-socket-activate not installed: make deps installs Debian's systemd package")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	p := start(t, activate, nil, "-l", addr, "-E", "DROVER_SECRET_KEY", "-E", "DROVER_STATE_DIR",
		droverBin, "serve", "--workers", "2", "--bind", "127.0.0.1:1")
	p.waitLog(10*time.Second, 0, 1, func(l logLine) bool { return strings.HasPrefix(l.text, "Listening on") })
	// systemd-socket-activate starts drover on the first connection.
	c := client()
	status, body := get(t, c, "http://"+addr+"/healthz")
	if status != 200 {
		t.Errorf("GET /healthz through the activated socket = %d %s", status, body)
	}
	using := p.waitLog(10*time.Second, 0, 1, msgIs("using sockets from systemd"))[0]
	if using.int("count") != 1 {
		t.Errorf("drover took %d sockets from systemd, want 1", using.int("count"))
	}
	p.signal(syscall.SIGTERM)
	if code := p.wait(10 * time.Second); code != 0 {
		t.Errorf("exit code after TERM = %d", code)
	}
}

// TestBinaryIsStatic builds the binary as the README's Deploying section
// does, with make build, and checks it is what the section says: static
// (no dynamic loader, no libc), built with CGO_ENABLED=0.
func TestBinaryIsStatic(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary again")
	}
	out := filepath.Join(t.TempDir(), "drover-static")
	cmd := exec.Command("make", "-s", "build", "BIN="+out)
	cmd.Dir = filepath.Join("..", "..")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1") // the Makefile, not the caller, must turn cgo off
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make build: %v\n%s", err, b)
	}
	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("make build's binary has a dynamic loader (PT_INTERP): not static")
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) != 0 {
		t.Errorf("make build's binary needs shared libraries %q (%v)", libs, err)
	}
	info, err := buildinfo.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(info.Settings, debug.BuildSetting{Key: "CGO_ENABLED", Value: "0"}) {
		t.Errorf("make build's binary was built with %v, want CGO_ENABLED=0", info.Settings)
	}
	if st, _ := os.Stat(out); st != nil {
		t.Logf("static binary: %s MiB", strconv.FormatFloat(float64(st.Size())/(1<<20), 'f', 1, 64))
	}
}

// TestLogrotateReopensDroverLogs runs the real logrotate with
// deploy/drover.logrotate on a serving drover's access log: the file is
// renamed, the postrotate's USR1 reaches the supervisor (its main
// process, as --kill-whom=main sends it), and the next request is logged
// in a new file drover created.
func TestLogrotateReopensDroverLogs(t *testing.T) {
	logrotate, err := exec.LookPath("logrotate")
	if err != nil {
		if testing.Short() {
			t.Skip("logrotate not installed")
		}
		t.Fatal("logrotate not installed: make deps installs Debian's logrotate package")
	}
	logs := t.TempDir()
	accessLog := filepath.Join(logs, "access.log")
	s := serve(t, droverBin, 2, nil, "--access-logfile", accessLog)
	c := client()
	get(t, c, s.url+"/healthz?before")

	data, err := os.ReadFile(filepath.Join("..", "..", "deploy", "drover.logrotate"))
	if err != nil {
		t.Fatal(err)
	}
	const postrotate = "systemctl kill --kill-whom=main --signal=USR1 drover.service"
	if !strings.Contains(string(data), postrotate) {
		t.Fatalf("deploy/drover.logrotate lacks %q", postrotate)
	}
	conf := strings.NewReplacer(
		"/var/log/drover", logs,
		postrotate, "kill -USR1 "+strconv.Itoa(s.cmd.Process.Pid),
	).Replace(string(data))
	confFile := filepath.Join(t.TempDir(), "drover")
	if err := os.WriteFile(confFile, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	mark := s.mark()
	// -f: rotate now, whatever the daily schedule says.
	out, err := exec.Command(logrotate, "-f", "-s", filepath.Join(t.TempDir(), "state"), confFile).CombinedOutput()
	if err != nil {
		t.Fatalf("logrotate: %v\n%s", err, out)
	}
	s.waitLog(5*time.Second, mark, 1, func(l logLine) bool { return l.msg() == "signal received" && l.fields["command"] == "reopen logs" })
	// The workers reopen once the supervisor relays the signal: a request
	// until then may still go to the renamed file, so ask until one is in
	// the new one.
	deadline := time.Now().Add(5 * time.Second)
	for i := 0; ; i++ {
		get(t, c, s.url+"/healthz?after")
		now, _ := os.ReadFile(accessLog)
		old, _ := os.ReadFile(accessLog + ".1")
		if strings.Contains(string(now), `"query":"after"`) {
			if strings.Contains(string(now), `"query":"before"`) || !strings.Contains(string(old), `"query":"before"`) {
				t.Errorf("after the rotation access.log = %q, access.log.1 = %q; want the first request in .1 only", now, old)
			}
			t.Logf("the new access.log has the request after the rotation (%d before it went to the old file)", i)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no request after the rotation is in a new access.log (%d bytes); access.log.1 = %q", len(now), old)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
