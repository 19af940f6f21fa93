package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/drover/drover/internal/metrics"
	"github.com/drover/drover/internal/proto"
)

// metricsTestbed is a testbed whose supervisor keeps metrics.
func metricsTestbed(t *testing.T) *testbed {
	cfg := testbedConfig()
	cfg.Options.MetricsBind = "127.0.0.1:0" // New keeps metrics; only Run binds
	return newTestbedFrom(t, cfg)
}

// beatDelta is a heartbeat from pid with n requests of class app and
// status 200 in its delta, each of d nanoseconds, and rss.
func beatDelta(pid int, n uint64, rss uint64) step {
	return func(tb *testbed) {
		counts := make([]uint64, len(metrics.DurationBuckets())+1)
		counts[0] = n
		tb.event(event{pid: pid, msg: proto.Heartbeat{RSS: rss, InFlight: 1, Metrics: &proto.MetricsDelta{
			Requests:      []proto.RequestCount{{Class: "app", Code: 200, N: n}},
			Durations:     []proto.Histogram{{Class: "app", Counts: counts, SumNanos: n * 1e6}},
			ResponseBytes: 10 * n,
		}}})
	}
}

// retiringFor is a Retiring message from pid giving reason.
func retiringFor(pid int, reason string) step {
	return func(tb *testbed) { tb.event(event{pid: pid, msg: proto.Retiring{Reason: reason}}) }
}

// sample is the value of the metric name whose labels include want;
// ok is false when there is none.
func sample(t *testing.T, s *Supervisor, name string, want map[string]string) (v float64, ok bool) {
	t.Helper()
	families, err := s.metrics.reg.Gather()
	if err != nil {
		t.Fatalf("Gather() = %v", err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metric:
		for _, m := range f.GetMetric() {
			labels := make(map[string]string)
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if labels[k] != v {
					continue metric
				}
			}
			return value(m), true
		}
	}
	return 0, false
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	}
	return 0
}

// TestMetricsAggregation drives the table through worker replacement and
// checks the totals: deltas are folded, counters never go back when the
// worker that counted them is gone, each restart has its cause, and a
// gone worker leaves the gauges.
func TestMetricsAggregation(t *testing.T) {
	tb := metricsTestbed(t)
	s := tb.s
	want := func(name string, labels map[string]string, v float64) {
		t.Helper()
		got, ok := sample(t, s, name, labels)
		if !ok || got != v {
			t.Errorf("%s%v = %v (present %v), want %v", name, labels, got, ok, v)
		}
	}
	app200 := map[string]string{"class": "app", "code": "200"}
	for _, st := range []step{ready(101), ready(102), beatDelta(101, 5, 100<<20), beatDelta(102, 2, 200<<20)} {
		st(tb)
	}
	want("drover_http_requests_total", app200, 7)
	want("drover_http_response_bytes_total", nil, 70)
	want("drover_http_request_duration_seconds", map[string]string{"class": "app"}, 7)
	want("drover_http_requests_in_flight", nil, 2)
	want("drover_worker_rss_bytes", map[string]string{"slot": "1", "pid": "101"}, 100<<20)
	want("drover_workers", map[string]string{"state": "ready"}, 2)
	want("drover_worker_boot_seconds", nil, 2)

	// 101 retires; its replacement 103 boots, is ready, and 101 drains,
	// reports its last requests and exits.
	for _, st := range []step{retiringFor(101, "max-requests"), ready(103), beatDelta(101, 3, 100<<20), exit(101)} {
		st(tb)
	}
	want("drover_http_requests_total", app200, 10)
	want("drover_worker_restarts_total", map[string]string{"cause": "max-requests"}, 1)
	if _, ok := sample(t, s, "drover_worker_rss_bytes", map[string]string{"pid": "101"}); ok {
		t.Error("drover_worker_rss_bytes of the exited worker 101 is still exposed")
	}
	want("drover_workers", map[string]string{"state": "ready"}, 2)
	want("drover_workers", map[string]string{"state": "draining"}, 0)

	// 102 crashes; its replacement 104 serves on, the count goes on.
	for _, st := range []step{exit(102), ready(104), beatDelta(104, 4, 50<<20)} {
		st(tb)
	}
	want("drover_http_requests_total", app200, 14)
	want("drover_worker_restarts_total", map[string]string{"cause": "crash"}, 1)
	want("drover_worker_restarts_total", map[string]string{"cause": "timeout"}, 0)
	want("drover_http_requests_in_flight", nil, 1) // 104's; 103 has sent no heartbeat yet
	want("drover_worker_boot_seconds", nil, 4)

	// A reload that completes, then one abandoned.
	for _, st := range []step{hup(), ready(105), ready(106), exit(103), exit(104), hup(), exit(107)} {
		st(tb)
	}
	want("drover_reloads_total", map[string]string{"result": "ok"}, 1)
	want("drover_reloads_total", map[string]string{"result": "abandoned"}, 1)
	want("drover_worker_restarts_total", map[string]string{"cause": "crash"}, 2) // 107 ended its reload
	want("drover_http_requests_total", app200, 14)
}

