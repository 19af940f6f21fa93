package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"
)

// rssStats is the largest resident set seen per process of a tree, in KiB.
type rssStats struct {
	Root     int64         // the tree's root: drover's supervisor, gunicorn's master
	Children map[int]int64 // by PID: drover's or gunicorn's workers, nginx's
	Total    int64         // largest sum over the tree at one instant
}

// MaxChild is the largest child's RSS.
func (r rssStats) MaxChild() int64 {
	var m int64
	for _, v := range r.Children {
		m = max(m, v)
	}
	return m
}

// merge keeps the larger of each figure.
func (r *rssStats) merge(o rssStats) {
	r.Root, r.Total = max(r.Root, o.Root), max(r.Total, o.Total)
	if r.Children == nil {
		r.Children = map[int]int64{}
	}
	for pid, v := range o.Children {
		r.Children[pid] = max(r.Children[pid], v)
	}
}

// snapshotRSS reads the RSS of root and of its descendants now.
func snapshotRSS(root int) rssStats {
	s := rssStats{Children: map[int]int64{}}
	s.Root, _ = rssKiB(root)
	s.Total = s.Root
	for _, pid := range descendants(root) {
		if v, err := rssKiB(pid); err == nil {
			s.Children[pid] = v
			s.Total += v
		}
	}
	return s
}

// watchRSS samples the tree of root every 200 ms until stop is called,
// and returns the largest figures seen.
func watchRSS(root int) (stop func() rssStats) {
	var mu sync.Mutex
	var got rssStats
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				s := snapshotRSS(root)
				mu.Lock()
				got.merge(s)
				mu.Unlock()
			}
		}
	}()
	return func() rssStats {
		close(done)
		<-finished
		return got
	}
}

// median of xs (the mean of the middle two for an even count).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func medianDuration(ds []time.Duration) time.Duration {
	xs := make([]float64, len(ds))
	for i, d := range ds {
		xs[i] = float64(d)
	}
	return time.Duration(median(xs))
}

// series is the wrk runs of one measured configuration, one per round.
type series struct {
	runs []wrkResult
	cmd  string // the wrk command line
}

func (s *series) add(r wrkResult) { s.runs = append(s.runs, r) }

func (s *series) each(f func(wrkResult) float64) []float64 {
	xs := make([]float64, len(s.runs))
	for i, r := range s.runs {
		xs[i] = f(r)
	}
	return xs
}

// RPS is the median requests/s over the rounds.
func (s *series) RPS() float64 { return median(s.each(func(r wrkResult) float64 { return r.RPS })) }

// P50 and P99 are the medians of each round's percentile.
func (s *series) P50() time.Duration {
	return time.Duration(median(s.each(func(r wrkResult) float64 { return float64(r.P50) })))
}

func (s *series) P99() time.Duration {
	return time.Duration(median(s.each(func(r wrkResult) float64 { return float64(r.P99) })))
}

// Errors is the sum of failed and non-2xx requests over the rounds.
func (s *series) Errors() int64 {
	var n int64
	for _, r := range s.runs {
		n += r.Errors()
	}
	return n
}

// Spread is (max-min)/median of requests/s over the rounds: how much the
// machine drifted.
func (s *series) Spread() float64 {
	xs := s.each(func(r wrkResult) float64 { return r.RPS })
	if len(xs) < 2 {
		return 0
	}
	return (slices.Max(xs) - slices.Min(xs)) / median(xs)
}

// pairedRatio is the median over the rounds of a's requests/s over b's in
// the same round: the two ran minutes apart at most, one right after the
// other, so drift of the machine between rounds cancels out.
func pairedRatio(a, b *series) float64 {
	var xs []float64
	for i := range min(len(a.runs), len(b.runs)) {
		if b.runs[i].RPS > 0 {
			xs = append(xs, a.runs[i].RPS/b.runs[i].RPS)
		}
	}
	return median(xs)
}

// helloResult is one target's /hello/ rounds.
type helloResult struct {
	t   *target
	s   series
	rss rssStats // under load, the largest seen over all rounds
	// cpu is, per round, the CPU time (user + system) of the target's
	// server processes during the wrk run, over the requests it completed,
	// in µs; nil for a target with none to count.
	cpu []float64
}

