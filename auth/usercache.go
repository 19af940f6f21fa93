package auth

import (
	"sync"
	"time"
)

// maxCachedUsers bounds the user cache; past it the cache starts over.
const maxCachedUsers = 10000

// staleIfError is how long past its TTL an entry still answers while the
// store is unavailable (RFC 5861's stale-if-error): a PostgreSQL restart
// or failover does not turn every authenticated request into a 503. No
// change to a user can be written while the store is down; one written
// just before is seen at most this much later than the TTL says.
const staleIfError = time.Minute

// retryUnavailable is how long a stale entry is kept answering before the
// store is asked again, while it is unavailable: one try a second per
// user, not one per request, each of which may wait for a connect
// timeout.
const retryUnavailable = time.Second

// userCache remembers, per process and for a short time, what the store
// said about a user: the User (without its password hash) when it exists
// and is active, ErrUserNotFound or ErrUserInactive otherwise, so that
// authenticating a request does not read the store every time. A
// deactivation, or any other change to the user, is seen by every worker
// within the TTL.
type userCache struct {
	ttl time.Duration
	now func() time.Time

	mu    sync.RWMutex
	users map[int64]cachedUser
}

type cachedUser struct {
	user  User  // PasswordHash empty; the zero User when err is set
	err   error // nil (active), ErrUserNotFound or ErrUserInactive
	until time.Time
	read  time.Time // when the store said it
}

func newUserCache(ttl time.Duration, now func() time.Time) *userCache {
	return &userCache{ttl: ttl, now: now, users: make(map[int64]cachedUser)}
}

// get returns what is cached on id, if fresh.
func (c *userCache) get(id int64) (cachedUser, bool) {
	if c.ttl <= 0 {
		return cachedUser{}, false
	}
	c.mu.RLock()
	e, found := c.users[id]
	c.mu.RUnlock()
	if !found || !c.now().Before(e.until) {
		return cachedUser{}, false
	}
	return e, true
}

// put caches u, or the error err, as what the store says on id, for the
// TTL. u must not carry a password hash.
func (c *userCache) put(id int64, u User, err error) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.users) >= maxCachedUsers {
		c.users = make(map[int64]cachedUser)
	}
	now := c.now()
	c.users[id] = cachedUser{user: u, err: err, until: now.Add(c.ttl), read: now}
}

// stale returns the entry on id when the store is unavailable: one read
// less than TTL + staleIfError ago, which then answers for
// retryUnavailable more before the store is tried again.
func (c *userCache) stale(id int64) (cachedUser, bool) {
	if c.ttl <= 0 {
		return cachedUser{}, false
	}
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	e, found := c.users[id]
	bound := e.read.Add(c.ttl + staleIfError)
	if !found || !now.Before(bound) {
		return cachedUser{}, false
	}
	e.until = now.Add(min(c.ttl, retryUnavailable))
	if e.until.After(bound) {
		e.until = bound
	}
	c.users[id] = e
	return e, true
}
