package auth

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// newObservedService is a rotating service on the store at path (a new
// one when empty), with its log observed and cfg adjusted by adjust.
func newObservedService(t *testing.T, path string, adjust func(*ServiceConfig)) (*Service, *SQLiteStore, *observer.ObservedLogs) {
	t.Helper()
	store := openTestStore(t, path)
	store.now = time.Now
	tokens, err := NewTokens(TokenConfig{Secret: []byte(strings.Repeat("k", 32))})
	if err != nil {
		t.Fatal(err)
	}
	cfg := ServiceConfig{
		Tokens:     tokens,
		Store:      store,
		Hasher:     NewHasher(HasherConfig{Memory: 64, Iterations: 1}),
		Rotate:     true,
		ClientAddr: func(context.Context) netip.Addr { return netip.MustParseAddr("192.0.2.7") },
	}
	if adjust != nil {
		adjust(&cfg)
	}
	core, logs := observer.New(zapcore.InfoLevel)
	svc, err := NewService(cfg, zap.New(core))
	if err != nil {
		t.Fatal(err)
	}
	return svc, store, logs
}

// mustLogin creates name (if new) with a cheap hash and logs in.
func mustLogin(t *testing.T, svc *Service, store *SQLiteStore, name string) Pair {
	t.Helper()
	ctx := context.Background()
	if _, err := store.UserByName(ctx, name); errors.Is(err, ErrNotFound) {
		hash, err := svc.cfg.Hasher.Hash(ctx, "password-1")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.CreateUser(ctx, name, hash); err != nil {
			t.Fatal(err)
		}
	}
	pair, err := svc.Login(ctx, name, "password-1")
	if err != nil {
		t.Fatal(err)
	}
	return pair
}

// The messages of reuse events, as the log says them.
const (
	logInGrace = "rotated refresh token presented again within the reuse grace window; refused, nothing revoked"
	logRevoked = "security event: rotated refresh token presented again; its family is revoked"
	logAlready = "security event: rotated refresh token presented again; its family was revoked already"
)

// reuseStep is one event of a TestReuseSequences row: at a time after
// the login, refresh or blacklist the token named give. A refresh that
// succeeds names its new refresh token give+"'".
type reuseStep struct {
	at       time.Duration
	op       string // "refresh" or "blacklist"
	give     string
	wantErr  error
	wantLogs []string // the messages the step logs
}

