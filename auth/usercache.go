package auth

import (
	"sync"
	"time"
)

// maxCachedUsers bounds the user cache; past it the cache starts over.
const maxCachedUsers = 10000

// userCache remembers, per process and for a short time, whether a user
// exists and is active, so authenticating a request does not read the
// store every time. A deactivation is seen by every worker within the TTL.
type userCache struct {
	ttl time.Duration
	now func() time.Time

	mu    sync.RWMutex
	users map[int64]cachedUser
}

type cachedUser struct {
	err   error // nil (active), ErrUserNotFound or ErrUserInactive
	until time.Time
}

func newUserCache(ttl time.Duration, now func() time.Time) *userCache {
	return &userCache{ttl: ttl, now: now, users: make(map[int64]cachedUser)}
}

// get returns the cached verdict on id, if fresh.
func (c *userCache) get(id int64) (err error, ok bool) {
	if c.ttl <= 0 {
		return nil, false
	}
	c.mu.RLock()
	u, found := c.users[id]
	c.mu.RUnlock()
	if !found || !c.now().Before(u.until) {
		return nil, false
	}
	return u.err, true
}

// put caches the verdict on id for the TTL.
func (c *userCache) put(id int64, err error) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.users) >= maxCachedUsers {
		c.users = make(map[int64]cachedUser)
	}
	c.users[id] = cachedUser{err: err, until: c.now().Add(c.ttl)}
}
