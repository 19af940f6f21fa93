package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/template"
	"time"

	_ "embed"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jackc/pgx/v5"

	"github.com/drover/drover/internal/pgtest"
)

// The credentials of the one user every target with a store has.
const (
	benchUser     = "bench"
	benchPassword = "bench-password-1234"
)

// helloBody is what every target answers to GET /hello/.
const helloBody = `{"message":"Hello, World!"}`

//go:embed nginx/bench.conf.tmpl
var nginxTemplate string

// target is one server the /hello/ rounds load.
type target struct {
	key   string // short name: flags, chart
	label string // the table's name
	url   string // GET /hello/ here
	token string // access token, "" for none (nginx return 200)
	// root is the process whose tree is this target's memory; nil when it
	// is shared with another target (nginx → X counts nginx only).
	root *proc
	// cpu are the processes whose trees' CPU time serves the target's
	// requests: root's, and for nginx → X nginx's and X's.
	cpu    []*proc
	cmd    string       // how it was started, for RESULTS.md
	client *http.Client // for the check; nil: http.DefaultClient
}

// cpuPIDs are the PIDs of t.cpu.
func (t *target) cpuPIDs() []int {
	pids := make([]int, len(t.cpu))
	for i, p := range t.cpu {
		pids[i] = p.pid()
	}
	return pids
}

// header is wrk's -H value for the target.
func (t *target) header() string {
	if t.token == "" {
		return ""
	}
	return "Authorization: Bearer " + t.token
}

// stack is every server of one benchmark run.
type stack struct {
	opt  options
	ps   *procs
	dir  string // temporary directory: binaries, sockets, state, logs
	repo string // repository root

	drover, dev, ceiling, gunicorn, nginx *proc
	droverPG                              *proc // drover serve on PostgreSQL
	droverBin, ceilingBin                 string
	droverKey                             string
	droverState                           string
	droverPort                            int
	droverCmd                             string
	gunicornPort                          int
	drfHasher                             string // "pbkdf2_sha256 260000"
	droverHash                            string // argon2id cost, from drover check
	droverPGPort                          int
	droverPGCmd                           string
	pg                                    *pgtest.Cluster // drover serve (PostgreSQL)'s server
	pgVersion                             string          // its server_version
	pgURL                                 string          // drover serve (PostgreSQL)'s database

	targets map[string]*target
	// hz is the clock ticks a second of /proc/PID/stat's CPU times;
	// hzAsked says getconf CLK_TCK said so (else it is assumed, 100).
	hz      int64
	hzAsked bool
}

// randomKey is a fresh signing key: 48 random bytes, base64url.
func randomKey() string {
	b := make([]byte, 48)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// freePort asks the kernel for an unused loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// build compiles the drover binary and the Go ceiling.
func (s *stack) build(ctx context.Context) error {
	s.droverBin = filepath.Join(s.dir, "drover")
	s.ceilingBin = filepath.Join(s.dir, "ceiling")
	for bin, pkg := range map[string]string{s.droverBin: "./cmd/drover", s.ceilingBin: "./bench/ceiling"} {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, pkg)
		cmd.Dir = s.repo
		if out, err := s.ps.output(cmd); err != nil {
			return fmt.Errorf("go build %s: %w\n%s", pkg, err, out)
		}
	}
	return nil
}

// withEnv is os.Environ plus kv, without the database URL variables: a
// DATABASE_URL in the caller's environment must not turn the SQLite
// targets into PostgreSQL ones (drover serve (PostgreSQL) adds its own).
func withEnv(kv ...string) []string {
	env := slices.DeleteFunc(os.Environ(), func(e string) bool {
		name, _, _ := strings.Cut(e, "=")
		return name == "DATABASE_URL" || name == "DROVER_DATABASE_URL"
	})
	return append(env, kv...)
}

// createUser adds the bench user to a drover state dir, or, with
// DATABASE_URL in env, to that database.
func (s *stack) createUser(ctx context.Context, stateDir, key string, env ...string) error {
	cmd := exec.CommandContext(ctx, s.droverBin, "createuser", benchUser, "--state-dir", stateDir)
	cmd.Env = withEnv(append([]string{"DROVER_SECRET_KEY=" + key}, env...)...)
	cmd.Stdin = strings.NewReader(benchPassword + "\n")
	if out, err := s.ps.output(cmd); err != nil {
		return fmt.Errorf("drover createuser: %w: %s", err, out)
	}
	return nil
}

