package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/drover/drover/internal/control"
	"github.com/drover/drover/internal/metrics"
	"github.com/drover/drover/internal/proto"
)

// TestRing keeps the latest samples, oldest first, through wrapping.
func TestRing(t *testing.T) {
	tests := []struct {
		name    string
		giveAdd int
		want    []int // the seconds of the samples kept
	}{
		{name: "empty", giveAdd: 0, want: []int{}},
		{name: "part full", giveAdd: 2, want: []int{0, 1}},
		{name: "full", giveAdd: 4, want: []int{0, 1, 2, 3}},
		{name: "wrapped once", giveAdd: 5, want: []int{1, 2, 3, 4}},
		{name: "wrapped twice over", giveAdd: 11, want: []int{7, 8, 9, 10}},
	}
	base := time.Unix(1_700_000_000, 0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRing(4)
			for i := range tt.giveAdd {
				r.add(seriesSample{at: base.Add(time.Duration(i) * time.Second), counts: []uint64{uint64(i)}})
			}
			got := []int{}
			for _, s := range r.ordered() {
				sec := int(s.at.Sub(base) / time.Second)
				if s.counts[0] != uint64(sec) {
					t.Errorf("sample at %ds has counts %v, want [%d]", sec, s.counts, sec)
				}
				got = append(got, sec)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("after %d adds, ordered() = %v, want %v", tt.giveAdd, got, tt.want)
			}
		})
	}
}

// durations is a delta of n requests of class, each taking d.
func durations(class metrics.Class, n uint64, d time.Duration) *proto.MetricsDelta {
	h := proto.Histogram{Class: class.String(), Counts: make([]uint64, len(metrics.DurationBuckets())+1), SumNanos: n * uint64(d)}
	i, _ := slices.BinarySearch(metrics.DurationBuckets(), d.Seconds())
	h.Counts[i] = n
	return &proto.MetricsDelta{Durations: []proto.Histogram{h}}
}

// TestSeriesPoints: each point is the difference of two samples over the
// time between them: the requests of its interval, and the rate, mean and
// percentiles of the window ending with it; a window without requests has
// no latency; what is above every bound reads as the top bound.
func TestSeriesPoints(t *testing.T) {
	bounds := []float64{0.005, 0.05}
	base := time.Unix(1_700_000_000, 0)
	at := func(s float64) time.Time { return base.Add(time.Duration(s * float64(time.Second))) }
	// 20 requests of 3 ms and 10 of 30 ms by 1s, none more by 3s, 5 of 20 s by 3.5s.
	samples := []seriesSample{
		{at: at(0), counts: []uint64{0, 0, 0}},
		{at: at(1), counts: []uint64{20, 10, 0}, sum: uint64(360 * time.Millisecond)},
		{at: at(3), counts: []uint64{20, 10, 0}, sum: uint64(360 * time.Millisecond)},
		{at: at(3.5), counts: []uint64{20, 10, 5}, sum: uint64(360*time.Millisecond + 100*time.Second)},
	}
	f := func(x float64) *float64 { return &x }
	// p50: rank 15 of 30, in the 20 of (0, 5ms]: 15/20 of 5ms; p99: rank
	// 29.7, in the 10 of (5ms, 50ms]: 5ms + 9.7/10 of 45ms.
	checkPoints(t, points(samples, bounds, 1), []seriesPoint{
		{T: at(1).UTC(), Requests: 30, RequestsPerS: 30, MeanS: f(0.012), P50S: f(0.00375), P99S: f(0.04865)},
		{T: at(3).UTC(), Requests: 0, RequestsPerS: 0},
		{T: at(3.5).UTC(), Requests: 5, RequestsPerS: 10, MeanS: f(20), P50S: f(0.05), P99S: f(0.05)},
	})
	// Over two intervals, the last two points are of (0, 3s] and (1s, 3.5s].
	checkPoints(t, points(samples, bounds, 2), []seriesPoint{
		{T: at(1).UTC(), Requests: 30, RequestsPerS: 30, MeanS: f(0.012), P50S: f(0.00375), P99S: f(0.04865)},
		{T: at(3).UTC(), Requests: 0, RequestsPerS: 10, MeanS: f(0.012), P50S: f(0.00375), P99S: f(0.04865)},
		{T: at(3.5).UTC(), Requests: 5, RequestsPerS: 2, MeanS: f(20), P50S: f(0.05), P99S: f(0.05)},
	})
}

