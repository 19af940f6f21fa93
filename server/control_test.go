package server

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drover/drover/internal/control"
	"github.com/drover/drover/internal/proto"
)

// controlLoop runs the testbed's supervisor loop for control requests
// alone, behind a real control socket, until the test ends.
type controlLoop struct {
	tb   *testbed
	path string
}

func (tb *testbed) serveControl(t *testing.T) *controlLoop {
	t.Helper()
	path := filepath.Join(t.TempDir(), "c.ctl")
	ln, stale, err := listenControl(path)
	if err != nil || stale {
		t.Fatalf("listenControl(%s) = %v, stale %v", path, err, stale)
	}
	cl := &controlLoop{tb: tb, path: path}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case r := <-tb.s.controls:
				tb.s.control(r)
				tb.afterEach()
			case <-stop:
				return
			}
		}
	}()
	ctl := startControl(ln, tb.s.controls, tb.s.log)
	t.Cleanup(func() {
		ctl.close()
		close(stop)
		<-done
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("control socket %s after close: %v, want it removed", path, err)
		}
	})
	return cl
}

// rawConn is a control connection written and read line by line.
type rawConn struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func (cl *controlLoop) dial(t *testing.T) *rawConn {
	t.Helper()
	conn, err := net.Dial("unix", cl.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	return &rawConn{t: t, conn: conn, r: bufio.NewReader(conn)}
}

// roundTrip writes line and returns the response line.
func (c *rawConn) roundTrip(line string) string {
	c.t.Helper()
	if _, err := c.conn.Write([]byte(line + "\n")); err != nil {
		c.t.Fatalf("write %q: %v", line, err)
	}
	resp, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatalf("response to %.80q: %v", line, err)
	}
	return strings.TrimSuffix(resp, "\n")
}

// closed reports whether the supervisor closed the connection.
func (c *rawConn) closed() bool {
	_, err := c.r.ReadByte()
	return err != nil
}

func TestControlProtocol(t *testing.T) {
	tests := []struct {
		name      string
		giveLine  string
		wantResp  string // exactly, or
		wantError string // the start of the error
		wantClose bool
	}{
		{name: "status", giveLine: `{"v":1,"cmd":"status"}`, wantResp: `{"v":1,"ok":true,"status":{…}}`},
		{name: "unknown version", giveLine: `{"v":2,"cmd":"status"}`, wantError: "unsupported protocol version 2 (this supervisor speaks 1)"},
		{name: "no version", giveLine: `{"cmd":"status"}`, wantError: "unsupported protocol version 0"},
		{name: "unknown command", giveLine: `{"v":1,"cmd":"restart"}`, wantError: `unknown command "restart"`},
		{name: "unknown field", giveLine: `{"v":1,"cmd":"scale","worker":3}`, wantError: "malformed request: json: unknown field", wantClose: true},
		{name: "scale out of range", giveLine: `{"v":1,"cmd":"scale","workers":1025}`, wantError: "bad argument: scale takes workers from 1 to 1024, got 1025"},
		{name: "scale without workers", giveLine: `{"v":1,"cmd":"scale"}`, wantError: "bad argument: scale takes workers from 1 to 1024, got 0"},
		{name: "wait on status", giveLine: `{"v":1,"cmd":"status","wait":true}`, wantError: "bad argument: wait is for reload and upgrade"},
		{name: "reopen-logs", giveLine: `{"v":1,"cmd":"reopen-logs"}`, wantResp: `{"v":1,"ok":true}`},
		{name: "scale to the same count", giveLine: `{"v":1,"cmd":"scale","workers":2}`, wantResp: `{"v":1,"ok":true,"workers":2}`},
		{name: "malformed JSON", giveLine: `{"v":1,"cmd":`, wantError: "malformed request", wantClose: true},
		{name: "two values on a line", giveLine: `{"v":1,"cmd":"status"} {}`, wantError: "malformed request: more than one JSON value", wantClose: true},
		{name: "not an object", giveLine: `"status"`, wantError: "malformed request", wantClose: true},
		{name: "oversize line", giveLine: `{"v":1,"cmd":"status","x":"` + strings.Repeat("a", control.MaxRequest) + `"}`,
			wantError: "malformed request: a request line is at most 65536 bytes", wantClose: true},
		// Last: the canary it starts stays booting.
		{name: "upgrade", giveLine: `{"v":1,"cmd":"upgrade"}`, wantResp: `{"v":1,"ok":true,"generation":2}`},
		{name: "upgrade during an upgrade", giveLine: `{"v":1,"cmd":"upgrade"}`, wantError: "upgrade refused: an upgrade is in progress (canary generation 2)"},
	}
	tb := newTestbed(t)
	ready(101)(tb)
	ready(102)(tb)
	cl := tb.serveControl(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cl.dial(t)
			got := c.roundTrip(tt.giveLine)
			var resp control.Response
			if err := json.Unmarshal([]byte(got), &resp); err != nil || resp.V != control.Version {
				t.Fatalf("response %s: %v, want a version %d response", got, err, control.Version)
			}
			if resp.Status != nil {
				got = strings.Replace(got, got[strings.Index(got, `"status":`)+len(`"status":`):len(got)-1], "{…}", 1)
			}
			switch {
			case tt.wantResp != "" && got != tt.wantResp:
				t.Errorf("%.60s → %s, want %s", tt.giveLine, got, tt.wantResp)
			case tt.wantError != "" && (resp.OK || !strings.HasPrefix(resp.Error, tt.wantError)):
				t.Errorf("%.60s → %s, want an error starting %q", tt.giveLine, got, tt.wantError)
			}
			if tt.wantClose {
				if !c.closed() {
					t.Errorf("%.60s: the connection stays open, want it closed", tt.giveLine)
				}
				return
			}
			// The connection still answers.
			if next := c.roundTrip(`{"v":1,"cmd":"status"}`); !strings.HasPrefix(next, `{"v":1,"ok":true,"status":`) {
				t.Errorf("after %.60s, status → %s", tt.giveLine, next)
			}
		})
	}
}

