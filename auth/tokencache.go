package auth

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultVerifyCacheSize is how many verified access tokens a [Tokens]
// remembers by default ([TokenConfig.VerifyCacheSize]).
const DefaultVerifyCacheSize = 10000

// Bounds of the verified-token cache besides its entry count.
const (
	// maxVerifiedAge is the longest a verification is reused, however
	// far the token's exp: an access token configured to live for hours
	// is still verified again every ten minutes.
	maxVerifiedAge = 10 * time.Minute
	// maxVerifiedBytes bounds the bytes of the tokens the cache holds,
	// the keys it cloned: DefaultVerifyCacheSize tokens of the ~250
	// bytes drover issues fit about three times over, while tokens near
	// MaxTokenSize cannot hold 80 MB per worker.
	maxVerifiedBytes = 8 << 20
)

// verifyCache remembers the access tokens [Tokens.Parse] accepted, keyed
// by the exact token string, so that the requests of one client after its
// first verify with a map lookup instead of a signature check and a JSON
// decode. An entry answers only while the clock is between its
// verification and the earlier of the token's exp (never exp+Leeway) and
// maxVerifiedAge later: what Parse checks of a token that verified
// cannot change within that window, since the Tokens' keys, algorithm,
// audience and issuer are fixed for its life (a key rotation builds new
// Tokens, with an empty cache). Only successes are cached: a token that
// failed, for being not yet valid among others, is verified again next
// time.
//
// Reads are a sync.Map Load, lock-free (a hash trie since Go 1.24) and
// writing no shared memory, so workers with GOMAXPROCS > 1 do not
// contend on hits. Inserts (misses that verified, each after a parse of
// a few µs) take a mutex that also guards the bounds. When an insert
// would pass either bound, the cache is cleared and starts over, as the
// user cache does: sync.Map has no order to evict by, a scan for the
// oldest entry costs O(n) under the mutex, and starting over costs one
// verification per live token, which is what every token paid before
// this cache.
type verifyCache struct {
	max     int
	entries sync.Map // string (the token) -> *verifiedEntry

	mu    sync.Mutex // guards count and bytes, and orders Clear with Store
	count int
	bytes int

	// size is count, for CachedTokens without the mutex. There are no
	// hit counters: an atomic add on every hit is the shared write the
	// read path avoids.
	size atomic.Int64
}

// verifiedEntry is one cached verification: the claims Parse returned
// (without their payload, which is re-sliced from the token presented)
// and the window in which they answer, in Unix nanoseconds, [from,
// until).
type verifiedEntry struct {
	claims      Claims
	from, until int64
}

func newVerifyCache(size int) *verifyCache {
	if size < 0 {
		return nil
	}
	if size == 0 {
		size = DefaultVerifyCacheSize
	}
	return &verifyCache{max: size}
}

// get returns the cached claims of token if it verified and now is in its
// window. It does not allocate.
func (c *verifyCache) get(token string, now time.Time) (Claims, bool) {
	v, ok := c.entries.Load(token)
	if !ok {
		return Claims{}, false
	}
	e := v.(*verifiedEntry)
	if ns := now.UnixNano(); ns < e.from || ns >= e.until {
		c.drop(token, e)
		return Claims{}, false
	}
	return e.claims, true
}

// put caches the claims of token, which Parse accepted as an access token
// at now (the time its checks used or earlier).
func (c *verifyCache) put(token string, claims Claims, now time.Time) {
	until := claims.ExpiresAt
	if limit := now.Add(maxVerifiedAge); limit.Before(until) {
		until = limit
	}
	if !now.Before(until) {
		return
	}
	claims.payload = "" // the cache never holds the token twice
	e := &verifiedEntry{claims: claims, from: now.UnixNano(), until: until.UnixNano()}

	c.mu.Lock()
	defer c.mu.Unlock()
	if c.count >= c.max || c.bytes+len(token) > maxVerifiedBytes {
		c.entries.Clear()
		c.count, c.bytes = 0, 0
	}
	// The request's header must not be kept: the key is a copy.
	key := strings.Clone(token)
	if _, loaded := c.entries.Swap(key, e); loaded {
		return // another request verified it too; the count stands
	}
	c.count++
	c.bytes += len(key)
	c.size.Store(int64(c.count))
}

// drop removes token's entry e, out of its window, unless it was
// replaced meanwhile.
func (c *verifyCache) drop(token string, e *verifiedEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries.CompareAndDelete(token, e) {
		c.count--
		c.bytes -= len(token)
		c.size.Store(int64(c.count))
	}
}

// CachedTokens returns how many verified access tokens t remembers: at
// most [TokenConfig.VerifyCacheSize], 0 with the cache off.
func (t *Tokens) CachedTokens() int {
	if t.verified == nil {
		return 0
	}
	return int(t.verified.size.Load())
}
