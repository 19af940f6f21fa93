// Command bench is drover's benchmark harness (make bench). It builds
// drover and the Go ceiling (bench/ceiling), starts every target side by
// side on loopback, checks each answers 200 to the exact request it will
// be loaded with, and loads them with wrk in alternating rounds
// (A B C … A B C …) so that drift on a shared machine hits every target
// alike. Targets of GET /hello/ with a valid access token:
//
//   - nginx return 200 with the same JSON body: the HTTP limit;
//   - the Go ceiling: bare net/http + golang-jwt, one process;
//   - drover serve, default configuration, one worker per CPU;
//   - the same drover serve on PostgreSQL (DATABASE_URL, a throwaway
//     cluster from internal/pgtest) instead of SQLite;
//   - nginx → drover and nginx → Go ceiling over unix sockets, on plain
//     HTTP (the site's upstream and proxy snippet alone) and through the
//     repository's nginx site (nginx/drover.conf, TLS terminated by nginx);
//   - drover dev, the single-threaded contrast;
//   - Gunicorn + DRF + simplejwt (internal/e2e/testdata/drf, shared with the
//     conformance test), as many sync workers.
//
// Each /hello/ run also counts the CPU time (user + system, from
// /proc/PID/stat) of the target's server processes per request. It also
// measures RSS of drover's supervisor and workers (idle and under
// load), the time from exec to 4 workers ready, a HUP reload, login
// (POST /api/token/) throughput of drover on SQLite and on PostgreSQL and
// of Gunicorn+DRF, refresh (POST /api/token/refresh/) throughput of
// drover on SQLite and on PostgreSQL, and /hello/ throughput during a
// login flood. It prints the targets as MET or MISSED, and
// writes bench/RESULTS.md and bench/chart.svg.
//
// Run it from the repository root:
//
//	go run ./bench            # the full run, about 5 minutes
//	go run ./bench --quick    # about a minute; writes nothing unless --out
//	go run ./bench --profile DIR   # CPU profiles of drover's workers and the ceiling
//	go run ./bench --tuning        # scheduler levers: workers, GOMAXPROCS, SO_REUSEPORT
//
// Every process it starts is stopped when it returns, also on INT or TERM;
// each also gets SIGTERM from the kernel should the harness die. The
// PostgreSQL server is closed after the drover serve using it stops, and
// its pgtest watchdog stops it should the harness die.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/drover/drover/internal/pgtest"
)

// options are the harness's flags.
type options struct {
	quick         bool
	rounds        int
	duration      time.Duration // each /hello/ run
	warmup        time.Duration // unrecorded, before the rounds
	loginDuration time.Duration
	floodDuration time.Duration
	threads       int // wrk -t
	conns         int // wrk -c for /hello/
	loginConns    int // wrk -c for the login throughput rows
	floodConns    int // wrk -c of the login flood
	workers       int // drover's and Gunicorn's
	startupReps   int
	out           string // where RESULTS.md and chart.svg go, "" for nowhere
	profileDir    string // --profile: write CPU profiles here instead
	tuning        bool   // --tuning: compare drover configurations instead
	floodGunicorn bool
}