// logRecord is one JSON line of drover's error log.
type logRecord struct {
	Logger    string  `json:"logger"`
	Msg       string  `json:"msg"`
	WorkerPID int     `json:"worker_pid"`
	Boot      float64 `json:"boot_s"`
	Took      float64 `json:"took_s"`
}

func parseLog(line string) logRecord {
	var r logRecord
	_ = json.Unmarshal([]byte(line), &r)
	return r
}

func isWorkerReady(line string) bool {
	r := parseLog(line)
	return r.Logger == "supervisor" && r.Msg == "worker ready"
}

func isReloadComplete(line string) bool {
	r := parseLog(line)
	return r.Logger == "supervisor" && r.Msg == "reload complete"
}

// droverServeArgs are drover serve's flags: the default configuration,
// with the worker count stated and a token lifetime that outlasts the run.
func droverServeArgs(workers int, stateDir string, binds ...string) []string {
	args := []string{"serve"}
	for _, b := range binds {
		args = append(args, "--bind", b)
	}
	return append(args, "--workers", strconv.Itoa(workers), "--state-dir", stateDir, "--access-token-lifetime", "1h")
}

// startDrover starts drover serve with opt.workers workers on TCP and on
// the unix socket nginx proxies to, and waits until every worker is ready.
func (s *stack) startDrover(ctx context.Context) error {
	s.droverKey = randomKey()
	s.droverState = filepath.Join(s.dir, "drover-state")
	if err := s.createUser(ctx, s.droverState, s.droverKey); err != nil {
		return err
	}
	check := exec.CommandContext(ctx, s.droverBin, "check", "--state-dir", s.droverState)
	check.Env = withEnv("DROVER_SECRET_KEY=" + s.droverKey)
	out, err := s.ps.output(check)
	if err != nil {
		return fmt.Errorf("drover check: %w: %s", err, out)
	}
	s.droverHash = argon2Cost(string(out))

	if s.droverPort, err = freePort(); err != nil {
		return err
	}
	args := droverServeArgs(s.opt.workers, s.droverState, "127.0.0.1:"+strconv.Itoa(s.droverPort), "unix:"+s.socket("drover"))
	cmd := exec.Command(s.droverBin, args...)
	cmd.Env = withEnv("DROVER_SECRET_KEY=" + s.droverKey)
	s.droverCmd = "DROVER_SECRET_KEY=… drover " + strings.Join(args, " ")
	if s.drover, err = s.ps.start("drover", s.dir, cmd); err != nil {
		return err
	}
	_, _, err = s.drover.waitLines(isWorkerReady, s.opt.workers, 30*time.Second)
	return err
}

// startDroverPG starts drover serve as startDrover does (opt.workers
// workers, the same flags, TCP only), with DATABASE_URL a new database of
// s.pg, its own key and state dir, and the bench user made by drover
// createuser in that database.
func (s *stack) startDroverPG(ctx context.Context) error {
	url, err := s.pg.CreateDB("drover")
	if err != nil {
		return err
	}
	s.pgURL = url
	if s.pgVersion, err = serverVersion(ctx, url); err != nil {
		return err
	}
	key := randomKey()
	state := filepath.Join(s.dir, "drover-pg-state")
	dbURL := "DATABASE_URL=" + url
	if err := s.createUser(ctx, state, key, dbURL); err != nil {
		return err
	}
	if s.droverPGPort, err = freePort(); err != nil {
		return err
	}
	args := droverServeArgs(s.opt.workers, state, "127.0.0.1:"+strconv.Itoa(s.droverPGPort))
	cmd := exec.Command(s.droverBin, args...)
	cmd.Env = withEnv("DROVER_SECRET_KEY="+key, dbURL)
	s.droverPGCmd = "DROVER_SECRET_KEY=… DATABASE_URL='postgres:///drover?host=$PGDIR/run&user=" + pgtest.Superuser + "&sslmode=disable' drover " + strings.Join(args, " ")
	if s.droverPG, err = s.ps.start("drover-pg", s.dir, cmd); err != nil {
		return err
	}
	_, _, err = s.droverPG.waitLines(isWorkerReady, s.opt.workers, 30*time.Second)
	return err
}

// serverVersion is PostgreSQL's server_version at url.
func serverVersion(ctx context.Context, url string) (string, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return "", fmt.Errorf("postgresql: %w", err)
	}
	defer conn.Close(ctx)
	var v string
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&v); err != nil {
		return "", fmt.Errorf("postgresql: server_version: %w", err)
	}
	return v, nil
}

