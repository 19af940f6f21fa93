package main

import (
	"bufio"
	"context"
	"fmt"
	"html"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// machine describes where the run happened.
type machine struct {
	CPU      string // model name
	CPUs     int    // logical CPUs in /proc/cpuinfo
	NProc    int    // CPUs this process may use (nproc)
	MemTotal string
	Kernel   string
	OS       string
}

func readMachine() machine {
	m := machine{NProc: runtime.NumCPU()}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			k, v, _ := strings.Cut(sc.Text(), ":")
			switch strings.TrimSpace(k) {
			case "model name":
				m.CPU = strings.TrimSpace(v)
			case "processor":
				m.CPUs++
			}
		}
		f.Close()
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				kib, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				m.MemTotal = fmt.Sprintf("%.1f GiB", float64(kib)/(1<<20))
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
				m.OS = strings.Trim(v, `"`)
			}
		}
	}
	return m
}

// loadavg is the first three fields of /proc/loadavg.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// versions asks each tool for its version.
func versions(ctx context.Context, ps *procs) [][2]string {
	first := func(name string, args ...string) string {
		out, err := ps.output(exec.CommandContext(ctx, name, args...))
		if err != nil && len(out) == 0 {
			return "unknown (" + err.Error() + ")"
		}
		line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
		return strings.TrimSpace(line)
	}
	py := `import sys, django, rest_framework, importlib.metadata as m
print(sys.version.split()[0], django.get_version(), rest_framework.VERSION, m.version("djangorestframework-simplejwt"))`
	pv := strings.Fields(first("/usr/bin/python3", "-c", py))
	gunicornBin, gunicornPre := gunicorn()
	for len(pv) < 4 {
		pv = append(pv, "unknown")
	}
	return [][2]string{
		{"Go", first("go", "env", "GOVERSION")},
		{"nginx", strings.TrimPrefix(first("nginx", "-v"), "nginx version: ")},
		{"wrk", strings.TrimSuffix(strings.SplitN(first("wrk", "-v"), " Copyright", 2)[0], " ")},
		{"Gunicorn", gunicornVersion(first(gunicornBin, append(gunicornPre, "--version")...))},
		{"Python", pv[0]},
		{"Django", pv[1]},
		{"Django REST framework", pv[2]},
		{"djangorestframework-simplejwt", pv[3]},
	}
}

// gunicornVersion is the number in "gunicorn (version 20.1.0)", or in
// "__main__.py (version 20.1.0)" from python3 -m gunicorn.
func gunicornVersion(s string) string {
	if _, v, ok := strings.Cut(s, "(version "); ok {
		return strings.TrimSuffix(v, ")")
	}
	return s
}

// verdict is one of the targets, met or missed.
type verdict struct {
	Met  bool
	Name string
	Got  string
	Want string
}

func (v verdict) String() string {
	s := "MISSED"
	if v.Met {
		s = "MET   "
	}
	return fmt.Sprintf("%s  %s: %s (target %s)", s, v.Name, v.Got, v.Want)
}

// idleWorkerKiB is the largest idle worker RSS seen: drover serve before
// any load, and the 4-worker start.
func (r *results) idleWorkerKiB() int64 {
	m := r.idle.MaxChild()
	if r.startup != nil {
		m = max(m, r.startup.idle.MaxChild())
	}
	return m
}