func parseFlags(args []string) (options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var o options
	fs.BoolVar(&o.quick, "quick", false, "one short round of everything: about a minute; writes no files unless --out")
	fs.IntVar(&o.rounds, "rounds", 0, "alternating rounds (default 3, --quick 1)")
	fs.DurationVar(&o.duration, "duration", 0, "each /hello/ wrk run, whole seconds (default 8s, --quick 2s)")
	fs.IntVar(&o.conns, "connections", 64, "wrk connections for /hello/")
	fs.IntVar(&o.workers, "workers", runtime.NumCPU(), "workers of drover serve and of Gunicorn")
	fs.StringVar(&o.out, "out", "", `directory for RESULTS.md and chart.svg (default "bench", --quick: none)`)
	fs.StringVar(&o.profileDir, "profile", "", "instead of the benchmark: load drover serve and the Go ceiling under CPU profiling, write the profiles and their top functions to this directory")
	fs.BoolVar(&o.tuning, "tuning", false, "instead of the benchmark: the Go ceiling beside drover serve with 1, 2 and 4 workers and with GOMAXPROCS 1 and 2 per worker, and beside two SO_REUSEPORT ceilings with GOMAXPROCS=1 against one with 2, in alternating rounds (5 s rounds by default)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	outSet := false
	fs.Visit(func(f *flag.Flag) { outSet = outSet || f.Name == "out" })
	o.threads, o.loginConns, o.floodConns = 2, 8, 16
	if o.quick {
		o.rounds = orDefault(o.rounds, 1)
		o.duration = orDefault(o.duration, 2*time.Second)
		o.loginDuration, o.floodDuration, o.startupReps = 2*time.Second, 2*time.Second, 2
	} else {
		o.rounds = orDefault(o.rounds, 3)
		// --tuning loads 8 configurations: 5 s rounds keep it under 3 minutes.
		d := 8 * time.Second
		if o.tuning {
			d = 5 * time.Second
		}
		o.duration = orDefault(o.duration, d)
		o.warmup = time.Second
		o.loginDuration, o.floodDuration, o.startupReps = 5*time.Second, 5*time.Second, 5
		o.floodGunicorn = true
		if !outSet {
			o.out = "bench"
		}
	}
	switch {
	case o.rounds < 1:
		return o, errors.New("--rounds must be at least 1")
	case o.duration < time.Second:
		return o, errors.New("--duration must be at least 1s")
	case o.workers < 1:
		return o, errors.New("--workers must be at least 1")
	case o.conns < 1:
		return o, errors.New("--connections must be at least 1")
	}
	return o, nil
}

// orDefault is v, or def when v is zero.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func main() {
	os.Exit(run())
}

func run() int {
	opt, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()

	dir, err := os.MkdirTemp("", "drover-bench-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	ps := &procs{}
	defer ps.stopAll() // before the directory goes: LIFO

	switch {
	case opt.profileDir != "":
		err = profile(ctx, opt, ps, dir)
	case opt.tuning:
		err = tuning(ctx, opt, ps, dir)
	default:
		err = bench(ctx, opt, ps, dir)
	}
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("interrupted (%w)", err)
		}
		fmt.Fprintln(os.Stderr, "bench:", err)
		fmt.Fprintln(os.Stderr, "bench: the servers' logs were in", dir, "(removed on exit)")
		return 1
	}
	return 0
}

// debPackages are what the harness needs beyond Go, from Debian.
const debPackages = "wrk nginx postgresql gunicorn python3-django python3-djangorestframework python3-djangorestframework-simplejwt"

// preflight fails early, in one line, when a tool is missing.
func preflight(ctx context.Context, ps *procs, needPython bool) error {
	var missing []string
	for _, tool := range []string{"go", "wrk", "nginx"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if needPython {
		py := exec.CommandContext(ctx, "/usr/bin/python3", "-c", "import django, gunicorn, rest_framework, rest_framework_simplejwt")
		if _, err := ps.output(py); err != nil {
			missing = append(missing, "Django, DRF, simplejwt and Gunicorn for /usr/bin/python3")
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing %s; install with: apt-get install -y %s", strings.Join(missing, ", "), debPackages)
	}
	return nil
}

// repoRoot is the directory holding go.mod: the working directory, as
// make runs it.
func repoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(wd, "go.mod")); err != nil {
		return "", errors.New("run the benchmark from the repository root (make bench, or go run ./bench)")
	}
	return wd, nil
}

// order is the alternation of the /hello/ rounds.
var order = []string{"nginx", "ceiling", "drover", "drover-pg", "nginx-drover", "nginx-ceiling", "nginx-tls-drover", "nginx-tls-ceiling", "dev", "gunicorn"}