// CPU is the median of the rounds' CPU µs per request, 0 for none.
func (h *helloResult) CPU() float64 { return median(h.cpu) }

// pairedCPURatio is the median over the rounds of a's CPU per request
// over b's in the same round.
func pairedCPURatio(a, b *helloResult) float64 {
	var xs []float64
	for i := range min(len(a.cpu), len(b.cpu)) {
		if b.cpu[i] > 0 {
			xs = append(xs, a.cpu[i]/b.cpu[i])
		}
	}
	return median(xs)
}

// pairedP99Ratio is the median over the rounds of a's p99 over b's in
// the same round.
func pairedP99Ratio(a, b *series) float64 {
	var xs []float64
	for i := range min(len(a.runs), len(b.runs)) {
		if b.runs[i].P99 > 0 {
			xs = append(xs, float64(a.runs[i].P99)/float64(b.runs[i].P99))
		}
	}
	return median(xs)
}

// helloRun is the wrk command every target gets.
func (s *stack) helloRun(t *target, d time.Duration) wrkRun {
	return wrkRun{Threads: s.opt.threads, Conns: s.opt.conns, Duration: d, Header: t.header(), URL: t.url}
}

// helloRounds loads each target in turn, A B C … A B C …, for
// opt.rounds rounds, after a short unrecorded warm-up of each. Right
// before and right after each wrk run it reads the CPU time of the
// target's server processes (target.cpu) from /proc: wrk's requests
// divide the difference.
func (s *stack) helloRounds(ctx context.Context, order []string) (map[string]*helloResult, error) {
	if s.hz == 0 {
		s.hz, s.hzAsked = clockTicks(ctx, s.ps)
	}
	res := map[string]*helloResult{}
	width := 36 // of the label column
	for _, k := range order {
		width = max(width, len([]rune(s.targets[k].label)))
	}
	for _, k := range order {
		t := s.targets[k]
		res[k] = &helloResult{t: t}
		res[k].s.cmd = s.helloRun(t, s.opt.duration).String()
		if s.opt.warmup > 0 {
			if _, _, err := s.helloRun(t, s.opt.warmup).run(ctx, s.ps); err != nil {
				return nil, fmt.Errorf("warm-up: %w", err)
			}
		}
	}
	for round := 1; round <= s.opt.rounds; round++ {
		for _, k := range order {
			h := res[k]
			var stop func() rssStats
			if h.t.root != nil {
				stop = watchRSS(h.t.root.pid())
			}
			pids := h.t.cpuPIDs()
			before, was := cpuTicks(pids...)
			r, _, err := s.helloRun(h.t, s.opt.duration).run(ctx, s.ps)
			after, is := cpuTicks(pids...)
			if stop != nil {
				h.rss.merge(stop())
			}
			if err != nil {
				return nil, err
			}
			h.s.add(r)
			cpu := ""
			if len(pids) > 0 && r.Requests > 0 {
				us := float64(after-before) * 1e6 / float64(s.hz) / float64(r.Requests)
				h.cpu = append(h.cpu, us)
				cpu = fmt.Sprintf("  CPU %.1f µs/req", us)
				slices.Sort(was)
				slices.Sort(is)
				if !slices.Equal(was, is) {
					// A worker exited (and was reaped: its time is its
					// parent's now) or started during the run.
					cpu += " (server processes changed during the run)"
				}
			}
			fmt.Printf("  round %d  %-*s %9.0f req/s  p50 %-9v p99 %-9v%s%s\n", round, width, h.t.label, r.RPS,
				r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond), cpu, errNote(r))
		}
	}
	return res, nil
}

func errNote(r wrkResult) string {
	if r.Errors() == 0 {
		return ""
	}
	return fmt.Sprintf("  (%d non-2xx, %d socket errors)", r.Non2xx, r.Errors()-r.Non2xx)
}

// loginScript is wrk's Lua for POST /api/token/ with the bench user.
const loginScript = `wrk.method = "POST"
wrk.body = '{"username":"` + benchUser + `","password":"` + benchPassword + `"}'
wrk.headers["Content-Type"] = "application/json"
`

