// Package metrics is the worker's side of drover's Prometheus metrics: a
// Recorder of lock-free counters that the request path and the token
// service add to, which the worker's heartbeat drains into a
// proto.MetricsDelta, and the bucket layouts both sides share.
//
// It runs in every worker process, for the worker's whole life; it starts
// no goroutine and signals do nothing to it. The supervisor (package
// server) adds each delta to the totals it serves at --metrics-bind, so
// they survive the worker that counted them.
//
// It holds no prometheus type: the workers link no metrics library, and
// recording a request is a handful of atomic adds.
package metrics
