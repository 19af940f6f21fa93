package server

import (
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.uber.org/zap"

	"github.com/drover/drover/internal/metrics"
	"github.com/drover/drover/internal/proto"
)

// restartCauses are why a worker was replaced (restartCause), each
// counted from 0 so that a rate over it exists before the first restart.
func restartCauses() []string {
	return []string{"crash", "timeout", "max-requests", "max-rss", "request-timeout", "max-rss-hard"}
}

// workerStates are the states drover_workers counts (stateOf).
func workerStates() []string { return []string{"booting", "ready", "retiring", "draining"} }

// supervisorMetrics is the supervisor's Prometheus registry: the totals of
// the deltas every worker sends in its heartbeats, which outlive the
// workers that sent them, gauges of the worker table, and the
// supervisor's own counters. The loop writes it; the admin listener's
// scrapes read it, so what they share is behind mu.
//
// Its methods do nothing on a nil *supervisorMetrics: without
// --metrics-bind the supervisor keeps none.
type supervisorMetrics struct {
	reg *prometheus.Registry

	restarts *prometheus.CounterVec
	reloads  *prometheus.CounterVec
	scaled   *prometheus.CounterVec
	boot     prometheus.Histogram

	mu     sync.Mutex
	totals totals
	table  []workerGauge
	// series are the status page's samples of the totals (series.go).
	series sampler
}

// totals are the sums of the workers' deltas.
type totals struct {
	requests      map[requestKey]uint64
	durations     [3]histogramTotal // by metrics.Class
	responseBytes uint64
	loginsOK      uint64
	loginsFailed  uint64
	rotations     uint64
	reuses        uint64
	hashWait      histogramTotal
}

type requestKey struct {
	class metrics.Class
	code  int
}

// histogramTotal is a histogram summed from deltas: counts per bucket, not
// cumulative, as proto.Histogram carries them.
type histogramTotal struct {
	counts []uint64
	sum    uint64 // nanoseconds
}

// workerGauge is one live worker, as the latest heartbeat and the table
// describe it.
type workerGauge struct {
	slot, pid int
	state     string
	rss       uint64
	inFlight  int
}

// newSupervisorMetrics builds the registry: the worker totals, the table's
// gauges, the supervisor's counters and the Go client's process and
// runtime collectors (of the supervisor itself).
func newSupervisorMetrics() *supervisorMetrics {
	m := &supervisorMetrics{
		reg: prometheus.NewRegistry(),
		restarts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "drover_worker_restarts_total",
			Help: "Workers replaced, by cause: crash (exited on its own, at boot included), timeout (no heartbeat, or not ready within the boot timeout), max-requests, max-rss and request-timeout (retired, replacement first), max-rss-hard (killed).",
		}, []string{"cause"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "drover_reloads_total",
			Help: "Reloads (HUP) by result: ok (the new generation is serving) or abandoned (the old one kept serving).",
		}, []string{"result"}),
		scaled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "drover_worker_count_changes_total",
			Help: "Changes of the worker count by the adaptive count (--workers-min, --workers-max), by direction: up (the workers were busy) or down (quiet).",
		}, []string{"direction"}),
		boot: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "drover_worker_boot_seconds",
			Help:    "Time from a worker's start to its ready report.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}),
	}
	m.totals.requests = make(map[requestKey]uint64)
	for c := range m.totals.durations {
		m.totals.durations[c].counts = make([]uint64, len(metrics.DurationBuckets())+1)
	}
	m.totals.hashWait.counts = make([]uint64, len(metrics.HashWaitBuckets())+1)
	for _, c := range restartCauses() {
		m.restarts.WithLabelValues(c)
	}
	m.reloads.WithLabelValues("ok")
	m.reloads.WithLabelValues("abandoned")
	m.scaled.WithLabelValues("up")
	m.scaled.WithLabelValues("down")
	m.reg.MustRegister(
		m.restarts, m.reloads, m.scaled, m.boot,
		newWorkersCollector(m),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewGoCollector(),
	)
	return m
}

// fold adds a worker's delta to the totals. It refuses, whole, a delta
// with a route class, status code or histogram layout this supervisor
// does not know (a worker of another build), so a worker cannot make a
// label of anything.
func (m *supervisorMetrics) fold(d *proto.MetricsDelta) error {
	if m == nil || d == nil {
		return nil
	}
	if err := checkDelta(d); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	t := &m.totals
	for _, rc := range d.Requests {
		c, _ := metrics.ParseClass(rc.Class)
		t.requests[requestKey{c, rc.Code}] += rc.N
	}
	for _, h := range d.Durations {
		c, _ := metrics.ParseClass(h.Class)
		t.durations[c].add(h)
	}
	t.responseBytes += d.ResponseBytes
	t.loginsOK += d.LoginsOK
	t.loginsFailed += d.LoginsFailed
	t.rotations += d.RefreshRotations
	t.reuses += d.RefreshReuses
	if d.HashWait != nil {
		t.hashWait.add(*d.HashWait)
	}
	return nil
}