// TestReuseSequences runs sequences of refreshes and blacklistings of one
// family through the service, with a clock: reuse within the grace window
// refuses the token alone, after it revokes the family; a blacklisting of
// a rotated token revokes the family at any time; and each step logs what
// it did, nothing else.
func TestReuseSequences(t *testing.T) {
	const grace = 10 * time.Second
	tests := []struct {
		name      string
		giveGrace time.Duration
		steps     []reuseStep
	}{
		{name: "a retry within the window is refused, the new token still refreshes", giveGrace: grace, steps: []reuseStep{
			{at: 0, op: "refresh", give: "R"},
			{at: time.Second, op: "refresh", give: "R", wantErr: ErrTokenBlacklisted, wantLogs: []string{logInGrace}},
			{at: 2 * time.Second, op: "refresh", give: "R'"},
			{at: 3 * time.Second, op: "refresh", give: "R''"},
		}},
		{name: "two tabs at once", giveGrace: grace, steps: []reuseStep{
			{at: 0, op: "refresh", give: "R"},
			{at: 0, op: "refresh", give: "R", wantErr: ErrTokenBlacklisted, wantLogs: []string{logInGrace}},
			{at: 0, op: "refresh", give: "R'"},
		}},
		{name: "a reuse after the window revokes the family", giveGrace: grace, steps: []reuseStep{
			{at: 0, op: "refresh", give: "R"},
			{at: grace, op: "refresh", give: "R", wantErr: ErrTokenBlacklisted, wantLogs: []string{logRevoked}},
			{at: grace, op: "refresh", give: "R'", wantErr: ErrTokenBlacklisted},
			{at: grace, op: "refresh", give: "R", wantErr: ErrTokenBlacklisted, wantLogs: []string{logAlready}},
		}},
		{name: "a window older than the newest rotation counts from the token's own", giveGrace: grace, steps: []reuseStep{
			{at: 0, op: "refresh", give: "R"},
			{at: 9 * time.Second, op: "refresh", give: "R'"},
			{at: 11 * time.Second, op: "refresh", give: "R", wantErr: ErrTokenBlacklisted, wantLogs: []string{logRevoked}},
			{at: 11 * time.Second, op: "refresh", give: "R''", wantErr: ErrTokenBlacklisted},
		}},
		{name: "no window: every reuse revokes", giveGrace: 0, steps: []reuseStep{
			{at: 0, op: "refresh", give: "R"},
			{at: 0, op: "refresh", give: "R", wantErr: ErrTokenBlacklisted, wantLogs: []string{logRevoked}},
			{at: 0, op: "refresh", give: "R'", wantErr: ErrTokenBlacklisted},
		}},
		{name: "blacklisting a token the thief rotated revokes the family, within the window too", giveGrace: grace, steps: []reuseStep{
			{at: 0, op: "refresh", give: "R"},
			{at: time.Second, op: "blacklist", give: "R", wantErr: ErrTokenBlacklisted, wantLogs: []string{logRevoked}},
			{at: time.Second, op: "refresh", give: "R'", wantErr: ErrTokenBlacklisted},
			{at: time.Second, op: "blacklist", give: "R'", wantErr: ErrTokenBlacklisted},
		}},
		{name: "blacklisting a rotated token after the window", giveGrace: grace, steps: []reuseStep{
			{at: 0, op: "refresh", give: "R"},
			{at: time.Hour, op: "blacklist", give: "R", wantErr: ErrTokenBlacklisted, wantLogs: []string{logRevoked}},
			{at: time.Hour, op: "refresh", give: "R'", wantErr: ErrTokenBlacklisted},
		}},
		{name: "logout with the newest token, then a retry of the old one", giveGrace: grace, steps: []reuseStep{
			{at: 0, op: "refresh", give: "R"},
			{at: time.Second, op: "blacklist", give: "R'"},
			{at: time.Second, op: "refresh", give: "R", wantErr: ErrTokenBlacklisted, wantLogs: []string{logInGrace}},
			{at: time.Second, op: "refresh", give: "R'", wantErr: ErrTokenBlacklisted},
			{at: time.Second, op: "blacklist", give: "R'", wantErr: ErrTokenBlacklisted},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, store, logs := newObservedService(t, "", func(c *ServiceConfig) { c.ReuseGrace = tt.giveGrace })
			login := time.Now()
			svc.now = func() time.Time { return login }
			tokens := map[string]string{"R": mustLogin(t, svc, store, "alice").Refresh}
			logs.TakeAll()
			for i, st := range tt.steps {
				svc.now = func() time.Time { return login.Add(st.at) }
				ctx := context.Background()
				var err error
				switch st.op {
				case "refresh":
					var pair Pair
					if pair, err = svc.Refresh(ctx, tokens[st.give]); err == nil {
						tokens[st.give+"'"] = pair.Refresh
					}
				case "blacklist":
					err = svc.Blacklist(ctx, tokens[st.give])
				}
				if !errors.Is(err, st.wantErr) || (st.wantErr == nil) != (err == nil) {
					t.Errorf("step %d: %s(%s) at %v = %v, want %v", i, st.op, st.give, st.at, err, st.wantErr)
				}
				var got []string
				for _, e := range logs.TakeAll() {
					got = append(got, e.Message)
				}
				if !slices.Equal(got, st.wantLogs) {
					t.Errorf("step %d: %s(%s) logged %q, want %q", i, st.op, st.give, got, st.wantLogs)
				}
			}
		})
	}
}