func (r *results) verdicts() []verdict {
	x := func(a, b string) float64 { return pairedRatio(&r.hello[a].s, &r.hello[b].s) }
	var vs []verdict
	add := func(met bool, name, got, want string) {
		vs = append(vs, verdict{Met: met, Name: name, Got: got, Want: want})
	}
	xc := x("drover", "ceiling")
	add(xc >= 1.0, "drover serve vs the Go ceiling on /hello/ with JWT", fmt.Sprintf("%.2f×", xc), "≥ 1.0×")
	add(xc >= 1.1, "drover serve vs the Go ceiling on /hello/ with JWT, stretch", fmt.Sprintf("%.2f×", xc), "≥ 1.1×")
	xg := x("drover", "gunicorn")
	add(xg >= 35, fmt.Sprintf("drover serve vs Gunicorn+DRF+simplejwt, %d workers each", r.opt.workers), fmt.Sprintf("%.1f×", xg), "≥ 35×")
	drover, ceiling := r.hello["drover"], r.hello["ceiling"]
	xp99 := pairedP99Ratio(&drover.s, &ceiling.s)
	add(xp99 > 0 && xp99 <= 1.0, "drover serve's p99 vs the Go ceiling's on /hello/", fmt.Sprintf("%.2f× (%s against %s)", xp99, ms(drover.s.P99()), ms(ceiling.s.P99())), "≤ 1.0×")
	xn := x("nginx-drover", "nginx-ceiling")
	add(xn >= 0.95, "nginx → drover vs nginx → Go ceiling, plain HTTP", fmt.Sprintf("%.2f×", xn), "≥ 0.95×")
	xt := x("nginx-tls-drover", "nginx-tls-ceiling")
	add(xt >= 0.95, "nginx (TLS) → drover vs nginx (TLS) → Go ceiling", fmt.Sprintf("%.2f×", xt), "≥ 0.95×")
	xcpu := pairedCPURatio(drover, ceiling)
	add(xcpu > 0 && xcpu <= 1.0, "drover serve's CPU per /hello/ request vs the Go ceiling's",
		fmt.Sprintf("%.1f µs against %.1f µs (%.2f×)", drover.CPU(), ceiling.CPU(), xcpu), "≤ 1.0×")
	idle := r.idleWorkerKiB()
	add(idle <= 15<<10, "largest drover worker RSS, idle", mib(idle), "≤ 15 MiB")
	load := r.hello["drover"].rss.MaxChild()
	add(load > 0 && load <= 25<<10, "largest drover worker RSS, under /hello/ load", mib(load), "≤ 25 MiB")
	st := r.startup
	ready := medianDuration(st.ready)
	add(ready <= 300*time.Millisecond, "exec → 4 workers ready (median)", ms(ready), "≤ 300 ms")
	reload := medianDuration(st.reload)
	add(reload <= time.Second, "HUP rolling reload, 4 workers (median)", ms(reload), "≤ 1 s")
	f := r.flood[0]
	add(f.Ratio() >= 0.5, "/hello/ during a login flood vs alone, drover serve", fmt.Sprintf("%.2f×", f.Ratio()), "≥ 0.5×")
	// The hot path reads no store (the per-worker user cache): the
	// backend must not change /hello/, either way.
	xp := x("drover-pg", "drover")
	add(xp >= 0.95 && xp <= 1.05, "hello on PostgreSQL within 5% of SQLite, drover serve", fmt.Sprintf("%.2f×", xp), "0.95×–1.05×")
	return vs
}

// storeRow is one measurement of drover serve on both users stores.
type storeRow struct {
	name       string
	sqlite, pg *series
}

// Ratio is PostgreSQL's requests/s over SQLite's, paired by round.
func (row storeRow) Ratio() float64 { return pairedRatio(row.pg, row.sqlite) }

// storeRows are /hello/, login and refresh of drover serve on SQLite and
// on PostgreSQL.
func (r *results) storeRows() []storeRow {
	rows := []storeRow{{name: "/hello/", sqlite: &r.hello["drover"].s, pg: &r.hello["drover-pg"].s}}
	logins, refreshes := map[string]*series{}, map[string]*series{}
	for _, l := range r.login {
		logins[l.key] = &l.s
	}
	for _, f := range r.refresh {
		refreshes[f.key] = &f.s
	}
	for _, x := range []struct {
		name string
		of   map[string]*series
	}{{"login, POST /api/token/", logins}, {"refresh, POST /api/token/refresh/", refreshes}} {
		if x.of["drover"] != nil && x.of["drover-pg"] != nil {
			rows = append(rows, storeRow{name: x.name, sqlite: x.of["drover"], pg: x.of["drover-pg"]})
		}
	}
	return rows
}

