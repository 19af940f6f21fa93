package e2e

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// nobody is the unprivileged user of Debian's base system (nobody:nogroup).
const nobody = 65534

// asNobody makes cmd run as nobody:nogroup.
func asNobody(cmd *exec.Cmd) *exec.Cmd {
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	return cmd
}

// ids reads the real UID and GID of pid from /proc.
func ids(t *testing.T, pid int) (uid, gid int) {
	t.Helper()
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	uid, gid = -1, -1
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		switch fields[0] {
		case "Uid:":
			uid, _ = strconv.Atoi(fields[1])
		case "Gid:":
			gid, _ = strconv.Atoi(fields[1])
		}
	}
	return uid, gid
}

// privilegeDirs makes a directory nobody can reach (the test's temp dirs
// are 0700 and root's) and the e2e binaries nobody can run.
func privilegeDirs(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("privilege dropping is tested as root")
	}
	if err := os.Chmod(filepath.Dir(droverBin), 0o755); err != nil {
		t.Fatal(err)
	}
	base, err := os.MkdirTemp("", "drover-priv-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	return base
}

// TestUserDropsWorkerPrivileges starts drover as root with --user: the
// supervisor binds as root and stays root, the workers run as nobody from
// their start and can use the state the supervisor created for them, the
// unix socket gets the configured owner and mode, files are created under
// --umask, and nobody cannot signal the supervisor.
func TestUserDropsWorkerPrivileges(t *testing.T) {
	base := privilegeDirs(t)
	state := filepath.Join(base, "state")
	sock := filepath.Join(base, "drover.sock")
	s := serve(t, droverBin, 2, []string{"DROVER_STATE_DIR=" + state},
		"--bind", "unix:"+sock, "--user", "nobody", "--group", "nogroup", "--umask", "027",
		"--socket-owner", "nobody:nogroup", "--socket-mode", "0600",
		"--access-logfile", filepath.Join(base, "access.log"))
	sup := s.cmd.Process.Pid

	if uid, _ := ids(t, sup); uid != 0 {
		t.Errorf("supervisor runs as uid %d, want 0 (it keeps root to bind and to stay out of the workers' reach)", uid)
	}
	workers := s.waitWorkers(2, 5*time.Second)
	for _, pid := range workers {
		if uid, gid := ids(t, pid); uid != nobody || gid != nobody {
			t.Errorf("worker %d runs as %d:%d, want %d:%d", pid, uid, gid, nobody, nobody)
		}
	}

	info, err := os.Stat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if st := info.Sys().(*syscall.Stat_t); st.Uid != nobody || st.Gid != nobody || info.Mode().Perm() != 0o600 {
		t.Errorf("socket %o %d:%d, want 0600 %d:%d", info.Mode().Perm(), st.Uid, st.Gid, nobody, nobody)
	}
	// The supervisor created the store under --umask 027 and gave it to
	// the workers' user; SQLite asks for 0644.
	db, err := os.Stat(filepath.Join(state, "drover.db"))
	if err != nil {
		t.Fatal(err)
	}
	if st := db.Sys().(*syscall.Stat_t); st.Uid != nobody || db.Mode().Perm() != 0o640 {
		t.Errorf("drover.db %o owned by %d, want 0640 owned by %d", db.Mode().Perm(), st.Uid, nobody)
	}

	// An admin command run as the service's user, then a login through a
	// worker: the workers read and write the store as nobody.
	create := asNobody(exec.Command(droverBin, "createuser", "alice", "--no-validate"))
	create.Env = append(os.Environ(), "DROVER_STATE_DIR="+state, "DROVER_ARGON2_MEMORY=64K", "DROVER_ARGON2_ITERATIONS=1")
	create.Stdin = strings.NewReader("wonderland\n")
	if out, err := create.CombinedOutput(); err != nil {
		t.Fatalf("createuser as nobody: %v\n%s", err, out)
	}
	api := &apiServer{server: s, stateDir: state}
	api.login(t, "alice", "wonderland")
	if code, _ := get(t, unixClient(sock), "http://drover/healthz"); code != 200 {
		t.Errorf("GET /healthz over the unix socket = %d, want 200", code)
	}

	// The workers' user can signal its own workers (the check works) but
	// not the supervisor.
	if out, err := asNobody(exec.Command("kill", "-0", strconv.Itoa(workers[0]))).CombinedOutput(); err != nil {
		t.Fatalf("nobody cannot signal its own worker, so the next check proves nothing: %v %s", err, out)
	}
	before := len(s.output())
	out, err := asNobody(exec.Command("kill", "-HUP", strconv.Itoa(sup))).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "not permitted") {
		t.Errorf("nobody sent HUP to the root supervisor: %v %s", err, out)
	}
	time.Sleep(300 * time.Millisecond)
	if after := s.output()[before:]; strings.Contains(after, "reload") {
		t.Errorf("supervisor reloaded after nobody's HUP:\n%s", after)
	}
}

func TestUserNeedsRootAndAKnownUser(t *testing.T) {
	base := privilegeDirs(t)
	cmd := asNobody(exec.Command(droverBin, "serve", "--user", "root", "--bind", "127.0.0.1:0"))
	cmd.Env = append(os.Environ(), "DROVER_STATE_DIR="+filepath.Join(base, "state"), "DROVER_SECRET_KEY="+testSecretKey)
	out, err := cmd.CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), "needs root") || strings.Count(strings.TrimSpace(string(out)), "\n") != 0 {
		t.Errorf("serve --user root as nobody: %v, output %q; want exit status 1 and one line saying it needs root", err, out)
	}
	if _, err := os.Stat(filepath.Join(base, "state")); err == nil {
		t.Error("the refused start created the state directory")
	}

	out2, code := runDrover(t, "serve", "--user", "no-such-user-here", "--bind", "127.0.0.1:0")
	if code != 1 || strings.TrimSpace(out2) != `drover: invalid --user: no user "no-such-user-here"` {
		t.Errorf("unknown user: exit %d, output %q", code, out2)
	}
}

// TestUserServesTLSWithARootOnlyKey: the key file is root's alone (as in
// /etc/letsencrypt), the workers run as nobody; the supervisor reads the
// pair and hands it to them, so HTTPS works.
func TestUserServesTLSWithARootOnlyKey(t *testing.T) {
	base := privilegeDirs(t)
	cert, key := writeSelfSigned(t, t.TempDir()) // 0600 files in a 0700 directory
	s := serve(t, droverBin, 2, []string{"DROVER_STATE_DIR=" + filepath.Join(base, "state")},
		"--user", "nobody", "--certfile", cert, "--keyfile", key)
	for _, pid := range s.waitWorkers(2, 5*time.Second) {
		if uid, _ := ids(t, pid); uid != nobody {
			t.Fatalf("worker %d runs as %d", pid, uid)
		}
	}
	if code, body := get(t, clientFrom("127.0.0.1"), "https://"+s.addr+"/healthz"); code != 200 {
		t.Errorf("GET https://…/healthz = %d %s", code, body)
	}
}
