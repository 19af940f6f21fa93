package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// unitValues reads the Key=Value lines of a systemd unit in deploy/.
func unitValues(t *testing.T, name string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "deploy", name))
	if err != nil {
		t.Fatal(err)
	}
	values := make(map[string]string)
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			values[k] = v
		}
	}
	return values
}

// environmentFile reads KEY=VALUE lines as systemd's EnvironmentFile= does
// (comments and blank lines skipped).
func environmentFile(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var env []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "#") && strings.Contains(line, "=") {
			env = append(env, line)
		}
	}
	return env
}

// copyFile copies a file of the repository to dst with mode.
func copyFile(t *testing.T, src, dst string, mode os.FileMode) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, mode); err != nil {
		t.Fatal(err)
	}
}

// TestDeployingWalkthrough follows README's Deploying section with the
// shipped files, standing in for systemd where no systemd runs: the
// environment file and TOML installed as the section installs them, the
// service's ExecStart run as an unprivileged user under
// systemd-socket-activate on drover.socket's path with its owner and mode,
// STATE_DIRECTORY set as StateDirectory= sets it, the API user created by
// the section's command, and nginx (workers as www-data) running the site.
// It ends with a login and an authenticated request through nginx, a
// reload by the unit's ExecReload, and a stop by its KillSignal.
func TestDeployingWalkthrough(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the walkthrough installs files for another user and runs nginx as www-data: run as root")
	}
	activate, err := exec.LookPath("systemd-socket-activate")
	if err != nil {
		t.Fatal("systemd-socket-activate not installed: make deps installs Debian's systemd package")
	}
	www, err := user.Lookup("www-data")
	if err != nil {
		t.Fatalf("nginx's user: %v", err)
	}
	wwwGID, _ := strconv.Atoi(www.Gid)
	service, socketUnit := unitValues(t, "drover.service"), unitValues(t, "drover.socket")
	if socketUnit["SocketGroup"] != "www-data" {
		t.Fatalf("drover.socket's SocketGroup = %q; nginx's workers are www-data", socketUnit["SocketGroup"])
	}

	base := privilegeDirs(t) // 0755, and the binaries reachable by nobody
	etc, state, run := filepath.Join(base, "etc"), filepath.Join(base, "lib", "drover"), filepath.Join(base, "run")
	for _, d := range []string{etc, state, run} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// StateDirectory=drover with StateDirectoryMode=0700: the service's
	// user owns it. The socket's directory is the activator's, which runs
	// as that user here (systemd itself creates sockets as root).
	for _, d := range []string{state, run} {
		if err := os.Chown(d, nobody, nobody); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(state, 0o700); err != nil {
		t.Fatal(err)
	}
	// Step 2: the environment file and the TOML.
	envFile, tomlFile := filepath.Join(etc, "drover.env"), filepath.Join(etc, "drover.toml")
	copyFile(t, filepath.Join("..", "..", "deploy", "drover.env.example"), envFile, 0o640)
	copyFile(t, filepath.Join("..", "..", "deploy", "drover.toml.example"), tomlFile, 0o644)

	sock := filepath.Join(run, "drover.sock")
	execStart := strings.Fields(strings.NewReplacer(
		"/usr/local/bin/drover", droverBin,
		"/etc/drover/drover.toml", tomlFile,
	).Replace(service["ExecStart"]))
	serviceEnv := func() []string {
		env := []string{"PATH=" + os.Getenv("PATH"), "STATE_DIRECTORY=" + state}
		return append(env, environmentFile(t, envFile)...)
	}
	nobodyCred := &syscall.Credential{Uid: nobody, Gid: nobody}

	// As shipped, the environment file's key is a placeholder: refused.
	refused := exec.Command(execStart[0], execStart[1:]...)
	refused.Env = serviceEnv()
	refused.SysProcAttr = &syscall.SysProcAttr{Credential: nobodyCred}
	out, err := refused.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), "DROVER_SECRET_KEY") {
		t.Fatalf("drover with the example's placeholder key: %v %q; want exit status 1 naming DROVER_SECRET_KEY", err, out)
	}
	// The section's key command.
	setKey := `sed -i "s|^DROVER_SECRET_KEY=.*|DROVER_SECRET_KEY=$(head -c 48 /dev/urandom | base64 -w0)|" ` + envFile
	if out, err := exec.Command("sh", "-c", setKey).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v %s", setKey, err, out)
	}
	if out, err := exec.Command(droverBin, "check", "--config", tomlFile).CombinedOutput(); err != nil {
		t.Fatalf("drover check --config: %v\n%s", err, out)
	}

	// Step 3: the service on the socket unit's path, as the service's user.
	// systemd-socket-activate passes on only the variables named by -E.
	args := []string{"-l", sock}
	for _, kv := range serviceEnv() {
		args = append(args, "-E", kv)
	}
	d := startAs(t, nobodyCred, activate, serviceEnv(), append(args, execStart...)...)
	d.waitLog(10*time.Second, 0, 1, func(l logLine) bool { return strings.HasPrefix(l.text, "Listening on") })
	// systemd applies SocketUser/SocketGroup/SocketMode; do what it does.
	mode, err := strconv.ParseUint(socketUnit["SocketMode"], 8, 32)
	if err != nil {
		t.Fatalf("drover.socket's SocketMode: %v", err)
	}
	if err := os.Chown(sock, nobody, wwwGID); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(sock, os.FileMode(mode)); err != nil {
		t.Fatal(err)
	}

	// Step 4: an API user, created as the service's user.
	create := asNobody(exec.Command(droverBin, "createuser", "alice"))
	create.Env = []string{"STATE_DIRECTORY=" + state, "DROVER_ARGON2_MEMORY=64K", "DROVER_ARGON2_ITERATIONS=1"}
	create.Stdin = strings.NewReader("wonderland\n")
	if out, err := create.CombinedOutput(); err != nil {
		t.Fatalf("createuser: %v\n%s", err, out)
	}

	// Step 5: nginx with the site, workers as www-data.
	n := startNginxAs(t, sock, "www-data")
	c := clientFrom("127.0.0.1")
	access := loginThrough(t, c, n.httpsURL)
	// drover was started by the first connection; every worker is up.
	d.waitLog(10*time.Second, 0, 4, supervisorReady)
	if status, body := helloThrough(t, c, n.httpsURL, access); status != 200 || body != `{"message":"Hello, World!"}` {
		t.Errorf("GET /hello/ through nginx = %d %s", status, body)
	}

	// Day to day: ExecReload, then KillSignal.
	pid := strconv.Itoa(d.cmd.Process.Pid) // systemd-socket-activate execs drover in place
	reload := strings.Fields(strings.ReplaceAll(service["ExecReload"], "$MAINPID", pid))
	mark := d.mark()
	if out, err := exec.Command(reload[0], reload[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("ExecReload %v: %v %s", reload, err, out)
	}
	d.waitLog(10*time.Second, mark, 1, msgIs("reload complete"))
	if status, _ := helloThrough(t, c, n.httpsURL, access); status != 200 {
		t.Errorf("GET /hello/ after the reload = %d", status)
	}
	if service["KillSignal"] != "SIGTERM" {
		t.Fatalf("KillSignal = %q", service["KillSignal"])
	}
	d.signal(syscall.SIGTERM)
	if code := d.wait(15 * time.Second); code != 0 {
		t.Errorf("exit status after KillSignal = %d, want 0", code)
	}
}

// loginThrough logs alice in through base and returns her access token.
func loginThrough(t *testing.T, c *http.Client, base string) string {
	t.Helper()
	resp, err := c.Post(base+"/api/token/", "application/json", strings.NewReader(`{"username":"alice","password":"wonderland"}`))
	if err != nil {
		t.Fatalf("login through nginx: %v", err)
	}
	defer resp.Body.Close()
	var pair struct{ Access, Refresh string }
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || json.Unmarshal(body, &pair) != nil || pair.Access == "" || pair.Refresh == "" {
		t.Fatalf("login through nginx = %d %s", resp.StatusCode, body)
	}
	return pair.Access
}

func helloThrough(t *testing.T, c *http.Client, base, access string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/hello/", nil)
	req.Header.Set("Authorization", fmt.Sprintf("Bearer %s", access))
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET /hello/ through nginx: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}
