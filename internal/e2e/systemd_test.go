package e2e

import (
	"net"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// notifySocket is a NOTIFY_SOCKET the test holds, as systemd would.
type notifySocket struct {
	path string
	conn *net.UnixConn
}

func listenNotify(t *testing.T) *notifySocket {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &notifySocket{path: path, conn: conn}
}

// next returns the next datagram, failing the test after timeout.
func (n *notifySocket) next(t *testing.T, timeout time.Duration) string {
	t.Helper()
	_ = n.conn.SetReadDeadline(time.Now().Add(timeout))
	buf := make([]byte, 4096)
	k, err := n.conn.Read(buf)
	if err != nil {
		t.Fatalf("no sd_notify message within %s: %v", timeout, err)
	}
	return string(buf[:k])
}

// until reads datagrams until one contains want, and returns it.
func (n *notifySocket) until(t *testing.T, want string, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		msg := n.next(t, time.Until(deadline))
		if strings.Contains(msg, want) {
			return msg
		}
	}
}

func TestSystemdIsToldTheTruth(t *testing.T) {
	ns := listenNotify(t)
	p := start(t, droverBin, []string{"NOTIFY_SOCKET=" + ns.path}, "serve", "--bind", "127.0.0.1:0", "--workers", "3")

	// READY=1 only once every worker is ready.
	ready := ns.until(t, "READY=1", 10*time.Second)
	told := p.waitLog(5*time.Second, 0, 1, func(l logLine) bool { return l.msg() == "told systemd" && l.fields["state"] == "READY=1" })[0]
	if readyBefore := countBefore(p, told, supervisorReady); readyBefore != 3 {
		t.Errorf("READY=1 was sent after %d of 3 workers were ready", readyBefore)
	}
	for _, want := range []string{"STATUS=drover: 3 of 3 workers ready (generation 1)", "MAINPID="} {
		if !strings.Contains(ready, want) {
			t.Errorf("READY message %q lacks %q", ready, want)
		}
	}

	p.signal(syscall.SIGHUP)
	reloading := ns.until(t, "RELOADING=1", 5*time.Second)
	if !strings.Contains(reloading, "MONOTONIC_USEC=") {
		t.Errorf("RELOADING message %q lacks MONOTONIC_USEC", reloading)
	}
	again := ns.until(t, "READY=1", 10*time.Second)
	if !strings.Contains(again, "generation 2") {
		t.Errorf("READY after reload = %q, want generation 2", again)
	}
	toldAgain := p.waitLog(5*time.Second, 0, 2, func(l logLine) bool { return l.msg() == "told systemd" && l.fields["state"] == "READY=1" })[1]
	if countBefore(p, toldAgain, msgIs("reload complete")) != 1 {
		t.Error("READY=1 after HUP came before the reload completed")
	}

	p.signal(syscall.SIGTERM)
	ns.until(t, "STOPPING=1", 5*time.Second)
	if code := p.wait(10 * time.Second); code != 0 {
		t.Errorf("exit code = %d", code)
	}
}

func TestSystemdWatchdogIsFed(t *testing.T) {
	ns := listenNotify(t)
	p := start(t, droverBin, []string{"NOTIFY_SOCKET=" + ns.path, "WATCHDOG_USEC=400000"}, "serve", "--bind", "127.0.0.1:0", "--workers", "1")
	_ = p
	for range 3 {
		ns.until(t, "WATCHDOG=1", 2*time.Second)
	}
}

// countBefore counts the log lines matching match that precede line.
func countBefore(p *proc, line logLine, match func(logLine) bool) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, l := range p.logs {
		if l.text == line.text {
			return n
		}
		if match(l) {
			n++
		}
	}
	return -1
}