// results is everything one run measured.
type results struct {
	opt      options
	started  time.Time
	took     time.Duration
	machine  machine
	versions [][2]string
	stack    *stack
	hello    map[string]*helloResult
	idle     rssStats // drover serve, before any load
	after    rssStats // drover serve, idle again after the /hello/ rounds
	login    []*loginResult
	refresh  []*refreshResult
	// helloXacts is the transactions drover serve (PostgreSQL)'s
	// database counted over the /hello/ rounds (transactions), less the
	// first count's own: the store reads behind an access check.
	helloXacts int64
	flood      []*floodResult
	startup    *startupResult
	// load is /proc/loadavg before and after the run: other work on the
	// machine shows there.
	loadBefore, loadAfter string
}

func bench(ctx context.Context, opt options, ps *procs, dir string) (err error) {
	repo, err := repoRoot()
	if err != nil {
		return err
	}
	if err := preflight(ctx, ps, true); err != nil {
		return err
	}
	res := &results{opt: opt, started: time.Now(), loadBefore: loadavg()}
	res.machine = readMachine()
	res.versions = versions(ctx, ps)
	s := &stack{opt: opt, ps: ps, dir: dir, repo: repo}
	res.stack = s

	fmt.Println("building drover and the Go ceiling …")
	if err := s.build(ctx); err != nil {
		return err
	}
	fmt.Println("starting PostgreSQL (internal/pgtest) …")
	if s.pg, err = pgtest.Launch(); err != nil {
		return err
	}
	defer func() {
		// drover serve (PostgreSQL) first: its workers would log the
		// server going away. stopAll, later, finds it stopped.
		if s.droverPG != nil {
			_ = s.droverPG.stop(syscall.SIGTERM, 10*time.Second)
		}
		err = errors.Join(err, s.pg.Close())
	}()
	fmt.Printf("starting the targets (%d workers for drover serve and Gunicorn) …\n", opt.workers)
	if err := s.startAll(ctx); err != nil {
		return err
	}
	for _, k := range order {
		fmt.Printf("  ok  %-36s %s → 200\n", s.targets[k].label, s.targets[k].url)
	}
	res.versions = append(res.versions, [2]string{"PostgreSQL", s.pgVersion})
	// The login left one worker holding argon2id's memory: measure idle
	// and /hello/ memory on a fresh generation (the token stays valid).
	if err := roll(s.drover, opt.workers); err != nil {
		return fmt.Errorf("HUP before the rounds: %w", err)
	}
	if err := roll(s.droverPG, opt.workers); err != nil {
		return fmt.Errorf("HUP of drover serve (PostgreSQL) before the rounds: %w", err)
	}
	res.idle = snapshotRSS(s.drover.pid())

	fmt.Printf("/hello/ with a valid token: %s of %v per target, wrk -t%d -c%d\n", plural(opt.rounds, "round"), opt.duration, opt.threads, opt.conns)
	xacts, err := transactions(ctx, s.pgURL)
	if err != nil {
		return err
	}
	if res.hello, err = s.helloRounds(ctx, order); err != nil {
		return err
	}
	after, err := transactions(ctx, s.pgURL)
	if err != nil {
		return err
	}
	res.helloXacts = max(after-xacts-1, 0) // the first count's own
	res.after = snapshotRSS(s.drover.pid())

	fmt.Printf("login (POST /api/token/): %s of %v, wrk -t%d -c%d\n", plural(opt.rounds, "round"), opt.loginDuration, opt.threads, opt.loginConns)
	if res.login, err = s.loginRounds(ctx); err != nil {
		return err
	}

	fmt.Printf("refresh (POST /api/token/refresh/, rotation on): %s of %v, wrk -t%d -c%d\n", plural(opt.rounds, "round"), opt.loginDuration, opt.threads, opt.loginConns)
	if res.refresh, err = s.refreshRounds(ctx); err != nil {
		return err
	}

	floodKeys := []string{"drover"}
	if opt.floodGunicorn {
		floodKeys = append(floodKeys, "gunicorn")
	}
	fmt.Printf("/hello/ beside a login flood (%d connections): %s of %v\n", opt.floodConns, plural(opt.rounds, "round"), opt.floodDuration)
	if res.flood, err = s.floodRounds(ctx, floodKeys); err != nil {
		return err
	}

	fmt.Printf("start and HUP reload of drover serve with 4 workers, %d times\n", opt.startupReps)
	if res.startup, err = s.startupRounds(ctx, opt.startupReps); err != nil {
		return err
	}
	res.took = time.Since(res.started)
	res.loadAfter = loadavg()

	fmt.Println()
	printSummary(os.Stdout, res)
	if opt.out != "" {
		if err := writeResults(opt.out, res); err != nil {
			return err
		}
		fmt.Printf("\nwrote %s and %s\n", filepath.Join(opt.out, "RESULTS.md"), filepath.Join(opt.out, "chart.svg"))
	}
	return nil
}

