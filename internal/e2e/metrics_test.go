package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape is one read of /metrics: its text and its samples by series
// ("name{label=value,…}", the labels sorted), counters and histograms'
// _count and _sum alone.
type scrape struct {
	text     string
	counters map[string]float64
	families map[string]*dto.MetricFamily
}

// scrapeMetrics reads url and parses it with the client library's own
// parser, failing the test on a parse error (see lint for promtool).
func scrapeMetrics(t *testing.T, url string) scrape {
	t.Helper()
	s, err := readMetrics(url)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// readMetrics is scrapeMetrics for any goroutine: it returns its error.
func readMetrics(url string) (scrape, error) {
	resp, err := http.Get(url)
	if err != nil {
		return scrape{}, fmt.Errorf("scrape %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return scrape{}, fmt.Errorf("scrape %s: %d %v", url, resp.StatusCode, err)
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		return scrape{}, fmt.Errorf("scrape %s: the exposition does not parse: %w\n%s", url, err, body)
	}
	s := scrape{text: string(body), counters: make(map[string]float64), families: families}
	for name, f := range families {
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			series := name + "{" + strings.Join(labels, ",") + "}"
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				s.counters[series] = m.GetCounter().GetValue()
			case dto.MetricType_HISTOGRAM:
				s.counters[series+"_count"] = float64(m.GetHistogram().GetSampleCount())
				s.counters[series+"_sum"] = m.GetHistogram().GetSampleSum()
			}
		}
	}
	return s, nil
}

// lint runs `promtool check metrics` on the text, if promtool is there.
func (s scrape) lint(t *testing.T) {
	t.Helper()
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Log("promtool is not on PATH (Debian's prometheus package): the client library's parser alone checked the exposition")
		return
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(s.text)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// requests sums drover_http_requests_total over the series whose class
// is not "health" (the harness's own probes), by class.
func (s scrape) requests() (total float64, byClass map[string]float64) {
	byClass = make(map[string]float64)
	for _, m := range s.families["drover_http_requests_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "class" && l.GetValue() != "health" {
				total += m.GetCounter().GetValue()
				byClass[l.GetValue()] += m.GetCounter().GetValue()
			}
		}
	}
	return total, byClass
}

// value is the sample of the series name{labels} ("" for none), a
// counter or a gauge; -1 when absent.
func (s scrape) value(name, labels string) float64 {
	for _, m := range s.families[name].GetMetric() {
		var got []string
		for _, l := range m.GetLabel() {
			got = append(got, l.GetName()+"="+l.GetValue())
		}
		if strings.Join(got, ",") != labels {
			continue
		}
		if c := m.GetCounter(); c != nil {
			return c.GetValue()
		}
		return m.GetGauge().GetValue()
	}
	return -1
}

// backwards lists the counters of prev that next has lower, or lost.
func backwards(prev, next scrape) []string {
	var out []string
	for series, v := range prev.counters {
		if w, ok := next.counters[series]; !ok || w < v {
			out = append(out, fmt.Sprintf("%s: %v then %v (present %v)", series, v, w, ok))
		}
	}
	return out
}

