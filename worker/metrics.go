package worker

import (
	"time"

	"github.com/drover/drover/app"
	"github.com/drover/drover/internal/metrics"
	"github.com/drover/drover/internal/proto"
)

// Metrics counts what a worker serves for the supervisor's /metrics
// (--metrics-bind): its requests by route class and status, their
// durations and bytes, and, passed to the token service as its observer
// (auth.ServiceConfig.Observer, auth.HasherConfig.Observer), logins,
// refresh rotations, reuse detections and the password-hash queue wait.
// The worker sends what it counted in each heartbeat, as a delta, and
// once more after it has drained. It is safe for concurrent use; counting
// a request is a few atomic adds.
type Metrics struct {
	rec *metrics.Recorder
}

// NewMetrics returns a worker's empty counters.
func NewMetrics() *Metrics { return &Metrics{rec: metrics.NewRecorder()} }

// ObserveRequest implements app.Observer.
func (m *Metrics) ObserveRequest(o app.Observation) {
	m.rec.RecordRequest(routeClass(o.Class), o.Status, o.Bytes, o.Duration)
}

// ObserveLogin implements auth.ServiceObserver.
func (m *Metrics) ObserveLogin(ok bool) { m.rec.RecordLogin(ok) }

// ObserveRefreshRotation implements auth.ServiceObserver.
func (m *Metrics) ObserveRefreshRotation() { m.rec.RecordRefreshRotation() }

// ObserveRefreshReuse implements auth.ServiceObserver.
func (m *Metrics) ObserveRefreshReuse() { m.rec.RecordRefreshReuse() }

// ObserveHashWait implements auth.HashObserver.
func (m *Metrics) ObserveHashWait(d time.Duration) { m.rec.RecordHashWait(d) }

// delta drains what m counted since the last delta; nil for a nil m.
func (m *Metrics) delta() *proto.MetricsDelta {
	if m == nil {
		return nil
	}
	return m.rec.Delta()
}

// routeClass is the metrics label of the chain's route class.
func routeClass(c app.RouteClass) metrics.Class {
	switch c {
	case app.RouteAPI:
		return metrics.ClassAPI
	case app.RouteHealth:
		return metrics.ClassHealth
	}
	return metrics.ClassApp
}
