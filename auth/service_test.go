package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
)

// djangoHash is Django 3.2's make_password("s3cret") (pbkdf2_sha256).
const djangoHash = "pbkdf2_sha256$260000$pK2un5gKVkDOtYUZe9s0Dd$1IWvmFB4mi9O3GxSSAMLQNnaRsXorFR+yMa/kkGDyyo="

func newTestService(t *testing.T, rotate bool) (*Service, *SQLiteStore) {
	t.Helper()
	store := openTestStore(t, "")
	store.now = time.Now
	tokens, err := NewTokens(TokenConfig{Secret: []byte(strings.Repeat("k", 32))})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := NewService(ServiceConfig{
		Tokens: tokens,
		Store:  store,
		Hasher: NewHasher(HasherConfig{Memory: 64, Iterations: 1}),
		Rotate: rotate,
	}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	return svc, store
}

func TestLoginUpgradesDjangoHash(t *testing.T) {
	ctx := context.Background()
	svc, store := newTestService(t, true)
	u, err := store.CreateUser(ctx, "django-user", djangoHash)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Login(ctx, "django-user", "wrong-password"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("Login(wrong password) = %v, want ErrBadCredentials", err)
	}
	if after, _ := store.UserByID(ctx, u.ID); after.PasswordHash != djangoHash {
		t.Fatal("a failed login changed the stored hash")
	}
	if _, err := svc.Login(ctx, "django-user", "s3cret"); err != nil {
		t.Fatalf("Login with the Django password = %v", err)
	}
	after, err := store.UserByID(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(after.PasswordHash, "argon2$argon2id$") {
		t.Errorf("hash after login = %.30s…, want drover's argon2id", after.PasswordHash)
	}
	if _, err := svc.Login(ctx, "django-user", "s3cret"); err != nil {
		t.Errorf("Login after the upgrade = %v", err)
	}
}

func TestServiceFlows(t *testing.T) {
	ctx := context.Background()
	svc, store := newTestService(t, true)
	hash, err := svc.cfg.Hasher.Hash(ctx, "password-1")
	if err != nil {
		t.Fatal(err)
	}
	u, err := store.CreateUser(ctx, "alice", hash)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		give    func() error
		wantErr error
	}{
		{name: "unknown user", give: func() error { _, err := svc.Login(ctx, "nobody", "password-1"); return err }, wantErr: ErrBadCredentials},
		{name: "garbage access", give: func() error { _, _, err := svc.Authenticate(ctx, "x.y.z"); return err }, wantErr: ErrTokenInvalid},
		{name: "garbage verify", give: func() error { return svc.Verify(ctx, "x") }, wantErr: ErrTokenInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.give(); !errors.Is(err, tt.wantErr) {
				t.Errorf("%s = %v, want %v", tt.name, err, tt.wantErr)
			}
		})
	}

	pair, err := svc.Login(ctx, "alice", "password-1")
	if err != nil {
		t.Fatal(err)
	}
	got, c, err := svc.Authenticate(ctx, pair.Access)
	if want := (User{ID: u.ID, Username: "alice", Active: true, Joined: u.Joined}); err != nil || got != want || c.UserID != u.ID || c.TokenType != Access {
		t.Fatalf("Authenticate(access) = %+v, %+v, %v; want %+v, the token's claims", got, c, err, want)
	}
	if _, _, err := svc.Authenticate(ctx, pair.Refresh); !errors.Is(err, ErrWrongTokenType) {
		t.Errorf("Authenticate(refresh) = %v, want ErrWrongTokenType", err)
	}
	next, err := svc.Refresh(ctx, pair.Refresh)
	if err != nil || next.Refresh == "" || next.Access == "" {
		t.Fatalf("Refresh = %+v, %v", next, err)
	}
	// Reuse of the rotated token revokes the family: the newer one too.
	if _, err := svc.Refresh(ctx, pair.Refresh); !errors.Is(err, ErrTokenBlacklisted) {
		t.Errorf("Refresh(rotated) = %v, want ErrTokenBlacklisted", err)
	}
	if _, err := svc.Refresh(ctx, next.Refresh); !errors.Is(err, ErrTokenBlacklisted) {
		t.Errorf("Refresh(descendant of a reused token) = %v, want ErrTokenBlacklisted", err)
	}
	if err := svc.Verify(ctx, next.Refresh); !errors.Is(err, ErrTokenBlacklisted) {
		t.Errorf("Verify(revoked refresh) = %v, want ErrTokenBlacklisted", err)
	}
	other, err := svc.Login(ctx, "alice", "password-1")
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Blacklist(ctx, other.Refresh); err != nil {
		t.Fatalf("Blacklist = %v", err)
	}
	if err := svc.Blacklist(ctx, other.Refresh); !errors.Is(err, ErrTokenBlacklisted) {
		t.Errorf("Blacklist twice = %v, want ErrTokenBlacklisted", err)
	}
	if err := store.SetActive(ctx, u.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Authenticate(ctx, other.Access); !errors.Is(err, ErrUserInactive) {
		t.Errorf("Authenticate(inactive user) = %v, want ErrUserInactive", err)
	}
	if _, err := svc.Login(ctx, "alice", "password-1"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("Login(inactive user) = %v, want ErrBadCredentials", err)
	}
}

func TestRefreshWithoutRotation(t *testing.T) {
	ctx := context.Background()
	svc, store := newTestService(t, false)
	hash, _ := svc.cfg.Hasher.Hash(ctx, "password-1")
	if _, err := store.CreateUser(ctx, "bob", hash); err != nil {
		t.Fatal(err)
	}
	pair, err := svc.Login(ctx, "bob", "password-1")
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		next, err := svc.Refresh(ctx, pair.Refresh)
		if err != nil || next.Refresh != "" || next.Access == "" {
			t.Fatalf("Refresh without rotation = %+v, %v; want only an access token", next, err)
		}
	}
}

