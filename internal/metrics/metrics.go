package metrics

import (
	"sync/atomic"
	"time"

	"github.com/drover/drover/internal/proto"
)

// Class is a request's route class: a small fixed set, never a path, so
// that a label made of it stays bounded.
type Class uint8

// Route classes.
const (
	// ClassApp is every request the others are not.
	ClassApp Class = iota
	// ClassAPI is the token endpoints.
	ClassAPI
	// ClassHealth is /healthz.
	ClassHealth

	numClasses
)

// String is the class's label value: "app", "api" or "health".
func (c Class) String() string {
	if c >= numClasses {
		return "app"
	}
	return [...]string{"app", "api", "health"}[c]
}

// ParseClass reads a class's label value; ok is false for any other.
func ParseClass(s string) (c Class, ok bool) {
	for c := range numClasses {
		if c.String() == s {
			return c, true
		}
	}
	return ClassApp, false
}

// Classes are every route class, in order.
func Classes() []Class { return []Class{ClassApp, ClassAPI, ClassHealth} }

// MaxStatus is the highest status code net/http lets a handler write;
// the recorder counts codes 0 (no response) to MaxStatus, and folds any
// other into 0.
const MaxStatus = 999

// DurationBuckets are the upper bounds, in seconds, of the request
// duration histogram: Prometheus' default buckets with five below them,
// from 100 µs, where a Go handler's answers are (with the defaults alone,
// every request under 5 ms would fall in the first bucket, and a p50 read
// from them would say 2.5 ms whatever the requests took). Worker and
// supervisor both use them; a delta with another number of buckets is
// refused.
func DurationBuckets() []float64 {
	return []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
}

// HashWaitBuckets are the upper bounds, in seconds, of the password-hash
// queue wait histogram.
func HashWaitBuckets() []float64 {
	return []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
}

// Recorder counts what one worker serves. Its methods are safe for
// concurrent use and never block, lock or allocate; Delta drains it.
type Recorder struct {
	requests      [numClasses][MaxStatus + 1]atomic.Uint64
	durations     [numClasses]histogram
	responseBytes atomic.Uint64
	loginsOK      atomic.Uint64
	loginsFailed  atomic.Uint64
	rotations     atomic.Uint64
	reuses        atomic.Uint64
	hashWait      histogram
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder {
	r := &Recorder{}
	for c := range r.durations {
		r.durations[c] = newHistogram(DurationBuckets())
	}
	r.hashWait = newHistogram(HashWaitBuckets())
	return r
}

// RecordRequest counts one finished request of class c that got status
// code (0 when no response was sent), with bytes of response body, that
// took d.
func (r *Recorder) RecordRequest(c Class, code int, bytes int64, d time.Duration) {
	if c >= numClasses {
		c = ClassApp
	}
	if code < 0 || code > MaxStatus {
		code = 0
	}
	r.requests[c][code].Add(1)
	r.durations[c].observe(d)
	if bytes > 0 {
		r.responseBytes.Add(uint64(bytes))
	}
}

// RecordLogin counts a login that issued tokens (ok) or did not.
func (r *Recorder) RecordLogin(ok bool) {
	if ok {
		r.loginsOK.Add(1)
		return
	}
	r.loginsFailed.Add(1)
}

// RecordRefreshRotation counts a refresh token rotated.
func (r *Recorder) RecordRefreshRotation() { r.rotations.Add(1) }

// RecordRefreshReuse counts a rotated refresh token presented again past
// its reuse grace.
func (r *Recorder) RecordRefreshReuse() { r.reuses.Add(1) }

// RecordHashWait records how long a password hash waited for a slot.
func (r *Recorder) RecordHashWait(d time.Duration) { r.hashWait.observe(d) }

// Delta drains what was recorded since the previous Delta into a delta
// for a heartbeat; nil when nothing was. Each count goes into exactly one
// delta, even while requests are being recorded or two goroutines drain
// at once (the heartbeat and the last report after the drain): a count
// is swapped out, never read and then cleared.
func (r *Recorder) Delta() *proto.MetricsDelta {
	d := &proto.MetricsDelta{}
	for c := range numClasses {
		for code := range r.requests[c] {
			if n := r.requests[c][code].Swap(0); n > 0 {
				d.Requests = append(d.Requests, proto.RequestCount{Class: c.String(), Code: code, N: n})
			}
		}
		if h, ok := r.durations[c].drain(); ok {
			h.Class = c.String()
			d.Durations = append(d.Durations, h)
		}
	}
	d.ResponseBytes = r.responseBytes.Swap(0)
	d.LoginsOK = r.loginsOK.Swap(0)
	d.LoginsFailed = r.loginsFailed.Swap(0)
	d.RefreshRotations = r.rotations.Swap(0)
	d.RefreshReuses = r.reuses.Swap(0)
	if h, ok := r.hashWait.drain(); ok {
		d.HashWait = &h
	}
	empty := len(d.Requests) == 0 && len(d.Durations) == 0 && d.ResponseBytes == 0 && d.LoginsOK == 0 &&
		d.LoginsFailed == 0 && d.RefreshRotations == 0 && d.RefreshReuses == 0 && d.HashWait == nil
	if empty {
		return nil
	}
	return d
}

// histogram is a lock-free histogram of durations: a count per bucket
// (not cumulative) and the sum in nanoseconds.
type histogram struct {
	bounds []time.Duration
	counts []atomic.Uint64 // len(bounds)+1: the last is above every bound
	sum    atomic.Uint64   // nanoseconds
}

func newHistogram(seconds []float64) histogram {
	bounds := make([]time.Duration, len(seconds))
	for i, s := range seconds {
		bounds[i] = time.Duration(s * float64(time.Second))
	}
	return histogram{bounds: bounds, counts: make([]atomic.Uint64, len(bounds)+1)}
}

// observe counts d in the first bucket whose bound it does not exceed,
// as Prometheus' "le" buckets do. The sum is added before the count, so
// a drain (which swaps the counts first) that sees the count sees its
// sum too.
func (h *histogram) observe(d time.Duration) {
	i := 0
	for i < len(h.bounds) && d > h.bounds[i] {
		i++
	}
	if d > 0 {
		h.sum.Add(uint64(d))
	}
	h.counts[i].Add(1)
}

// drain swaps the histogram's counts out; ok is false when it observed
// nothing since the last drain.
func (h *histogram) drain() (proto.Histogram, bool) {
	var out proto.Histogram
	seen := false
	for i := range h.counts {
		n := h.counts[i].Swap(0)
		if n > 0 && !seen {
			seen = true
			out.Counts = make([]uint64, len(h.counts))
		}
		if seen {
			out.Counts[i] = n
		}
	}
	sum := h.sum.Swap(0)
	if !seen {
		// A sum without a count is an observation caught between its
		// sum and its count: carry it to the drain that gets the count.
		if sum > 0 {
			h.sum.Add(sum)
		}
		return out, false
	}
	out.SumNanos = sum
	return out, true
}