// checkDelta reports what in d this supervisor cannot fold.
func checkDelta(d *proto.MetricsDelta) error {
	for _, rc := range d.Requests {
		if _, ok := metrics.ParseClass(rc.Class); !ok {
			return fmt.Errorf("unknown route class %q", rc.Class)
		}
		if rc.Code < 0 || rc.Code > metrics.MaxStatus {
			return fmt.Errorf("status code %d out of range", rc.Code)
		}
	}
	for _, h := range d.Durations {
		if _, ok := metrics.ParseClass(h.Class); !ok {
			return fmt.Errorf("unknown route class %q", h.Class)
		}
		if len(h.Counts) != len(metrics.DurationBuckets())+1 {
			return fmt.Errorf("request duration histogram of %d buckets, want %d", len(h.Counts), len(metrics.DurationBuckets())+1)
		}
	}
	if h := d.HashWait; h != nil && len(h.Counts) != len(metrics.HashWaitBuckets())+1 {
		return fmt.Errorf("hash wait histogram of %d buckets, want %d", len(h.Counts), len(metrics.HashWaitBuckets())+1)
	}
	return nil
}

func (h *histogramTotal) add(d proto.Histogram) {
	for i, n := range d.Counts {
		h.counts[i] += n
	}
	h.sum += d.SumNanos
}

// constHistogram is h as Prometheus exposes it: cumulative buckets.
func (h *histogramTotal) constHistogram(desc *prometheus.Desc, bounds []float64, labels ...string) prometheus.Metric {
	buckets := make(map[float64]uint64, len(bounds))
	var count uint64
	for i, n := range h.counts {
		count += n
		if i < len(bounds) {
			buckets[bounds[i]] = count
		}
	}
	return prometheus.MustNewConstHistogram(desc, count, time.Duration(h.sum).Seconds(), buckets, labels...)
}

// restarted counts a worker replaced for cause; "" counts nothing.
func (m *supervisorMetrics) restarted(cause string) {
	if m == nil || cause == "" {
		return
	}
	m.restarts.WithLabelValues(cause).Inc()
}

// reloaded counts a reload that completed (ok) or was abandoned.
func (m *supervisorMetrics) reloaded(ok bool) {
	if m == nil {
		return
	}
	result := "abandoned"
	if ok {
		result = "ok"
	}
	m.reloads.WithLabelValues(result).Inc()
}

// scaledBy counts a change of the adaptive worker count, +1 or -1.
func (m *supervisorMetrics) scaledBy(delta int) {
	if m == nil {
		return
	}
	direction := "down"
	if delta > 0 {
		direction = "up"
	}
	m.scaled.WithLabelValues(direction).Inc()
}

// booted records a worker's boot time.
func (m *supervisorMetrics) booted(d time.Duration) {
	if m == nil {
		return
	}
	m.boot.Observe(d.Seconds())
}

// observeTable records the live workers for the gauges: a worker gone
// from the table is gone from them. The loop calls it after every event
// and on every tick, where the totals and the table agree, so it also
// takes the status page's sample of the totals when one is due.
func (m *supervisorMetrics) observeTable(workers map[int]*worker) {
	if m == nil {
		return
	}
	table := make([]workerGauge, 0, len(workers))
	for _, w := range workers {
		table = append(table, workerGauge{slot: w.slot, pid: w.pid, state: stateOf(w), rss: w.stats.RSS, inFlight: w.stats.InFlight})
	}
	m.mu.Lock()
	m.table = table
	m.series.observe(time.Now(), &m.totals)
	m.mu.Unlock()
}

// stateOf is w's state as drover_workers counts it: what was decided
// for it, else how far it got.
func stateOf(w *worker) string {
	switch w.fate {
	case fateRetiring:
		return "retiring"
	case fateDraining, fateKilled:
		return "draining"
	}
	return w.phase.String()
}

// restartCause is why w's exit makes a replacement, as
// drover_worker_restarts_total counts it; "" for an exit that replaces
// nothing (a drain for a stop, a reload or a scale-down, an abandoned
// reload's kill).
func restartCause(w *worker, stopping bool) string {
	switch {
	case stopping:
		return ""
	case w.fate == fateKilled:
		switch w.why {
		case whyHeartbeat, whyBootTimeout:
			return "timeout"
		case whyMaxRSSHard:
			return "max-rss-hard"
		}
		return ""
	case w.fate == fateDraining:
		if w.why == whyReplaced {
			return retireCause(w.retiredFor)
		}
		return ""
	}
	return "crash" // serving or retiring, it exited on its own
}

// retireCause is the restart cause of a worker that retired for reason
// (proto.Retiring), one of a fixed set whatever the worker said.
func retireCause(reason string) string {
	switch reason {
	case "max-requests", "max-rss", "request-timeout":
		return reason
	}
	return "max-requests"
}

