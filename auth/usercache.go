package auth

import (
	"sync"
	"time"
)

// maxCachedUsers bounds the user cache; past it the cache starts over.
const maxCachedUsers = 10000

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
	c.users[id] = cachedUser{user: u, err: err, until: c.now().Add(c.ttl)}
}