// transactions is the number of transactions the database at url has
// committed or rolled back, as pg_stat_database counts them: each
// backend reports its own at most once a second, and an idle one within
// seconds, so a count read right after load may miss the last second's.
func transactions(ctx context.Context, url string) (int64, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return 0, fmt.Errorf("postgresql: %w", err)
	}
	defer conn.Close(ctx)
	var n int64
	err = conn.QueryRow(ctx, "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()").Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("postgresql: pg_stat_database: %w", err)
	}
	return n, nil
}

// roll sends a drover supervisor a HUP and waits until the new generation
// of workers is ready and the old one has exited: fresh workers that have
// served nothing, the login included (one argon2id hash leaves its 19 MiB
// in a worker's RSS until Go returns it to the OS).
func roll(p *proc, workers int) error {
	from := p.lineCount()
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		return err
	}
	after := func(match func(string) bool) func(string) bool {
		n := 0
		return func(l string) bool { n++; return n > from && match(l) }
	}
	if _, _, err := p.waitLines(after(isReloadComplete), 1, 30*time.Second); err != nil {
		return err
	}
	exited := func(l string) bool { r := parseLog(l); return r.Logger == "supervisor" && r.Msg == "worker exited" }
	_, _, err := p.waitLines(after(exited), workers, 60*time.Second)
	return err
}

// argon2Cost summarizes the password hash settings drover check printed.
func argon2Cost(toml string) string {
	v := map[string]string{}
	for line := range strings.SplitSeq(toml, "\n") {
		if k, val, ok := strings.Cut(line, " = "); ok {
			v[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(val), `"`)
		}
	}
	// Bytes, or a size with its unit ("19M") as drover check prints it now.
	mem := v["argon2_memory"]
	if n, err := strconv.ParseInt(mem, 10, 64); err == nil {
		mem = strconv.FormatInt(n>>20, 10) + " MiB"
	}
	return fmt.Sprintf("argon2id, m=%s, t=%s, p=%s; --max-concurrent-hashes %s (the default)",
		mem, v["argon2_iterations"], v["argon2_parallelism"], v["max_concurrent_hashes"])
}

// socket is the path of a unix socket in the run's directory.
func (s *stack) socket(name string) string { return filepath.Join(s.dir, name+".sock") }

// startDev starts drover dev on its own state dir and key.
func (s *stack) startDev(ctx context.Context) (string, error) {
	key := randomKey()
	state := filepath.Join(s.dir, "dev-state")
	if err := s.createUser(ctx, state, key); err != nil {
		return "", err
	}
	port, err := freePort()
	if err != nil {
		return "", err
	}
	args := []string{"dev", "--bind", "127.0.0.1:" + strconv.Itoa(port), "--state-dir", state, "--access-token-lifetime", "1h"}
	cmd := exec.Command(s.droverBin, args...)
	cmd.Env = withEnv("DROVER_SECRET_KEY=" + key)
	if s.dev, err = s.ps.start("dev", s.dir, cmd); err != nil {
		return "", err
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	if err := waitHTTP(ctx, s.dev, base+"/healthz"); err != nil {
		return "", err
	}
	s.addTarget(&target{key: "dev", label: "drover dev", url: base + "/hello/", root: s.dev,
		cmd: "DROVER_SECRET_KEY=… drover " + strings.Join(args, " ") + " >/dev/null"})
	return base, nil
}

// startCeiling starts the Go ceiling on TCP and on a unix socket.
func (s *stack) startCeiling(ctx context.Context) (string, error) {
	key := randomKey()
	port, err := freePort()
	if err != nil {
		return "", err
	}
	args := []string{"--bind", "127.0.0.1:" + strconv.Itoa(port), "--bind", "unix:" + s.socket("ceiling")}
	if s.opt.profileDir != "" {
		args = append(args, "--cpuprofile", filepath.Join(s.opt.profileDir, "ceiling.pprof"))
	}
	if s.ceiling, err = s.startCeilingProc("ceiling", key, nil, args...); err != nil {
		return "", err
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	if err := waitHTTP(ctx, s.ceiling, base+"/hello/"); err != nil {
		return "", err
	}
	tok, err := mintAccess(key)
	if err != nil {
		return "", err
	}
	s.addTarget(&target{key: "ceiling", label: "Go ceiling (net/http + golang-jwt)", url: base + "/hello/", token: tok, root: s.ceiling,
		cmd: "BENCH_SECRET_KEY=… ceiling " + strings.Join(args, " ")})
	return tok, nil
}

// startCeilingProc starts one Go ceiling process named name with args,
// signing key key and env added to its environment, and waits until it
// says every socket listens.
func (s *stack) startCeilingProc(name, key string, env []string, args ...string) (*proc, error) {
	cmd := exec.Command(s.ceilingBin, args...)
	cmd.Env = append(withEnv("BENCH_SECRET_KEY="+key), env...)
	p, err := s.ps.start(name, s.dir, cmd)
	if err != nil {
		return nil, err
	}
	serving := func(l string) bool { return l == "ceiling: serving" }
	if _, _, err := p.waitLines(serving, 1, 30*time.Second); err != nil {
		return nil, err
	}
	return p, nil
}

// mintAccess signs an access token as simplejwt writes it, for the Go
// ceiling (which has no users and no login; its key is its own).
func mintAccess(key string) (string, error) {
	jti := make([]byte, 16)
	_, _ = rand.Read(jti)
	now := time.Now()
	return jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"token_type": "access",
		"exp":        now.Add(time.Hour).Unix(),
		"iat":        now.Unix(),
		"jti":        hex.EncodeToString(jti),
		"user_id":    1,
	}).SignedString([]byte(key))
}