// workersCollector exposes the totals and the table's gauges, read under
// the lock at each scrape.
type workersCollector struct {
	m                                                *supervisorMetrics
	requests, duration, inFlight, responseBytes, rss *prometheus.Desc
	workers, logins, rotations, reuses, hashWait     *prometheus.Desc
}

func newWorkersCollector(m *supervisorMetrics) workersCollector {
	return workersCollector{
		m: m,
		requests: prometheus.NewDesc("drover_http_requests_total",
			"HTTP requests finished by the workers, by route class (api: the token endpoints, health: /healthz, app: the rest) and status code (0: no response sent).",
			[]string{"class", "code"}, nil),
		duration: prometheus.NewDesc("drover_http_request_duration_seconds",
			"Time the workers took over each request, from the handler chain's start to its end, by route class.",
			[]string{"class"}, nil),
		inFlight: prometheus.NewDesc("drover_http_requests_in_flight",
			"Requests being handled, summed over the workers' latest heartbeats.", nil, nil),
		responseBytes: prometheus.NewDesc("drover_http_response_bytes_total",
			"Response body bytes the workers sent.", nil, nil),
		rss: prometheus.NewDesc("drover_worker_rss_bytes",
			"Resident memory of each live worker, from its latest heartbeat, by slot and pid.", []string{"slot", "pid"}, nil),
		workers: prometheus.NewDesc("drover_workers",
			"Worker processes by state: booting, ready, retiring (its replacement is booting) or draining (told to stop, or being killed).",
			[]string{"state"}, nil),
		logins: prometheus.NewDesc("drover_logins_total",
			"Logins at the token endpoint, by result: ok (tokens issued) or failed (refused credentials, or an error).", []string{"result"}, nil),
		rotations: prometheus.NewDesc("drover_refresh_rotations_total",
			"Refresh tokens rotated.", nil, nil),
		reuses: prometheus.NewDesc("drover_refresh_reuse_detected_total",
			"Rotated refresh tokens presented again past the reuse grace: the security event that revokes their family.", nil, nil),
		hashWait: prometheus.NewDesc("drover_password_hash_queue_wait_seconds",
			"Time each password hash or check waited for a free slot (--max-concurrent-hashes) before its key derivation.", nil, nil),
	}
}

func (c workersCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.requests, c.duration, c.inFlight, c.responseBytes, c.rss, c.workers,
		c.logins, c.rotations, c.reuses, c.hashWait} {
		ch <- d
	}
}

func (c workersCollector) Collect(ch chan<- prometheus.Metric) {
	m := c.m
	m.mu.Lock()
	defer m.mu.Unlock()
	t := &m.totals
	for k, n := range t.requests {
		ch <- prometheus.MustNewConstMetric(c.requests, prometheus.CounterValue, float64(n), k.class.String(), strconv.Itoa(k.code))
	}
	for _, class := range metrics.Classes() {
		ch <- t.durations[class].constHistogram(c.duration, metrics.DurationBuckets(), class.String())
	}
	ch <- prometheus.MustNewConstMetric(c.responseBytes, prometheus.CounterValue, float64(t.responseBytes))
	ch <- prometheus.MustNewConstMetric(c.logins, prometheus.CounterValue, float64(t.loginsOK), "ok")
	ch <- prometheus.MustNewConstMetric(c.logins, prometheus.CounterValue, float64(t.loginsFailed), "failed")
	ch <- prometheus.MustNewConstMetric(c.rotations, prometheus.CounterValue, float64(t.rotations))
	ch <- prometheus.MustNewConstMetric(c.reuses, prometheus.CounterValue, float64(t.reuses))
	ch <- t.hashWait.constHistogram(c.hashWait, metrics.HashWaitBuckets())

	states := make(map[string]int, 4)
	inFlight := 0
	for _, w := range m.table {
		states[w.state]++
		inFlight += w.inFlight
		ch <- prometheus.MustNewConstMetric(c.rss, prometheus.GaugeValue, float64(w.rss), strconv.Itoa(w.slot), strconv.Itoa(w.pid))
	}
	for _, s := range workerStates() {
		ch <- prometheus.MustNewConstMetric(c.workers, prometheus.GaugeValue, float64(states[s]), s)
	}
	ch <- prometheus.MustNewConstMetric(c.inFlight, prometheus.GaugeValue, float64(inFlight))
}

// foldMetrics adds w's delta to the totals; a delta refused is logged
// once per worker.
func (s *Supervisor) foldMetrics(w *worker, d *proto.MetricsDelta) {
	if err := s.metrics.fold(d); err != nil && !w.metricsRefused {
		w.metricsRefused = true
		w.log.Warn("metrics from worker refused; its counts are left out", zap.Error(err))
	}
}
