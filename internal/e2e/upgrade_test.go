package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drover/drover/internal/control"
	"github.com/drover/drover/internal/exitcode"
)

// The binary upgrade (USR2, drover upgrade) on the real binary (issue 15,
// upgrade): each test serves a copy of drover from a directory of its
// own and upgrades it as a package manager does, renaming a new file
// over the path the supervisor was started from.

// install copies src to path, executable.
func install(t *testing.T, src, path string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o755); err != nil {
		t.Fatal(err)
	}
}

// replace renames a fresh copy of src over path (mv): the running
// programs keep the old file, now deleted.
func replace(t *testing.T, src, path string) {
	t.Helper()
	next := path + ".next"
	install(t, src, next)
	if err := os.Rename(next, path); err != nil {
		t.Fatal(err)
	}
}

// brokenBinary is a "new binary" that exits 3 at once, as a build
// missing its libraries or a truncated download does.
func brokenBinary(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "broken")
	if err := os.WriteFile(path, []byte("#!/bin/sh\necho 'broken build' >&2\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// exeOf is where /proc/PID/exe points: the file, with " (deleted)"
// once it was replaced.
func exeOf(pid int) string {
	exe, _ := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
	return exe
}

// upgradeServer is a copy of drover serving from its own directory.
type upgradeServer struct {
	*server
	bin, dir string
	env      []string
}

// serveUpgradable serves a copy of drover with n workers on the state
// directory dir (a new one when ""), with its pid file there.
func serveUpgradable(t *testing.T, dir string, n int, env []string, args ...string) *upgradeServer {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	bin := filepath.Join(dir, "drover")
	install(t, droverBin, bin)
	env = append([]string{"DROVER_STATE_DIR=" + dir, "RUNTIME_DIRECTORY="}, env...)
	s := serve(t, bin, n, env, append([]string{"--pid", filepath.Join(dir, "drover.pid")}, args...)...)
	u := &upgradeServer{server: s, bin: bin, dir: dir, env: env}
	t.Cleanup(u.killWorkers)
	return u
}

// killWorkers stops the supervisor and fails the test for, and kills,
// any of its workers still running 5s later (killStrays knows only the
// harness's own binaries).
func (u *upgradeServer) killWorkers() {
	u.stop()
	deadline := time.Now().Add(5 * time.Second)
	for _, l := range u.logsFrom(0) {
		pid := l.int("worker_pid")
		ours := func() bool { return pid > 0 && alive(pid) && strings.HasPrefix(exeOf(pid), u.bin) }
		for ours() && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if ours() {
			u.t.Errorf("worker %d still running 5s after its supervisor stopped", pid)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// control runs drover's control command args against u.
func (u *upgradeServer) control(args ...string) (stdout, stderr string, code int) {
	u.t.Helper()
	return runControl(u.t, droverBin, u.env, nil, args...)
}

func (u *upgradeServer) status() control.Status {
	u.t.Helper()
	out, errOut, code := u.control("status", "--json")
	if code != 0 {
		u.t.Fatalf("status --json: exit status %d: %s", code, errOut)
	}
	var st control.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		u.t.Fatalf("status --json printed %q: %v", out, err)
	}
	return st
}

// checkUpgraded checks that the supervisor is the same process, running
// the new file, named by the pid file, and that exactly n workers run,
// each from the new file and none of old.
func (u *upgradeServer) checkUpgraded(t *testing.T, n int, old []int) {
	t.Helper()
	sup := u.cmd.Process.Pid
	if !u.running() {
		t.Fatalf("the supervisor %d exited during the upgrade", sup)
	}
	if exe := exeOf(sup); exe != u.bin {
		t.Errorf("the supervisor %d runs %q, want the new %s", sup, exe, u.bin)
	}
	if data, err := os.ReadFile(filepath.Join(u.dir, "drover.pid")); err != nil || strings.TrimSpace(string(data)) != strconv.Itoa(sup) {
		t.Errorf("pid file after the upgrade: %q, %v; want %d", data, err, sup)
	}
	workers := u.waitWorkers(n, 40*time.Second)
	for _, pid := range workers {
		if slices.Contains(old, pid) {
			t.Errorf("worker %d of the old binary still runs after the upgrade", pid)
		}
		if exe := exeOf(pid); exe != u.bin {
			t.Errorf("worker %d runs %q, want the new %s", pid, exe, u.bin)
		}
	}
	st := u.status()
	if st.PID != sup || st.Ready != n || st.Reload != nil {
		t.Errorf("status after the upgrade: pid %d, %d ready, reload %+v; want %d, %d, none", st.PID, st.Ready, st.Reload, sup, n)
	}
}

// TestUpgradeUnderKeepAliveLoad: USR2 while wrk keeps 20 keep-alive
// connections busy (POSTs and GETs, as keepalive_test.go loads): the
// supervisor keeps its PID and now runs the new file, every worker
// afterwards runs the new file, and wrk saw no socket error and no
// answer that is not 2xx.
func TestUpgradeUnderKeepAliveLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("a 6-second load")
	}
	dir := t.TempDir()
	admin(t, dir, deployPassword+"\n", "createuser", "alice") // the password loginThrough logs in with
	u := serveUpgradable(t, dir, 3, nil)
	sup := u.cmd.Process.Pid
	old := u.waitWorkers(3, 5*time.Second)
	token := loginThrough(t, client(), u.url)

	const load = 6 * time.Second
	mark := u.mark()
	wrk := startWrk(t, u.url, token, 2, 20, load)
	time.Sleep(1500 * time.Millisecond) // the load is under way
	replace(t, droverBin, u.bin)
	u.signal(syscall.SIGUSR2)
	u.waitLog(20*time.Second, mark, 1, msgIs("upgrade complete"))
	res := wrk()
	t.Logf("wrk through the upgrade: %d requests, %d non-2xx, %d socket errors", res.requests, res.non2xx, res.socketErrors)
	if res.requests < 1000 || res.non2xx != 0 || res.socketErrors != 0 {
		t.Errorf("wrk: %d requests, %d non-2xx, %d socket errors; want 0 and 0\n%s", res.requests, res.non2xx, res.socketErrors, res.raw)
	}
	resumed := u.waitLog(time.Second, mark, 1, func(l logLine) bool { return l.msg() == "supervisor started" && l.fields["upgraded"] == true })[0]
	if pid := resumed.int("pid"); pid != sup {
		t.Errorf("the new supervisor started as PID %d, want %d", pid, sup)
	}
	u.checkUpgraded(t, 3, old)
}

// TestUpgradeOntoABrokenBinaryIsAbandoned: a new file that exits at
// boot fails as the canary; one line says the upgrade was abandoned,
// and the old binary's workers (the same PIDs) and supervisor serve on.
func TestUpgradeOntoABrokenBinaryIsAbandoned(t *testing.T) {
	u := serveUpgradable(t, "", 2, nil)
	sup := u.cmd.Process.Pid
	before := u.waitWorkers(2, 5*time.Second)
	replace(t, brokenBinary(t), u.bin)
	mark := u.mark()
	u.signal(syscall.SIGUSR2)
	line := u.waitLog(15*time.Second, mark, 1, msgIs("upgrade abandoned; the old binary keeps serving"))[0]
	if reason, _ := line.fields["reason"].(string); !strings.Contains(reason, "exit status 3") {
		t.Errorf("abandon reason %q, want the canary's exit status 3", reason)
	}
	after := u.waitWorkers(2, 5*time.Second)
	if !slices.Equal(sorted(before), sorted(after)) {
		t.Errorf("workers after the abandoned upgrade %v, want the same %v", sorted(after), sorted(before))
	}
	if exe := exeOf(sup); exe != u.bin+" (deleted)" {
		t.Errorf("the supervisor runs %q after the abandoned upgrade, want the old, deleted file", exe)
	}
	if status, body := get(t, freshClient(), u.url+"/healthz"); status != http.StatusOK {
		t.Errorf("GET /healthz after the abandoned upgrade = %d %s", status, body)
	}
	if st := u.status(); st.PID != sup || st.Generation != 1 || st.Ready != 2 || len(st.Workers) != 2 {
		t.Errorf("status after the abandoned upgrade: pid %d, generation %d, %d ready, %d workers; want %d, 1, 2, 2",
			st.PID, st.Generation, st.Ready, len(st.Workers), sup)
	}
}

// TestUpgradeToldSystemd: with a real NOTIFY_SOCKET the messages go
// READY, RELOADING (with MONOTONIC_USEC), READY once the new generation
// is ready, sent by the same PID the first READY named as MAINPID.
func TestUpgradeToldSystemd(t *testing.T) {
	ns := listenNotify(t)
	u := serveUpgradable(t, "", 2, []string{"NOTIFY_SOCKET=" + ns.path})
	sup := u.cmd.Process.Pid
	first := ns.until(t, "READY=1", 10*time.Second)
	if !strings.Contains(first, "MAINPID="+strconv.Itoa(sup)) {
		t.Errorf("first READY %q does not name MAINPID=%d", first, sup)
	}
	replace(t, droverBin, u.bin)
	u.signal(syscall.SIGUSR2)
	var states []string
	var last string
	for deadline := time.Now().Add(20 * time.Second); len(states) < 2 || states[len(states)-1] != "READY=1"; {
		msg := ns.next(t, time.Until(deadline))
		switch {
		case strings.Contains(msg, "RELOADING=1"):
			states = append(states, "RELOADING=1")
			if !strings.Contains(msg, "MONOTONIC_USEC=") {
				t.Errorf("RELOADING message %q lacks MONOTONIC_USEC", msg)
			}
		case strings.Contains(msg, "READY=1"):
			states = append(states, "READY=1")
			last = msg
		}
	}
	if want := []string{"RELOADING=1", "READY=1"}; !slices.Equal(states, want) {
		t.Errorf("after the first READY systemd was told %v, want %v", states, want)
	}
	if !strings.Contains(last, "generation 2") {
		t.Errorf("READY after the upgrade = %q, want generation 2", last)
	}
	if strings.Contains(last, "MAINPID=") && !strings.Contains(last, "MAINPID="+strconv.Itoa(sup)) {
		t.Errorf("READY after the upgrade %q names another MAINPID than %d", last, sup)
	}
	told := u.waitLog(5*time.Second, 0, 2, func(l logLine) bool { return l.msg() == "told systemd" && l.fields["state"] == "READY=1" })[1]
	if countBefore(u.proc, told, msgIs("upgrade complete")) != 1 {
		t.Error("READY=1 after the upgrade came before the upgrade completed")
	}
	u.checkUpgraded(t, 2, nil)
}

// TestUpgradeWait: drover upgrade --wait returns 0 once the new binary's
// generation is ready, and exit status 4 with the reason when the
// upgrade is abandoned.
func TestUpgradeWait(t *testing.T) {
	u := serveUpgradable(t, "", 2, nil)
	old := u.waitWorkers(2, 5*time.Second)
	replace(t, droverBin, u.bin)
	out, errOut, code := u.control("upgrade", "--wait")
	if code != 0 || out != "upgraded: generation 2 of the new binary is ready, same PID\n" {
		t.Fatalf("upgrade --wait: exit status %d, printed %q, %q; want 0 and generation 2 ready", code, out, errOut)
	}
	u.checkUpgraded(t, 2, old)

	replace(t, brokenBinary(t), u.bin)
	out, errOut, code = u.control("upgrade", "--wait")
	if code != exitcode.Runtime || out != "" || !strings.Contains(errOut, "upgrade abandoned; the old binary keeps serving") {
		t.Errorf("upgrade --wait onto a broken binary: exit status %d, stdout %q, stderr %q; want %d and the reason", code, out, errOut, exitcode.Runtime)
	}
	if st := u.status(); st.Generation != 2 || st.Ready != 2 {
		t.Errorf("status after the abandoned upgrade: generation %d, %d ready; want 2 and 2", st.Generation, st.Ready)
	}
}