// drfProject is the seed stack's Django project, shared with the
// conformance test (internal/e2e/drf_test.go).
const drfProject = "internal/e2e/testdata/drf"

// startGunicorn creates the DRF project's database and user, then starts
// Gunicorn (sync workers, as many as drover's) on it.
func (s *stack) startGunicorn(ctx context.Context) error {
	key := randomKey()
	drf := filepath.Join(s.repo, drfProject)
	env := withEnv("DRF_SECRET_KEY="+key, "DRF_DB="+filepath.Join(s.dir, "drf.sqlite3"), "DRF_ACCESS_MINUTES=60",
		"BENCH_USER="+benchUser, "BENCH_PASSWORD="+benchPassword,
		"DJANGO_SETTINGS_MODULE=settings", "PYTHONDONTWRITEBYTECODE=1")
	setup := exec.CommandContext(ctx, "/usr/bin/python3", "setup_db.py")
	setup.Dir, setup.Env = drf, env
	out, err := s.ps.output(setup)
	if err != nil {
		return fmt.Errorf("DRF database: %w: %s", err, out)
	}
	s.drfHasher = strings.TrimSpace(string(out))
	if s.gunicornPort, err = freePort(); err != nil {
		return err
	}
	args := []string{"--workers", strconv.Itoa(s.opt.workers), "--bind", "127.0.0.1:" + strconv.Itoa(s.gunicornPort), "--chdir", drf, "wsgi:application"}
	bin, pre := gunicorn()
	cmd := exec.Command(bin, append(pre, args...)...)
	cmd.Env = env
	if s.gunicorn, err = s.ps.start("gunicorn", s.dir, cmd); err != nil {
		return err
	}
	booted := func(l string) bool { return strings.Contains(l, "Booting worker with pid") }
	if _, _, err := s.gunicorn.waitLines(booted, s.opt.workers, 30*time.Second); err != nil {
		return err
	}
	base := "http://127.0.0.1:" + strconv.Itoa(s.gunicornPort)
	if err := waitHTTP(ctx, s.gunicorn, base+"/hello/"); err != nil {
		return err
	}
	s.addTarget(&target{key: "gunicorn", label: "Gunicorn + DRF + simplejwt", url: base + "/hello/", root: s.gunicorn,
		cmd: "DRF_SECRET_KEY=… DRF_DB=… DRF_ACCESS_MINUTES=60 " + strings.Join(append([]string{bin}, pre...), " ") + " " + strings.Replace(strings.Join(args, " "), drf, drfProject, 1)})
	return nil
}

// gunicorn is Debian's /usr/bin/gunicorn (package gunicorn), or, with only
// the module installed (python3-gunicorn), /usr/bin/python3 -m gunicorn.
func gunicorn() (string, []string) {
	if _, err := os.Stat("/usr/bin/gunicorn"); err == nil {
		return "/usr/bin/gunicorn", nil
	}
	return "/usr/bin/python3", []string{"-m", "gunicorn"}
}

