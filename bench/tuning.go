package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// variant is one drover serve configuration of the --tuning mode.
type variant struct {
	key, label string
	env        []string // added to the supervisor's environment, which its workers inherit
	workers    int
}

// variants are the scheduler levers of drover serve: the worker count
// with GOMAXPROCS left to the Go runtime (the CPUs), and GOMAXPROCS per
// worker at opt.workers workers. GOMAXPROCS set in the supervisor's
// environment reaches every worker: the supervisor passes its environment
// on (server/supervisor.go, s.env) and sets no GOMAXPROCS of its own.
func variants(opt options) []variant {
	var vs []variant
	for _, n := range []int{1, 2, 4} {
		vs = append(vs, variant{key: "workers-" + strconv.Itoa(n), label: plural(n, "worker") + ", GOMAXPROCS unset", workers: n})
	}
	for _, procs := range []int{1, 2} {
		p := strconv.Itoa(procs)
		vs = append(vs, variant{key: "gomaxprocs-" + p, label: fmt.Sprintf("%s, GOMAXPROCS=%s each", plural(opt.workers, "worker"), p),
			env: []string{"GOMAXPROCS=" + p}, workers: opt.workers})
	}
	return vs
}

// startVariant starts drover serve as v says, on a state dir and key of
// its own, logs in and returns its /hello/ target.
func (s *stack) startVariant(ctx context.Context, v variant) (*target, error) {
	key := randomKey()
	state := filepath.Join(s.dir, "state-"+v.key)
	if err := s.createUser(ctx, state, key); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	args := droverServeArgs(v.workers, state, "127.0.0.1:"+strconv.Itoa(port))
	cmd := exec.Command(s.droverBin, args...)
	cmd.Env = append(withEnv("DROVER_SECRET_KEY="+key), v.env...)
	p, err := s.ps.start("drover-"+v.key, s.dir, cmd)
	if err != nil {
		return nil, err
	}
	if _, _, err := p.waitLines(isWorkerReady, v.workers, 30*time.Second); err != nil {
		return nil, err
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	tok, err := login(ctx, base)
	if err != nil {
		return nil, err
	}
	if err := roll(p, v.workers); err != nil {
		return nil, err
	}
	t := &target{key: v.key, label: "drover serve, " + v.label, url: base + "/hello/", token: tok, root: p,
		cmd: strings.Join(append(v.env, "DROVER_SECRET_KEY=… drover "+strings.Join(args, " ")), " ")}
	s.addTarget(t)
	return t, check(ctx, t)
}

// startCeilings starts n Go ceiling processes on one TCP port, each with
// GOMAXPROCS=procs, and with --reuseport when there are several (the
// kernel spreads the connections over them), and returns their /hello/
// target: CPU time is all of theirs, memory the first one's.
func (s *stack) startCeilings(ctx context.Context, key string, n, procs int) (*target, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	args := []string{"--bind", "127.0.0.1:" + strconv.Itoa(port)}
	label := fmt.Sprintf("Go ceiling, 1 process, GOMAXPROCS=%d", procs)
	if n > 1 {
		args = append(args, "--reuseport")
		label = fmt.Sprintf("Go ceiling, %d processes, GOMAXPROCS=%d each, SO_REUSEPORT", n, procs)
	}
	env := []string{"GOMAXPROCS=" + strconv.Itoa(procs)}
	t := &target{key: fmt.Sprintf("ceiling-%dx%d", n, procs), label: label, url: "http://127.0.0.1:" + strconv.Itoa(port) + "/hello/"}
	for i := range n {
		p, err := s.startCeilingProc(fmt.Sprintf("%s-%d", t.key, i+1), key, env, args...)
		if err != nil {
			return nil, err
		}
		t.cpu = append(t.cpu, p)
	}
	t.root = t.cpu[0]
	if t.token, err = mintAccess(key); err != nil {
		return nil, err
	}
	t.cmd = fmt.Sprintf("GOMAXPROCS=%d BENCH_SECRET_KEY=… ceiling %s", procs, strings.Join(args, " "))
	if n > 1 {
		t.cmd += fmt.Sprintf("   # %d times", n)
	}
	s.addTarget(t)
	return t, check(ctx, t)
}

// tuning runs the Go ceiling, drover serve's scheduler variants and the
// ceiling split over SO_REUSEPORT processes in alternating /hello/ rounds,
// and prints each one's ratio to the ceiling and the levers' ratios.
func tuning(ctx context.Context, opt options, ps *procs, dir string) error {
	repo, err := repoRoot()
	if err != nil {
		return err
	}
	if err := preflight(ctx, ps, false); err != nil {
		return err
	}
	s := &stack{opt: opt, ps: ps, dir: dir, repo: repo}
	fmt.Println("building drover and the Go ceiling …")
	if err := s.build(ctx); err != nil {
		return err
	}
	if _, err := s.startCeiling(ctx); err != nil {
		return err
	}
	if err := check(ctx, s.targets["ceiling"]); err != nil {
		return err
	}
	keys := []string{"ceiling"}
	for _, v := range variants(opt) {
		if _, err := s.startVariant(ctx, v); err != nil {
			return fmt.Errorf("%s: %w", v.label, err)
		}
		keys = append(keys, v.key)
	}
	// Would a SO_REUSEPORT socket per worker pay? The ceiling alone, split
	// into two single-P processes on one port, against one with two Ps.
	key := randomKey()
	split, err := s.startCeilings(ctx, key, 2, 1)
	if err != nil {
		return err
	}
	one, err := s.startCeilings(ctx, key, 1, 2)
	if err != nil {
		return err
	}
	keys = append(keys, split.key, one.key)

	fmt.Printf("/hello/ with a valid token: %s of %v per configuration, wrk -t%d -c%d\n", plural(opt.rounds, "round"), opt.duration, opt.threads, opt.conns)
	res, err := s.helloRounds(ctx, keys)
	if err != nil {
		return err
	}
	ceil := &res["ceiling"].s
	fmt.Printf("\n  %-56s %10s %10s %10s %9s %11s %8s %7s %16s\n", "configuration", "req/s", "p50", "p99", "×ceiling", "CPU µs/req", "spread", "errors", "RSS under load")
	for _, k := range keys {
		h := res[k]
		rss := "worker " + mib(h.rss.MaxChild())
		switch {
		case len(h.t.cpu) > 1:
			rss = mib(h.rss.Root) + " each"
		case len(h.rss.Children) == 0:
			rss = mib(h.rss.Root)
		}
		fmt.Printf("  %-56s %10s %10s %10s %8.2f× %11s %7.0f%% %7d %16s\n", h.t.label, thousands(h.s.RPS()), ms(h.s.P50()), ms(h.s.P99()),
			pairedRatio(&h.s, ceil), cpuCell(h), 100*h.s.Spread(), h.s.Errors(), rss)
	}
	fmt.Printf("  CPU µs/req: %s\n", s.cpuNote())

	lever := func(name, a, b string) {
		ha, hb := res[a], res[b]
		fmt.Printf("  %-56s %8.2f× req/s %8.2f× CPU µs/req\n", name, pairedRatio(&ha.s, &hb.s), pairedCPURatio(ha, hb))
	}
	fmt.Println("\n  levers, paired by round (a / b)")
	lever("2 workers / 1 worker (GOMAXPROCS unset)", "workers-2", "workers-1")
	lever("4 workers / 2 workers (GOMAXPROCS unset)", "workers-4", "workers-2")
	lever(fmt.Sprintf("GOMAXPROCS=1 / GOMAXPROCS=2 per worker, %s", plural(opt.workers, "worker")), "gomaxprocs-1", "gomaxprocs-2")
	lever("ceiling: 2 × GOMAXPROCS=1 SO_REUSEPORT / 1 × GOMAXPROCS=2", split.key, one.key)
	fmt.Println()
	for _, k := range keys {
		fmt.Println("  " + scrub(res[k].t.cmd))
	}
	_ = os.Stdout.Sync()
	return nil
}