// helloStoreReads states helloXacts and their rate over drover serve
// (PostgreSQL)'s /hello/ load.
func (r *results) helloStoreReads() string {
	load := time.Duration(r.opt.rounds) * r.opt.duration
	return fmt.Sprintf("%d over %v of load (%.0f/s)", r.helloXacts, load, float64(r.helloXacts)/load.Seconds())
}

// loginOf is the login rounds of the target key, nil if none.
func (r *results) loginOf(key string) *loginResult {
	for _, l := range r.login {
		if l.key == key {
			return l
		}
	}
	return nil
}

// Formatting.

// plural is "1 round", "3 rounds".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

func mib(kib int64) string { return fmt.Sprintf("%.1f MiB", float64(kib)/1024) }

func ms(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= 100*time.Millisecond:
		return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
}

// thousands formats x rounded, with thin separators: 45,140.
func thousands(x float64) string {
	if x < 100 {
		return strconv.FormatFloat(x, 'f', 1, 64)
	}
	s := strconv.FormatInt(int64(x+0.5), 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

var (
	portRE   = regexp.MustCompile(`127\.0\.0\.1:\d+`)
	tmpdirRE = regexp.MustCompile(regexp.QuoteMeta(os.TempDir()) + `/drover-bench-\d+`)
)

// scrub replaces the run's random ports and directory by names.
func scrub(s string) string {
	return portRE.ReplaceAllString(tmpdirRE.ReplaceAllString(s, "$$DIR"), "127.0.0.1:$$PORT")
}

// printSummary writes the console report.
func printSummary(w io.Writer, r *results) {
	ceil := &r.hello["ceiling"].s
	fmt.Fprintf(w, "GET /hello/ with a valid JWT, median of %s of %v, wrk -t%d -c%d\n", plural(r.opt.rounds, "round"), r.opt.duration, r.opt.threads, r.opt.conns)
	fmt.Fprintf(w, "  %-36s %10s %10s %10s %9s %8s %7s %11s\n", "target", "req/s", "p50", "p99", "×ceiling", "spread", "errors", "CPU µs/req")
	for _, k := range order {
		h := r.hello[k]
		fmt.Fprintf(w, "  %-36s %10s %10s %10s %8.2f× %7.0f%% %7d %11s\n", h.t.label, thousands(h.s.RPS()), ms(h.s.P50()), ms(h.s.P99()),
			pairedRatio(&h.s, ceil), 100*h.s.Spread(), h.s.Errors(), cpuCell(h))
	}
	fmt.Fprintf(w, "  CPU µs/req: %s\n", r.stack.cpuNote())
	fmt.Fprintln(w, "login, POST /api/token/:")
	for _, l := range r.login {
		fmt.Fprintf(w, "  %-28s %8s/s  p50 %-9s one login alone %-9s %s\n", l.label, thousands(l.s.RPS()), ms(l.s.P50()), ms(l.alone), l.cost)
	}
	fmt.Fprintln(w, "refresh, POST /api/token/refresh/ (rotation on, the default: each answer's refresh token is posted next):")
	for _, f := range r.refresh {
		fmt.Fprintf(w, "  %-28s %8s/s  p50 %-9s p99 %s\n", f.label, thousands(f.s.RPS()), ms(f.s.P50()), ms(f.s.P99()))
	}
	fmt.Fprintf(w, "users store, drover serve on SQLite vs on PostgreSQL (%d workers each, same flags):\n", r.opt.workers)
	fmt.Fprintf(w, "  %-36s %10s %10s %18s %7s\n", "req/s", "SQLite", "PostgreSQL", "PostgreSQL/SQLite", "errors")
	for _, row := range r.storeRows() {
		fmt.Fprintf(w, "  %-36s %10s %10s %17.2f× %7d\n", row.name, thousands(row.sqlite.RPS()), thousands(row.pg.RPS()), row.Ratio(), row.sqlite.Errors()+row.pg.Errors())
	}
	fmt.Fprintf(w, "  PostgreSQL transactions during its /hello/ rounds: %s\n", r.helloStoreReads())
	fmt.Fprintln(w, "/hello/ beside a login flood:")
	for _, f := range r.flood {
		fmt.Fprintf(w, "  %-28s alone %8s/s, during the flood %8s/s: %.2f× (logins %s/s)\n", f.label, thousands(f.alone.RPS()), thousands(f.flood.RPS()), f.Ratio(), thousands(f.logins.RPS()))
	}
	fmt.Fprintln(w, "memory (VmRSS):")
	fmt.Fprintf(w, "  drover supervisor: idle %s, under load %s\n", mib(r.idle.Root), mib(r.hello["drover"].rss.Root))
	fmt.Fprintf(w, "  drover workers: idle %s; /hello/ load %s; idle after it %s; login rounds %s; login flood %s\n",
		childList(r.idle), childList(r.hello["drover"].rss), childList(r.after), childList(r.login[0].rss), childList(r.flood[0].rss))
	st := r.startup
	fmt.Fprintf(w, "start and reload (4 workers, %d times): ready %s median (worst %s); HUP reload %s median (seen %s); old generation gone %s median\n",
		len(st.ready), ms(medianDuration(st.ready)), ms(maxDuration(st.ready)), ms(medianDuration(st.reload)), ms(medianDuration(st.reloadSeen)), ms(medianDuration(st.drained)))
	fmt.Fprintln(w)
	for _, v := range r.verdicts() {
		fmt.Fprintln(w, v)
	}
	fmt.Fprintf(w, "\nthe run took %v\n", r.took.Round(time.Second))
}

// cpuCell is h's median CPU µs per request, "—" for none.
func cpuCell(h *helloResult) string {
	if len(h.cpu) == 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f", h.CPU())
}

// cpuNote says what the CPU column counts.
func (s *stack) cpuNote() string {
	unit := fmt.Sprintf("CLK_TCK %d (getconf)", s.hz)
	if !s.hzAsked {
		unit = fmt.Sprintf("CLK_TCK assumed %d (getconf failed)", s.hz)
	}
	return "utime + stime from /proc/PID/stat of every server process of the target (drover: supervisor and workers; " +
		"nginx: master and workers, for nginx → X with X's; Gunicorn: master and workers; the ceiling: its process), " +
		"read before and after each wrk run, over the requests wrk completed; median of the rounds; " + unit +
		"; workers do not exit during a round (a round where the processes changed says so; one reaped would still count, as its parent's cutime + cstime)"
}

func maxDuration(ds []time.Duration) time.Duration {
	var m time.Duration
	for _, d := range ds {
		m = max(m, d)
	}
	return m
}

// childList is the children's RSS, in PID order.
func childList(s rssStats) string {
	pids := make([]int, 0, len(s.Children))
	for pid := range s.Children {
		pids = append(pids, pid)
	}
	slices.Sort(pids)
	parts := make([]string, len(pids))
	for i, pid := range pids {
		parts[i] = mib(s.Children[pid])
	}
	return strings.Join(parts, ", ")
}

// writeResults writes RESULTS.md and chart.svg into dir.
func writeResults(dir string, r *results) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "chart.svg"), chartSVG(r), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "RESULTS.md"), resultsMarkdown(r), 0o644)
}