// nginxConf fills in bench/nginx/bench.conf.tmpl.
type nginxConf struct {
	Dir        string
	Root       bool
	StaticPort int
	Sites      []site // rendered sites to include, each with a plain-HTTP server too
}

// startNginx runs nginx in the foreground with the bench's config: return
// 200 on plain HTTP, and the repository's site (nginx/drover.conf, TLS
// terminated by nginx) in front of drover serve and, renamed, in front of
// the Go ceiling, each also proxied over plain HTTP by a server block of
// the bench's own with the site's upstream and proxy snippet. Both
// upstreams must be listening on their sockets already.
func (s *stack) startNginx(ctx context.Context) error {
	c := nginxConf{Dir: filepath.Join(s.dir, "nginx"), Root: os.Geteuid() == 0}
	var err error
	if c.StaticPort, err = freePort(); err != nil {
		return err
	}
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return err
	}
	cert, key, client, err := selfSigned(c.Dir)
	if err != nil {
		return err
	}
	sites := map[string]site{}
	for _, name := range []string{"drover", "ceiling"} {
		st, err := renderSite(siteSpec{repo: s.repo, dir: c.Dir, name: name, socket: s.socket(name), cert: cert, key: key})
		if err != nil {
			return err
		}
		sites[name] = st
		c.Sites = append(c.Sites, st)
	}
	var conf bytes.Buffer
	if err := template.Must(template.New("nginx").Parse(nginxTemplate)).Execute(&conf, c); err != nil {
		return err
	}
	confPath := filepath.Join(c.Dir, "nginx.conf")
	if err := os.WriteFile(confPath, conf.Bytes(), 0o600); err != nil {
		return err
	}
	global := "daemon off; pid " + filepath.Join(c.Dir, "nginx.pid") + "; error_log stderr;"
	test := exec.CommandContext(ctx, "nginx", "-t", "-p", c.Dir, "-c", confPath, "-g", global)
	if out, err := s.ps.output(test); err != nil {
		return fmt.Errorf("nginx -t: %w\n%s", err, out)
	}
	cmd := exec.Command("nginx", "-p", c.Dir, "-c", confPath, "-g", global)
	if s.nginx, err = s.ps.start("nginx", s.dir, cmd); err != nil {
		return err
	}
	static := "http://127.0.0.1:" + strconv.Itoa(c.StaticPort)
	if err := waitHTTP(ctx, s.nginx, static+"/"); err != nil {
		return err
	}
	https := func(name string) string {
		return "https://127.0.0.1:" + strconv.Itoa(sites[name].HTTPSPort) + "/hello/"
	}
	plain := func(name string) string {
		return "http://127.0.0.1:" + strconv.Itoa(sites[name].PlainPort) + "/hello/"
	}
	started := "nginx -p $DIR/nginx -c $DIR/nginx/nginx.conf -g 'daemon off; pid $DIR/nginx/nginx.pid; error_log stderr;'" +
		"   # bench/nginx/bench.conf.tmpl including nginx/drover.conf rendered for drover and for the ceiling"
	s.addTarget(&target{key: "nginx", label: "nginx return 200", url: static + "/hello/", root: s.nginx, cmd: started})
	// nginx's CPU time and the upstream's: one nginx serves every site,
	// but only one target is loaded at a time.
	toDrover, toCeiling := []*proc{s.nginx, s.drover}, []*proc{s.nginx, s.ceiling}
	s.addTarget(&target{key: "nginx-drover", label: "nginx → drover", url: plain("drover"), cmd: started, cpu: toDrover})
	s.addTarget(&target{key: "nginx-ceiling", label: "nginx → Go ceiling", url: plain("ceiling"), cmd: started, cpu: toCeiling})
	s.addTarget(&target{key: "nginx-tls-drover", label: "nginx (TLS) → drover", url: https("drover"), cmd: started, client: client, cpu: toDrover})
	s.addTarget(&target{key: "nginx-tls-ceiling", label: "nginx (TLS) → Go ceiling", url: https("ceiling"), cmd: started, client: client, cpu: toCeiling})
	return nil
}

// addTarget adds t to the run; a target that names no CPU processes
// counts its root's tree.
func (s *stack) addTarget(t *target) {
	if t.cpu == nil && t.root != nil {
		t.cpu = []*proc{t.root}
	}
	if s.targets == nil {
		s.targets = map[string]*target{}
	}
	s.targets[t.key] = t
}