// TestMetricsRefusesUnknownLabels checks that a delta naming a route
// class or a status this supervisor does not know is refused whole: a
// worker cannot make a label of anything.
func TestMetricsRefusesUnknownLabels(t *testing.T) {
	tests := []struct {
		name string
		give proto.MetricsDelta
	}{
		{name: "a path as class", give: proto.MetricsDelta{Requests: []proto.RequestCount{{Class: "app", Code: 200, N: 1}, {Class: "/users/42/", Code: 200, N: 1}}}},
		{name: "a code out of range", give: proto.MetricsDelta{Requests: []proto.RequestCount{{Class: "app", Code: 1000, N: 1}}}},
		{name: "another bucket layout", give: proto.MetricsDelta{Durations: []proto.Histogram{{Class: "app", Counts: []uint64{1, 2}}}}},
		{name: "another hash wait layout", give: proto.MetricsDelta{HashWait: &proto.Histogram{Counts: []uint64{1}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newSupervisorMetrics()
			if err := m.fold(&tt.give); err == nil {
				t.Errorf("fold(%+v) = nil, want an error", tt.give)
			}
			if n := len(m.totals.requests); n != 0 {
				t.Errorf("fold(%+v) counted %d series, want none", tt.give, n)
			}
		})
	}
}

func TestRestartCause(t *testing.T) {
	tests := []struct {
		name         string
		giveFate     fate
		giveWhy      reason
		giveRetired  string
		giveStopping bool
		want         string
	}{
		{name: "died serving", giveFate: fateServing, want: "crash"},
		{name: "died retiring", giveFate: fateRetiring, giveWhy: whyRetiring, giveRetired: "max-rss", want: "crash"},
		{name: "replaced after max-requests", giveFate: fateDraining, giveWhy: whyReplaced, giveRetired: "max-requests", want: "max-requests"},
		{name: "replaced after max-rss", giveFate: fateDraining, giveWhy: whyReplaced, giveRetired: "max-rss", want: "max-rss"},
		{name: "replaced after a request timeout", giveFate: fateDraining, giveWhy: whyReplaced, giveRetired: "request-timeout", want: "request-timeout"},
		{name: "replaced for a reason unknown", giveFate: fateDraining, giveWhy: whyReplaced, giveRetired: "/etc/passwd", want: "max-requests"},
		{name: "no heartbeat", giveFate: fateKilled, giveWhy: whyHeartbeat, want: "timeout"},
		{name: "boot timeout", giveFate: fateKilled, giveWhy: whyBootTimeout, want: "timeout"},
		{name: "max-rss-hard", giveFate: fateKilled, giveWhy: whyMaxRSSHard, want: "max-rss-hard"},
		{name: "abandoned reload", giveFate: fateKilled, giveWhy: whyAbandoned, want: ""},
		{name: "reloaded", giveFate: fateDraining, giveWhy: whyReloaded, want: ""},
		{name: "scaled down", giveFate: fateDraining, giveWhy: whyScaledDown, want: ""},
		{name: "stopping", giveFate: fateServing, giveStopping: true, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &worker{fate: tt.giveFate, why: tt.giveWhy, retiredFor: tt.giveRetired}
			if got := restartCause(w, tt.giveStopping); got != tt.want {
				t.Errorf("restartCause(%s, %q, %q, stopping %v) = %q, want %q", tt.giveFate, tt.giveWhy, tt.giveRetired, tt.giveStopping, got, tt.want)
			}
		})
	}
}

// TestAdminListener serves /metrics in Prometheus' text format and 404
// for the paths neither it nor the status page serves; an address in use
// fails naming --metrics-bind.
func TestAdminListener(t *testing.T) {
	m := newSupervisorMetrics()
	_ = m.fold(&proto.MetricsDelta{Requests: []proto.RequestCount{{Class: "api", Code: 401, N: 3}}})
	h := adminHandler(m, nil, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `drover_http_requests_total{class="api",code="401"} 3`) {
		t.Errorf("GET /metrics = %d %q, want 200 with the requests counted", rec.Code, rec.Body)
	}
	for _, path := range []string{"/index.html", "/metrics/x", "/status.json/x", "/debug/pprof/"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, rec.Code)
		}
	}
}