// TestMetricsAcrossRecycling: with --max-requests 50 and two workers, 300
// requests over keep-alive connections recycle the workers several times
// while /metrics (served by the supervisor) is scraped; no counter ever
// goes back, and once the last heartbeats are in, the requests counted
// are exactly the requests sent, with their classes and codes, and the
// restarts are counted as max-requests.
func TestMetricsAcrossRecycling(t *testing.T) {
	const clients, each = 4, 75 // 300 requests
	s := serve(t, droverBin, 2, nil, "--metrics-bind", "127.0.0.1:0", "--max-requests", "50", "--max-requests-jitter", "0")
	served := s.waitLog(5*time.Second, 0, 1, msgIs("serving metrics"))[0]
	addr, _ := served.fields["address"].(string)
	metricsURL := "http://" + addr + "/metrics"

	// The admin listener answers /metrics and the status page alone.
	if status, _ := get(t, client(), "http://"+addr+"/debug/pprof/"); status != http.StatusNotFound {
		t.Errorf("GET /debug/pprof/ on the admin listener = %d, want 404", status)
	}
	before := scrapeMetrics(t, metricsURL)
	before.lint(t)
	if n, _ := before.requests(); n != 0 {
		t.Fatalf("before any request, drover_http_requests_total counts %v", n)
	}

	// Scrape all along, checking each scrape against the previous one.
	stopScraping := make(chan struct{})
	var scrapes sync.WaitGroup
	var violations []string
	scrapes.Add(1)
	go func() {
		defer scrapes.Done()
		prev := before
		for {
			select {
			case <-stopScraping:
				return
			case <-time.After(50 * time.Millisecond):
			}
			next, err := readMetrics(metricsURL)
			if err != nil {
				violations = append(violations, err.Error())
				continue
			}
			violations = append(violations, backwards(prev, next)...)
			prev = next
		}
	}()

	// 300 requests: of each client's 75, every fifth a 404, every
	// fifteenth a refused login (class api, 401), the rest /hello/
	// without a token (401).
	var mu sync.Mutex
	got := map[string]int{} // "class code" → responses
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := client()
			for i := range each {
				var resp *http.Response
				var err error
				key := "app 401"
				switch {
				case i%15 == 0:
					key = "api 401"
					resp, err = c.Post(s.url+"/api/token/", "application/json", strings.NewReader(`{"username":"nobody","password":"x"}`))
				case i%5 == 0:
					key = "app 404"
					resp, err = c.Get(s.url + "/missing/")
				default:
					resp, err = c.Get(s.url + "/hello/")
				}
				if err != nil {
					t.Errorf("request %d: %v", i, err)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if got := fmt.Sprintf("%s %d", strings.Fields(key)[0], resp.StatusCode); got != key {
					t.Errorf("request %d answered %s, want %s", i, got, key)
				}
				mu.Lock()
				got[key]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	sent := clients * each

	// The last deltas arrive with the next heartbeats, and with the last
	// reports of the workers draining.
	deadline := time.Now().Add(15 * time.Second)
	var after scrape
	for {
		after = scrapeMetrics(t, metricsURL)
		n, _ := after.requests()
		restarts := after.value("drover_worker_restarts_total", "cause=max-requests")
		if (n == float64(sent) && restarts > 0) || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	close(stopScraping)
	scrapes.Wait()
	after.lint(t)

	if len(violations) > 0 {
		t.Errorf("scrapes failed or counters went backwards between them:\n%s", strings.Join(violations, "\n"))
	}
	if v := backwards(before, after); len(v) > 0 {
		t.Errorf("counters went backwards from the first scrape to the last:\n%s", strings.Join(v, "\n"))
	}
	n, byClass := after.requests()
	if n != float64(sent) {
		t.Errorf("drover_http_requests_total over the app and api classes = %v (%v), want the %d requests sent", n, byClass, sent)
	}
	for key, want := range got {
		f := strings.Fields(key)
		if v := after.value("drover_http_requests_total", "class="+f[0]+",code="+f[1]); v != float64(want) {
			t.Errorf("drover_http_requests_total{class=%q,code=%q} = %v, want %d", f[0], f[1], v, want)
		}
	}
	if v := after.value("drover_logins_total", "result=failed"); v != float64(got["api 401"]) {
		t.Errorf(`drover_logins_total{result="failed"} = %v, want %d`, v, got["api 401"])
	}
	if v := after.value("drover_worker_restarts_total", "cause=max-requests"); v < 1 {
		t.Errorf(`drover_worker_restarts_total{cause="max-requests"} = %v, want the recycled workers counted`, v)
	}
	for _, c := range []string{"crash", "timeout"} {
		if v := after.value("drover_worker_restarts_total", "cause="+c); v != 0 {
			t.Errorf("drover_worker_restarts_total{cause=%q} = %v, want 0", c, v)
		}
	}
	if v := after.counters["drover_http_request_duration_seconds{class=app}_count"] + after.counters["drover_http_request_duration_seconds{class=api}_count"]; v != float64(sent) {
		t.Errorf("drover_http_request_duration_seconds counts %v requests, want %d", v, sent)
	}
	for _, line := range []string{
		`drover_http_request_duration_seconds_bucket{class="app",le="0.005"} `,
		`drover_http_request_duration_seconds_bucket{class="app",le="+Inf"} `,
		`drover_http_request_duration_seconds_sum{class="app"} `,
		`drover_http_request_duration_seconds_count{class="app"} `,
		`drover_worker_boot_seconds_bucket{le="+Inf"} `,
		`drover_workers{state="ready"} `,
		"drover_http_requests_in_flight ",
		"drover_http_response_bytes_total ",
		"drover_worker_rss_bytes{",
		"process_resident_memory_bytes ",
		"go_goroutines ",
	} {
		if !strings.Contains(after.text, "\n"+line) {
			t.Errorf("/metrics has no line starting %q", line)
		}
	}
	if t.Failed() || testing.Verbose() {
		t.Logf("the last scrape:\n%s", after.text)
	}
}

// TestMetricsBindInUse: an admin address that cannot be bound fails the
// start with one line naming --metrics-bind, before any worker runs.
func TestMetricsBindInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	out, code := runDrover(t, "serve", "--bind", "127.0.0.1:0", "--workers", "1", "--metrics-bind", ln.Addr().String())
	want := "drover: metrics-bind: bind " + ln.Addr().String() + ": "
	if lines := strings.Split(strings.TrimSpace(out), "\n"); code != 1 || len(lines) != 1 || !strings.HasPrefix(lines[0], want) {
		t.Errorf("serve with --metrics-bind in use: exit %d, output %q; want exit 1 and one line starting %q", code, out, want)
	}
}