// TestReuseIsLoggedWithFamilyAndClient checks the fields of the security
// event.
func TestReuseIsLoggedWithFamilyAndClient(t *testing.T) {
	ctx := context.Background()
	svc, store, logs := newObservedService(t, "", nil)
	first := mustLogin(t, svc, store, "alice")
	if _, err := svc.Refresh(ctx, first.Refresh); err != nil {
		t.Fatal(err)
	}
	if err := svc.Blacklist(ctx, first.Refresh); !errors.Is(err, ErrTokenBlacklisted) {
		t.Fatalf("Blacklist(rotated) = %v, want ErrTokenBlacklisted", err)
	}
	events := logs.FilterMessage(logRevoked).All()
	if len(events) != 1 {
		t.Fatalf("logged %v, want one %q", logs.All(), logRevoked)
	}
	fields := events[0].ContextMap()
	c, _ := svc.cfg.Tokens.Parse(first.Refresh, Refresh)
	want := map[string]any{"op": "blacklist", "family": hashJTI(c.JTI), "remote_addr": "192.0.2.7", "user_id": c.UserID}
	for k, v := range want {
		if fields[k] != v {
			t.Errorf("field %s = %v, want %v (all: %v)", k, fields[k], v, fields)
		}
	}
	if events[0].Level != zapcore.WarnLevel {
		t.Errorf("level = %v, want warn", events[0].Level)
	}
}

// TestBlacklistRacesRefresh sends a refresh and a blacklisting of the same
// token at the same moment, through two services on one store file (two
// workers), with the default grace window: in every trial, no token of
// the family is usable afterwards.
func TestBlacklistRacesRefresh(t *testing.T) {
	path := filepath.Join(t.TempDir(), "drover.db")
	grace := func(c *ServiceConfig) { c.ReuseGrace = DefaultReuseGrace }
	svcA, storeA, _ := newObservedService(t, path, grace)
	svcB, _, _ := newObservedService(t, path, grace)
	svcB.cfg.Tokens = svcA.cfg.Tokens
	ctx := context.Background()
	const trials = 20
	both := 0
	for trial := range trials {
		refresh := mustLogin(t, svcA, storeA, "alice").Refresh
		var (
			pair                     Pair
			refreshErr, blacklistErr error
			wg                       sync.WaitGroup
		)
		start := make(chan struct{})
		wg.Go(func() { <-start; pair, refreshErr = svcA.Refresh(ctx, refresh) })
		wg.Go(func() { <-start; blacklistErr = svcB.Blacklist(ctx, refresh) })
		close(start)
		wg.Wait()
		if refreshErr == nil && blacklistErr == nil {
			both++
		}
		// The refresh's new token first: refreshing the old one first
		// could be a reuse that revokes the family by itself.
		var usable []string
		if refreshErr == nil {
			usable = append(usable, pair.Refresh)
		}
		for _, token := range append(usable, refresh) {
			if _, err := svcA.Refresh(ctx, token); err == nil {
				t.Errorf("trial %d: refresh = %v, blacklist = %v; a token of the family still refreshes", trial, refreshErr, blacklistErr)
			}
		}
	}
	if both > 0 {
		t.Errorf("in %d of %d trials both the refresh and the blacklisting succeeded", both, trials)
	}
}

// TestLoginUpdatesLastLogin checks UPDATE_LAST_LOGIN: on, a login records
// its time; off, nothing is written.
func TestLoginUpdatesLastLogin(t *testing.T) {
	tests := []struct {
		name       string
		giveUpdate bool
		wantSet    bool
	}{
		{name: "on", giveUpdate: true, wantSet: true},
		{name: "off", giveUpdate: false, wantSet: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, store, _ := newObservedService(t, "", func(c *ServiceConfig) { c.UpdateLastLogin = tt.giveUpdate })
			at := time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)
			svc.now = func() time.Time { return at }
			mustLogin(t, svc, store, "alice")
			u, err := store.UserByName(context.Background(), "alice")
			if err != nil {
				t.Fatal(err)
			}
			want := time.Time{}
			if tt.wantSet {
				want = at
			}
			if !u.LastLogin.Equal(want) {
				t.Errorf("LastLogin = %v, want %v", u.LastLogin, want)
			}
		})
	}
}

