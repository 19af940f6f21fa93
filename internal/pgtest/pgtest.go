package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// errNotInstalled is the failure of a test on a host without PostgreSQL.
var errNotInstalled = errors.New("postgresql is not installed: run make deps (apt-get install postgresql)")

// Superuser is the role every cluster trusts on its socket.
const Superuser = "drover"

// settings are appended to each cluster's postgresql.conf: a socket in
// the cluster's directory and no TCP port, so that clusters never meet;
// speed over durability; room for many stores' pools at once.
const settings = `
listen_addresses = ''
unix_socket_directories = '%s'
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 16MB
max_connections = 200
`

// watchdog is the script of each cluster's watchdog process ($1 the data
// directory, $2 the cluster's directory): when its standard input, a
// pipe from the test binary, closes, it stops the server if it still
// runs (SIGQUIT: PostgreSQL's immediate shutdown, then SIGKILL) and
// removes the directory. It polls for the server's exit because the
// server is not its child; a zombie (state Z in /proc, left for a lazy
// init to reap) has exited.
const watchdog = `read -r _
pid=$(head -n 1 "$1/postmaster.pid" 2>/dev/null)
alive() { state=$(cut -d ' ' -f 3 "/proc/$pid/stat" 2>/dev/null) && [ "$state" != Z ]; }
if [ -n "$pid" ] && kill -QUIT "$pid" 2>/dev/null; then
	i=0
	while alive && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	kill -KILL "$pid" 2>/dev/null
fi
rm -rf "$2"
`

// Cluster is a PostgreSQL server of the test binary (or of the program
// that launched it) with its own data directory and socket. Its methods are safe for concurrent use.
type Cluster struct {
	bin    string              // the directory of initdb, pg_ctl and postgres
	dir    string              // the cluster's directory, removed at the end
	data   string              // the data directory (dir/data)
	sock   string              // the socket directory (dir/run), also holding the server log
	cred   *syscall.Credential // whom the server runs as: nobody when the test runs as root, else nil
	shared bool                // Shared's: not to be stopped or closed

	// guard is the write end of the watchdog's pipe; closing it ends the
	// watchdog, which then stops whatever still runs.
	guard *os.File
	dog   *exec.Cmd

	mu      sync.Mutex
	running bool
	dbs     int // databases created, for their names
}

// Start starts a cluster of the test's own, stopped and removed when the
// test ends. Use it for tests that stop the server; others should share
// one with [Shared].
func Start(t testing.TB) *Cluster {
	t.Helper()
	c, err := start()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		if err := c.destroy(); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return c
}

// Launch starts a cluster for a program that is not a test (the
// benchmark harness, bench/): the cluster [Start] makes, owned by the
// caller, who must Close it. Should the program end without Close (a
// panic, kill -9), the watchdog stops the server and removes its
// directory as it does for a test binary.
func Launch() (*Cluster, error) {
	c, err := start()
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	return c, nil
}

// Close stops the server at once if it runs (pg_ctl stop -m immediate),
// removes the cluster's directory and ends its watchdog, leaving no
// process behind; a second Close does nothing. It is for a cluster from
// [Launch] (Start's is closed when its test ends) and is refused on the
// shared cluster.
func (c *Cluster) Close() error {
	if c.shared {
		return errors.New("pgtest: the shared cluster cannot be closed: it is removed when the test binary exits")
	}
	if err := c.destroy(); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	return nil
}

// shared is the test binary's one shared cluster, started by the first
// Shared call: the package's only state, because a test binary's
// lifetime has no other owner (a TestMain would need one in every
// package).
var shared struct {
	sync.Mutex
	c   *Cluster
	err error
}

// Shared returns the cluster shared by every test of the binary, starting
// it on first use. It is stopped and removed when the test binary exits
// (by its watchdog). Tests sharing it must not stop it: each takes a
// database of its own with [Cluster.CreateDatabase].
func Shared(t testing.TB) *Cluster {
	t.Helper()
	shared.Lock()
	defer shared.Unlock()
	if shared.c == nil && shared.err == nil {
		shared.c, shared.err = start()
		if shared.c != nil {
			shared.c.shared = true
		}
	}
	if shared.err != nil {
		t.Fatalf("pgtest: shared cluster: %v", shared.err)
	}
	return shared.c
}