func resultsMarkdown(r *results) []byte {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	o := r.opt
	mode := "full"
	if o.quick {
		mode = "quick"
	}
	p("# drover benchmark results\n\n")
	p("Written by `make bench` (`bench/main.go`, %s mode) on %s; the run took %v.\n", mode, r.started.UTC().Format("2006-01-02 15:04 MST"), r.took.Round(time.Second))
	p("Every figure below comes from this one run: the targets ran side by side and were loaded in alternating\n")
	p("rounds (A B C … A B C …), so drift on the machine hits all of them alike. Compare ratios, not absolute numbers.\n\n")

	p("## Machine\n\n")
	m := r.machine
	p("| | |\n|---|---|\n")
	p("| CPU | %s |\n| CPUs | %d in /proc/cpuinfo, nproc %d |\n| memory | %s |\n| kernel | Linux %s |\n| system | %s |\n", m.CPU, m.CPUs, m.NProc, m.MemTotal, m.Kernel, m.OS)
	p("| network | loopback only; wrk runs on the same CPUs as the servers |\n")
	p("| load average (1, 5, 15 min) | %s before the run, %s after |\n\n", r.loadBefore, r.loadAfter)

	p("## Versions\n\n| | |\n|---|---|\n")
	for _, v := range r.versions {
		p("| %s | %s |\n", v[0], v[1])
	}
	p("\n")

	ceil := &r.hello["ceiling"].s
	p("## GET /hello/ with a valid JWT\n\n")
	p("Median of %s of %v per target, `wrk -t%d -c%d --latency`; p50 and p99 are the medians of each round's percentiles.\n", plural(o.rounds, "round"), o.duration, o.threads, o.conns)
	p("× Go ceiling is the median over the rounds of the target's requests/s over the ceiling's in the same round.\n")
	p("Spread is (max − min) / median of the rounds' requests/s. drover serve and Gunicorn run %d workers each.\n", o.workers)
	p("*CPU µs/req*: %s. It leaves out other work on the machine, though contention still moves it:\n", r.stack.cpuNote())
	p("compare it, like requests/s, with the ceiling's in the same round.\n")
	p("drover serve (PostgreSQL)'s counts drover's processes, not PostgreSQL's. nginx → X is plain HTTP to the site's upstream with its proxy snippet;\n")
	p("nginx (TLS) → X is the repository's site itself.\n\n")
	p("| target | requests/s | p50 | p99 | × Go ceiling | spread | errors | CPU µs/req |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, k := range order {
		h := r.hello[k]
		p("| %s | %s | %s | %s | %.2f× | %.0f%% | %d | %s |\n", h.t.label, thousands(h.s.RPS()), ms(h.s.P50()), ms(h.s.P99()), pairedRatio(&h.s, ceil), 100*h.s.Spread(), h.s.Errors(), cpuCell(h))
	}
	p("\n![requests/s per target](chart.svg)\n\n")

	p("## Targets\n\nPrinted by the harness; they are measurements, not tests. What the profiles say about the misses,\n")
	p("and what the `--tuning` mode measured, is in [README.md](README.md#findings).\n\n```\n")
	for _, v := range r.verdicts() {
		p("%s\n", v)
	}
	p("```\n\n")

	p("## Memory (VmRSS from /proc/PID/status)\n\n")
	p("drover's workers were rolled with a HUP after the harness logged in, so *idle* is a generation that has served\n")
	p("nothing. Under load is the largest value sampled every 200 ms during the rounds named. Worker columns list\n")
	p("the same %d workers in PID order.\n\n", o.workers)
	hl := r.hello["drover"].rss
	var lr, fr rssStats
	if len(r.login) > 0 {
		lr = r.login[0].rss
	}
	if len(r.flood) > 0 {
		fr = r.flood[0].rss
	}
	p("| drover serve | idle | /hello/ load | idle after /hello/ | login rounds | login flood |\n|---|---:|---:|---:|---:|---:|\n")
	p("| supervisor | %s | %s | %s | %s | %s |\n", mib(r.idle.Root), mib(hl.Root), mib(r.after.Root), mib(lr.Root), mib(fr.Root))
	p("| workers | %s | %s | %s | %s | %s |\n", childList(r.idle), childList(hl), childList(r.after), childList(lr), childList(fr))
	p("| whole tree | %s | %s | %s | %s | %s |\n\n", mib(r.idle.Total), mib(hl.Total), mib(r.after.Total), mib(lr.Total), mib(fr.Total))
	if st := r.startup; st != nil {
		p("Four workers just started (the start measurements below): supervisor %s, workers %s.\n\n", mib(st.idle.Root), childList(st.idle))
	}
	p("The other targets, whole process tree, largest during their /hello/ rounds:\n\n| target | RSS |\n|---|---:|\n")
	for _, k := range []string{"drover-pg", "ceiling", "dev", "gunicorn", "nginx"} {
		h := r.hello[k]
		p("| %s | %s |\n", h.t.label, mib(h.rss.Total))
	}
	if l := r.loginOf("drover-pg"); l != nil {
		p("| drover serve (PostgreSQL), during the login rounds | %s |\n", mib(l.rss.Total))
	}
	if l := r.loginOf("gunicorn"); l != nil {
		p("| Gunicorn + DRF + simplejwt, during the login rounds | %s |\n", mib(l.rss.Total))
	}
	for _, f := range r.refresh {
		p("| %s, during the refresh rounds | %s |\n", f.label, mib(f.rss.Total))
	}
	p("\n")

	st := r.startup
	p("## Start and HUP reload (drover serve, 4 workers)\n\n")
	p("%d starts on a state dir with one user and a port nothing loads. *Ready* is measured outside, from exec to reading\n", len(st.ready))
	p("the fourth `worker ready` line of the supervisor's log; *largest boot* is the largest `boot_s` those lines report\n")
	p("(worker spawn → ready). *Reload* is the `took_s` of the `reload complete` line after a HUP (every new worker ready,\n")
	p("then the old ones told to drain); *seen* is HUP sent → that line read. *Old generation gone* is HUP sent → the supervisor\n")
	p("back to 4 children, with 8 idle keep-alive connections open: a draining worker closes an idle connection only after\n")
	p("`--keep-alive` (the linger, 5 s), so that no request racing the close is lost; it grows from milliseconds to about the linger.\n\n")
	p("| | median | worst | all |\n|---|---:|---:|---|\n")
	row := func(name string, ds []time.Duration) {
		parts := make([]string, len(ds))
		for i, d := range ds {
			parts[i] = ms(d)
		}
		p("| %s | %s | %s | %s |\n", name, ms(medianDuration(ds)), ms(maxDuration(ds)), strings.Join(parts, ", "))
	}
	row("exec → 4 workers ready", st.ready)
	row("largest worker boot", st.maxBoot)
	row("HUP reload (`took`)", st.reload)
	row("HUP sent → `reload complete` read", st.reloadSeen)
	row("HUP sent → old generation gone (idle keep-alive clients)", st.drained)
	row("TERM → supervisor exited (idle)", st.stop)
	p("\n")

	p("## Login: POST /api/token/\n\n")
	p("Median of %s of %v, `wrk -t%d -c%d --timeout 10s` with a JSON body (`bench/measure.go`'s loginScript).\n", plural(o.rounds, "round"), o.loginDuration, o.threads, o.loginConns)
	p("*One login alone* is the median of five sequential logins with nothing else running. Each side keeps its own\n")
	p("default password hash, so this compares the stacks as shipped, not equal work.\n\n")
	p("| server | password hash cost | logins/s | p50 | p99 | one login alone | errors |\n|---|---|---:|---:|---:|---:|---:|\n")
	for _, l := range r.login {
		p("| %s | %s | %s | %s | %s | %s | %d |\n", l.label, l.cost, thousands(l.s.RPS()), ms(l.s.P50()), ms(l.s.P99()), ms(l.alone), l.s.Errors())
	}
	p("\n")

	p("## Refresh: POST /api/token/refresh/\n\n")
	p("Median of %s of %v, `wrk -t%d -c%d --timeout 10s` with `refresh.lua` (below). Rotation is on, drover's default\n", plural(o.rounds, "round"), o.loginDuration, o.threads, o.loginConns)
	p("(`--rotate-refresh-tokens`, simplejwt's ROTATE_REFRESH_TOKENS): each refresh token works once, so before each run the harness\n")
	p("logs in once per connection (and once per wrk thread, for a spare), and each connection then posts the refresh token its previous answer carried: every request\n")
	p("is a signature check, the user's active state and one conditional write retiring the old token and recording the new one.\n\n")
	p("| server | refreshes/s | p50 | p99 | errors |\n|---|---:|---:|---:|---:|\n")
	for _, f := range r.refresh {
		p("| %s | %s | %s | %s | %d |\n", f.label, thousands(f.s.RPS()), ms(f.s.P50()), ms(f.s.P99()), f.s.Errors())
	}
	p("\n")

	p("## Users store: SQLite vs PostgreSQL\n\n")
	p("The same `drover serve`, %d workers, the same flags, on its SQLite file (the default) and with `DATABASE_URL` a database\n", o.workers)
	p("of its own on a local PostgreSQL %s: internal/pgtest's throwaway cluster, one unix socket, `fsync`, `synchronous_commit`\n", r.stack.pgVersion)
	p("and `full_page_writes` off (speed over durability, as for the tests), `shared_buffers = 16MB`. Each row's ratio is the median\n")
	p("over the rounds of PostgreSQL's requests/s over SQLite's in the same round; the two ran one right after the other.\n")
	p("`/hello/` reads the store only when a worker's user cache (`--user-cache-ttl`, 1 s) has expired, so its ratio should be about 1.\n\n")
	p("| requests/s | SQLite | PostgreSQL | PostgreSQL / SQLite | errors |\n|---|---:|---:|---:|---:|\n")
	for _, row := range r.storeRows() {
		p("| %s | %s | %s | %.2f× | %d |\n", row.name, thousands(row.sqlite.RPS()), thousands(row.pg.RPS()), row.Ratio(), row.sqlite.Errors()+row.pg.Errors())
	}
	p("\nPostgreSQL transactions during drover serve (PostgreSQL)'s /hello/ rounds (`pg_stat_database`, before and after\n")
	p("the rounds; the last second's may be missing): %s. Each is a user lookup behind an access check once a\n", r.helloStoreReads())
	p("worker's user cache has expired: every request that misses it reads the store.\n\n")

	p("## /hello/ during a login flood\n\n")
	p("Per round: /hello/ alone (`wrk -t%d -c%d -d%v`), then the same while %d connections post logins (`wrk -t1 -c%d`,\n", o.threads, o.conns, o.floodDuration, o.floodConns, o.floodConns)
	p("started 0.5 s before and ending after it). Does expensive hashing starve cheap requests?\n\n")
	p("| server | /hello/ alone | /hello/ during the flood | ratio | logins/s during the flood | /hello/ p99 during the flood |\n|---|---:|---:|---:|---:|---:|\n")
	for _, f := range r.flood {
		p("| %s | %s | %s | %.2f× | %s | %s |\n", f.label, thousands(f.alone.RPS()), thousands(f.flood.RPS()), f.Ratio(), thousands(f.logins.RPS()), ms(f.flood.P99()))
	}
	p("\n")

	p("## Commands\n\n")
	p("Ports are free ones picked per run (`$PORT`); `$DIR` is the run's temporary directory, `$PGDIR` the PostgreSQL cluster's; each server has its own\n")
	p("random signing key, and each token was obtained from that server's own `POST /api/token/` (the Go ceiling has\n")
	p("no users: the harness signs its token with the ceiling's key, claims as simplejwt writes them).\n\n```sh\n")
	p("go build -o $DIR/drover ./cmd/drover\ngo build -o $DIR/ceiling ./bench/ceiling\n")
	p("printf '%%s\\n' \"$PASSWORD\" | drover createuser %s --state-dir $DIR/drover-state   # and dev-state, startup-state\n", benchUser)
	p("printf '%%s\\n' \"$PASSWORD\" | DATABASE_URL=… drover createuser %s --state-dir $DIR/drover-pg-state   # PostgreSQL: pgtest.Launch, CreateDB(\"drover\")\n", benchUser)
	p("DRF_DB=$DIR/drf.sqlite3 BENCH_USER=%s BENCH_PASSWORD=… /usr/bin/python3 %s/setup_db.py\n\n", benchUser, drfProject)
	for _, k := range []string{"drover", "drover-pg", "ceiling", "nginx", "dev", "gunicorn"} {
		p("%s\n", scrub(r.hello[k].t.cmd))
	}
	p("\n# /hello/, each target in turn, %s (after a %v warm-up each)\n", plural(o.rounds, "round"), o.warmup)
	for _, k := range order {
		p("%s   # %s\n", scrub(r.hello[k].s.cmd), r.hello[k].t.label)
	}
	p("\n# login\n")
	for _, l := range r.login {
		p("%s   # %s\n", scrub(l.s.cmd), l.label)
	}
	p("\n# refresh, after one login per connection writing $DIR/refresh-*.txt\n")
	for _, f := range r.refresh {
		p("%s   # %s\n", scrub(f.s.cmd), f.label)
	}
	p("\n# login flood beside /hello/\n")
	for _, f := range r.flood {
		p("%s   # %s\n", scrub(f.flood.cmd), f.label)
	}
	p("\n# start and reload, %d times\n%s\nkill -HUP $SUPERVISOR; kill -TERM $SUPERVISOR\n```\n\n", len(st.ready), scrub(st.cmd))
	p("`login.lua`:\n\n```lua\n%s```\n\n", strings.Replace(loginScript, benchPassword, "…", 1))
	p("`refresh.lua`:\n\n```lua\n%s```\n", refreshScript)
	return []byte(b.String())
}