// TestUnknownUserCostsTheSlowestStoredScheme is the timing of an imported
// Django user: a wrong password for a user on a pbkdf2_sha256 hash and a
// login for an unknown name take the same time, though drover's own
// scheme (argon2id at 64 KiB here) costs a hundredth of it.
func TestUnknownUserCostsTheSlowestStoredScheme(t *testing.T) {
	ctx := context.Background()
	svc, store, _ := newObservedService(t, "", nil)
	// Fewer iterations than Django's 260000, for the race detector's sake:
	// still a hundred times drover's cost here.
	imported := "pbkdf2_sha256$30000$pK2un5gKVkDOtYUZe9s0Dd$1IWvmFB4mi9O3GxSSAMLQNnaRsXorFR+yMa/kkGDyyo="
	if _, err := store.CreateUser(ctx, "django-user", imported); err != nil {
		t.Fatal(err)
	}
	median := func(login func() error) time.Duration {
		var d []time.Duration
		for range 5 {
			start := time.Now()
			if err := login(); !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("Login = %v, want ErrBadCredentials", err)
			}
			d = append(d, time.Since(start))
		}
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return d[len(d)/2]
	}
	unknown := func() error { _, err := svc.Login(ctx, "nobody", "wrong-password"); return err }
	wrong := func() error { _, err := svc.Login(ctx, "django-user", "wrong-password"); return err }
	_ = unknown() // the first one measures the schemes
	if c := svc.dummy.choice.Load(); c == nil || c.scheme != "pbkdf2_sha256$30000" {
		t.Fatalf("an unknown user is checked against %+v, want the slowest scheme in the store, pbkdf2_sha256$30000", c)
	}
	// The figures are reported, not asserted: timing under a loaded test
	// run is no verdict (the choice above is).
	u, w := median(unknown), median(wrong)
	t.Logf("median of 5 logins: unknown user %v, wrong password of a pbkdf2_sha256 user %v", u, w)
}

// schemeStore is a Store whose PasswordSchemes answers what a test says.
type schemeStore struct {
	Store
	schemes []string
	err     error
	reads   int
}

func (s *schemeStore) PasswordSchemes(context.Context) ([]string, error) {
	s.reads++
	return s.schemes, s.err
}