// start makes and starts a cluster, its watchdog first, so that nothing
// is left behind whatever happens next.
func start() (_ *Cluster, err error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	c := &Cluster{bin: bin}
	if os.Geteuid() == 0 {
		// initdb and postgres refuse to run as root.
		if c.cred, err = nobody(); err != nil {
			return nil, err
		}
	}
	base := os.TempDir()
	if c.cred != nil && !traversable(base) {
		base = "/tmp"
	}
	if c.dir, err = os.MkdirTemp(base, "pgtest-"); err != nil {
		return nil, fmt.Errorf("cluster directory: %w", err)
	}
	c.data, c.sock = filepath.Join(c.dir, "data"), filepath.Join(c.dir, "run")
	if err := c.startWatchdog(); err != nil {
		return nil, errors.Join(err, os.RemoveAll(c.dir))
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, c.destroy())
		}
	}()
	if len(c.sock)+len("/.s.PGSQL.5432") >= 108 {
		return nil, fmt.Errorf("socket directory %s is too long for a unix socket: set TMPDIR", c.sock)
	}
	if err := os.Chmod(c.dir, 0o755); err != nil { // nobody must reach data and run
		return nil, err
	}
	for _, d := range []string{c.data, c.sock} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return nil, err
		}
		if c.cred != nil {
			if err := os.Chown(d, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
				return nil, err
			}
		}
	}
	if err := c.run("initdb", "-D", c.data, "-U", Superuser, "-A", "trust", "-E", "UTF8", "--locale=C",
		"--no-sync", "--no-instructions"); err != nil {
		return nil, err
	}
	conf, err := os.OpenFile(filepath.Join(c.data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return nil, err
	}
	_, err = fmt.Fprintf(conf, settings, c.sock)
	if err := errors.Join(err, conf.Close()); err != nil {
		return nil, fmt.Errorf("postgresql.conf: %w", err)
	}
	if err := c.StartAgain(); err != nil {
		return nil, err
	}
	return c, nil
}

// findBin finds the directory of initdb, pg_ctl and postgres: Debian's
// newest version, else the PATH's.
func findBin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin") // the pattern is valid
	// Newest first: numerically, 15 after 9.6.
	slices.SortFunc(dirs, func(a, b string) int { return slices.Compare(versionOf(b), versionOf(a)) })
	if initdb, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(initdb); err == nil {
			dirs = append(dirs, filepath.Dir(real))
		}
		dirs = append(dirs, filepath.Dir(initdb))
	}
	for _, d := range dirs {
		ok := true
		for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
			if _, err := os.Stat(filepath.Join(d, name)); err != nil {
				ok = false
			}
		}
		if ok {
			return d, nil
		}
	}
	return "", errNotInstalled
}

// versionOf is the version numbers in /usr/lib/postgresql/<version>/bin.
func versionOf(bin string) []int {
	var v []int
	for _, f := range strings.Split(filepath.Base(filepath.Dir(bin)), ".") {
		n, _ := strconv.Atoi(f) // a non-number sorts as 0
		v = append(v, n)
	}
	return v
}

// nobody is the credential of the user nobody.
func nobody() (*syscall.Credential, error) {
	u, err := user.Lookup("nobody")
	if err != nil {
		return nil, fmt.Errorf("running as root, PostgreSQL must run as nobody: %w", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("uid of nobody: %w", err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("gid of nobody: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// traversable reports whether every directory from / to dir lets others
// through, so that nobody can reach a cluster made inside it.
func traversable(dir string) bool {
	dir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return false
	}
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return false
		}
		if d == filepath.Dir(d) {
			return true
		}
	}
}

// startWatchdog starts the cluster's watchdog process, in a session of
// its own so that a Ctrl-C to the test does not end it before it cleans
// up. Its standard input is a pipe whose write end only the test binary
// holds (os.Pipe's descriptors are close-on-exec).
func (c *Cluster) startWatchdog() error {
	r, w, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("watchdog: %w", err)
	}
	defer r.Close() // the watchdog has its copy
	c.dog = exec.Command("/bin/sh", "-c", watchdog, "pgtest-watchdog", c.data, c.dir)
	c.dog.Stdin = r
	c.dog.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := c.dog.Start(); err != nil {
		w.Close()
		return fmt.Errorf("watchdog: %w", err)
	}
	c.guard = w
	return nil
}

// run runs one of the cluster's binaries as the cluster's user, in its
// directory, with its output in a file (not a pipe: a server started by
// pg_ctl could hold a pipe open after pg_ctl exits).
func (c *Cluster) run(name string, args ...string) error {
	out, err := os.CreateTemp(c.dir, name+"-*.out")
	if err != nil {
		return err
	}
	defer os.Remove(out.Name())
	defer out.Close()
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	cmd.Dir = c.dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C", "LANG=C", "TZ=UTC"}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	if err := cmd.Run(); err != nil {
		b, _ := os.ReadFile(out.Name()) // what there is
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, b)
	}
	return nil
}

