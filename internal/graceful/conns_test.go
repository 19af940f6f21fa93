package graceful

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"
)

// event is one thing the server tells the connTracker about a connection: a state,
// or its request reaching the handler.
type event struct {
	conn    int
	state   http.ConnState
	handler bool
}

func TestConnsWaiting(t *testing.T) {
	tests := []struct {
		name         string
		give         []event
		wantFresh    int // waited for with keep-alives left on
		wantAnswered int // waited for with keep-alives closed
	}{
		{name: "none", wantFresh: 0, wantAnswered: 0},
		{name: "accepted", give: []event{{conn: 0, state: http.StateNew}}, wantFresh: 1, wantAnswered: 1},
		{name: "request being read", give: []event{{conn: 0, state: http.StateNew}, {conn: 0, state: http.StateActive}}, wantFresh: 1, wantAnswered: 1},
		{name: "in the handler", give: []event{{conn: 0, state: http.StateNew}, {conn: 0, state: http.StateActive}, {conn: 0, handler: true}}, wantFresh: 0, wantAnswered: 1},
		{name: "answered, idle", give: []event{{conn: 0, state: http.StateNew}, {conn: 0, state: http.StateActive}, {conn: 0, handler: true}, {conn: 0, state: http.StateIdle}}, wantFresh: 0, wantAnswered: 0},
		{name: "second request on keep-alive", give: []event{{conn: 0, state: http.StateNew}, {conn: 0, state: http.StateActive}, {conn: 0, handler: true}, {conn: 0, state: http.StateIdle}, {conn: 0, state: http.StateActive}}, wantFresh: 0, wantAnswered: 1},
		{name: "closed without a request", give: []event{{conn: 0, state: http.StateNew}, {conn: 0, state: http.StateClosed}}, wantFresh: 0, wantAnswered: 0},
		{name: "hijacked", give: []event{{conn: 0, state: http.StateNew}, {conn: 0, state: http.StateActive}, {conn: 0, handler: true}, {conn: 0, state: http.StateHijacked}}, wantFresh: 0, wantAnswered: 0},
		{name: "two connections", give: []event{{conn: 0, state: http.StateNew}, {conn: 1, state: http.StateNew}, {conn: 1, state: http.StateActive}, {conn: 1, handler: true}}, wantFresh: 1, wantAnswered: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newConnTracker()
			pipes := make([]net.Conn, 2)
			for i := range pipes {
				a, b := net.Pipe()
				defer a.Close()
				defer b.Close()
				pipes[i] = a
			}
			h := c.wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
			for _, e := range tt.give {
				if e.handler {
					r, _ := http.NewRequestWithContext(c.connContext(context.Background(), pipes[e.conn]), "GET", "/", nil)
					h.ServeHTTP(nil, r)
					continue
				}
				c.connState(pipes[e.conn], e.state)
			}
			if got, _ := c.waiting(false); got != tt.wantFresh {
				t.Errorf("waiting(fresh only) after %v = %d, want %d", tt.give, got, tt.wantFresh)
			}
			if got, _ := c.waiting(true); got != tt.wantAnswered {
				t.Errorf("waiting(answered) after %v = %d, want %d", tt.give, got, tt.wantAnswered)
			}
		})
	}
}

func TestConnsWaitEndsOnEventLimitOrContext(t *testing.T) {
	c := newConnTracker()
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	c.connState(a, http.StateNew)

	if err := c.wait(context.Background(), 10*time.Millisecond, false); err != nil {
		t.Errorf("wait past its limit = %v, want nil", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.wait(ctx, 0, true); err != context.Canceled {
		t.Errorf("wait with a canceled context = %v, want context.Canceled", err)
	}
	done := make(chan error, 1)
	go func() { done <- c.wait(context.Background(), 0, true) }()
	c.connState(a, http.StateClosed)
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("wait = %v, want nil once the connection closed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("wait did not return after the last connection closed")
	}
}
