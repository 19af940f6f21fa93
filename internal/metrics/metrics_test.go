package metrics_test

import (
	"reflect"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/drover/drover/internal/metrics"
	"github.com/drover/drover/internal/proto"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// counts is a histogram's per-bucket counts with n observations in
// bucket i of a layout of size buckets.
func counts(size int, at ...int) []uint64 {
	out := make([]uint64, size+1)
	for _, i := range at {
		out[i]++
	}
	return out
}

func TestDelta(t *testing.T) {
	nd := len(metrics.DurationBuckets())
	nh := len(metrics.HashWaitBuckets())
	tests := []struct {
		name string
		give func(r *metrics.Recorder)
		want *proto.MetricsDelta
	}{
		{name: "nothing", give: func(*metrics.Recorder) {}, want: nil},
		{
			name: "one request",
			give: func(r *metrics.Recorder) { r.RecordRequest(metrics.ClassApp, 200, 27, 3*time.Millisecond) },
			want: &proto.MetricsDelta{
				Requests:      []proto.RequestCount{{Class: "app", Code: 200, N: 1}},
				Durations:     []proto.Histogram{{Class: "app", Counts: counts(nd, 5), SumNanos: uint64(3 * time.Millisecond)}},
				ResponseBytes: 27,
			},
		},
		{
			name: "classes and codes, bucket edges",
			give: func(r *metrics.Recorder) {
				r.RecordRequest(metrics.ClassAPI, 401, 10, 5*time.Millisecond) // le 0.005: bucket 5
				r.RecordRequest(metrics.ClassAPI, 200, 20, 6*time.Millisecond) // bucket 6
				r.RecordRequest(metrics.ClassApp, 404, 0, 11*time.Second)      // past every bound
				r.RecordRequest(metrics.ClassHealth, 200, 15, 0)               // bucket 0, no sum
				r.RecordRequest(metrics.ClassApp, 0, -1, time.Second)          // hijacked: code 0, bucket 12
				r.RecordRequest(metrics.ClassApp, 1000, 0, 2*time.Second)      // out of range: code 0
			},
			want: &proto.MetricsDelta{
				Requests: []proto.RequestCount{
					{Class: "app", Code: 0, N: 2},
					{Class: "app", Code: 404, N: 1},
					{Class: "api", Code: 200, N: 1},
					{Class: "api", Code: 401, N: 1},
					{Class: "health", Code: 200, N: 1},
				},
				Durations: []proto.Histogram{
					{Class: "app", Counts: counts(nd, 12, 13, 16), SumNanos: uint64(14 * time.Second)},
					{Class: "api", Counts: counts(nd, 5, 6), SumNanos: uint64(11 * time.Millisecond)},
					{Class: "health", Counts: counts(nd, 0)},
				},
				ResponseBytes: 45,
			},
		},
		{
			name: "auth",
			give: func(r *metrics.Recorder) {
				r.RecordLogin(true)
				r.RecordLogin(false)
				r.RecordLogin(false)
				r.RecordRefreshRotation()
				r.RecordRefreshReuse()
				r.RecordHashWait(2 * time.Millisecond)
			},
			want: &proto.MetricsDelta{
				LoginsOK: 1, LoginsFailed: 2, RefreshRotations: 1, RefreshReuses: 1,
				HashWait: &proto.Histogram{Counts: counts(nh, 1), SumNanos: uint64(2 * time.Millisecond)},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := metrics.NewRecorder()
			tt.give(r)
			if got := r.Delta(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Delta() = %+v, want %+v", got, tt.want)
			}
			if got := r.Delta(); got != nil {
				t.Errorf("second Delta() = %+v, want nil: the first drained everything", got)
			}
		})
	}
}

func TestParseClass(t *testing.T) {
	for _, c := range metrics.Classes() {
		if got, ok := metrics.ParseClass(c.String()); !ok || got != c {
			t.Errorf("ParseClass(%q) = %v, %v, want %v, true", c.String(), got, ok, c)
		}
	}
	if _, ok := metrics.ParseClass("/api/token/"); ok {
		t.Error(`ParseClass("/api/token/") ok, want refused: a path is no class`)
	}
}

// TestRecorderConcurrent records from many goroutines while two others
// drain (as the heartbeat and the last report do): every request is in
// exactly one delta. Run it with -race.
func TestRecorderConcurrent(t *testing.T) {
	const writers, each = 8, 5000
	r := metrics.NewRecorder()
	var total, sum, bytes uint64
	var mu sync.Mutex
	fold := func(d *proto.MetricsDelta) {
		if d == nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		for _, rc := range d.Requests {
			total += rc.N
		}
		for _, h := range d.Durations {
			sum += h.SumNanos
		}
		bytes += d.ResponseBytes
	}
	stop := make(chan struct{})
	var drainers sync.WaitGroup
	for range 2 {
		drainers.Add(1)
		go func() {
			defer drainers.Done()
			for {
				select {
				case <-stop:
					return
				default:
					fold(r.Delta())
				}
			}
		}()
	}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				r.RecordRequest(metrics.Class(w%3), 200+i%3, 10, time.Microsecond)
			}
		}()
	}
	wg.Wait()
	close(stop)
	drainers.Wait()
	fold(r.Delta())
	if want := uint64(writers * each); total != want || bytes != 10*want || sum != want*uint64(time.Microsecond) {
		t.Errorf("drained %d requests, %d bytes, %dns, want %d, %d, %dns", total, bytes, sum, want, 10*want, want*uint64(time.Microsecond))
	}
}

// BenchmarkRecordRequest is the request path's cost of metrics in a
// worker: a few atomic adds, no lock, no allocation.
func BenchmarkRecordRequest(b *testing.B) {
	r := metrics.NewRecorder()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r.RecordRequest(metrics.ClassApp, 200, 512, 7*time.Millisecond)
		}
	})
}

// BenchmarkDelta is the heartbeat's cost of draining the recorder.
func BenchmarkDelta(b *testing.B) {
	r := metrics.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		r.RecordRequest(metrics.ClassApp, 200, 512, 7*time.Millisecond)
		r.Delta()
	}
}