// loginResult is one side's login throughput.
type loginResult struct {
	key   string // the side's /hello/ target
	label string
	cost  string // the password hash's cost
	alone time.Duration
	s     series
	rss   rssStats // the server's process tree during the login rounds
}

func (s *stack) loginRun(base string, conns, threads int, d time.Duration) wrkRun {
	return wrkRun{Threads: threads, Conns: conns, Duration: d, Timeout: 10 * time.Second,
		Script: filepath.Join(s.dir, "login.lua"), URL: base + "/api/token/"}
}

// bases are the login URLs of drover serve, on SQLite and on
// PostgreSQL, and Gunicorn.
func (s *stack) droverBase() string   { return "http://127.0.0.1:" + strconv.Itoa(s.droverPort) }
func (s *stack) droverPGBase() string { return "http://127.0.0.1:" + strconv.Itoa(s.droverPGPort) }
func (s *stack) gunicornBase() string { return "http://127.0.0.1:" + strconv.Itoa(s.gunicornPort) }

// oneLogin is the median time of five sequential logins: one hash with
// nothing else running.
func oneLogin(ctx context.Context, base string) (time.Duration, error) {
	var ds []time.Duration
	for range 5 {
		t0 := time.Now()
		if _, err := login(ctx, base); err != nil {
			return 0, err
		}
		ds = append(ds, time.Since(t0))
	}
	return medianDuration(ds), nil
}

// loginRounds measures POST /api/token/ throughput of drover serve (on
// SQLite and on PostgreSQL) and Gunicorn+DRF in alternating rounds.
func (s *stack) loginRounds(ctx context.Context) ([]*loginResult, error) {
	if err := os.WriteFile(filepath.Join(s.dir, "login.lua"), []byte(loginScript), 0o600); err != nil {
		return nil, err
	}
	sides := []struct {
		r    *loginResult
		base string
		root *proc
	}{
		{&loginResult{key: "drover", label: "drover serve", cost: s.droverHash}, s.droverBase(), s.drover},
		{&loginResult{key: "drover-pg", label: "drover serve (PostgreSQL)", cost: s.droverHash}, s.droverPGBase(), s.droverPG},
		{&loginResult{key: "gunicorn", label: "Gunicorn + DRF + simplejwt", cost: drfCost(s.drfHasher)}, s.gunicornBase(), s.gunicorn},
	}
	var out []*loginResult
	for _, side := range sides {
		var err error
		if side.r.alone, err = oneLogin(ctx, side.base); err != nil {
			return nil, err
		}
		side.r.s.cmd = s.loginRun(side.base, s.opt.loginConns, s.opt.threads, s.opt.loginDuration).String()
		out = append(out, side.r)
	}
	for round := 1; round <= s.opt.rounds; round++ {
		for _, side := range sides {
			stop := watchRSS(side.root.pid())
			r, _, err := s.loginRun(side.base, s.opt.loginConns, s.opt.threads, s.opt.loginDuration).run(ctx, s.ps)
			side.r.rss.merge(stop())
			if err != nil {
				return nil, err
			}
			side.r.s.add(r)
			fmt.Printf("  round %d  login %-32s %9.1f req/s  p50 %-9v p99 %-9v%s\n", round, side.r.label, r.RPS,
				r.P50.Round(time.Millisecond), r.P99.Round(time.Millisecond), errNote(r))
		}
	}
	return out, nil
}

// refreshScript is wrk's Lua for POST /api/token/refresh/ with rotation
// on, drover's default: a refresh token works once, and each answer
// carries the next. Each thread reads its share of the file args[1]
// holds, one refresh token per line (the line's index modulo args[2],
// the thread count, is the thread): one per connection and one spare,
// since wrk calls the first thread's request() once to check it and
// drops what it returns. The thread keeps the tokens the answers bring
// in a pool its connections take from: a connection's answer is read
// before it sends again, so each has one. A connection whose refresh
// failed takes the spare, and once none is left posts an invalid token
// from then on, which shows as non-2xx answers; it never posts a spent
// token, which would revoke another chain's family.
const refreshScript = `wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local threads = 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

local pool = {}
function init(args)
  local n, i = tonumber(args[2]), 0
  for line in io.lines(args[1]) do
    if i % n == id then table.insert(pool, line) end
    i = i + 1
  end
end

function request()
  local token = table.remove(pool) or "spent"
  return wrk.format(nil, nil, nil, '{"refresh":"' .. token .. '"}')
end

function response(status, headers, body)
  if status == 200 then
    local token = body:match('"refresh"%s*:%s*"([^"]+)"')
    if token then table.insert(pool, token) end
  end
end
`