// TestDummyCheckChoice checks which scheme the unknown users' check
// imitates, with the costs given rather than measured: the slowest under
// maxDummyCost, drover's own at least; a choice made without the store's
// schemes is not kept.
func TestDummyCheckChoice(t *testing.T) {
	h := cheapHasher(1)
	own := "argon2$argon2id$v=19$m=64,t=1,p=1"
	costs := map[string]time.Duration{
		own:                                     time.Millisecond,
		"pbkdf2_sha256$1000":                    time.Millisecond / 2,
		"pbkdf2_sha256$260000":                  100 * time.Millisecond,
		"pbkdf2_sha256$10000000":                3 * time.Second,
		"argon2$argon2id$v=19$m=102400,t=2,p=8": 300 * time.Millisecond,
	}
	tests := []struct {
		name       string
		giveStored []string
		giveErr    error
		wantScheme string
		wantKept   bool
		wantWarned []string
	}{
		{name: "drover's own only", giveStored: []string{own + "$"}, wantScheme: own, wantKept: true},
		{name: "an empty store", wantScheme: own, wantKept: true},
		{name: "Django users, slower", giveStored: []string{own + "$", "pbkdf2_sha256$260000$"}, wantScheme: "pbkdf2_sha256$260000", wantKept: true},
		{name: "Django users, cheaper", giveStored: []string{own + "$", "pbkdf2_sha256$1000$"}, wantScheme: own, wantKept: true},
		{name: "the slowest of several", giveStored: []string{"pbkdf2_sha256$260000$", "argon2$argon2id$v=19$m=102400,t=2,p=8$", "pbkdf2_sha256$1000$"},
			wantScheme: "argon2$argon2id$v=19$m=102400,t=2,p=8", wantKept: true},
		{name: "over the bound: not imitated, warned", giveStored: []string{"pbkdf2_sha256$10000000$", "pbkdf2_sha256$260000$"},
			wantScheme: "pbkdf2_sha256$260000", wantKept: true, wantWarned: []string{"pbkdf2_sha256$10000000"}},
		{name: "unreadable schemes", giveStored: []string{"!", "hash-of-", "pbkdf2_sha256$$"}, wantScheme: own, wantKept: true},
		{name: "store unreadable: not kept", giveErr: errors.New("disk on fire"), wantScheme: own, wantKept: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := time.Now()
			core, logs := observer.New(zapcore.InfoLevel)
			d := newDummyCheck(&schemeStore{schemes: tt.giveStored, err: tt.giveErr}, h, zap.New(core), func() time.Time { return now })
			for k, v := range costs {
				d.costs[k] = v
			}
			c := d.choose(context.Background())
			if c.scheme != tt.wantScheme || now.Before(c.until) != tt.wantKept {
				t.Errorf("choose() = %s until %v, want %s, kept %t", c.scheme, c.until.Sub(now), tt.wantScheme, tt.wantKept)
			}
			if _, scheme, _ := h.dummyFor(c.hash); scheme != c.scheme {
				t.Errorf("choose() hash %q is of scheme %q, want %q", c.hash, scheme, c.scheme)
			}
			var warned []string
			for _, e := range logs.FilterLevelExact(zapcore.WarnLevel).All() {
				warned = append(warned, fmt.Sprint(e.ContextMap()["scheme"]))
			}
			if !slices.Equal(warned, tt.wantWarned) {
				t.Errorf("warned about %q, want %q", warned, tt.wantWarned)
			}
		})
	}
}

// TestDummyCheckRereadsAfterTTL checks that the choice follows the store:
// kept for schemesTTL, then read again.
func TestDummyCheckRereadsAfterTTL(t *testing.T) {
	h := cheapHasher(1)
	now := time.Now()
	store := &schemeStore{}
	d := newDummyCheck(store, h, zap.NewNop(), func() time.Time { return now })
	d.costs["argon2$argon2id$v=19$m=64,t=1,p=1"] = time.Millisecond
	d.costs["pbkdf2_sha256$260000"] = 100 * time.Millisecond
	steps := []struct {
		giveAfter  time.Duration
		giveStored []string
		wantScheme string
		wantReads  int
	}{
		{giveAfter: 0, wantScheme: "argon2$argon2id$v=19$m=64,t=1,p=1", wantReads: 1},
		{giveAfter: schemesTTL - time.Second, giveStored: []string{"pbkdf2_sha256$260000$"}, wantScheme: "argon2$argon2id$v=19$m=64,t=1,p=1", wantReads: 1},
		{giveAfter: schemesTTL, giveStored: []string{"pbkdf2_sha256$260000$"}, wantScheme: "pbkdf2_sha256$260000", wantReads: 2},
		{giveAfter: 2 * schemesTTL, wantScheme: "argon2$argon2id$v=19$m=64,t=1,p=1", wantReads: 3},
	}
	start := now
	for i, st := range steps {
		now = start.Add(st.giveAfter)
		store.schemes = st.giveStored
		if c := d.choose(context.Background()); c.scheme != st.wantScheme || store.reads != st.wantReads {
			t.Errorf("step %d: choose() = %s after %d reads, want %s after %d", i, c.scheme, store.reads, st.wantScheme, st.wantReads)
		}
	}
}
