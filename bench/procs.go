package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// procs owns every process the benchmark starts, so that all of them,
// and whatever they started, are gone when it returns: stopAll runs on
// every exit path (also after INT/TERM), and each child also gets SIGTERM
// from the kernel if the benchmark itself dies (Pdeathsig).
type procs struct {
	mu   sync.Mutex
	list []*proc
}

// proc is one long-running process: a server under test.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed when Wait returned
	err  error         // Wait's result, once done

	mu    sync.Mutex
	lines []string // stderr lines, when watched
	seen  chan struct{}
}

// sysProcAttr puts a child in its own process group (a terminal's Ctrl-C
// reaches only the benchmark, which then stops the children in order) and
// asks the kernel to TERM it if the benchmark dies first.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}

// start starts cmd as a long-running process named name. Its stdout goes
// to logDir/name.out; its stderr to logDir/name.log and, line by line, to
// the proc (see waitLines).
func (ps *procs) start(name, logDir string, cmd *exec.Cmd) (*proc, error) {
	out, err := os.Create(filepath.Join(logDir, name+".out"))
	if err != nil {
		return nil, err
	}
	defer out.Close()
	logf, err := os.Create(filepath.Join(logDir, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout = out
	stderr, err := cmd.StderrPipe()
	if err != nil {
		logf.Close()
		return nil, err
	}
	cmd.SysProcAttr = sysProcAttr()
	p := &proc{name: name, cmd: cmd, done: make(chan struct{}), seen: make(chan struct{})}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	ps.list = append(ps.list, p)
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		defer logf.Close()
		sc := bufio.NewScanner(io.TeeReader(stderr, logf))
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			close(p.seen)
			p.seen = make(chan struct{})
			p.mu.Unlock()
		}
		_, _ = io.Copy(logf, stderr) // after an over-long line
	}()
	go func() {
		<-copied // Wait closes the pipe: read it to the end first
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// pid is the process's ID.
func (p *proc) pid() int { return p.cmd.Process.Pid }

// waitLines waits until match has accepted n stderr lines, the process
// exits, or the timeout passes; it returns the accepted lines and when
// the n-th was read.
func (p *proc) waitLines(match func(string) bool, n int, timeout time.Duration) ([]string, time.Time, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	next := 0
	var got []string
	for {
		p.mu.Lock()
		for ; next < len(p.lines); next++ {
			if match(p.lines[next]) {
				got = append(got, p.lines[next])
			}
		}
		seen := p.seen
		p.mu.Unlock()
		if len(got) >= n {
			return got[:n], time.Now(), nil
		}
		select {
		case <-seen:
		case <-p.done:
			return got, time.Time{}, fmt.Errorf("%s exited (%v) after %d of %d awaited log lines", p.name, p.err, len(got), n)
		case <-deadline.C:
			return got, time.Time{}, fmt.Errorf("%s: %d of %d awaited log lines after %v", p.name, len(got), n, timeout)
		}
	}
}

// linesFrom returns the stderr lines read so far, from index i on.
func (p *proc) linesFrom(i int) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if i >= len(p.lines) {
		return nil
	}
	return append([]string(nil), p.lines[i:]...)
}

// lineCount is the number of stderr lines read so far.
func (p *proc) lineCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.lines)
}

// stop sends sig to the process, waits up to grace for it to exit, then
// kills its process group; finally it kills any descendant still alive
// (drover's workers run in process groups of their own).
func (p *proc) stop(sig syscall.Signal, grace time.Duration) error {
	select {
	case <-p.done:
		return p.err // stopped before; its PID may be another's by now
	default:
	}
	kids := descendants(p.pid())
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = syscall.Kill(-p.pid(), syscall.SIGKILL)
		<-p.done
	}
	deadline := time.Now().Add(2 * time.Second)
	for _, k := range kids {
		for alive(k) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if alive(k) {
			_ = syscall.Kill(k, syscall.SIGKILL)
		}
	}
	return p.err
}