// refreshResult is one side's refresh throughput.
type refreshResult struct {
	key   string // the side's /hello/ target
	label string
	s     series
	rss   rssStats // the server's process tree during the refresh rounds
}

func (s *stack) refreshRun(base, tokens string, d time.Duration) wrkRun {
	return wrkRun{Threads: s.opt.threads, Conns: s.opt.loginConns, Duration: d, Timeout: 10 * time.Second,
		Script: filepath.Join(s.dir, "refresh.lua"), URL: base + "/api/token/refresh/",
		ScriptArgs: []string{tokens, strconv.Itoa(s.opt.threads)}}
}

// refreshTokens logs in n times at base and writes the refresh tokens to
// path, one a line: one login, and so one token family, per connection
// and per spare.
func refreshTokens(ctx context.Context, base, path string, n int) error {
	var b strings.Builder
	for range n {
		_, refresh, err := loginPair(ctx, base)
		if err != nil {
			return err
		}
		b.WriteString(refresh + "\n")
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

// refreshRounds measures POST /api/token/refresh/ throughput of drover
// serve on SQLite and on PostgreSQL in alternating rounds, with rotation
// on (the default): before each run, one login per connection gives it
// the first refresh token of its chain, and one per wrk thread a spare
// (refreshScript).
func (s *stack) refreshRounds(ctx context.Context) ([]*refreshResult, error) {
	if err := os.WriteFile(filepath.Join(s.dir, "refresh.lua"), []byte(refreshScript), 0o600); err != nil {
		return nil, err
	}
	sides := []struct {
		r    *refreshResult
		base string
		root *proc
	}{
		{&refreshResult{key: "drover", label: "drover serve"}, s.droverBase(), s.drover},
		{&refreshResult{key: "drover-pg", label: "drover serve (PostgreSQL)"}, s.droverPGBase(), s.droverPG},
	}
	out := make([]*refreshResult, len(sides))
	for i, side := range sides {
		side.r.s.cmd = s.refreshRun(side.base, "$DIR/refresh-"+side.r.key+".txt", s.opt.loginDuration).String()
		out[i] = side.r
	}
	for round := 1; round <= s.opt.rounds; round++ {
		for _, side := range sides {
			tokens := filepath.Join(s.dir, "refresh-"+side.r.key+".txt")
			if err := refreshTokens(ctx, side.base, tokens, s.opt.loginConns+s.opt.threads); err != nil {
				return nil, err
			}
			stop := watchRSS(side.root.pid())
			r, _, err := s.refreshRun(side.base, tokens, s.opt.loginDuration).run(ctx, s.ps)
			side.r.rss.merge(stop())
			if err != nil {
				return nil, err
			}
			side.r.s.add(r)
			fmt.Printf("  round %d  refresh %-30s %9.0f req/s  p50 %-9v p99 %-9v%s\n", round, side.r.label, r.RPS,
				r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond), errNote(r))
		}
	}
	return out, nil
}

// drfCost states Django's hasher as setup_db.py printed it.
func drfCost(hasher string) string {
	var alg string
	var iter int
	if _, err := fmt.Sscan(hasher, &alg, &iter); err != nil {
		return hasher
	}
	return fmt.Sprintf("%s (Django's default), %d iterations; one hash per sync worker at a time", alg, iter)
}

// floodResult is /hello/ alone and beside a login flood, on one server.
type floodResult struct {
	label        string
	alone, flood series
	logins       series   // the flood's own throughput
	rss          rssStats // the server's process tree during the flood
}

// Ratio is /hello/'s throughput during the flood over alone, the median
// of the rounds' ratios.
func (f *floodResult) Ratio() float64 { return pairedRatio(&f.flood, &f.alone) }

// floodRounds measures, for each of the given targets, /hello/ alone and
// /hello/ while opt.floodConns connections post logins, alternating.
func (s *stack) floodRounds(ctx context.Context, keys []string) ([]*floodResult, error) {
	type side struct {
		r    *floodResult
		t    *target
		base string
	}
	var sides []side
	for _, k := range keys {
		t := s.targets[k]
		base := s.droverBase()
		if k == "gunicorn" {
			base = s.gunicornBase()
		}
		sd := side{&floodResult{label: t.label}, t, base}
		sd.r.alone.cmd = s.helloRun(t, s.opt.floodDuration).String()
		sd.r.flood.cmd = s.loginRun(base, s.opt.floodConns, 1, s.opt.floodDuration+time.Second).String() + " & " + sd.r.alone.cmd
		sides = append(sides, sd)
	}
	for round := 1; round <= s.opt.rounds; round++ {
		for _, sd := range sides {
			alone, _, err := s.helloRun(sd.t, s.opt.floodDuration).run(ctx, s.ps)
			if err != nil {
				return nil, err
			}
			sd.r.alone.add(alone)

			// The flood starts first and ends last, so it covers the whole
			// /hello/ run.
			floodDone := make(chan error, 1)
			var flood wrkResult
			go func() {
				var err error
				flood, _, err = s.loginRun(sd.base, s.opt.floodConns, 1, s.opt.floodDuration+time.Second).run(ctx, s.ps)
				floodDone <- err
			}()
			select {
			case <-time.After(500 * time.Millisecond):
			case <-ctx.Done():
			}
			stop := watchRSS(sd.t.root.pid())
			hello, _, err := s.helloRun(sd.t, s.opt.floodDuration).run(ctx, s.ps)
			ferr := <-floodDone
			sd.r.rss.merge(stop())
			if err != nil {
				return nil, err
			}
			if ferr != nil {
				return nil, ferr
			}
			sd.r.flood.add(hello)
			sd.r.logins.add(flood)
			fmt.Printf("  round %d  %-28s /hello/ alone %8.0f req/s, beside %d login connections %8.0f req/s (%.2f×; logins %.1f/s)%s\n",
				round, sd.r.label, alone.RPS, s.opt.floodConns, hello.RPS, hello.RPS/alone.RPS, flood.RPS, errNote(hello))
		}
	}
	out := make([]*floodResult, len(sides))
	for i, sd := range sides {
		out[i] = sd.r
	}
	return out, nil
}

// startupResult is drover serve's start and HUP reload with 4 workers.
type startupResult struct {
	workers       int
	cmd           string
	ready         []time.Duration // exec → the last "worker ready" line read
	maxBoot       []time.Duration // the largest "boot_s" a ready line logged
	reload        []time.Duration // "reload complete" took
	reloadSeen    []time.Duration // HUP sent → "reload complete" line read
	drained       []time.Duration // HUP sent → the old generation exited, idle keep-alive clients connected
	stop          []time.Duration // TERM → the supervisor exited
	idle          rssStats        // 4 workers, idle after start (first start)
	reloadWorkers int             // new workers seen ready during reloads
}

// startupRounds starts drover serve with 4 workers reps times, on a state
// dir of its own and a port nothing loads; each time it waits for every
// worker's ready line, sends HUP and waits for "reload complete", then
// stops it with TERM.
func (s *stack) startupRounds(ctx context.Context, reps int) (*startupResult, error) {
	const workers = 4
	key := randomKey()
	state := filepath.Join(s.dir, "startup-state")
	if err := s.createUser(ctx, state, key); err != nil {
		return nil, err
	}
	res := &startupResult{workers: workers}
	for rep := 1; rep <= reps; rep++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		args := droverServeArgs(workers, state, "127.0.0.1:"+strconv.Itoa(port))
		res.cmd = "DROVER_SECRET_KEY=… drover " + strings.Join(args, " ")
		cmd := exec.Command(s.droverBin, args...)
		cmd.Env = withEnv("DROVER_SECRET_KEY=" + key)
		t0 := time.Now()
		p, err := s.ps.start("startup-"+strconv.Itoa(rep), s.dir, cmd)
		if err != nil {
			return nil, err
		}
		lines, at, err := p.waitLines(isWorkerReady, workers, 30*time.Second)
		if err != nil {
			return nil, err
		}
		res.ready = append(res.ready, at.Sub(t0))
		var boot time.Duration
		for _, l := range lines {
			boot = max(boot, time.Duration(parseLog(l).Boot*float64(time.Second)))
		}
		res.maxBoot = append(res.maxBoot, boot)
		if rep == 1 {
			res.idle = snapshotRSS(p.pid())
		}

		// Idle keep-alive connections, as a proxy's upstream pool keeps
		// them: the old workers linger on them (--keep-alive) before they
		// close them, so the old generation exits about the linger after
		// the HUP.
		idleClients, err := idleKeepAlives("http://127.0.0.1:"+strconv.Itoa(port)+"/healthz", 2*workers)
		if err != nil {
			return nil, err
		}
		from := p.lineCount()
		t1 := time.Now()
		if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
			return nil, err
		}
		done, at, err := p.waitLines(func(l string) bool { return isReloadComplete(l) }, 1, 30*time.Second)
		if err != nil {
			return nil, err
		}
		// waitLines scans from the start: the reload's line is the first.
		res.reloadSeen = append(res.reloadSeen, at.Sub(t1))
		res.reload = append(res.reload, time.Duration(parseLog(done[0]).Took*float64(time.Second)))
		for _, l := range p.linesFrom(from) {
			if isWorkerReady(l) {
				res.reloadWorkers++
			}
		}
		drained, err := waitChildren(p.pid(), workers, 30*time.Second)
		idleClients.CloseIdleConnections()
		if err != nil {
			return nil, err
		}
		res.drained = append(res.drained, drained.Sub(t1))

		t2 := time.Now()
		if err := p.stop(syscall.SIGTERM, 10*time.Second); err != nil {
			return nil, fmt.Errorf("drover serve (startup %d) stopped with %w", rep, err)
		}
		res.stop = append(res.stop, time.Since(t2))
		fmt.Printf("  start %d  %d workers ready in %v (largest boot %v); HUP reload took %v (seen after %v; old generation gone after %v); TERM stop %v\n",
			rep, workers, res.ready[rep-1].Round(time.Microsecond), boot.Round(time.Microsecond),
			res.reload[rep-1].Round(time.Microsecond), res.reloadSeen[rep-1].Round(time.Microsecond),
			res.drained[rep-1].Round(time.Millisecond), res.stop[rep-1].Round(time.Millisecond))
	}
	return res, nil
}