// waitHTTP polls url until it answers at all (any status), p exits, or
// 30 seconds pass.
func waitHTTP(ctx context.Context, p *proc, url string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited (%v) before answering %s; see its log", p.name, p.err, url)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: no answer from %s within 30s: %v", p.name, url, err)
		}
	}
}

// login posts the bench user's credentials to base/api/token/ and returns
// the access token.
func login(ctx context.Context, base string) (string, error) {
	access, _, err := loginPair(ctx, base)
	return access, err
}

// loginPair is login, returning the refresh token too.
func loginPair(ctx context.Context, base string) (access, refresh string, err error) {
	body := `{"username":"` + benchUser + `","password":"` + benchPassword + `"}`
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/token/", strings.NewReader(body))
	if err != nil {
		return "", "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", "", fmt.Errorf("login at %s: %w", base, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", "", fmt.Errorf("login at %s: %s: %s", base, resp.Status, b)
	}
	var pair struct{ Access, Refresh string }
	if err := json.Unmarshal(b, &pair); err != nil || pair.Access == "" || pair.Refresh == "" {
		return "", "", fmt.Errorf("login at %s: no access and refresh tokens in %s", base, b)
	}
	return pair.Access, pair.Refresh, nil
}

// check makes sure t answers the exact request wrk will send with 200 and
// /hello/'s body, and, when it checks tokens, 401 without one.
func check(ctx context.Context, t *target) error {
	get := func(header string) (int, string, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.url, nil)
		if err != nil {
			return 0, "", err
		}
		if k, v, ok := strings.Cut(header, ": "); ok {
			req.Header.Set(k, v)
		}
		client := t.client
		if client == nil {
			client = http.DefaultClient
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), err
	}
	code, body, err := get(t.header())
	switch {
	case err != nil:
		return fmt.Errorf("%s: GET %s: %w", t.label, t.url, err)
	case code != http.StatusOK || strings.TrimSpace(body) != helloBody:
		return fmt.Errorf("%s: GET %s answered %d %q, want 200 %s", t.label, t.url, code, body, helloBody)
	}
	if t.token == "" {
		return nil
	}
	code, body, err = get("")
	switch {
	case err != nil:
		return fmt.Errorf("%s: GET %s without a token: %w", t.label, t.url, err)
	case code != http.StatusUnauthorized:
		return fmt.Errorf("%s: GET %s without a token answered %d %q, want 401", t.label, t.url, code, body)
	}
	return nil
}

// startAll starts every server, logs in to each target that has users and
// checks every target.
func (s *stack) startAll(ctx context.Context) error {
	if err := s.startDrover(ctx); err != nil {
		return err
	}
	droverBase := "http://127.0.0.1:" + strconv.Itoa(s.droverPort)
	tok, err := login(ctx, droverBase)
	if err != nil {
		return err
	}
	s.addTarget(&target{key: "drover", label: "drover serve", url: droverBase + "/hello/", token: tok, root: s.drover, cmd: s.droverCmd})
	if err := s.startDroverPG(ctx); err != nil {
		return err
	}
	pgTok, err := login(ctx, s.droverPGBase())
	if err != nil {
		return err
	}
	s.addTarget(&target{key: "drover-pg", label: "drover serve (PostgreSQL)", url: s.droverPGBase() + "/hello/", token: pgTok, root: s.droverPG, cmd: s.droverPGCmd})
	ceilingTok, err := s.startCeiling(ctx)
	if err != nil {
		return err
	}
	if err := s.startNginx(ctx); err != nil {
		return err
	}
	for _, k := range []string{"nginx-drover", "nginx-tls-drover"} {
		s.targets[k].token = tok
	}
	for _, k := range []string{"nginx-ceiling", "nginx-tls-ceiling"} {
		s.targets[k].token = ceilingTok
	}
	devBase, err := s.startDev(ctx)
	if err != nil {
		return err
	}
	if s.targets["dev"].token, err = login(ctx, devBase); err != nil {
		return err
	}
	if err := s.startGunicorn(ctx); err != nil {
		return err
	}
	if s.targets["gunicorn"].token, err = login(ctx, "http://127.0.0.1:"+strconv.Itoa(s.gunicornPort)); err != nil {
		return err
	}
	var errs []error
	for _, t := range s.targets {
		errs = append(errs, check(ctx, t))
	}
	return errors.Join(errs...)
}
