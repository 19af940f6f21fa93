package server

import (
	"net"
	"testing"
	"time"

	"github.com/drover/drover/internal/proto"
	"github.com/drover/drover/internal/sockets"
)

func TestLoadBusyAndQuiet(t *testing.T) {
	tests := []struct {
		name      string
		give      load
		desired   int
		wantBusy  bool
		wantQuiet bool
	}{
		{name: "idle, unbounded", give: load{ready: 2}, desired: 2, wantQuiet: true},
		{name: "queued, unbounded", give: load{ready: 2, queued: 1}, desired: 2, wantBusy: true},
		{name: "in flight, unbounded, says nothing", give: load{ready: 2, inFlight: 100}, desired: 2, wantQuiet: true},
		{name: "sync: both workers busy", give: load{ready: 2, inFlight: 2, concurrency: 1}, desired: 2, wantBusy: true},
		{name: "sync: one of two busy, which one worker would be full with", give: load{ready: 2, inFlight: 1, concurrency: 1}, desired: 2},
		{name: "sync: none busy", give: load{ready: 2, concurrency: 1}, desired: 2, wantQuiet: true},
		{name: "sync: two of three busy", give: load{ready: 3, inFlight: 2, concurrency: 1}, desired: 3},
		{name: "bounded: three quarters full", give: load{ready: 2, inFlight: 15, concurrency: 10}, desired: 2, wantBusy: true},
		{name: "bounded: fits in one fewer at half", give: load{ready: 2, inFlight: 5, concurrency: 10}, desired: 2, wantQuiet: true},
		{name: "bounded: would not", give: load{ready: 2, inFlight: 6, concurrency: 10}, desired: 2},
		{name: "no ready worker yet", give: load{concurrency: 1}, desired: 1, wantQuiet: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.give.busy(); got != tt.wantBusy {
				t.Errorf("busy = %t, want %t", got, tt.wantBusy)
			}
			if got := tt.give.quiet(tt.desired); got != tt.wantQuiet {
				t.Errorf("quiet = %t, want %t", got, tt.wantQuiet)
			}
		})
	}
}

func TestAutoscalerDecide(t *testing.T) {
	busy := load{ready: 2, queued: 3}
	quiet := load{ready: 2}
	type step struct {
		at      time.Duration
		load    load
		desired int
		want    int
	}
	tests := []struct {
		name  string
		min   int
		max   int
		steps []step
	}{
		{name: "busy for the window adds one", min: 1, max: 4, steps: []step{
			{0, busy, 2, 0}, {time.Second, busy, 2, 0}, {scaleUpAfter, busy, 2, +1},
			// the next change waits a full window again, from the next sample
			{scaleUpAfter + time.Second, busy, 3, 0}, {2 * scaleUpAfter, busy, 3, 0}, {2*scaleUpAfter + time.Second, busy, 3, +1},
		}},
		{name: "a break in the load restarts the window", min: 1, max: 4, steps: []step{
			{0, busy, 2, 0}, {2 * time.Second, load{ready: 2}, 2, 0}, {3 * time.Second, busy, 2, 0}, {5 * time.Second, busy, 2, 0}, {6 * time.Second, busy, 2, +1},
		}},
		{name: "never above max", min: 1, max: 2, steps: []step{
			{0, busy, 2, 0}, {time.Hour, busy, 2, 0},
		}},
		{name: "quiet for the idle time removes one", min: 1, max: 4, steps: []step{
			{0, quiet, 3, 0}, {9 * time.Second, quiet, 3, 0}, {10 * time.Second, quiet, 3, -1},
			{15 * time.Second, quiet, 2, 0}, {24 * time.Second, quiet, 2, 0}, {25 * time.Second, quiet, 2, -1},
		}},
		{name: "never below min", min: 2, max: 4, steps: []step{
			{0, quiet, 2, 0}, {time.Hour, quiet, 2, 0},
		}},
		{name: "min = max: off", min: 3, max: 3, steps: []step{
			{0, busy, 3, 0}, {time.Hour, busy, 3, 0}, {2 * time.Hour, quiet, 3, 0}, {3 * time.Hour, quiet, 3, 0},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &autoscaler{min: tt.min, max: tt.max, downAfter: 10 * time.Second}
			start := time.Unix(1_700_000_000, 0)
			for i, s := range tt.steps {
				if got := a.decide(start.Add(s.at), s.desired, s.load); got != s.want {
					t.Fatalf("step %d (at %s, desired %d): decide = %+d, want %+d", i, s.at, s.desired, got, s.want)
				}
			}
		})
	}
}