// TestSeriesFromTotals: the series the page gets is sampled from the
// totals the workers' deltas add up to, app and api alone (/healthz left
// out), whatever the bucket layout.
func TestSeriesFromTotals(t *testing.T) {
	m := newSupervisorMetrics()
	base := time.Unix(1_700_000_000, 0)
	at := func(s float64) time.Time { return base.Add(time.Duration(s * float64(time.Second))) }
	m.series.take(at(0), &m.totals)
	m.series.take(at(1), &m.totals)
	if p := m.statusSeries().Points; len(p) != 1 || p[0].Requests != 0 || p[0].MeanS != nil || p[0].P50S != nil || p[0].P99S != nil {
		t.Errorf("a second without requests = %+v, want no requests and no latency", p)
	}
	for _, d := range []*proto.MetricsDelta{
		durations(metrics.ClassApp, 20, 3*time.Millisecond),
		durations(metrics.ClassAPI, 10, 30*time.Millisecond),
		durations(metrics.ClassHealth, 500, time.Microsecond),
	} {
		if err := m.fold(d); err != nil {
			t.Fatal(err)
		}
	}
	m.series.take(at(2), &m.totals)

	got := m.statusSeries()
	if got.IntervalS != 1 || got.WindowS != 300 || got.RateWindowS != 5 || !slices.Equal(got.Classes, []string{"app", "api"}) {
		t.Errorf("series = interval %v window %v rate window %v classes %v, want 1, 300, 5, [app api]",
			got.IntervalS, got.WindowS, got.RateWindowS, got.Classes)
	}
	p := got.Points[len(got.Points)-1]
	if p.Requests != 30 || p.RequestsPerS != 15 || p.MeanS == nil || *p.MeanS != 0.012 {
		t.Fatalf("point = %s, want 30 requests, 15/s over the 2 s, mean 0.012", show(p))
	}
	bucket := func(d time.Duration) (lower, upper float64) {
		b := metrics.DurationBuckets()
		i, _ := slices.BinarySearch(b, d.Seconds())
		if i > 0 {
			lower = b[i-1]
		}
		return lower, b[i]
	}
	if lo, hi := bucket(3 * time.Millisecond); *p.P50S < lo || *p.P50S > hi {
		t.Errorf("p50 = %v, want in the 3ms requests' bucket (%v, %v]", *p.P50S, lo, hi)
	}
	if lo, hi := bucket(30 * time.Millisecond); *p.P99S < lo || *p.P99S > hi {
		t.Errorf("p99 = %v, want in the 30ms requests' bucket (%v, %v]", *p.P99S, lo, hi)
	}
}

func checkPoints(t *testing.T, got, want []seriesPoint) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("points = %+v, want %d", got, len(want))
	}
	for i, p := range got {
		if show(p) != show(want[i]) {
			t.Errorf("point %d = %s, want %s", i, show(p), show(want[i]))
		}
	}
}

func show(p seriesPoint) string {
	b, _ := json.Marshal(p)
	return string(b)
}

// TestSeriesMonotonic: whatever the workers' deltas, the points add up
// to the requests folded, each one from the totals' growth between two
// samples and its rate over the rate window, across the ring's wrapping:
// totals never go back, so a point can never see a reset.
func TestSeriesMonotonic(t *testing.T) {
	m := newSupervisorMetrics()
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Unix(1_700_000_000, 0)
	var folded []uint64 // requests folded before each sample
	var total uint64
	for i := range seriesSamples + 50 {
		for range rng.IntN(4) {
			n := rng.Uint64N(1000)
			total += n
			_ = m.fold(durations(metrics.ClassApp, n, time.Duration(rng.Int64N(int64(2*time.Second)))))
		}
		m.series.take(base.Add(time.Duration(i)*time.Second), &m.totals)
		folded = append(folded, total)
	}
	points := m.statusSeries().Points
	if len(points) != seriesSamples-1 {
		t.Fatalf("%d points, want %d", len(points), seriesSamples-1)
	}
	first := len(folded) - seriesSamples
	var sum uint64
	for i, p := range points {
		want := folded[first+i+1] - folded[first+i]
		k := min(i+1, rateSamples)
		wantRate := round(float64(folded[first+i+1]-folded[first+i+1-k])/float64(k), 1e3)
		if p.Requests != want || p.RequestsPerS != wantRate {
			t.Errorf("point %d = %d requests, %v/s, want %d, %v/s", i, p.Requests, p.RequestsPerS, want, wantRate)
		}
		if p.P50S != nil && (*p.P50S < 0 || *p.P50S > *p.P99S) {
			t.Errorf("point %d: p50 %v, p99 %v", i, *p.P50S, *p.P99S)
		}
		sum += p.Requests
	}
	if want := folded[len(folded)-1] - folded[first]; sum != want {
		t.Errorf("the points sum to %d requests, want %d", sum, want)
	}
}

