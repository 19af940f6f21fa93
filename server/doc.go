// Package server is the supervisor: the one process that owns the
// listening sockets and keeps --workers worker processes serving them.
//
// Lifecycle: Run claims the PID file (refusing to start, exit status 1,
// while it names a running supervisor; replacing a stale one), binds every
// --bind address (or takes systemd's sockets), and starts each worker by
// re-executing its own binary with the sockets and a report channel as
// inherited descriptors (see package proto). A single goroutine owns the worker table and
// selects over signals, worker events (messages and exits) and a clock
// tick. Workers that die are replaced with per-slot exponential backoff;
// workers that keep failing before they are ready halt the supervisor
// with exit status 3; a worker whose heartbeat stops for --timeout has its
// stacks dumped (SIGABRT) and is killed; a worker that reports Retiring
// (max-requests, max-rss, request-timeout) is replaced before it is told
// to drain; a worker whose heartbeat reports more resident memory than
// --max-rss-hard is killed at once (SIGKILL) and replaced.
//
// Signals (Gunicorn's): TERM tells every worker to answer /healthz 503
// (proto.Stopping), waits --shutdown-delay while they serve as before,
// then drains them for up to --graceful-timeout, then kills; INT and QUIT stop at once; HUP re-reads the configuration and
// starts a new generation, draining the old one only once every new worker
// is ready (a new worker that fails abandons the reload and the old
// generation keeps serving); TTIN and TTOU add or remove a worker; USR1
// reopens log files here and in every worker; USR2 upgrades the binary
// in place (upgrade.go, handover.go): one canary worker from the binary
// now on disk first (if it fails to become ready the upgrade is
// abandoned and the old binary keeps serving), then the supervisor
// re-executes itself (same PID: systemd's MAINPID and the pid file stay
// right) with its listeners, the workers' channels and its table in
// inherited descriptors, adopts the running workers, boots the rest of
// the new generation and drains the old one as a reload does.
//
// Control socket (Options.ControlSocket, see package control): Run binds
// it right after the PID file (mode 0600; a stale one replaced, one a
// live supervisor answers on refused with exit status 1) and removes it
// at exit. One goroutine per connection reads the requests and hands
// each to the owning loop, which answers it as it carries out a signal:
// status, reload (with wait, answered when the new generation is ready
// or the reload ends), scale, stop (answered before the stop begins),
// reopen-logs and upgrade. Each is logged as "control command".
//
// Metrics (Options.MetricsBind, --metrics-bind): Run binds the admin
// listener after the sockets, before the first worker starts, and serves
// Prometheus' /metrics on it itself (admin.go; 404 elsewhere), so a scrape
// is answered while workers are replaced. Each worker is asked for
// metrics in its Config and sends what it counted since its previous
// heartbeat (proto.MetricsDelta), and once more after its drain; the
// loop adds every delta to totals that outlive the workers (metrics.go),
// so no counter goes back when a worker is recycled. The supervisor's own
// counters (restarts by cause, reloads, boot time) and the table's gauges
// sit beside them, with the Go client's process and runtime collectors.
//
// Privileges: with --user/--group the supervisor keeps its own identity
// (root, to bind) and starts every worker as that user, so the processes
// that run application code can neither signal nor trace it.
//
// server never imports worker: they meet only through package proto and
// the process boundary.
package server
