// Package worker is one worker process: it serves the listeners it
// inherited from the supervisor with an http.Server running the handler
// chain, and reports to the supervisor over the inherited channel.
//
// Lifecycle: the supervisor re-executes its binary with DROVER_ROLE=worker,
// the channel at fd 3 and the listeners from fd 4 (see package proto). The
// caller (package cli) reads the Config message, maps its settings onto
// Options and builds the application; the worker starts serving, reports
// Ready, then a Heartbeat every interval (requests served, in flight, RSS,
// the oldest requests in flight; with Options.Metrics, what it counted
// since the previous heartbeat, and once more after a drain, so the
// supervisor's totals miss none of its requests). After its share of --max-requests, once
// a heartbeat's RSS is over --max-rss, or once a request has run past
// --request-timeout (answered 504, its stack logged), it reports Retiring
// and keeps serving until the supervisor, once a replacement is ready,
// sends TERM. When the supervisor says it is stopping (proto.Stopping,
// TERM to it), /healthz answers 503 while everything else is served as
// before, through --shutdown-delay, until the worker's own TERM.
//
// Listeners: with --proxy-protocol a connection from a trusted peer
// (--forwarded-allow-ips, or a unix socket) may begin with a PROXY v1/v2
// header naming the real client; from any other peer a header is refused.
// TLS comes from the certificate the supervisor read (--certfile), or from
// certmagic (--tls-auto), sharing its ACME storage in the state directory
// with every other worker, so one orders and any answers the CA.
//
// Concurrency: with a bound (--max-concurrency; 1 for -k sync) a worker at
// it stops accepting, and each request's body is read into memory (at most
// 16 MiB across the worker) before the request takes a slot, so a slow
// upload holds a connection, not the worker.
//
// Signals: TERM drains (stop accepting, finish in-flight requests up to
// --graceful-timeout, then close); INT and QUIT stop at once; USR1 reopens
// log files; HUP, TTIN, TTOU, USR2 and WINCH are ignored (they are the
// supervisor's, and systemctl kill sends them to every process of the
// unit). EOF on the channel means the supervisor died: the worker drains
// and exits, so no orphan keeps serving stale code.
package worker
