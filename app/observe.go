package app

import (
	"context"
	"net/http"
	"time"
)

// RouteClass is the kind of route that served a request, for metrics: a
// small fixed set, never a path, so that a label made of it stays
// bounded.
type RouteClass uint8

// Route classes.
const (
	// RouteApp is every request the others are not: the application's.
	RouteApp RouteClass = iota
	// RouteAPI is drover's token endpoints (api.Auth.Mount's views).
	RouteAPI
	// RouteHealth is /healthz, answered by the chain itself.
	RouteHealth
)

// SetRouteClass records the class of the route serving the request ctx
// belongs to, for [Config.Observer]; the last call wins. Outside [Chain]
// it does nothing.
func SetRouteClass(ctx context.Context, c RouteClass) {
	if ex := exchangeFrom(ctx); ex != nil {
		ex.class = c
	}
}

// Observation is one finished request, as [Config.Observer] is told of
// it.
type Observation struct {
	// Class is the route class (RouteApp unless a handler set another).
	Class RouteClass
	// Status is the status the client got: 0 when no response was sent
	// (the connection was hijacked or the handler aborted).
	Status int
	// Bytes is the number of response body bytes sent.
	Bytes int64
	// Duration is the time from the chain's access log layer to the
	// end of the exchange.
	Duration time.Duration
}

// Observer is told of every request the chain finishes, those it
// answers itself included (414, 431, 413, /healthz). ObserveRequest runs
// on the request's goroutine as the request ends: it must be cheap and
// safe for concurrent use.
type Observer interface {
	ObserveRequest(Observation)
}

// observe hands each finished exchange to an Observer.
type observe struct {
	o   Observer
	now func() time.Time // test seam
}

// newObserve returns nil when cfg has no Observer: no layer.
func newObserve(cfg Config) *observe {
	if cfg.Observer == nil {
		return nil
	}
	return &observe{o: cfg.Observer, now: time.Now}
}

// wrap registers the observer with the request's exchange, whose end
// tells it; the clock is the access log's when it runs one.
func (ob *observe) wrap(next http.Handler) http.Handler {
	if ob == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ex, w, r, owner := begin(w, r)
		if owner {
			defer ex.end(r)
		}
		ex.observe = ob
		if ex.start.IsZero() {
			ex.start = ob.now()
		}
		next.ServeHTTP(w, r)
	})
}

// done tells the observer of the finished exchange.
func (ob *observe) done(ex *exchange, r *http.Request) {
	ob.o.ObserveRequest(Observation{
		Class:    ex.class,
		Status:   ex.status(),
		Bytes:    ex.bodyBytes(r),
		Duration: ob.now().Sub(ex.start),
	})
}
