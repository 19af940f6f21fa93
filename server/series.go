package server

import (
	"math"
	"time"

	"github.com/drover/drover/internal/metrics"
)

// The status page's series: a sample of the totals a second, five
// minutes of them.
const (
	// sampleEvery is how often a sample is taken.
	sampleEvery = time.Second
	// seriesSamples is how many samples the ring keeps: 300 intervals.
	seriesSamples = 301
	// rateSamples is how many intervals a point's rate and latency span.
	// The workers report once a second (worker.heartbeatInterval), as
	// the samples are taken: over one interval a rate would show which
	// intervals a heartbeat fell in (0, then twice the load), not the load.
	rateSamples = 5
)

// seriesClasses are the route classes the series counts: the program's
// requests, /healthz left out (a load balancer's probes are not load, and
// their microseconds would pull the percentiles down).
func seriesClasses() []metrics.Class { return []metrics.Class{metrics.ClassApp, metrics.ClassAPI} }

// seriesSample is the totals of seriesClasses at one moment: their duration
// histograms summed, counts per bucket (metrics.DurationBuckets, +Inf
// last), not cumulative. The requests are the counts' sum.
type seriesSample struct {
	at     time.Time
	sum    uint64 // nanoseconds
	counts []uint64
}

func (s seriesSample) requests() uint64 {
	var n uint64
	for _, c := range s.counts {
		n += c
	}
	return n
}

// ring is a fixed ring of samples: once full, each new one overwrites
// the oldest.
type ring struct {
	buf  []seriesSample
	next int // where the next sample goes
	full bool
}

func newRing(n int) *ring { return &ring{buf: make([]seriesSample, n)} }

// add copies s into the ring, reusing the overwritten sample's counts.
func (r *ring) add(s seriesSample) {
	slot := &r.buf[r.next]
	slot.at, slot.sum = s.at, s.sum
	slot.counts = append(slot.counts[:0], s.counts...)
	r.next++
	if r.next == len(r.buf) {
		r.next, r.full = 0, true
	}
}

// ordered is the samples, oldest first, sharing their counts with the
// ring: read them under the same lock as add.
func (r *ring) ordered() []seriesSample {
	if !r.full {
		return append([]seriesSample(nil), r.buf[:r.next]...)
	}
	out := make([]seriesSample, 0, len(r.buf))
	out = append(out, r.buf[r.next:]...)
	return append(out, r.buf[:r.next]...)
}

// sampler takes the samples, in the supervisor's loop (observeTable),
// where the totals and the table agree. Its zero value is ready: the ring
// is made at the first sample.
type sampler struct {
	ring *ring
	due  time.Time
}

// observe takes a sample of t at now when one is due: a second after the
// previous one, on the previous one's cadence.
func (sp *sampler) observe(now time.Time, t *totals) {
	if !sp.due.IsZero() && now.Before(sp.due) {
		return
	}
	sp.take(now, t)
	sp.due = sp.due.Add(sampleEvery)
	if !sp.due.After(now) { // the first sample, or the loop was held up
		sp.due = now.Add(sampleEvery)
	}
}

// take adds t's sample at now to the ring.
func (sp *sampler) take(now time.Time, t *totals) {
	if sp.ring == nil {
		sp.ring = newRing(seriesSamples)
	}
	s := seriesSample{at: now, counts: make([]uint64, len(metrics.DurationBuckets())+1)}
	for _, c := range seriesClasses() {
		h := &t.durations[c]
		for i, n := range h.counts {
			s.counts[i] += n
		}
		s.sum += h.sum
	}
	sp.ring.add(s)
}

// series is the series as /status.json gives it (see statusPage).
func (sp *sampler) series() series {
	out := series{
		IntervalS:   sampleEvery.Seconds(),
		RateWindowS: (sampleEvery * rateSamples).Seconds(),
		WindowS:     (sampleEvery * (seriesSamples - 1)).Seconds(),
		Points:      []seriesPoint{},
	}
	for _, c := range seriesClasses() {
		out.Classes = append(out.Classes, c.String())
	}
	if sp.ring != nil {
		out.Points = points(sp.ring.ordered(), metrics.DurationBuckets(), rateSamples)
	}
	return out
}

