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

	"github.com/drover/drover/internal/exitcode"
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
// STATE_DIRECTORY set as StateDirectory= sets it, the section's own
// as_drover lines run as the service's user (drover check with the
// environment file, then createuser on the service's store), and nginx
// (workers as www-data) running the site. The units' Requires=,
// RestartPreventExitStatus= (the placeholder key's refusal must not
// restart) and LogsDirectory= are checked.
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
	if service["Requires"] != "drover.socket" {
		t.Errorf("drover.service's Requires = %q, want drover.socket", service["Requires"])
	}
	if want := strconv.Itoa(exitcode.Config); service["RestartPreventExitStatus"] != want {
		t.Errorf("drover.service's RestartPreventExitStatus = %q, want %s, drover's status for a configuration it refuses", service["RestartPreventExitStatus"], want)
	}
	if service["LogsDirectory"] != "drover" {
		t.Errorf("drover.service's LogsDirectory = %q, want drover (deploy/drover.logrotate rotates /var/log/drover)", service["LogsDirectory"])
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
	if err := os.Chown(envFile, 0, nobody); err != nil { // install -g drover
		t.Fatal(err)
	}

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
	if ee, ok := err.(*exec.ExitError); !ok || strconv.Itoa(ee.ExitCode()) != service["RestartPreventExitStatus"] || !strings.Contains(string(out), "DROVER_SECRET_KEY") {
		t.Fatalf("drover with the example's placeholder key: %v %q; want exit status %s (RestartPreventExitStatus: no restart loop) naming DROVER_SECRET_KEY",
			err, out, service["RestartPreventExitStatus"])
	}
	// The section's key command.
	setKey := `sed -i "s|^DROVER_SECRET_KEY=.*|DROVER_SECRET_KEY=$(head -c 48 /dev/urandom | base64 -w0)|" ` + envFile
	if out, err := exec.Command("sh", "-c", setKey).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v %s", setKey, err, out)
	}
	readmeSteps := deployingLines(t, "as_drover() {", "as_drover drover check ", "as_drover drover createuser ")
	asDrover := func(stdin string, line string) string {
		t.Helper()
		script := strings.NewReplacer(
			"sudo -u drover ", "", // the whole script runs as the service's user
			"/etc/drover/drover.env", envFile,
			"/etc/drover/drover.toml", tomlFile,
			"/var/lib/drover", state,
			"as_drover drover ", "as_drover "+droverBin+" ",
		).Replace(readmeSteps[0] + "\n" + line)
		cmd := asNobody(exec.Command("bash", "-c", script))
		cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("README's %q as the service's user: %v\n%s", line, err, out)
		}
		return string(out)
	}
	if out := asDrover("", readmeSteps[1]); !strings.Contains(out, "# drover effective configuration") || strings.Contains(out, "no signing key") {
		t.Errorf("README's check printed %q; want the configuration, with the environment file's key", out)
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
	if out, want := asDrover(deployPassword+"\n", readmeSteps[2]), fmt.Sprintf("created user %q (id 1) in %s\n", "alice", filepath.Join(state, "drover.db")); out != want {
		t.Errorf("README's createuser printed %q, want %q", out, want)
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

// deployPassword is alice's password in the deploying walk-through: one
// Django's validators accept.
const deployPassword = "lantern-quarry-58"

// deployingLines returns, for each prefix, the first line of README's
// Deploying section that starts with it, so that the test runs the
// section's own commands.
func deployingLines(t *testing.T, prefixes ...string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "\n## Deploying\n")
	if !ok {
		t.Fatal("README has no Deploying section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	lines := make([]string, len(prefixes))
	for i, prefix := range prefixes {
		for _, line := range strings.Split(section, "\n") {
			if strings.HasPrefix(line, prefix) {
				lines[i] = line
				break
			}
		}
		if lines[i] == "" {
			t.Fatalf("README's Deploying section has no line starting %q", prefix)
		}
	}
	return lines
}

// loginThrough logs alice in through base and returns her access token.
func loginThrough(t *testing.T, c *http.Client, base string) string {
	t.Helper()
	resp, err := c.Post(base+"/api/token/", "application/json", strings.NewReader(`{"username":"alice","password":"`+deployPassword+`"}`))
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
