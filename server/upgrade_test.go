package server

import (
	"bytes"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/drover/drover/internal/proto"
	"github.com/drover/drover/internal/sockets"
)

func usr2() step { return send(cmdUpgrade) }

// execFails makes the testbed's re-execution fail.
func execFails() step {
	return func(tb *testbed) { tb.execErr = errors.New("permission denied") }
}

// The upgrade's decisions, driven as TestSupervisorEvents drives the
// table: the canary's fate decides between the exec and the abandon.
func TestUpgradeDecisions(t *testing.T) {
	tests := []struct {
		name  string
		steps []step
		want  string
	}{
		{
			name:  "USR2 starts one canary in a new generation beside the serving one",
			steps: []step{ready(101), ready(102), usr2()},
			want: `generation 1, 2 workers, upgrading to generation 2
101 slot 1 gen 1: ready, serving
102 slot 2 gen 1: ready, serving
103 slot 1 gen 2: booting, serving`,
		},
		{
			name:  "a ready canary has the supervisor re-execute itself",
			steps: []step{ready(101), ready(102), usr2(), ready(103)},
			want: `generation 1, 2 workers, upgrading to generation 2, re-executed /nonexistent/drover
101 slot 1 gen 1: ready, serving
102 slot 2 gen 1: ready, serving
103 slot 1 gen 2: ready, serving`,
		},
		{
			name:  "a canary that exits abandons the upgrade; the old generation serves on",
			steps: []step{ready(101), ready(102), usr2(), exit(103)},
			want: `generation 1, 2 workers
101 slot 1 gen 1: ready, serving
102 slot 2 gen 1: ready, serving
103 slot 1 gen 2: exited`,
		},
		{
			name:  "a canary that refuses its configuration abandons the upgrade",
			steps: []step{ready(101), ready(102), usr2(), refused(103)},
			want: `generation 1, 2 workers
101 slot 1 gen 1: ready, serving
102 slot 2 gen 1: ready, serving
103 slot 1 gen 2: booting, killed (upgrade abandoned); got KILL`,
		},
		{
			name:  "a canary past --boot-timeout is killed and its exit abandons the upgrade",
			steps: []step{ready(101), ready(102), usr2(), after(29 * time.Second), beat(101), beat(102), after(2 * time.Second), exit(103)},
			want: `generation 1, 2 workers
101 slot 1 gen 1: ready, serving
102 slot 2 gen 1: ready, serving
103 slot 1 gen 2: exited; got KILL`,
		},
		{
			name:  "a failed exec abandons the upgrade and kills the canary",
			steps: []step{execFails(), ready(101), ready(102), usr2(), ready(103)},
			want: `generation 1, 2 workers, re-executed /nonexistent/drover
101 slot 1 gen 1: ready, serving
102 slot 2 gen 1: ready, serving
103 slot 1 gen 2: ready, killed (upgrade abandoned); got KILL`,
		},
		{
			name:  "HUP during an upgrade is refused",
			steps: []step{ready(101), ready(102), usr2(), hup()},
			want: `generation 1, 2 workers, upgrading to generation 2
101 slot 1 gen 1: ready, serving
102 slot 2 gen 1: ready, serving
103 slot 1 gen 2: booting, serving`,
		},
		{
			name:  "USR2 during a reload is refused",
			steps: []step{ready(101), ready(102), hup(), usr2()},
			want: `generation 1, 2 workers, reloading to generation 2
101 slot 1 gen 1: ready, serving
102 slot 2 gen 1: ready, serving
103 slot 1 gen 2: booting, serving
104 slot 2 gen 2: booting, serving`,
		},
		{
			name:  "TERM during an upgrade abandons it",
			steps: []step{ready(101), ready(102), usr2(), term()},
			want: `generation 1, 2 workers, stopping
101 slot 1 gen 1: ready, draining (stopping); told Stopping; got TERM
102 slot 2 gen 1: ready, draining (stopping); told Stopping; got TERM
103 slot 1 gen 2: booting, killed (upgrade abandoned); got KILL`,
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

// TestUpgradeHandsOverTheTable: the state the exec hands over names every
// worker with its phase, fate and channel, the generations, and what
// systemd was told.
func TestUpgradeHandsOverTheTable(t *testing.T) {
	tb := newTestbed(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	held, err := sockets.Hold("127.0.0.1:0", sockets.RoleApp, ln)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { held.Close() })
	tb.s.listeners = []*sockets.Held{held}
	for _, st := range []step{ready(101), ready(102), exit(102), usr2(), ready(104)} {
		st(tb)
	}
	if len(tb.execs) != 1 {
		t.Fatalf("%d execs, want 1", len(tb.execs))
	}
	e := tb.execs[0]
	if e.err != nil {
		t.Fatalf("reading the handed-over state: %v", e.err)
	}
	h := e.state
	if h.Generation != 1 || h.Upgrade != 2 || h.LastGeneration != 2 || h.Desired != 2 || h.Proto != proto.Version {
		t.Errorf("state = generation %d, upgrade %d, last %d, desired %d, proto %d; want 1, 2, 2, 2, %d",
			h.Generation, h.Upgrade, h.LastGeneration, h.Desired, h.Proto, proto.Version)
	}
	got := map[int]string{}
	for _, w := range h.Workers {
		got[w.PID] = w.Phase + " " + w.Fate
		if w.FD < 3 {
			t.Errorf("worker %d handed over at fd %d", w.PID, w.FD)
		}
	}
	want := map[int]string{101: "ready serving", 103: "booting serving", 104: "ready serving"}
	if len(got) != len(want) {
		t.Errorf("handed-over workers %v, want %v", got, want)
	}
	for pid, s := range want {
		if got[pid] != s {
			t.Errorf("worker %d handed over as %q, want %q", pid, got[pid], s)
		}
	}
	var crashes int
	for _, sl := range h.Slots {
		if sl.Slot == 2 {
			crashes = sl.Crashes
		}
	}
	if crashes != 1 {
		t.Errorf("slot 2 handed over with %d crashes, want 1", crashes)
	}
	if len(h.Listeners) != 1 || h.Listeners[0].Name != "127.0.0.1:0" || h.Listeners[0].FD < 3 {
		t.Errorf("handed-over listeners %+v, want the one held", h.Listeners)
	}
}

func TestHandoverEncoding(t *testing.T) {
	good := func() *handover {
		return &handover{
			PID: 42, Proto: proto.Version, Generation: 1, LastGeneration: 2, Upgrade: 2, Desired: 2,
			Listeners: []handoverListener{{Name: "127.0.0.1:8000", Role: sockets.RoleApp, FD: 5}},
			Workers: []handoverWorker{
				{PID: 100, Slot: 1, Generation: 1, Phase: "ready", Fate: "serving", FD: 6, Pending: []byte{0, 0}},
				{PID: 101, Slot: 1, Generation: 2, Phase: "booting", Fate: "serving", FD: 7},
			},
		}
	}
	encoded := func(change func(*handover)) string {
		h := good()
		change(h)
		data, err := encodeHandover(h)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	tests := []struct {
		name    string
		give    string
		wantErr string // "" for none
	}{
		{name: "round trip", give: encoded(func(*handover) {})},
		{name: "garbage", give: "not json", wantErr: "unreadable upgrade handover"},
		{name: "no version", give: `{"pid":42}`, wantErr: "state version none"},
		{name: "another version", give: strings.Replace(encoded(func(*handover) {}), `"v":1`, `"v":2`, 1), wantErr: "state version 2"},
		{name: "unknown phase", give: encoded(func(h *handover) { h.Workers[0].Phase = "dancing" }), wantErr: `phase "dancing"`},
		{name: "standard descriptor", give: encoded(func(h *handover) { h.Workers[1].FD = 1 }), wantErr: "at fd 1"},
		{name: "no listeners", give: encoded(func(h *handover) { h.Listeners = nil }), wantErr: "no listeners"},
		{name: "unknown role", give: encoded(func(h *handover) { h.Listeners[0].Role = "admin" }), wantErr: `role "admin"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := decodeHandover([]byte(tt.give))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("decodeHandover(%q) = %v, want no error", tt.give, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrHandover)):
				t.Fatalf("decodeHandover(%q) = %v, want an ErrHandover naming %q", tt.give, err, tt.wantErr)
			case tt.wantErr == "" && (len(h.Workers) != 2 || string(h.Workers[0].Pending) != "\x00\x00" || h.Listeners[0].FD != 5):
				t.Errorf("decodeHandover round trip = %+v", h)
			}
		})
	}
}

func TestParseFallback(t *testing.T) {
	h := good4fallback()
	got, err := parseFallback(fallbackEnv(h), sockets.Format([]sockets.Spec{{Role: sockets.RoleApp, Name: "unix:/run/x.sock"}}))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Listeners) != 1 || got.Listeners[0].FD != 5 || !got.Listeners[0].Unlink || len(got.Workers) != 1 ||
		got.Workers[0].PID != 100 || got.Workers[0].FD != 6 || got.ControlFD != 9 || len(got.WaiterFDs) != 1 || got.WaiterFDs[0] != 11 {
		t.Errorf("parseFallback(%q) = %+v", fallbackEnv(h), got)
	}
	if _, err := parseFallback("listeners=5,6", "app=a"); err == nil {
		t.Error("parseFallback with more descriptors than names: no error")
	}
}

func good4fallback() *handover {
	return &handover{
		ControlFD: 9,
		WaiterFDs: []int{11},
		Listeners: []handoverListener{{FD: 5}},
		Workers:   []handoverWorker{{PID: 100, FD: 6}},
	}
}

// TestFailedExecKeepsServing: when the exec fails, every descriptor it
// was to hand over is close-on-exec again and the channels are read
// again.
func TestFailedExecKeepsServing(t *testing.T) {
	tb := newTestbed(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	held, err := sockets.Hold("127.0.0.1:0", sockets.RoleApp, ln)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { held.Close() })
	tb.s.listeners = []*sockets.Held{held}
	for _, st := range []step{execFails(), ready(101), ready(102), usr2(), ready(103)} {
		st(tb)
	}
	if len(tb.execs) != 1 || tb.s.upgrade != nil {
		t.Fatalf("%d execs, upgrade %+v; want 1 and abandoned", len(tb.execs), tb.s.upgrade)
	}
	fds := []any{held.Listener}
	for _, w := range tb.s.workers {
		fds = append(fds, w.conn)
	}
	for _, c := range fds {
		fd, err := fdOf(c)
		if err != nil {
			t.Fatal(err)
		}
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err != nil || flags&unix.FD_CLOEXEC == 0 {
			t.Errorf("fd %d (%T) after the failed exec: flags %#x, %v; want FD_CLOEXEC", fd, c, flags, err)
		}
	}
	// The readers go on: a heartbeat from 101 reaches the table.
	if _, err := tb.procs[101].channel.Write(frame(t, proto.Heartbeat{Requests: 7})); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-tb.s.events:
		if hb, ok := ev.msg.(proto.Heartbeat); !ok || ev.pid != 101 || hb.Requests != 7 {
			t.Errorf("after the failed exec the reader reported %+v, want 101's heartbeat", ev)
		}
	case <-time.After(5 * time.Second):
		t.Error("no message read from a channel after the failed exec")
	}
}

func frame(t *testing.T, m proto.Message) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := proto.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestFrozenReaderPassesTheUnfinishedFrame: a reader stopped in the middle
// of a frame hands over the bytes it read, and a reader given them reads
// the whole frame once the rest comes.
func TestFrozenReaderPassesTheUnfinishedFrame(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	ours, theirs := os.NewFile(uintptr(fds[0]), "ours"), os.NewFile(uintptr(fds[1]), "theirs")
	defer theirs.Close()
	conn, err := net.FileConn(ours)
	ours.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	whole := frame(t, proto.Retiring{Reason: "max-requests", Requests: 5})
	half := len(whole) / 2
	if _, err := theirs.Write(whole[:half]); err != nil {
		t.Fatal(err)
	}
	r := &channelReader{conn: conn}
	decoded := make(chan error, 1)
	go func() {
		_, err := proto.Decode(r)
		decoded <- err
	}()
	// Wait until the reader has taken the half frame (nothing left in
	// the socket's receive queue), then freeze it. (The reader holds its
	// lock while it waits for more.)
	fd, err := fdOf(conn)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, err := unix.IoctlGetInt(fd, unix.SIOCINQ)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the reader left %d bytes unread", n)
		}
		time.Sleep(time.Millisecond)
	}
	pending := r.freeze()
	if err := <-decoded; err == nil {
		t.Fatal("Decode of a frozen half frame returned no error")
	}
	if !bytes.Equal(pending, whole[:half]) {
		t.Fatalf("freeze = %q, want the half frame %q", pending, whole[:half])
	}
	if _, err := theirs.Write(whole[half:]); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Time{})
	next := &channelReader{conn: conn, replay: pending}
	m, err := proto.Decode(next)
	if got, ok := m.(proto.Retiring); err != nil || !ok || got.Requests != 5 {
		t.Errorf("the next reader decoded %+v, %v; want the Retiring frame", m, err)
	}
}