// chartSVG draws /hello/ requests/s per target as horizontal bars with
// their ratio to the Go ceiling.
func chartSVG(r *results) []byte {
	const (
		width, labelW, barX, rowH, top = 860, 250, 260, 34, 64
		barMax                         = 420
	)
	var peak float64
	for _, k := range order {
		peak = max(peak, r.hello[k].s.RPS())
	}
	ceil := &r.hello["ceiling"].s
	height := top + rowH*len(order) + 40
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="13">`+"\n", width, height, width, height)
	p(`<rect width="100%%" height="100%%" fill="#ffffff"/>` + "\n")
	p(`<text x="12" y="24" font-size="16" font-weight="bold">GET /hello/ with a valid JWT: requests/s, median of %s</text>`+"\n", plural(r.opt.rounds, "round"))
	p(`<text x="12" y="44" fill="#555">%s; %d CPUs, wrk -t%d -c%d on the same machine; %d workers for drover and Gunicorn; × = ratio to the Go ceiling</text>`+"\n",
		html.EscapeString(r.started.UTC().Format("2006-01-02")), r.machine.NProc, r.opt.threads, r.opt.conns, r.opt.workers)
	for i, k := range order {
		h := r.hello[k]
		y := top + i*rowH
		w := 0.0
		if peak > 0 {
			w = barMax * h.s.RPS() / peak
		}
		color := "#9aa5b1"
		switch k {
		case "drover", "drover-pg", "nginx-drover", "nginx-tls-drover":
			color = "#1f6fb2"
		case "dev":
			color = "#7fb2dc"
		case "gunicorn":
			color = "#d9822b"
		}
		p(`<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", labelW, y+17, html.EscapeString(h.t.label))
		p(`<rect x="%d" y="%d" width="%.1f" height="22" fill="%s"/>`+"\n", barX, y+3, max(w, 1), color)
		note := ""
		if k == "gunicorn" {
			note = fmt.Sprintf(" (drover serve: %.1f× this)", pairedRatio(&r.hello["drover"].s, &h.s))
		}
		p(`<text x="%.1f" y="%d">%s/s · %.2f×%s</text>`+"\n", float64(barX)+max(w, 1)+6, y+18, thousands(h.s.RPS()), pairedRatio(&h.s, ceil), note)
	}
	p(`<text x="12" y="%d" fill="#555" font-size="11">bench/RESULTS.md has the latencies, memory, start/reload, login and flood figures and the exact commands.</text>`+"\n", height-14)
	p("</svg>\n")
	return []byte(b.String())
}
