package auth

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// A login for an unknown user must take as long as a wrong password for a
// known one, or the time of the answer tells who has an account. A wrong
// password costs what its user's hash scheme costs: drover's argon2id, or
// a Django pbkdf2_sha256 hash carried over (~100 ms at Django 3.2's 260000
// iterations, five times drover's default argon2id) until that user's next
// login re-hashes it. So the check run for an unknown user is one of the
// slowest scheme in the store, not of drover's own.
const (
	// schemesTTL is how long a process keeps its choice of dummy scheme
	// before it reads the store's schemes again: an import of Django
	// users is matched within it, and so is the last of them moving to
	// argon2id.
	schemesTTL = time.Minute
	// maxDummyCost bounds the dummy check. A scheme that costs more is not
	// imitated: every unknown name would hold a hash slot that long. Its
	// users stay distinguishable by timing, and a warning says so once.
	maxDummyCost = time.Second
	// costRuns is how many times a scheme's cost is measured, after one
	// run that is not: the first argon2 runs of a process also grow its
	// heap, and took half as long again as later ones (55-62 ms, then
	// 29-45 ms, at drover's default cost), enough to rank argon2id above
	// a pbkdf2_sha256 that costs more. The fastest counts, so that a run
	// preempted by load does not make a cheap scheme look slow.
	costRuns = 3
)

// dummyCheck runs, for an unknown user, a password check that costs what
// one of the slowest scheme in the store costs, bounded by maxDummyCost.
// It is safe for concurrent use.
type dummyCheck struct {
	store  Store
	hasher *Hasher
	log    *zap.Logger
	now    func() time.Time

	choice atomic.Pointer[dummyChoice] // nil until the first check

	mu     sync.Mutex               // held while choosing; guards the maps
	costs  map[string]time.Duration // by scheme, measured once per process
	warned map[string]bool          // schemes over maxDummyCost, logged
}

// dummyChoice is the hash the dummy check verifies against, until when.
type dummyChoice struct {
	hash, scheme string
	cost         time.Duration
	until        time.Time
}

func newDummyCheck(store Store, hasher *Hasher, log *zap.Logger, now func() time.Time) *dummyCheck {
	return &dummyCheck{
		store: store, hasher: hasher, log: log, now: now,
		costs: make(map[string]time.Duration), warned: make(map[string]bool),
	}
}

// verify spends on password what checking it against a hash of the chosen
// scheme costs, and matches nothing.
func (d *dummyCheck) verify(ctx context.Context, password string) {
	c := d.choose(ctx)
	_, _, _ = d.hasher.Verify(ctx, c.hash, password) // the caller refuses anyway; only ctx's error
}

// choose returns the current choice, making a new one when it is stale.
// The first caller after it went stale chooses; the others wait for it
// rather than run a cheaper check meanwhile.
func (d *dummyCheck) choose(ctx context.Context) *dummyChoice {
	if c := d.choice.Load(); c != nil && d.now().Before(c.until) {
		return c
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if c := d.choice.Load(); c != nil && d.now().Before(c.until) {
		return c
	}
	c := d.slowest(ctx)
	if prev := d.choice.Load(); prev == nil || prev.scheme != c.scheme {
		d.log.Info("unknown users' password check set to the slowest scheme in the store",
			zap.String("scheme", c.scheme), zap.Duration("cost_s", c.cost))
	}
	d.choice.Store(c)
	return c
}

// slowest picks the slowest scheme of the store's hashes under
// maxDummyCost, drover's own at least. A choice made without every
// measurement (the store unreadable, ctx ended) is not kept: the next
// login chooses again.
func (d *dummyCheck) slowest(ctx context.Context) *dummyChoice {
	hash, scheme, _ := d.hasher.dummyFor(d.hasher.current())
	best := &dummyChoice{hash: hash, scheme: scheme, until: d.now().Add(schemesTTL)}
	cost, ok := d.cost(ctx, scheme, hash)
	best.cost = cost
	stored, err := d.store.PasswordSchemes(ctx)
	if err != nil {
		d.log.Error("read the password schemes of the store; unknown users cost drover's own scheme", zap.Error(err))
		ok = false
	}
	for _, s := range stored {
		hash, scheme, readable := d.hasher.dummyFor(s)
		if !readable || scheme == best.scheme {
			continue
		}
		cost, measured := d.cost(ctx, scheme, hash)
		switch {
		case !measured:
			ok = false
		case cost > maxDummyCost:
			if !d.warned[scheme] {
				d.warned[scheme] = true
				d.log.Warn("password hashes of this scheme cost more than an unknown user's check may: a wrong password of their users takes longer than an unknown name; each moves to argon2id at the next login",
					zap.String("scheme", scheme), zap.Duration("cost_s", cost), zap.Duration("bound_s", maxDummyCost))
			}
		case cost > best.cost:
			best.hash, best.scheme, best.cost = hash, scheme, cost
		}
	}
	if !ok {
		best.until = d.now()
	}
	return best
}

// cost returns what checking a password against hash, of scheme, costs:
// measured the first time, remembered after. ok is false when it could
// not be measured (ctx ended while waiting for a slot).
func (d *dummyCheck) cost(ctx context.Context, scheme, hash string) (time.Duration, bool) {
	if c, found := d.costs[scheme]; found {
		return c, true
	}
	var fastest time.Duration
	for i := range 1 + costRuns {
		took, err := d.hasher.cost(ctx, hash)
		switch {
		case err != nil:
			return 0, false
		case i == 0 && took <= maxDummyCost:
			continue // the warm-up
		case i <= 1 || took < fastest:
			fastest = took
		}
		if fastest > maxDummyCost {
			break // not imitated anyway
		}
	}
	d.costs[scheme] = fastest
	return fastest, true
}
