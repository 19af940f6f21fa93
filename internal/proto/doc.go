// Package proto is the message protocol between the supervisor and its
// workers: typed, versioned, length-prefixed frames over the socketpair each
// worker inherits at descriptor 3 (see Env* and FD* for the fixed layout).
//
// The supervisor writes one Config to a new worker, and Stopping when a
// graceful stop begins (so /healthz answers 503 before the drain); the
// worker writes Ready once it serves, a Heartbeat every interval (with the
// metrics it counted since the last one, MetricsDelta, when its Config
// asked for them, and a last one once it has drained), and Retiring when
// it wants to be replaced. Lifecycle itself is driven by
// signals, not messages. EOF on
// the channel means the peer is gone: a worker that reads EOF knows its
// supervisor died and drains and exits.
package proto