// profile loads drover serve (built from bench/profdrover: drover with a
// CPU profile per worker) and the Go ceiling for opt.duration×3 each, then
// stops them and writes the profiles and `go tool pprof -top` of each.
func profile(ctx context.Context, opt options, ps *procs, dir string) error {
	repo, err := repoRoot()
	if err != nil {
		return err
	}
	if err := preflight(ctx, ps, false); err != nil {
		return err
	}
	out, err := filepath.Abs(opt.profileDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	opt.profileDir = out
	s := &stack{opt: opt, ps: ps, dir: dir, repo: repo}
	s.droverBin, s.ceilingBin = filepath.Join(dir, "drover"), filepath.Join(dir, "ceiling")
	for bin, pkg := range map[string]string{s.droverBin: "./bench/profdrover", s.ceilingBin: "./bench/ceiling"} {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, pkg)
		cmd.Dir = repo
		if b, err := ps.output(cmd); err != nil {
			return fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
		}
	}
	os.Setenv("BENCH_CPUPROFILE_DIR", out)
	old, _ := filepath.Glob(filepath.Join(out, "worker-*.pprof"))
	for _, f := range old {
		os.Remove(f)
	}
	if err := s.startDrover(ctx); err != nil {
		return err
	}
	tok, err := login(ctx, s.droverBase())
	if err != nil {
		return err
	}
	s.addTarget(&target{key: "drover", label: "drover serve (profiled)", url: s.droverBase() + "/hello/", token: tok, root: s.drover})
	if _, err := s.startCeiling(ctx); err != nil {
		return err
	}
	for _, k := range []string{"drover", "ceiling"} {
		if err := check(ctx, s.targets[k]); err != nil {
			return err
		}
	}
	d := 3 * opt.duration
	if opt.quick {
		d = opt.duration
	}
	for _, k := range []string{"drover", "ceiling"} {
		r, _, err := s.helloRun(s.targets[k], d).run(ctx, ps)
		if err != nil {
			return err
		}
		fmt.Printf("  %-36s %9.0f req/s  p50 %v  p99 %v%s\n", s.targets[k].label, r.RPS, r.P50, r.P99, errNote(r))
	}
	// Workers write their profiles as they exit; the ceiling as well.
	if err := s.drover.stop(syscall.SIGTERM, 30*time.Second); err != nil {
		return fmt.Errorf("drover serve: %w", err)
	}
	if err := s.ceiling.stop(syscall.SIGTERM, 10*time.Second); err != nil {
		return fmt.Errorf("ceiling: %w", err)
	}
	workers, _ := filepath.Glob(filepath.Join(out, "worker-*.pprof"))
	if len(workers) == 0 {
		return errors.New("no worker profiles were written")
	}
	slices.Sort(workers)
	for name, files := range map[string][]string{"drover-workers": workers, "ceiling": {filepath.Join(out, "ceiling.pprof")}} {
		for _, mode := range []string{"top", "cum"} {
			args := append([]string{"tool", "pprof", "-top", "-nodecount=40"}, files...)
			if mode == "cum" {
				args = slices.Insert(args, 3, "-cum")
			}
			cmd := exec.CommandContext(ctx, "go", args...)
			cmd.Dir = repo
			b, err := ps.output(cmd)
			if err != nil {
				return fmt.Errorf("go tool pprof: %w\n%s", err, b)
			}
			path := filepath.Join(out, name+"-"+mode+".txt")
			if err := os.WriteFile(path, b, 0o644); err != nil {
				return err
			}
			fmt.Println("wrote", path)
		}
	}
	return nil
}