// idleKeepAlives opens n keep-alive connections to url, each with one
// answered request, and leaves them idle in the returned transport.
func idleKeepAlives(url string, n int) (*http.Transport, error) {
	tr := &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: n}
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	var g errgroup.Group
	for range n {
		g.Go(func() error {
			resp, err := c.Get(url)
			if err != nil {
				return fmt.Errorf("idle keep-alive client: %w", err)
			}
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return err
		})
	}
	if err := g.Wait(); err != nil {
		tr.CloseIdleConnections()
		return nil, err
	}
	return tr, nil
}

// waitChildren polls until pid has exactly n child processes and returns
// when it saw that.
func waitChildren(pid, n int, timeout time.Duration) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	for {
		now := time.Now()
		if kids := directChildren(pid); kids == n {
			return now, nil
		} else if now.After(deadline) {
			return now, fmt.Errorf("supervisor %d has %d children after %v, want %d", pid, kids, timeout, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// directChildren counts pid's child processes.
func directChildren(pid int) int {
	n := 0
	for _, id := range descendants(pid) {
		if b, err := os.ReadFile("/proc/" + strconv.Itoa(id) + "/stat"); err == nil {
			if _, _, ppid, ok := statFields(string(b)); ok && ppid == pid {
				n++
			}
		}
	}
	return n
}
