package auth

import (
	"context"
	"sync"
	"testing"
	"time"
)

// counted is a ServiceObserver and HashObserver that counts.
type counted struct {
	mu                                        sync.Mutex
	loginsOK, loginsFailed, rotations, reuses int
	hashWaits                                 int
}

func (c *counted) ObserveLogin(ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ok {
		c.loginsOK++
	} else {
		c.loginsFailed++
	}
}

func (c *counted) ObserveRefreshRotation() { c.mu.Lock(); c.rotations++; c.mu.Unlock() }
func (c *counted) ObserveRefreshReuse()    { c.mu.Lock(); c.reuses++; c.mu.Unlock() }
func (c *counted) ObserveHashWait(time.Duration) {
	c.mu.Lock()
	c.hashWaits++
	c.mu.Unlock()
}

// TestServiceObserver checks what the observer is told of a login, a
// wrong password, an unknown user, a rotation, a reuse within the grace
// (no security event) and one past it.
func TestServiceObserver(t *testing.T) {
	obs := &counted{}
	svc, store, _ := newObservedService(t, "", func(c *ServiceConfig) {
		c.Observer = obs
		c.Hasher = NewHasher(HasherConfig{Memory: 64, Iterations: 1, Observer: obs})
		c.ReuseGrace = time.Minute
	})
	ctx := context.Background()
	pair := mustLogin(t, svc, store, "alice") // a hash, then a verify
	if _, err := svc.Login(ctx, "alice", "wrong"); err == nil {
		t.Fatal("Login with a wrong password succeeded")
	}
	if _, err := svc.Login(ctx, "nobody", "x"); err == nil {
		t.Fatal("Login of an unknown user succeeded")
	}
	if _, err := svc.Refresh(ctx, pair.Refresh); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Refresh(ctx, pair.Refresh); err == nil { // within the grace: refused, no event
		t.Fatal("a rotated refresh token was accepted again")
	}
	now := time.Now()
	svc.now = func() time.Time { return now.Add(2 * time.Minute) }
	store.now = svc.now
	if _, err := svc.Refresh(ctx, pair.Refresh); err == nil { // past it: the family is revoked
		t.Fatal("a rotated refresh token was accepted past the grace")
	}
	if obs.loginsOK != 1 || obs.loginsFailed != 2 || obs.rotations != 1 || obs.reuses != 1 {
		t.Errorf("observed %d ok and %d failed logins, %d rotations, %d reuses; want 1, 2, 1, 1",
			obs.loginsOK, obs.loginsFailed, obs.rotations, obs.reuses)
	}
	// alice's hash, her two verifications and the unknown user's dummy one.
	if obs.hashWaits < 4 {
		t.Errorf("observed %d hash waits, want at least 4", obs.hashWaits)
	}
}
