package worker

import (
	"net"
	"net/http"
	"testing"
	"time"
)

func TestConnsQuietedWaitsForBusyConnections(t *testing.T) {
	c := newConns()
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()

	select {
	case <-c.quieted():
	default:
		t.Fatal("quieted() with no connections is not closed")
	}
	c.track(a, http.StateNew)
	c.track(b, http.StateActive)
	q := c.quieted()
	c.track(a, http.StateActive) // still busy
	c.track(a, http.StateIdle)
	select {
	case <-q:
		t.Fatal("quieted while a connection is active")
	case <-time.After(10 * time.Millisecond):
	}
	c.track(b, http.StateClosed)
	select {
	case <-q:
	case <-time.After(time.Second):
		t.Fatal("not quieted after the last busy connection closed")
	}
}