// TestControlConcurrentClients: many clients at once, each answered by
// the loop (run with -race); one beyond the bound is refused.
func TestControlConcurrentClients(t *testing.T) {
	tb := newTestbed(t)
	ready(101)(tb)
	ready(102)(tb)
	cl := tb.serveControl(t)
	var wg sync.WaitGroup
	errs := make(chan error, maxControlConns)
	clients := make(chan *control.Client, maxControlConns)
	for i := range maxControlConns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := control.Dial(cl.path, time.Second)
			if err != nil {
				errs <- err
				return
			}
			clients <- c
			for range 20 {
				req := control.Request{Cmd: control.CmdStatus}
				if i%4 == 0 {
					req = control.Request{Cmd: control.CmdScale, Workers: 2}
				}
				resp, err := c.Do(context.Background(), req)
				if err == nil {
					err = resp.Err()
				}
				if err == nil && req.Cmd == control.CmdStatus && len(resp.Status.Workers) != 2 {
					err = fmt.Errorf("status lists %d workers, want 2", len(resp.Status.Workers))
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	close(clients)
	for err := range errs {
		t.Error(err)
	}
	// Every connection is still open: one more is refused.
	c := cl.dial(t)
	line, err := c.r.ReadString('\n')
	if err != nil || !strings.Contains(line, `"error":"too many control connections (16); try again"`) {
		t.Errorf("the connection over the bound got %q, %v; want the refusal", line, err)
	}
	for c := range clients {
		c.Close()
	}
}

// TestControlStatusSnapshot: status reports the table: the workers by
// slot with their heartbeat's stats, the slot's restarts and last exit,
// and a reload in progress.
func TestControlStatusSnapshot(t *testing.T) {
	tb := newTestbed(t)
	tb.s.startedAt = tb.clock
	steps := []step{
		ready(101), ready(102),
		func(tb *testbed) {
			tb.event(event{pid: 102, msg: proto.Heartbeat{Requests: 12, InFlight: 3, RSS: 23 << 20}})
		},
		after(time.Second), exit(101), after(2 * time.Second), hup(),
	}
	for _, st := range steps {
		st(tb)
	}
	got := tb.s.snapshot()
	render := func(st *control.Status) string {
		lines := []string{fmt.Sprintf("gen %d, %d of %d ready, reload %v, stopping %v, uptime %gs",
			st.Generation, st.Ready, st.Desired, st.Reload != nil && st.Reload.Generation == 2, st.Stopping, st.UptimeS)}
		for _, w := range st.Workers {
			exit := "-"
			if w.LastExit != nil {
				exit = fmt.Sprintf("%s at +%s", w.LastExit.Status, w.LastExit.At.Sub(tb.s.startedAt))
			}
			lines = append(lines, fmt.Sprintf("slot %d pid %d gen %d %s age %gs: %d requests, %d in flight, %d MiB; %d restarts, last exit %s",
				w.Slot, w.PID, w.Generation, w.State, w.AgeS, w.Requests, w.InFlight, w.RSS>>20, w.Restarts, exit))
		}
		return strings.Join(lines, "\n")
	}
	want := `gen 1, 1 of 2 ready, reload true, stopping false, uptime 3s
slot 1 pid 103 gen 1 booting age 2s: 0 requests, 0 in flight, 0 MiB; 1 restarts, last exit exit status 3 at +1s
slot 1 pid 104 gen 2 booting age 0s: 0 requests, 0 in flight, 0 MiB; 1 restarts, last exit exit status 3 at +1s
slot 2 pid 102 gen 1 ready age 3s: 12 requests, 3 in flight, 23 MiB; 0 restarts, last exit -
slot 2 pid 105 gen 2 booting age 0s: 0 requests, 0 in flight, 0 MiB; 0 restarts, last exit -`
	if r := render(got); r != want {
		t.Errorf("status is\n%s\nwant\n%s", r, want)
	}
	if got.PID != os.Getpid() || got.Name != "drover" || got.Version == "" {
		t.Errorf("status names pid %d, %q %q; want %d, drover and a version", got.PID, got.Name, got.Version, os.Getpid())
	}

	// The same through the socket, as JSON.
	cl := tb.serveControl(t)
	c, err := control.Dial(cl.path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	resp, err := c.Do(context.Background(), control.Request{Cmd: control.CmdStatus})
	if err != nil || !resp.OK {
		t.Fatalf("status = %+v, %v", resp, err)
	}
	if r := render(resp.Status); r != want {
		t.Errorf("status through the socket is\n%s\nwant\n%s", r, want)
	}
}

// ask hands a control request to the testbed's supervisor as the loop
// would, and returns where its answer goes.
func ask(tb *testbed, req control.Request) <-chan control.Response {
	req.V = control.Version
	if err := req.Check(); err != nil {
		tb.t.Fatal(err)
	}
	r := controlRequest{req: req, reply: make(chan control.Response, 1)}
	tb.s.control(r)
	tb.afterEach()
	return r.reply
}

// answered returns the answer waiting on reply, or nil.
func answered(reply <-chan control.Response) *control.Response {
	select {
	case r := <-reply:
		return &r
	default:
		return nil
	}
}

func TestControlCommands(t *testing.T) {
	tests := []struct {
		name       string
		giveBefore []step
		giveReq    control.Request
		giveAfter  []step
		// wantBefore is the answer right after the request ("" for none
		// yet); wantAfter after giveAfter's steps.
		wantBefore string
		wantAfter  string
		wantTable  string
	}{
		{
			name:       "reload without wait is answered at once",
			giveReq:    control.Request{Cmd: control.CmdReload},
			wantBefore: `ok generation 2`,
			wantTable: `generation 1, 2 workers, reloading to generation 2
101 slot 1 gen 1: ready, serving
102 slot 2 gen 1: ready, serving
103 slot 1 gen 2: booting, serving
104 slot 2 gen 2: booting, serving`,
		},
		{
			name:      "reload with wait is answered once the new generation is ready",
			giveReq:   control.Request{Cmd: control.CmdReload, Wait: true},
			giveAfter: []step{ready(103), ready(104)},
			wantAfter: `ok generation 2`,
			wantTable: `generation 2, 2 workers
101 slot 1 gen 1: ready, draining (reloaded); got TERM
102 slot 2 gen 1: ready, draining (reloaded); got TERM
103 slot 1 gen 2: ready, serving
104 slot 2 gen 2: ready, serving`,
		},
		{
			name:      "reload with wait is answered with the reason when it is abandoned",
			giveReq:   control.Request{Cmd: control.CmdReload, Wait: true},
			giveAfter: []step{ready(103), exit(104)},
			wantAfter: `refused: reload abandoned; the running workers keep serving: a new worker (slot 2) ended with exit status 3`,
			wantTable: `generation 1, 2 workers
101 slot 1 gen 1: ready, serving
102 slot 2 gen 1: ready, serving
103 slot 1 gen 2: ready, killed (reload abandoned); got KILL
104 slot 2 gen 2: exited`,
		},
		{
			name:      "reload with wait is answered when a stop abandons it",
			giveReq:   control.Request{Cmd: control.CmdReload, Wait: true},
			giveAfter: []step{term()},
			wantAfter: `refused: reload abandoned; the running workers keep serving: the supervisor is stopping`,
			wantTable: `generation 1, 2 workers, stopping
101 slot 1 gen 1: ready, draining (stopping); told Stopping; got TERM
102 slot 2 gen 1: ready, draining (stopping); told Stopping; got TERM
103 slot 1 gen 2: booting, killed (reload abandoned); got KILL
104 slot 2 gen 2: booting, killed (reload abandoned); got KILL`,
		},
		{
			name:       "reload during a reload is refused",
			giveBefore: []step{hup()},
			giveReq:    control.Request{Cmd: control.CmdReload, Wait: true},
			wantBefore: `refused: reload refused: a reload to generation 2 is in progress`,
			wantTable: `generation 1, 2 workers, reloading to generation 2
101 slot 1 gen 1: ready, serving
102 slot 2 gen 1: ready, serving
103 slot 1 gen 2: booting, serving
104 slot 2 gen 2: booting, serving`,
		},
		{
			name:       "scale sets the count",
			giveReq:    control.Request{Cmd: control.CmdScale, Workers: 4},
			wantBefore: `ok workers 4`,
			wantTable: `generation 1, 4 workers
101 slot 1 gen 1: ready, serving
102 slot 2 gen 1: ready, serving
103 slot 3 gen 1: booting, serving
104 slot 4 gen 1: booting, serving`,
		},
		{
			name:       "scale down drains the slots above the count",
			giveBefore: []step{ttin()},
			giveReq:    control.Request{Cmd: control.CmdScale, Workers: 1},
			wantBefore: `ok workers 1`,
			wantTable: `generation 1, 1 workers
101 slot 1 gen 1: ready, serving
102 slot 2 gen 1: ready, draining (scaled down); got TERM
103 slot 3 gen 1: booting, draining (scaled down); got TERM`,
		},
		{
			name:       "scale during a reload is refused",
			giveBefore: []step{hup()},
			giveReq:    control.Request{Cmd: control.CmdScale, Workers: 3},
			wantBefore: `refused: worker count unchanged: a reload to generation 2 is in progress; scale again after it`,
			wantTable: `generation 1, 2 workers, reloading to generation 2
101 slot 1 gen 1: ready, serving
102 slot 2 gen 1: ready, serving
103 slot 1 gen 2: booting, serving
104 slot 2 gen 2: booting, serving`,
		},
		{
			name:       "stop is answered, then drains",
			giveReq:    control.Request{Cmd: control.CmdStop},
			wantBefore: `ok`,
			wantTable: `generation 1, 2 workers, stopping
101 slot 1 gen 1: ready, draining (stopping); told Stopping; got TERM
102 slot 2 gen 1: ready, draining (stopping); told Stopping; got TERM`,
		},
		{
			name:       "stop fast is INT's",
			giveReq:    control.Request{Cmd: control.CmdStop, Fast: true},
			wantBefore: `ok`,
			wantTable: `generation 1, 2 workers, stopping
101 slot 1 gen 1: ready, draining (stopping); got INT
102 slot 2 gen 1: ready, draining (stopping); got INT`,
		},
		{
			name:       "reopen-logs signals every worker",
			giveReq:    control.Request{Cmd: control.CmdReopenLogs},
			wantBefore: `ok`,
			wantTable: `generation 1, 2 workers
101 slot 1 gen 1: ready, serving; got USR1
102 slot 2 gen 1: ready, serving; got USR1`,
		},
	}
	show := func(r *control.Response) string {
		switch {
		case r == nil:
			return ""
		case !r.OK:
			return "refused: " + r.Error
		case r.Generation != 0:
			return fmt.Sprintf("ok generation %d", r.Generation)
		case r.Workers != 0:
			return fmt.Sprintf("ok workers %d", r.Workers)
		}
		return "ok"
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := newTestbed(t)
			for _, st := range append([]step{ready(101), ready(102)}, tt.giveBefore...) {
				st(tb)
			}
			reply := ask(tb, tt.giveReq)
			if got := show(answered(reply)); got != tt.wantBefore {
				t.Errorf("answer right after the request = %q, want %q", got, tt.wantBefore)
			}
			for _, st := range tt.giveAfter {
				st(tb)
			}
			if got := show(answered(reply)); got != tt.wantAfter {
				t.Errorf("answer after the steps = %q, want %q", got, tt.wantAfter)
			}
			if got := tb.describe(); got != tt.wantTable {
				t.Errorf("after the steps the table is\n%s\nwant\n%s", got, tt.wantTable)
			}
		})
	}
}

// TestControlReloadRefusedConfiguration: a configuration Reload refuses is
// answered at once, and nothing starts.
func TestControlReloadRefusedConfiguration(t *testing.T) {
	cfg := testbedConfig()
	cfg.Reload = func() (Options, error) { return Options{}, errors.New("invalid --workers: must be at least 1, got 0") }
	tb := newTestbedFrom(t, cfg)
	ready(101)(tb)
	ready(102)(tb)
	got := answered(ask(tb, control.Request{Cmd: control.CmdReload, Wait: true}))
	want := "reload refused: the configuration is invalid; the running workers keep serving: invalid --workers: must be at least 1, got 0"
	if got == nil || got.OK || got.Error != want {
		t.Errorf("reload --wait = %+v, want refused: %s", got, want)
	}
	if tb.s.reload != nil {
		t.Errorf("a reload started")
	}
}

// TestListenControl: a stale socket is replaced, one a supervisor answers
// on refuses the start, a file that is no socket is left alone.
func TestListenControl(t *testing.T) {
	dir := t.TempDir()

	live := filepath.Join(dir, "live.ctl")
	ln, _, err := listenControl(live)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if info, err := os.Stat(live); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("control socket mode = %v, %v; want 0600", info.Mode().Perm(), err)
	}
	if _, _, err := listenControl(live); !errors.Is(err, ErrControlInUse) || !strings.Contains(err.Error(), live) {
		t.Errorf("listenControl on a live socket = %v, want ErrControlInUse naming %s", err, live)
	}

	stale := filepath.Join(dir, "stale.ctl")
	old, err := net.ListenUnix("unix", &net.UnixAddr{Name: stale, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	old.SetUnlinkOnClose(false)
	old.Close() // the file stays, nobody answers: a dead supervisor's
	ln2, replaced, err := listenControl(stale)
	if err != nil || !replaced {
		t.Fatalf("listenControl on a stale socket = %v, replaced %v; want it replaced", err, replaced)
	}
	ln2.Close()

	file := filepath.Join(dir, "file.ctl")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := listenControl(file); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("listenControl on a regular file = %v, want a refusal", err)
	}
	if _, err := os.Stat(file); err != nil {
		t.Errorf("the regular file is gone: %v", err)
	}

	long := filepath.Join(dir, strings.Repeat("x", 120)+".ctl")
	if _, _, err := listenControl(long); err == nil || !strings.Contains(err.Error(), "longer than the 107 bytes") {
		t.Errorf("listenControl on a long path = %v, want a refusal naming the limit", err)
	}
}
