package server

import (
	"fmt"
	"strings"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
	"go.uber.org/zap"
	"golang.org/x/sys/unix"
)

// notifier tells systemd the truth about the supervisor (Type=notify):
// READY once the first generation is ready, RELOADING and READY around a
// reload, STOPPING on shutdown, STATUS with the worker count, and WATCHDOG
// while the supervisor loop runs. Without NOTIFY_SOCKET it does nothing.
// Every STATUS names the program ("notes: 2 of 2 workers ready …"):
// systemctl status shows it beside the unit's name, which need not be
// the program's.
type notifier struct {
	log      *zap.Logger
	name     string
	ready    bool // READY=1 sent
	watchdog time.Duration
	lastPing time.Time
	status   string
}

// newNotifier makes the notifier of the program called name.
func newNotifier(name string, log *zap.Logger) *notifier {
	n := &notifier{log: log, name: name}
	if d, err := daemon.SdWatchdogEnabled(false); err != nil {
		log.Warn("systemd watchdog settings unreadable", zap.Error(err))
	} else {
		n.watchdog = d
	}
	return n
}

// send sends one notification; a failure is logged once per kind, not
// returned: systemd is told, not asked.
func (n *notifier) send(state string) {
	first := strings.SplitN(state, "\n", 2)[0]
	sent, err := daemon.SdNotify(false, state)
	switch {
	case err != nil:
		n.log.Warn("sd_notify", zap.String("state", first), zap.Error(err))
	case sent && first != daemon.SdNotifyWatchdog && !strings.HasPrefix(first, "STATUS="):
		n.log.Info("told systemd", zap.String("state", first))
	}
}

// serving reports the first generation ready: READY=1 with the status.
func (n *notifier) serving(status string) {
	n.status = status
	if n.ready {
		n.send(n.statusLine(status))
		return
	}
	n.ready = true
	n.send(fmt.Sprintf("READY=1\n%s\nMAINPID=%d", n.statusLine(status), unix.Getpid()))
}

// reloading reports a reload starting, with the monotonic timestamp
// systemd 253+ expects beside RELOADING=1.
func (n *notifier) reloading(status string) {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	usec := ts.Sec*1_000_000 + ts.Nsec/1000
	n.send(fmt.Sprintf("RELOADING=1\nMONOTONIC_USEC=%d\n%s", usec, n.statusLine(status)))
}

// reloaded reports the reload over, done or abandoned.
func (n *notifier) reloaded(status string) {
	n.status = status
	n.send("READY=1\n" + n.statusLine(status))
}

// stopping reports the shutdown.
func (n *notifier) stopping(status string) {
	n.send("STOPPING=1\n" + n.statusLine(status))
}

// update sends STATUS when it changed.
func (n *notifier) update(status string) {
	if !n.ready || status == n.status {
		return
	}
	n.status = status
	n.send(n.statusLine(status))
}

// statusLine is the STATUS= assignment of status, naming the program.
func (n *notifier) statusLine(status string) string {
	return "STATUS=" + n.name + ": " + status
}

// ping sends WATCHDOG=1 at half the watchdog interval; the supervisor loop
// calls it on every tick, so a stuck loop stops the pings.
func (n *notifier) ping(now time.Time) {
	if n.watchdog <= 0 || now.Sub(n.lastPing) < n.watchdog/2 {
		return
	}
	n.lastPing = now
	n.send(daemon.SdNotifyWatchdog)
}

// withoutNotify drops systemd's notification variables from a worker's
// environment: only the supervisor speaks to systemd.
func withoutNotify(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if strings.HasPrefix(kv, "NOTIFY_SOCKET=") || strings.HasPrefix(kv, "WATCHDOG_USEC=") || strings.HasPrefix(kv, "WATCHDOG_PID=") {
			continue
		}
		out = append(out, kv)
	}
	return out
}