// The kernel's accept queue, as the supervisor reads it: connections
// nobody accepted yet.
func TestAcceptQueue(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	held := []*sockets.Held{{Name: "app", Role: sockets.RoleApp, Listener: ln}}
	if n := acceptQueue(held); n != 0 {
		t.Fatalf("acceptQueue with no client = %d", n)
	}
	for range 3 {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	// The handshake completes in the kernel when Dial returns; the
	// connections wait for an accept.
	if n := acceptQueue(held); n != 3 {
		t.Errorf("acceptQueue with 3 waiting = %d, want 3", n)
	}
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if n := acceptQueue(held); n != 2 {
		t.Errorf("acceptQueue after one accept = %d, want 2", n)
	}
	// Other roles are not the application's queue.
	held[0].Role = sockets.RoleRedirect
	if n := acceptQueue(held); n != 0 {
		t.Errorf("acceptQueue of a redirect socket = %d, want 0", n)
	}
}

// adaptive turns the adaptive worker count on in the serving options.
func adaptive(lo, hi, concurrency int, idle time.Duration) step {
	return func(tb *testbed) {
		tb.s.opts.WorkersMin, tb.s.opts.WorkersMax = lo, hi
		tb.s.opts.WorkerConcurrency, tb.s.opts.WorkersIdle = concurrency, idle
	}
}

// beatInFlight is a heartbeat reporting n requests in flight.
func beatInFlight(pid, n int) step {
	return func(tb *testbed) { tb.event(event{pid: pid, msg: proto.Heartbeat{InFlight: n}}) }
}

// The adaptive count through the supervisor's table: sync workers (one
// request each), from 2 up to 3 while both are busy, and back to 2 once
// quiet, never outside the range.
func TestSupervisorAdaptiveWorkerCount(t *testing.T) {
	tests := []struct {
		name  string
		steps []step
		want  string
	}{
		{
			name: "busy workers for 3s get one more",
			steps: []step{timeout(0), adaptive(2, 3, 1, 10*time.Second), ready(101), ready(102), beatInFlight(101, 1), beatInFlight(102, 1),
				// the window opens at the first tick that sees them busy
				after(time.Second), after(time.Second), after(time.Second), after(900 * time.Millisecond), after(100 * time.Millisecond)},
			want: `generation 1, 3 workers
101 slot 1 gen 1: ready, serving
102 slot 2 gen 1: ready, serving
103 slot 3 gen 1: booting, serving`,
		},
		{
			name: "never above max",
			steps: []step{timeout(0), adaptive(2, 3, 1, 10*time.Second), ready(101), ready(102), beatInFlight(101, 1), beatInFlight(102, 1),
				after(time.Second), after(3 * time.Second), ready(103), beatInFlight(103, 1), after(time.Second), after(5 * time.Second), after(5 * time.Second)},
			want: `generation 1, 3 workers
101 slot 1 gen 1: ready, serving
102 slot 2 gen 1: ready, serving
103 slot 3 gen 1: ready, serving`,
		},
		{
			name: "quiet workers for the idle time lose one, down to min",
			steps: []step{timeout(0), adaptive(1, 3, 1, 10*time.Second), ready(101), ready(102),
				after(time.Second), after(10 * time.Second), exit(102), after(time.Second), after(10 * time.Second), after(10 * time.Second)},
			want: `generation 1, 1 workers
101 slot 1 gen 1: ready, serving
102 slot 2 gen 1: exited; got TERM`,
		},
		{
			name: "min = max changes nothing",
			steps: []step{timeout(0), adaptive(2, 2, 1, 10*time.Second), ready(101), ready(102), beatInFlight(101, 1), beatInFlight(102, 1),
				after(time.Second), after(time.Minute), beatInFlight(101, 0), beatInFlight(102, 0), after(time.Second), after(time.Minute)},
			want: `generation 1, 2 workers
101 slot 1 gen 1: ready, serving
102 slot 2 gen 1: ready, serving`,
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

func TestAdaptiveWorkerCountIsCounted(t *testing.T) {
	tb := metricsTestbed(t)
	for _, st := range []step{timeout(0), adaptive(1, 3, 1, 10*time.Second), ready(101), ready(102), beatInFlight(101, 1), beatInFlight(102, 1),
		after(time.Second), after(3 * time.Second), beatInFlight(101, 0), beatInFlight(102, 0), after(time.Second), after(10 * time.Second)} {
		st(tb)
	}
	for direction, want := range map[string]float64{"up": 1, "down": 1} {
		if got, ok := sample(t, tb.s, "drover_worker_count_changes_total", map[string]string{"direction": direction}); !ok || got != want {
			t.Errorf("drover_worker_count_changes_total{direction=%q} = %v (present %t), want %v", direction, got, ok, want)
		}
	}
}