func TestPruneEveryStopsWithContext(t *testing.T) {
	svc, _ := newTestService(t, true)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		svc.PruneEvery(ctx, time.Millisecond)
		close(done)
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("PruneEvery did not return after its context ended")
	}
}

// onClock puts svc and its user cache, of ttl, on a clock the test moves
// by setting the time returned.
func onClock(svc *Service, ttl time.Duration) *time.Time {
	clock := new(time.Time)
	*clock = time.Now()
	svc.now = func() time.Time { return *clock }
	svc.users = newUserCache(ttl, func() time.Time { return svc.now() })
	return clock
}

// userWithToken creates the user name in store and issues it an access
// token.
func userWithToken(t *testing.T, svc *Service, store Store, name string) (User, string) {
	t.Helper()
	u, err := store.CreateUser(context.Background(), name, djangoHash)
	if err != nil {
		t.Fatal(err)
	}
	access, _, err := svc.cfg.Tokens.Issue(Access, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return u, access
}

func TestAuthenticateCachesUserForTheTTL(t *testing.T) {
	ctx := context.Background()
	svc, store := newTestService(t, true)
	clock := onClock(svc, time.Second)
	u, access := userWithToken(t, svc, store, "carol")
	active := User{ID: u.ID, Username: "carol", Active: true, Joined: u.Joined}

	// Each step happens at its offset from the first, in order.
	tests := []struct {
		name     string
		giveAt   time.Duration
		giveStep func() error // a change to the store before authenticating
		wantUser User
		wantErr  error
	}{
		{name: "first read", wantUser: active},
		{name: "deactivated, within the TTL", giveAt: 500 * time.Millisecond, giveStep: func() error { return store.SetActive(ctx, u.ID, false) }, wantUser: active},
		{name: "after the TTL", giveAt: time.Second, wantErr: ErrUserInactive},
		{name: "reactivated, inactive cached", giveAt: 1500 * time.Millisecond, giveStep: func() error { return store.SetActive(ctx, u.ID, true) }, wantErr: ErrUserInactive},
		{name: "after the TTL again", giveAt: 2 * time.Second, wantUser: active},
		{name: "deleted, within the TTL", giveAt: 2500 * time.Millisecond, giveStep: func() error { return store.DeleteUser(ctx, u.ID) }, wantUser: active},
		{name: "deleted, after the TTL", giveAt: 3 * time.Second, wantErr: ErrUserNotFound},
	}
	start := *clock
	for _, tt := range tests {
		*clock = start.Add(tt.giveAt)
		if tt.giveStep != nil {
			if err := tt.giveStep(); err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
		}
		got, c, err := svc.Authenticate(ctx, access)
		if got != tt.wantUser || !errors.Is(err, tt.wantErr) {
			t.Errorf("%s: Authenticate = %+v, %v; want %+v, %v", tt.name, got, err, tt.wantUser, tt.wantErr)
		}
		if err == nil && c.JTI == "" {
			t.Errorf("%s: Authenticate returned claims without a jti: %+v", tt.name, c)
		}
	}
}

func TestAuthenticateNeverReturnsThePasswordHash(t *testing.T) {
	ctx := context.Background()
	for _, ttl := range []time.Duration{0, time.Minute} {
		svc, store := newTestService(t, true)
		svc.users = newUserCache(ttl, time.Now)
		u, err := store.CreateUser(ctx, "dave", djangoHash)
		if err != nil {
			t.Fatal(err)
		}
		access, _, err := svc.cfg.Tokens.Issue(Access, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 { // uncached, then cached when ttl > 0
			got, _, err := svc.Authenticate(ctx, access)
			if err != nil || got.PasswordHash != "" || got.ID != u.ID {
				t.Errorf("ttl %v: Authenticate = %+v, %v; want user %d with no password hash", ttl, got, err, u.ID)
			}
		}
	}
}

// downStore is a real store that answers ErrStoreUnavailable for user
// lookups while down, as a PostgreSQL store does when its server is
// stopped (the e2e multi-host test stops a real one).
type downStore struct {
	Store
	down bool
}

func (s *downStore) UserByID(ctx context.Context, id int64) (User, error) {
	if s.down {
		return User{}, fmt.Errorf("user %d: %w: connection refused", id, ErrStoreUnavailable)
	}
	return s.Store.UserByID(ctx, id)
}

func TestAuthenticateStaleIfError(t *testing.T) {
	ctx := context.Background()
	svc, sqlite := newTestService(t, true)
	store := &downStore{Store: sqlite}
	svc.cfg.Store = store
	clock := onClock(svc, time.Second)
	known, knownAccess := userWithToken(t, svc, sqlite, "erin")
	_, otherAccess := userWithToken(t, svc, sqlite, "frank")
	start := *clock
	if _, _, err := svc.Authenticate(ctx, knownAccess); err != nil {
		t.Fatal(err)
	}
	store.down = true

	tests := []struct {
		name    string
		giveAt  time.Duration
		give    string
		wantErr error
	}{
		{name: "within the TTL", giveAt: 500 * time.Millisecond, give: knownAccess},
		{name: "past the TTL, store down: stale answer", giveAt: 2 * time.Second, give: knownAccess},
		{name: "never cached, store down", giveAt: 2 * time.Second, give: otherAccess, wantErr: ErrStoreUnavailable},
		{name: "near the stale bound", giveAt: time.Second + staleIfError - time.Millisecond, give: knownAccess},
		{name: "past the stale bound", giveAt: time.Second + staleIfError, give: knownAccess, wantErr: ErrStoreUnavailable},
	}
	for _, tt := range tests {
		*clock = start.Add(tt.giveAt)
		got, _, err := svc.Authenticate(ctx, tt.give)
		if !errors.Is(err, tt.wantErr) || (err == nil && got.ID != known.ID) {
			t.Errorf("%s: Authenticate = %+v, %v; want user %d, error %v", tt.name, got, err, known.ID, tt.wantErr)
		}
	}

	// Back up: the store is read again, and a deactivation shows.
	store.down = false
	if err := sqlite.SetActive(ctx, known.ID, false); err != nil {
		t.Fatal(err)
	}
	*clock = start.Add(2*time.Second + staleIfError)
	if _, _, err := svc.Authenticate(ctx, knownAccess); !errors.Is(err, ErrUserInactive) {
		t.Errorf("store back: Authenticate = %v, want ErrUserInactive", err)
	}
}

// countingStore counts the user lookups that reach a real store, and
// holds each for a moment, as a database round trip does.
type countingStore struct {
	Store
	lookups atomic.Int64
}

func (s *countingStore) UserByID(ctx context.Context, id int64) (User, error) {
	s.lookups.Add(1)
	time.Sleep(20 * time.Millisecond)
	return s.Store.UserByID(ctx, id)
}

// TestAuthenticateMissesShareOneRead: the requests that miss the user
// cache at once, all those in flight when an entry expires, read the
// store once between them.
func TestAuthenticateMissesShareOneRead(t *testing.T) {
	ctx := context.Background()
	svc, sqlite := newTestService(t, true)
	store := &countingStore{Store: sqlite}
	svc.cfg.Store = store
	svc.users = newUserCache(time.Minute, time.Now)
	u, err := sqlite.CreateUser(ctx, "gwen", djangoHash)
	if err != nil {
		t.Fatal(err)
	}
	access, _, err := svc.cfg.Tokens.Issue(Access, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if got, _, err := svc.Authenticate(ctx, access); err != nil || got.ID != u.ID {
				t.Errorf("Authenticate = %+v, %v", got, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if n := store.lookups.Load(); n != 1 {
		t.Errorf("50 simultaneous misses read the store %d times, want 1", n)
	}
}