// series is the throughput and latency of the last minutes, one point
// per interval between successive samples.
type series struct {
	// IntervalS is the time between samples; WindowS the span the ring
	// holds, both in seconds.
	IntervalS float64 `json:"interval_s"`
	WindowS   float64 `json:"window_s"`
	// RateWindowS is the span of each point's rate and latency, in
	// seconds.
	RateWindowS float64 `json:"rate_window_s"`
	// Classes are the route classes counted.
	Classes []string `json:"classes"`
	// Points are oldest first.
	Points []seriesPoint `json:"points"`
}

// seriesPoint is one interval: the requests finished in it, and over the
// rate window ending with it (series.RateWindowS, shorter at the ring's
// start), their rate and latency in seconds (null for a window without
// requests). The percentiles are estimated from the histogram's buckets
// as Prometheus' histogram_quantile does: linear within a bucket, and the
// highest finite bound for what is above it.
type seriesPoint struct {
	// T is the interval's end.
	T time.Time `json:"t"`
	// Requests finished in the interval, as the heartbeats reported them.
	Requests     uint64   `json:"requests"`
	RequestsPerS float64  `json:"requests_per_s"`
	MeanS        *float64 `json:"mean_s"`
	P50S         *float64 `json:"p50_s"`
	P99S         *float64 `json:"p99_s"`
}

// points are the intervals between successive samples, each with its
// rate and latency over the span of up to window intervals ending with
// it. The totals only ever grow (they are sums of deltas, kept across
// worker replacement), so a later sample's counts are never below an
// earlier one's: there is no counter reset to detect.
func points(samples []seriesSample, bounds []float64, window int) []seriesPoint {
	if len(samples) < 2 {
		return []seriesPoint{}
	}
	out := make([]seriesPoint, 0, len(samples)-1)
	delta := make([]uint64, len(bounds)+1)
	for i := 1; i < len(samples); i++ {
		prev, cur := samples[max(0, i-window)], samples[i]
		var n uint64
		for b := range delta {
			delta[b] = cur.counts[b] - prev.counts[b]
			n += delta[b]
		}
		p := seriesPoint{T: cur.at.UTC(), Requests: cur.requests() - samples[i-1].requests()}
		if dt := cur.at.Sub(prev.at).Seconds(); dt > 0 {
			p.RequestsPerS = round(float64(n)/dt, 1e3)
		}
		if n > 0 {
			p.MeanS = ptr(round(time.Duration(cur.sum-prev.sum).Seconds()/float64(n), 1e6))
			p.P50S = ptr(round(quantile(0.5, delta, n, bounds), 1e6))
			p.P99S = ptr(round(quantile(0.99, delta, n, bounds), 1e6))
		}
		out = append(out, p)
	}
	return out
}

// quantile estimates the q-quantile of n observations counted per bucket
// (counts, non-cumulative, +Inf last; bounds their finite upper bounds,
// the first bucket's lower bound 0).
func quantile(q float64, counts []uint64, n uint64, bounds []float64) float64 {
	rank := q * float64(n)
	var below uint64
	for i, c := range counts {
		if c == 0 || float64(below+c) < rank {
			below += c
			continue
		}
		if i == len(bounds) { // the +Inf bucket
			return bounds[len(bounds)-1]
		}
		lower := 0.0
		if i > 0 {
			lower = bounds[i-1]
		}
		return lower + (bounds[i]-lower)*(rank-float64(below))/float64(c)
	}
	return bounds[len(bounds)-1]
}

// round is x to 1/per.
func round(x, per float64) float64 { return math.Round(x*per) / per }

func ptr(x float64) *float64 { return &x }

// statusSeries is the status page's series, read under the lock.
func (m *supervisorMetrics) statusSeries() series {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.series.series()
}