// URL is the connection URL of database db as the superuser, over the
// cluster's socket.
func (c *Cluster) URL(db string) string {
	return fmt.Sprintf("postgres:///%s?host=%s&user=%s&sslmode=disable", db, c.sock, Superuser)
}

// SocketDir is the directory of the server's unix socket, libpq's host.
func (c *Cluster) SocketDir() string { return c.sock }

// CreateDatabase creates a new, empty database and returns its URL. An
// empty name means one made from the test's name, unique in the
// cluster. The database is dropped when the test ends, if the server
// still runs (its cleanup runs after those registered later, such as a
// store's Close).
func (c *Cluster) CreateDatabase(t testing.TB, name string) string {
	t.Helper()
	n := c.nextDB()
	if name == "" {
		name = databaseName(t.Name(), n)
	}
	url, err := c.createDB(name)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	ident := pgx.Identifier{name}.Sanitize()
	t.Cleanup(func() {
		c.mu.Lock()
		running := c.running
		c.mu.Unlock()
		if !running {
			return
		}
		if err := c.admin("DROP DATABASE " + ident + " WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return url
}

// CreateDB creates a new, empty database and returns its URL, for a
// cluster from [Launch]: it lasts as long as the cluster. An empty name
// means one unique in the cluster (db_1, db_2, …).
func (c *Cluster) CreateDB(name string) (string, error) {
	n := c.nextDB()
	if name == "" {
		name = "db_" + strconv.Itoa(n)
	}
	url, err := c.createDB(name)
	if err != nil {
		return "", fmt.Errorf("pgtest: %w", err)
	}
	return url, nil
}

// nextDB counts a database to be created, for its name.
func (c *Cluster) nextDB() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dbs++
	return c.dbs
}

// createDB creates database name and returns its URL.
func (c *Cluster) createDB(name string) (string, error) {
	if err := c.admin("CREATE DATABASE " + pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	return c.URL(name), nil
}

// databaseName makes a database name from a test's name and a number:
// lower-case letters, digits and underscores, shorter than PostgreSQL's
// 63 bytes.
func databaseName(test string, n int) string {
	b := []byte(strings.ToLower(test))
	for i, ch := range b {
		if (ch < 'a' || ch > 'z') && (ch < '0' || ch > '9') {
			b[i] = '_'
		}
	}
	if len(b) > 48 {
		b = b[:48]
	}
	return fmt.Sprintf("t_%s_%d", b, n)
}

// admin runs one statement in the postgres database.
func (c *Cluster) admin(stmt string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return err
	}
	_, err = conn.Exec(ctx, stmt)
	return errors.Join(err, conn.Close(ctx))
}

// Stop stops the server (pg_ctl stop -m fast: connections are ended, the
// data kept), for a test of an outage; StartAgain starts it again. It is
// refused on the shared cluster.
func (c *Cluster) Stop() error {
	if c.shared {
		return errors.New("pgtest: the shared cluster cannot be stopped: start one with pgtest.Start")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.running {
		return nil
	}
	if err := c.run("pg_ctl", "stop", "-D", c.data, "-m", "fast", "-w", "-t", "60"); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	c.running = false
	return nil
}

// StartAgain starts the server of a stopped cluster on the same data and
// socket, and returns once it accepts connections.
func (c *Cluster) StartAgain() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running {
		return nil
	}
	if err := c.run("pg_ctl", "start", "-D", c.data, "-l", filepath.Join(c.sock, "postgres.log"), "-w", "-t", "60"); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.sock, "postgres.log")) // what there is
		return fmt.Errorf("pgtest: %w\nserver log:\n%s", err, log)
	}
	c.running = true
	return nil
}

// destroy stops the server at once if it runs, removes the directory and
// ends the watchdog.
func (c *Cluster) destroy() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	if c.running {
		if err := c.run("pg_ctl", "stop", "-D", c.data, "-m", "immediate", "-w", "-t", "60"); err != nil {
			errs = append(errs, err)
		} else {
			c.running = false
		}
	}
	if c.running {
		errs = append(errs, c.kill())
	}
	errs = append(errs, os.RemoveAll(c.dir))
	if c.guard != nil {
		// The watchdog sees end of file, finds nothing left to stop and
		// exits: wait for it, leaving no process behind.
		errs = append(errs, c.guard.Close(), c.dog.Wait())
		c.guard = nil
	}
	return errors.Join(errs...)
}

// kill kills the postmaster when pg_ctl could not stop it.
func (c *Cluster) kill() error {
	b, err := os.ReadFile(filepath.Join(c.data, "postmaster.pid"))
	if err != nil {
		return fmt.Errorf("kill server: %w", err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil {
		return fmt.Errorf("kill server: postmaster.pid: %w", err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill server %d: %w", pid, err)
	}
	c.running = false
	return nil
}