// stopAll stops every process still running, most recent first.
func (ps *procs) stopAll() {
	ps.mu.Lock()
	list := append([]*proc(nil), ps.list...)
	ps.list = nil
	ps.mu.Unlock()
	for i := len(list) - 1; i >= 0; i-- {
		_ = list[i].stop(syscall.SIGTERM, 10*time.Second)
	}
}

// output runs a short command (wrk, a build) to completion in its own
// process group and returns its combined output. cmd must come from
// exec.CommandContext: the context ending kills the whole group.
func (ps *procs) output(cmd *exec.Cmd) ([]byte, error) {
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	cmd.SysProcAttr = sysProcAttr()
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	err := cmd.Run()
	return buf.Bytes(), err
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	_, state, _, ok := statFields(string(b))
	return ok && state != "Z" && state != "X"
}

// statFields reads the name, state and parent PID from /proc/PID/stat.
func statFields(stat string) (name, state string, ppid int, ok bool) {
	open, closing := strings.IndexByte(stat, '('), strings.LastIndexByte(stat, ')')
	if open < 0 || closing < open {
		return "", "", 0, false
	}
	f := strings.Fields(stat[closing+1:])
	if len(f) < 2 {
		return "", "", 0, false
	}
	ppid, err := strconv.Atoi(f[1])
	return stat[open+1 : closing], f[0], ppid, err == nil
}

// descendants lists every process below pid, children before grandchildren.
func descendants(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range entries {
		id, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		if _, _, ppid, ok := statFields(string(b)); ok {
			children[ppid] = append(children[ppid], id)
		}
	}
	var out []int
	queue := children[pid]
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		out = append(out, id)
		queue = append(queue, children[id]...)
	}
	return out
}

// rssKiB reads VmRSS of pid from /proc/PID/status, in KiB.
func rssKiB(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, errors.New("no VmRSS")
}

// statCPU reads from /proc/PID/stat the clock ticks a process has run,
// user and system (utime, stime), and those of its children it has waited
// for (cutime, cstime): a worker that exits and is reaped between two
// samples moves its time from its own fields into its parent's, and the
// sum over a tree carries on.
func statCPU(stat string) (self, children int64, ok bool) {
	closing := strings.LastIndexByte(stat, ')')
	if closing < 0 {
		return 0, 0, false
	}
	// Fields 14–17 of proc(5), counted from the state (field 3).
	f := strings.Fields(stat[closing+1:])
	if len(f) < 15 {
		return 0, 0, false
	}
	var v [4]int64
	for i := range v {
		n, err := strconv.ParseInt(f[11+i], 10, 64)
		if err != nil {
			return 0, 0, false
		}
		v[i] = n
	}
	return v[0] + v[1], v[2] + v[3], true
}

// cpuTicks is the CPU time of every process in the trees of roots — each
// root and its descendants, user and system, with the children they have
// reaped — in clock ticks (clockTicks a second), and the PIDs it read.
func cpuTicks(roots ...int) (int64, []int) {
	var sum int64
	var read []int
	for _, root := range roots {
		for _, pid := range append([]int{root}, descendants(root)...) {
			b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
			if err != nil {
				continue // gone since descendants listed it
			}
			if self, children, ok := statCPU(string(b)); ok {
				sum += self + children
				read = append(read, pid)
			}
		}
	}
	return sum, read
}

// clockTicks is the unit of /proc/PID/stat's times, USER_HZ, as `getconf
// CLK_TCK` prints it; 100 (Linux's value on every architecture Go
// supports) if that fails.
func clockTicks(ctx context.Context, ps *procs) (hz int64, asked bool) {
	out, err := ps.output(exec.CommandContext(ctx, "getconf", "CLK_TCK"))
	if err == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64); err == nil && n > 0 {
			return n, true
		}
	}
	return 100, false
}
