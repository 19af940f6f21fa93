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
	env        []string // added to the environment (workers inherit it)
	args       []string // added to drover serve's flags
	workers    int      // 0: opt.workers
}

// variants are the configurations the issue asks to compare: GOMAXPROCS
// per worker against the worker count, the access log, the user cache.
func variants(opt options) []variant {
	return []variant{
		{key: "default", label: fmt.Sprintf("drover serve, %d workers (default)", opt.workers)},
		{key: "gomaxprocs1", label: fmt.Sprintf("%d workers, GOMAXPROCS=1 each", opt.workers), env: []string{"GOMAXPROCS=1"}},
		{key: "one-worker", label: "1 worker (GOMAXPROCS = CPUs)", workers: 1},
		{key: "access-log", label: "default + JSON access log to a file", args: []string{"--access-logfile", "ACCESSLOG"}},
		{key: "no-user-cache", label: "default, --user-cache-ttl 0 (SQLite per request)", args: []string{"--user-cache-ttl", "0"}},
	}
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
	workers := v.workers
	if workers == 0 {
		workers = s.opt.workers
	}
	args := droverServeArgs(workers, state, "127.0.0.1:"+strconv.Itoa(port))
	for _, a := range v.args {
		args = append(args, strings.ReplaceAll(a, "ACCESSLOG", filepath.Join(s.dir, v.key+"-access.log")))
	}
	cmd := exec.Command(s.droverBin, args...)
	cmd.Env = append(withEnv("DROVER_SECRET_KEY="+key), v.env...)
	p, err := s.ps.start("drover-"+v.key, s.dir, cmd)
	if err != nil {
		return nil, err
	}
	if _, _, err := p.waitLines(isWorkerReady, workers, 30*time.Second); err != nil {
		return nil, err
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	tok, err := login(ctx, base)
	if err != nil {
		return nil, err
	}
	if err := roll(p, workers); err != nil {
		return nil, err
	}
	t := &target{key: v.key, label: v.label, url: base + "/hello/", token: tok, root: p,
		cmd: strings.Join(append(v.env, "DROVER_SECRET_KEY=… drover "+strings.Join(args, " ")), " ")}
	s.addTarget(t)
	return t, check(ctx, t)
}

// tuning runs the Go ceiling and each drover variant in alternating
// /hello/ rounds and prints each one's ratio to the ceiling.
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
	fmt.Printf("/hello/ with a valid token: %s of %v per configuration, wrk -t%d -c%d\n", plural(opt.rounds, "round"), opt.duration, opt.threads, opt.conns)
	res, err := s.helloRounds(ctx, keys)
	if err != nil {
		return err
	}
	ceil := &res["ceiling"].s
	fmt.Printf("\n  %-50s %10s %10s %10s %9s %8s %16s\n", "configuration", "req/s", "p50", "p99", "×ceiling", "spread", "RSS under load")
	for _, k := range keys {
		h := res[k]
		rss := "worker " + mib(h.rss.MaxChild())
		if len(h.rss.Children) == 0 {
			rss = mib(h.rss.Root)
		}
		fmt.Printf("  %-50s %10s %10s %10s %8.2f× %7.0f%% %16s\n", h.t.label, thousands(h.s.RPS()), ms(h.s.P50()), ms(h.s.P99()),
			pairedRatio(&h.s, ceil), 100*h.s.Spread(), rss)
	}
	fmt.Println()
	for _, k := range keys {
		fmt.Println("  " + scrub(res[k].t.cmd))
	}
	_ = os.Stdout.Sync()
	return nil
}