// TestSamplerCadence: observed every tick, the sampler takes one sample
// a second, and catches up without bunching after a stall.
func TestSamplerCadence(t *testing.T) {
	var sp sampler
	var tt totals
	for c := range tt.durations {
		tt.durations[c].counts = make([]uint64, len(metrics.DurationBuckets())+1)
	}
	base := time.Unix(1_700_000_000, 0)
	for ms := 0; ms <= 3000; ms += 100 {
		sp.observe(base.Add(time.Duration(ms)*time.Millisecond), &tt)
	}
	sp.observe(base.Add(10*time.Second), &tt) // a stall
	sp.observe(base.Add(10*time.Second+500*time.Millisecond), &tt)
	sp.observe(base.Add(11*time.Second), &tt)
	var got []time.Duration
	for _, s := range sp.ring.ordered() {
		got = append(got, s.at.Sub(base))
	}
	want := []time.Duration{0, time.Second, 2 * time.Second, 3 * time.Second, 10 * time.Second, 11 * time.Second}
	if !slices.Equal(got, want) {
		t.Errorf("samples at %v, want %v", got, want)
	}
}

// TestQuantile estimates within the bucket, as histogram_quantile does.
func TestQuantile(t *testing.T) {
	bounds := []float64{1, 2, 4}
	tests := []struct {
		name       string
		giveQ      float64
		giveCounts []uint64
		want       float64
	}{
		{name: "first bucket", giveQ: 0.5, giveCounts: []uint64{10, 0, 0, 0}, want: 0.5},
		{name: "middle bucket", giveQ: 0.5, giveCounts: []uint64{2, 4, 4, 0}, want: 1.75},
		{name: "the top of a bucket", giveQ: 0.2, giveCounts: []uint64{2, 4, 4, 0}, want: 1},
		{name: "above every bound", giveQ: 0.99, giveCounts: []uint64{1, 0, 0, 9}, want: 4},
		{name: "empty buckets skipped", giveQ: 0.9, giveCounts: []uint64{5, 0, 5, 0}, want: 3.6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n uint64
			for _, c := range tt.giveCounts {
				n += c
			}
			if got := quantile(tt.giveQ, tt.giveCounts, n, bounds); got != tt.want {
				t.Errorf("quantile(%v, %v) = %v, want %v", tt.giveQ, tt.giveCounts, got, tt.want)
			}
		})
	}
}

func testStatus() (*control.Status, error) {
	return &control.Status{
		PID: 42, Name: "drover", Version: "(devel)", Generation: 1, Desired: 2, Ready: 2,
		Workers: []control.Worker{
			{Slot: 1, PID: 100, Generation: 1, State: control.StateReady, Requests: 7},
			{Slot: 2, PID: 101, Generation: 1, State: control.StateBooting,
				LastExit: &control.Exit{Status: "killed by SIGKILL", Reason: "<script>alert(1)</script>"}},
		},
	}, nil
}

