package server

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
	"golang.org/x/sys/unix"

	"github.com/drover/drover/internal/proto"
)

// The supervisor's state machine, driven through event sequences with a
// fake clock and fake processes. The e2e tests prove the processes; this
// table proves the orderings, one row each.
func TestSupervisorEvents(t *testing.T) {
	tests := []struct {
		name  string
		steps []step
		want  string
	}{
		{
			name:  "workers boot and report ready",
			steps: []step{ready(101), ready(102)},
			want: `generation 1, 2 workers
101 slot 1 gen 1: ready, serving
102 slot 2 gen 1: ready, serving`,
		},
		{
			name:  "a worker that exits while booting counts a boot failure and is replaced",
			steps: []step{ready(102), exit(101)},
			want: `generation 1, 2 workers
slot 1: 1 boot failures, 0 crashes
101 slot 1 gen 1: exited
102 slot 2 gen 1: ready, serving
103 slot 1 gen 1: booting, serving`,
		},
		{
			name:  "three boot failures in a row halt the supervisor",
			steps: []step{ready(102), exit(101), exit(103), after(150 * time.Millisecond), exit(104)},
			want: `generation 1, 2 workers, halted: workers failed to boot 3 times in a row (last: exit status 3); see the worker's error above
slot 1: 3 boot failures, 0 crashes
101 slot 1 gen 1: exited
102 slot 2 gen 1: ready, draining (stopping); got INT
103 slot 1 gen 1: exited
104 slot 1 gen 1: exited`,
		},
		{
			name:  "a ready worker that dies is replaced at once and counts a crash",
			steps: []step{ready(101), ready(102), exit(101)},
			want: `generation 1, 2 workers
slot 1: 0 boot failures, 1 crashes
101 slot 1 gen 1: exited
102 slot 2 gen 1: ready, serving
103 slot 1 gen 1: booting, serving`,
		},
		{
			name:  "a retiring worker is drained once its replacement is ready",
			steps: []step{ready(101), ready(102), retiring(101), ready(103)},
			want: `generation 1, 2 workers
101 slot 1 gen 1: ready, draining (replaced); got TERM
102 slot 2 gen 1: ready, serving
103 slot 1 gen 1: ready, serving`,
		},
		{
			name:  "a retiring worker that dies before its replacement is ready counts a crash",
			steps: []step{ready(101), ready(102), retiring(101), exit(101)},
			want: `generation 1, 2 workers
slot 1: 0 boot failures, 1 crashes
101 slot 1 gen 1: exited
102 slot 2 gen 1: ready, serving
103 slot 1 gen 1: booting, serving`,
		},
		{
			name:  "the exit of a draining worker is expected: no crash, no replacement",
			steps: []step{ready(101), ready(102), ttou(), exit(102)},
			want: `generation 1, 1 workers
101 slot 1 gen 1: ready, serving
102 slot 2 gen 1: exited; got TERM`,
		},
		{
			name:  "a draining worker past its deadline is killed and its exit still expected",
			steps: []step{ready(101), ready(102), ttou(), after(29 * time.Second), beat(101), after(3 * time.Second), exit(102)},
			want: `generation 1, 1 workers
101 slot 1 gen 1: ready, serving
102 slot 2 gen 1: exited; got TERM KILL`,
		},
		{
			name:  "TTIN adds a worker",
			steps: []step{ready(101), ready(102), ttin()},
			want: `generation 1, 3 workers
101 slot 1 gen 1: ready, serving
102 slot 2 gen 1: ready, serving
103 slot 3 gen 1: booting, serving`,
		},
		{
			name: "a worker silent past --timeout dumps its stacks, is killed and replaced",
			steps: []step{ready(101), ready(102), after(20 * time.Second), beat(102), after(11 * time.Second),
				after(1100 * time.Millisecond), exit(101)},
			want: `generation 1, 2 workers
slot 1: 0 boot failures, 1 crashes
101 slot 1 gen 1: exited; got ABRT KILL
102 slot 2 gen 1: ready, serving
103 slot 1 gen 1: booting, serving`,
		},
		{
			name:  "a worker past --boot-timeout is killed once and counts a boot failure",
			steps: []step{ready(102), after(29 * time.Second), beat(102), after(2 * time.Second), after(time.Second), after(time.Second), exit(101)},
			want: `generation 1, 2 workers
slot 1: 1 boot failures, 0 crashes
101 slot 1 gen 1: exited; got KILL
102 slot 2 gen 1: ready, serving
103 slot 1 gen 1: booting, serving`,
		},
		{
			name:  "a reload completes once the whole new generation is ready",
			steps: []step{ready(101), ready(102), hup(), ready(103), ready(104)},
			want: `generation 2, 2 workers
101 slot 1 gen 1: ready, draining (reloaded); got TERM
102 slot 2 gen 1: ready, draining (reloaded); got TERM
103 slot 1 gen 2: ready, serving
104 slot 2 gen 2: ready, serving`,
		},
		{
			name:  "half a new generation ready drains nothing",
			steps: []step{ready(101), ready(102), hup(), ready(103)},
			want: `generation 1, 2 workers, reloading to generation 2
101 slot 1 gen 1: ready, serving
102 slot 2 gen 1: ready, serving
103 slot 1 gen 2: ready, serving
104 slot 2 gen 2: booting, serving`,
		},
		{
			name:  "a new worker that fails abandons the reload and the old generation keeps serving",
			steps: []step{ready(101), ready(102), hup(), ready(103), exit(104)},
			want: `generation 1, 2 workers
101 slot 1 gen 1: ready, serving
102 slot 2 gen 1: ready, serving
103 slot 1 gen 2: ready, killed (reload abandoned); got KILL
104 slot 2 gen 2: exited`,
		},
		{
			name:  "a new worker that refuses its configuration refuses the reload",
			steps: []step{ready(101), ready(102), hup(), ready(104), refused(103)},
			want: `generation 1, 2 workers
101 slot 1 gen 1: ready, serving
102 slot 2 gen 1: ready, serving
103 slot 1 gen 2: booting, killed (reload abandoned); got KILL
104 slot 2 gen 2: ready, killed (reload abandoned); got KILL`,
		},
		{
			name:  "a replacement that refuses its configuration outside a reload fails to boot",
			steps: []step{ready(102), refused(101), exit(101)},
			want: `generation 1, 2 workers
slot 1: 1 boot failures, 0 crashes
101 slot 1 gen 1: exited
102 slot 2 gen 1: ready, serving
103 slot 1 gen 1: booting, serving`,
		},
		{
			name:  "a Ready from a worker of an abandoned reload is ignored",
			steps: []step{ready(101), ready(102), hup(), exit(103), ready(104)},
			want: `generation 1, 2 workers
101 slot 1 gen 1: ready, serving
102 slot 2 gen 1: ready, serving
103 slot 1 gen 2: exited
104 slot 2 gen 2: ready, killed (reload abandoned); got KILL`,
		},
		{
			name:  "HUP during a reload is ignored",
			steps: []step{ready(101), ready(102), hup(), hup()},
			want: `generation 1, 2 workers, reloading to generation 2
101 slot 1 gen 1: ready, serving
102 slot 2 gen 1: ready, serving
103 slot 1 gen 2: booting, serving
104 slot 2 gen 2: booting, serving`,
		},
		{
			name:  "TTIN during a reload is refused",
			steps: []step{ready(101), ready(102), hup(), ttin(), ready(103), ready(104)},
			want: `generation 2, 2 workers
101 slot 1 gen 1: ready, draining (reloaded); got TERM
102 slot 2 gen 1: ready, draining (reloaded); got TERM
103 slot 1 gen 2: ready, serving
104 slot 2 gen 2: ready, serving`,
		},
		{
			name: "HUP during an abandon: a late exit of the abandoned generation leaves the next reload alone",
			steps: []step{ready(101), ready(102), hup(), exit(103), hup(), exit(104),
				ready(105), ready(106)},
			want: `generation 3, 2 workers
101 slot 1 gen 1: ready, draining (reloaded); got TERM
102 slot 2 gen 1: ready, draining (reloaded); got TERM
103 slot 1 gen 2: exited
104 slot 2 gen 2: exited; got KILL
105 slot 1 gen 3: ready, serving
106 slot 2 gen 3: ready, serving`,
		},
		{
			name: "a late exit of an abandoned generation after the next reload completed is no crash",
			steps: []step{ready(101), ready(102), hup(), exit(103), hup(), ready(105), ready(106),
				exit(104)},
			want: `generation 3, 2 workers
101 slot 1 gen 1: ready, draining (reloaded); got TERM
102 slot 2 gen 1: ready, draining (reloaded); got TERM
103 slot 1 gen 2: exited
104 slot 2 gen 2: exited; got KILL
105 slot 1 gen 3: ready, serving
106 slot 2 gen 3: ready, serving`,
		},
		{
			name:  "TERM drains every worker and their exits are expected",
			steps: []step{ready(101), ready(102), term(), exit(101), exit(102)},
			want: `generation 1, 2 workers, stopping
101 slot 1 gen 1: exited; told Stopping; got TERM
102 slot 2 gen 1: exited; told Stopping; got TERM`,
		},
		{
			name:  "TERM during a reload abandons it and drains the old generation",
			steps: []step{ready(101), ready(102), hup(), term()},
			want: `generation 1, 2 workers, stopping
101 slot 1 gen 1: ready, draining (stopping); told Stopping; got TERM
102 slot 2 gen 1: ready, draining (stopping); told Stopping; got TERM
103 slot 1 gen 2: booting, killed (reload abandoned); got KILL
104 slot 2 gen 2: booting, killed (reload abandoned); got KILL`,
		},
		{
			name:  "--timeout 0: a silent worker is never killed",
			steps: []step{timeout(0), ready(101), ready(102), after(10 * time.Minute), after(time.Hour)},
			want: `generation 1, 2 workers
101 slot 1 gen 1: ready, serving
102 slot 2 gen 1: ready, serving`,
		},
		{
			name:  "a worker whose heartbeat is over --max-rss-hard is killed at once and replaced",
			steps: []step{ready(101), ready(102), beatRSS(101, 600<<20)},
			want: `generation 1, 2 workers
101 slot 1 gen 1: ready, killed (max-rss-hard); got KILL
102 slot 2 gen 1: ready, serving
103 slot 1 gen 1: booting, serving`,
		},
		{
			name:  "a heartbeat at --max-rss-hard is not over it",
			steps: []step{ready(101), ready(102), beatRSS(101, 512<<20)},
			want: `generation 1, 2 workers
101 slot 1 gen 1: ready, serving
102 slot 2 gen 1: ready, serving`,
		},
		{
			name:  "the exit of a worker killed over --max-rss-hard counts a crash; one replacement only",
			steps: []step{ready(101), ready(102), beatRSS(101, 600<<20), beatRSS(101, 700<<20), exit(101)},
			want: `generation 1, 2 workers
slot 1: 0 boot failures, 1 crashes
101 slot 1 gen 1: exited; got KILL
102 slot 2 gen 1: ready, serving
103 slot 1 gen 1: booting, serving`,
		},
		{
			name:  "a retiring worker over --max-rss-hard is killed; the replacement already booting covers it",
			steps: []step{ready(101), ready(102), retiring(101), beatRSS(101, 600<<20)},
			want: `generation 1, 2 workers
101 slot 1 gen 1: ready, killed (max-rss-hard); got KILL
102 slot 2 gen 1: ready, serving
103 slot 1 gen 1: booting, serving`,
		},
		{
			name:  "a draining worker over --max-rss-hard is killed without waiting for its deadline",
			steps: []step{ready(101), ready(102), ttou(), beatRSS(102, 600<<20)},
			want: `generation 1, 1 workers
101 slot 1 gen 1: ready, serving
102 slot 2 gen 1: ready, killed (max-rss-hard); got TERM KILL`,
		},
		{
			name:  "TERM with a shutdown delay tells the workers and leaves them serving",
			steps: []step{shutdownDelay(5 * time.Second), ready(101), ready(102), term(), after(4900 * time.Millisecond)},
			want: `generation 1, 2 workers, stopping, workers drain in 100ms
101 slot 1 gen 1: ready, serving; told Stopping
102 slot 2 gen 1: ready, serving; told Stopping`,
		},
		{
			name:  "the workers drain once the shutdown delay is over",
			steps: []step{shutdownDelay(5 * time.Second), ready(101), ready(102), term(), after(5 * time.Second)},
			want: `generation 1, 2 workers, stopping
101 slot 1 gen 1: ready, draining (stopping); told Stopping; got TERM
102 slot 2 gen 1: ready, draining (stopping); told Stopping; got TERM`,
		},
		{
			name: "the shutdown delay comes before --graceful-timeout, not out of it",
			steps: []step{shutdownDelay(5 * time.Second), ready(101), ready(102), term(), after(5 * time.Second),
				after(30500 * time.Millisecond), exit(102), after(time.Second)},
			want: `generation 1, 2 workers, stopping
101 slot 1 gen 1: ready, draining (stopping); told Stopping; got TERM KILL
102 slot 2 gen 1: exited; told Stopping; got TERM`,
		},
		{
			name:  "a second TERM during the shutdown delay changes nothing",
			steps: []step{shutdownDelay(5 * time.Second), ready(101), ready(102), term(), after(2 * time.Second), term(), after(2 * time.Second)},
			want: `generation 1, 2 workers, stopping, workers drain in 1s
101 slot 1 gen 1: ready, serving; told Stopping
102 slot 2 gen 1: ready, serving; told Stopping`,
		},
		{
			name:  "INT during the shutdown delay stops at once",
			steps: []step{shutdownDelay(5 * time.Second), ready(101), ready(102), term(), after(time.Second), interrupt()},
			want: `generation 1, 2 workers, stopping
101 slot 1 gen 1: ready, draining (stopping); told Stopping; got INT
102 slot 2 gen 1: ready, draining (stopping); told Stopping; got INT`,
		},
		{
			name:  "a worker that dies during the shutdown delay is not replaced",
			steps: []step{shutdownDelay(5 * time.Second), ready(101), ready(102), term(), exit(101)},
			want: `generation 1, 2 workers, stopping, workers drain in 5s
101 slot 1 gen 1: exited; told Stopping
102 slot 2 gen 1: ready, serving; told Stopping`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := newTestbed(t)
			for _, st := range tt.steps {
				st(tb)
			}
			if got := tb.describe(); got != tt.want {
				t.Errorf("after the steps the table is\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// step is one event of a sequence, applied as the supervisor loop would.
type step func(*testbed)

func ready(pid int) step {
	return func(tb *testbed) { tb.event(event{pid: pid, msg: proto.Ready{PID: pid}}) }
}

func beat(pid int) step {
	return func(tb *testbed) { tb.event(event{pid: pid, msg: proto.Heartbeat{}}) }
}

// beatRSS is a heartbeat reporting rss bytes resident.
func beatRSS(pid int, rss uint64) step {
	return func(tb *testbed) { tb.event(event{pid: pid, msg: proto.Heartbeat{RSS: rss}}) }
}

func retiring(pid int) step {
	return func(tb *testbed) { tb.event(event{pid: pid, msg: proto.Retiring{Reason: "max-requests"}}) }
}

func refused(pid int) step {
	return func(tb *testbed) { tb.event(event{pid: pid, msg: proto.Refused{Reason: "settings schema 1 is not 2"}}) }
}

func exit(pid int) step {
	return func(tb *testbed) {
		tb.procs[pid].exited = true
		tb.event(event{pid: pid, exited: true, status: "exit status 3"})
	}
}

func hup() step  { return send(cmdReload) }
func ttin() step { return send(cmdIncrease) }
func ttou() step { return send(cmdDecrease) }
func term() step { return send(cmdStopGraceful) }

func interrupt() step { return send(cmdStopFast) }

// shutdownDelay sets --shutdown-delay in the serving options.
// timeout sets --timeout, the liveness clock.
func timeout(d time.Duration) step {
	return func(tb *testbed) { tb.s.opts.Timeout = d }
}

func shutdownDelay(d time.Duration) step {
	return func(tb *testbed) { tb.s.opts.ShutdownDelay = d }
}

func send(c command) step {
	return func(tb *testbed) {
		tb.s.command(c)
		tb.afterEach()
	}
}

func after(d time.Duration) step {
	return func(tb *testbed) {
		tb.clock = tb.clock.Add(d)
		tb.s.checkClocks()
		tb.afterEach()
	}
}

// testbed is a supervisor whose processes and clock the test owns.
type testbed struct {
	t     *testing.T
	s     *Supervisor
	clock time.Time
	procs map[int]*fakeProcess
	order []*fakeProcess
	// identities keeps "slot N gen G" of every worker seen in the table,
	// for the line of one that has exited.
	identities map[int]string
	// execs are the supervisor's re-executions (an upgrade's handover),
	// with the state each handed over; execErr is what they return.
	execs   []execCall
	execErr error
}

// execCall is one re-execution the testbed's supervisor asked for.
type execCall struct {
	path  string
	state *handover
	err   error // reading the state
}

// exec stands for syscall.Exec: it reads the handed-over state from the
// descriptor the environment names, leaving it open to its owner.
func (tb *testbed) exec(path string, argv, env []string) error {
	call := execCall{path: path}
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, EnvUpgradeState+"="); ok {
			fd, _ := strconv.Atoi(v)
			buf := make([]byte, 1<<20)
			n, err := unix.Pread(fd, buf, 0)
			if err != nil {
				call.err = err
				break
			}
			call.state, call.err = decodeHandover(buf[:n])
		}
	}
	tb.execs = append(tb.execs, call)
	return tb.execErr
}

// fakeProcess records the signals the supervisor sends; it exits when the
// test says so.
type fakeProcess struct {
	pid     int
	signals []string
	// told lists the messages the supervisor sent after Config.
	told    []string
	inbox   []byte // channel bytes not yet decoded
	exited  bool
	channel *os.File // the worker's end, kept open as a real worker does
	done    chan struct{}
}

func (p *fakeProcess) Pid() int { return p.pid }

func (p *fakeProcess) Signal(sig syscall.Signal) error {
	p.signals = append(p.signals, strings.TrimPrefix(unix.SignalName(sig), "SIG"))
	return nil
}

func (p *fakeProcess) Wait() string {
	<-p.done
	return "exit status 0"
}

func newTestbed(t *testing.T) *testbed { return newTestbedFrom(t, testbedConfig()) }

// testbedConfig is the testbed's supervisor configuration: two workers of
// the executable /nonexistent/drover, with no Name.
func testbedConfig() Config {
	return Config{Options: Options{
		Workers:         2,
		BootTimeout:     30 * time.Second,
		Timeout:         30 * time.Second,
		GracefulTimeout: 30 * time.Second,
		MaxRSSHard:      512 << 20,
		Settings:        WorkerSettings{Schema: "test", JSON: []byte(`{}`)},
	}, Executable: "/nonexistent/drover"}
}

// newTestbedFrom is a testbed whose supervisor New made from cfg.
func newTestbedFrom(t *testing.T, cfg Config) *testbed {
	log := zaptest.NewLogger(t)
	s, err := New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	tb := &testbed{t: t, s: s, clock: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), procs: make(map[int]*fakeProcess),
		identities: make(map[int]string)}
	s.now = func() time.Time { return tb.clock }
	s.startProcess = tb.start
	s.execSelf = tb.exec
	s.notify = newNotifier(s.name, log)
	t.Cleanup(tb.close)
	s.reconcile()
	tb.remember()
	return tb
}

func (tb *testbed) start(spec processSpec) (process, error) {
	fd, err := unix.Dup(int(spec.files[0].Fd()))
	if err != nil {
		return nil, err
	}
	p := &fakeProcess{pid: 101 + len(tb.order), channel: os.NewFile(uintptr(fd), "fake-worker-channel"), done: make(chan struct{})}
	tb.procs[p.pid] = p
	tb.order = append(tb.order, p)
	return p, nil
}

// event hands ev to the supervisor and finishes the loop iteration.
func (tb *testbed) event(ev event) {
	if _, ok := tb.s.workers[ev.pid]; !ok {
		tb.t.Fatalf("event for pid %d, which is not in the table", ev.pid)
	}
	tb.s.handle(ev)
	tb.afterEach()
}

// afterEach is what Run does after every event.
func (tb *testbed) afterEach() {
	if !tb.s.stopping {
		tb.s.reconcile()
		tb.s.reportStatus()
		tb.s.handOverIfReady()
	}
	tb.remember()
}

func (tb *testbed) remember() {
	for pid, w := range tb.s.workers {
		tb.identities[pid] = fmt.Sprintf("slot %d gen %d", w.slot, w.generation)
	}
}

// close ends the goroutines spawn started for each fake process.
func (tb *testbed) close() {
	close(tb.s.done)
	for _, w := range tb.s.workers {
		w.conn.Close()
	}
	for _, p := range tb.order {
		p.channel.Close()
		close(p.done)
	}
}

// describe renders the supervisor's table: its generation and count,
// slots that failed, and every process it started with what it was sent.
func (tb *testbed) describe() string {
	s := tb.s
	head := fmt.Sprintf("generation %d, %d workers", s.gen, s.desired)
	if s.reload != nil {
		head += fmt.Sprintf(", reloading to generation %d", s.reload.gen)
	}
	if s.upgrade != nil {
		head += fmt.Sprintf(", upgrading to generation %d", s.upgrade.gen)
	}
	for _, e := range tb.execs {
		head += ", re-executed " + e.path
	}
	if s.haltErr != nil {
		head += ", halted: " + s.haltErr.Error()
	} else if s.stopping {
		head += ", stopping"
	}
	if !s.drainAt.IsZero() {
		head += fmt.Sprintf(", workers drain in %s", s.drainAt.Sub(tb.clock))
	}
	lines := []string{head}
	var slots []int
	for n, sl := range s.slots {
		if sl.failures > 0 || sl.crashes > 0 {
			slots = append(slots, n)
		}
	}
	slices.Sort(slots)
	for _, n := range slots {
		lines = append(lines, fmt.Sprintf("slot %d: %d boot failures, %d crashes", n, s.slots[n].failures, s.slots[n].crashes))
	}
	for _, p := range tb.order {
		lines = append(lines, tb.describeProcess(p))
	}
	return strings.Join(lines, "\n")
}

func (tb *testbed) describeProcess(p *fakeProcess) string {
	w, alive := tb.s.workers[p.pid]
	var line string
	switch {
	case alive:
		line = fmt.Sprintf("%d slot %d gen %d: %s, %s", p.pid, w.slot, w.generation, w.phase, w.fate)
		if w.why != "" {
			line += fmt.Sprintf(" (%s)", w.why)
		}
	default:
		line = fmt.Sprintf("%d %s: exited", p.pid, tb.identities[p.pid])
	}
	p.read(tb.t)
	if len(p.told) > 0 {
		line += "; told " + strings.Join(p.told, " ")
	}
	if len(p.signals) > 0 {
		line += "; got " + strings.Join(p.signals, " ")
	}
	return line
}

// read takes what the supervisor wrote to p's channel so far, without
// waiting (the supervisor's writes are done by the time the steps are),
// and records every message after the Config by its type's name.
func (p *fakeProcess) read(t *testing.T) {
	fd := int(p.channel.Fd())
	if err := unix.SetNonblock(fd, true); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64<<10)
	for {
		n, err := unix.Read(fd, buf)
		if n <= 0 || err != nil {
			break
		}
		p.inbox = append(p.inbox, buf[:n]...)
	}
	r := bytes.NewReader(p.inbox)
	for {
		m, err := proto.Decode(r)
		if err != nil {
			break
		}
		p.inbox = p.inbox[len(p.inbox)-r.Len():]
		if _, ok := m.(proto.Config); !ok {
			p.told = append(p.told, strings.TrimPrefix(fmt.Sprintf("%T", m), "proto."))
		}
	}
}