// TestStatusJSON answers the status and the series, typed, never cached;
// 503 when the loop does not answer.
func TestStatusJSON(t *testing.T) {
	m := newSupervisorMetrics()
	m.series.take(time.Unix(1_700_000_000, 0), &m.totals)
	_ = m.fold(durations(metrics.ClassApp, 4, time.Millisecond))
	m.series.take(time.Unix(1_700_000_001, 0), &m.totals)

	rec := httptest.NewRecorder()
	adminHandler(m, testStatus, nil).ServeHTTP(rec, httptest.NewRequest("GET", "/status.json", nil))
	h := rec.Header()
	if rec.Code != http.StatusOK || h.Get("Content-Type") != "application/json" || h.Get("Cache-Control") != "no-store" ||
		h.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("GET /status.json = %d %v, want 200, application/json, no-store, nosniff", rec.Code, h)
	}
	var page struct {
		Status struct {
			PID     *int `json:"pid"`
			Ready   *int `json:"ready"`
			Desired *int `json:"desired"`
			Workers []map[string]any
		}
		Series struct {
			IntervalS *float64 `json:"interval_s"`
			Points    []map[string]any
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
		t.Fatalf("GET /status.json: %v\n%s", err, rec.Body)
	}
	if page.Status.PID == nil || *page.Status.PID != 42 || page.Status.Ready == nil || page.Status.Desired == nil ||
		len(page.Status.Workers) != 2 || page.Series.IntervalS == nil || len(page.Series.Points) != 1 {
		t.Fatalf("GET /status.json = %s, want the status and one point", rec.Body)
	}
	for _, key := range []string{"slot", "pid", "generation", "state", "age_s", "requests", "in_flight", "rss", "restarts"} {
		if _, ok := page.Status.Workers[0][key]; !ok {
			t.Errorf("worker without %q: %v", key, page.Status.Workers[0])
		}
	}
	for _, key := range []string{"t", "requests", "requests_per_s", "mean_s", "p50_s", "p99_s"} {
		if _, ok := page.Series.Points[0][key]; !ok {
			t.Errorf("point without %q: %v", key, page.Series.Points[0])
		}
	}

	busy := func() (*control.Status, error) { return nil, errors.New("the supervisor did not answer within 2s") }
	rec = httptest.NewRecorder()
	adminHandler(m, busy, nil).ServeHTTP(rec, httptest.NewRequest("GET", "/status.json", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "did not answer") {
		t.Errorf("GET /status.json with the loop busy = %d %q, want 503 saying why", rec.Code, rec.Body)
	}
}

// TestStatusPage serves the page and what it loads, under a policy that
// allows only the page's own script, style and JSON; the page references
// nothing of another origin and has no inline script or style.
func TestStatusPage(t *testing.T) {
	h := adminHandler(newSupervisorMetrics(), testStatus, nil)
	get := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec
	}
	rec := get("/")
	csp := rec.Header().Get("Content-Security-Policy")
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") ||
		rec.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("GET / = %d %v, want 200 text/html, nosniff", rec.Code, rec.Header())
	}
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q, want %s", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe") {
		t.Errorf("Content-Security-Policy %q allows unsafe sources", csp)
	}
	page := rec.Body.String()
	refs := regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(page, -1)
	if len(refs) < 3 {
		t.Errorf("the page references %v, want its script, style and JSON", refs)
	}
	for _, ref := range refs {
		if u := ref[1]; strings.Contains(u, ":") || strings.HasPrefix(u, "//") {
			t.Errorf("the page references %q, not of its own origin", u)
		}
	}
	if regexp.MustCompile(`<script[^>]*>[^<]+</script>|<style|\sstyle=|\son[a-z]+=`).MatchString(page) {
		t.Errorf("the page has inline script or style, which its policy refuses:\n%s", page)
	}
	for _, f := range []struct{ path, contentType string }{
		{"/status.js", "text/javascript"},
		{"/status.css", "text/css"},
	} {
		rec := get(f.path)
		if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), f.contentType) ||
			rec.Header().Get("Content-Security-Policy") == "" || rec.Body.Len() == 0 {
			t.Errorf("GET %s = %d %v, want 200 %s under the policy", f.path, rec.Code, rec.Header(), f.contentType)
		}
	}
	if js := get("/status.js").Body.String(); strings.Contains(js, "innerHTML") || strings.Contains(js, "insertAdjacentHTML") {
		t.Errorf("status.js writes markup; data must go in as text")
	}
}

// TestAdminAsksTheLoop: /status.json's status is the loop's answer to a
// quiet status request; a loop that does not take it makes a 503 within
// adminStatus; closing the admin ends a request still waiting on it.
func TestAdminAsksTheLoop(t *testing.T) {
	s := &Supervisor{controls: make(chan controlRequest), metrics: newSupervisorMetrics(), log: zap.NewNop()}
	sock := filepath.Join(t.TempDir(), "admin.sock")
	adm, err := s.startAdmin("unix:" + sock)
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			adm.close()
		}
	}()
	c := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}}}
	defer c.CloseIdleConnections()
	get := func() (int, string, error) {
		resp, err := c.Get("http://admin/status.json")
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body), err
	}

	loop := make(chan controlRequest, 1)
	go func() {
		r := <-s.controls
		loop <- r
		r.answer(control.Response{OK: true, Status: &control.Status{PID: 7, Workers: []control.Worker{}}})
	}()
	code, body, err := get()
	if r := <-loop; r.req.Cmd != control.CmdStatus || !r.quiet {
		t.Errorf("the loop was asked %+v, want a quiet status", r)
	}
	if err != nil || code != http.StatusOK || !strings.Contains(body, `"pid":7`) {
		t.Errorf("GET /status.json = %d %q %v, want 200 with the loop's status", code, body, err)
	}

	start := time.Now()
	code, body, err = get()
	if err != nil || code != http.StatusServiceUnavailable || !strings.Contains(body, "did not take the request") {
		t.Errorf("GET /status.json with no loop = %d %q %v, want 503", code, body, err)
	}
	if d := time.Since(start); d < adminStatus || d > adminStatus+time.Second {
		t.Errorf("the 503 came after %s, want %s", d, adminStatus)
	}

	// The loop takes a request and is gone before it answers (Run
	// returning): close ends the request, with a 503 or the connection.
	go func() { loop <- <-s.controls }()
	waiting := make(chan string, 1)
	go func() {
		code, body, err := get()
		waiting <- fmt.Sprint(code, body, err)
	}()
	<-loop
	start = time.Now()
	adm.close()
	closed = true
	if got := <-waiting; !strings.HasPrefix(got, "503") && !strings.HasPrefix(got, "0") {
		t.Errorf("a request waiting on the loop got %q after close, want a 503 or no answer", got)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("close took %s with a request waiting on the loop", d)
	}
}
