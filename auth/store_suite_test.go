package auth

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// The store suite: every behaviour of a [Store], run on each backend as
// the subtests "sqlite" and "postgres" of each test (forEachStore). The
// PostgreSQL stores live in the test binary's shared throwaway cluster
// (pgtest.Shared), a new database for each subtest. Tests of one
// backend's own mechanics are in store_sqlite_test.go and
// store_postgres_test.go.

// storeBackend is one implementation of Store under test.
type storeBackend struct {
	name string
	// open opens a new, empty store with its clock at storeNow, closed
	// when the test ends.
	open func(t testing.TB) Store
	// openShared opens n stores on one new, empty database, as n
	// workers (SQLite) or hosts (PostgreSQL) share it.
	openShared func(t testing.TB, n int) []Store
}

// storeBackends are the backends every suite test runs on.
func storeBackends() []storeBackend {
	return []storeBackend{
		{
			name: "sqlite",
			open: func(t testing.TB) Store { return openTestStore(t, "") },
			openShared: func(t testing.TB, n int) []Store {
				path := filepath.Join(t.TempDir(), "drover.db")
				stores := make([]Store, n)
				for i := range stores {
					stores[i] = openTestStore(t, path)
				}
				return stores
			},
		},
		{
			name: "postgres",
			open: func(t testing.TB) Store { return openPostgresTestStore(t, "") },
			openShared: func(t testing.TB, n int) []Store {
				url := createTestDatabase(t)
				stores := make([]Store, n)
				for i := range stores {
					stores[i] = openPostgresTestStore(t, url)
				}
				return stores
			},
		},
	}
}

// forEachBackend runs test as a subtest for each backend.
func forEachBackend(t *testing.T, test func(t *testing.T, b storeBackend)) {
	t.Helper()
	for _, b := range storeBackends() {
		t.Run(b.name, func(t *testing.T) { test(t, b) })
	}
}

// forEachStore runs test as a subtest for each backend, with a new, empty
// store.
func forEachStore(t *testing.T, test func(t *testing.T, s Store)) {
	t.Helper()
	forEachBackend(t, func(t *testing.T, b storeBackend) { test(t, b.open(t)) })
}

// benchEachStore runs bench as a sub-benchmark for each backend, with a
// new, empty store.
func benchEachStore(b *testing.B, bench func(b *testing.B, s Store)) {
	for _, backend := range storeBackends() {
		b.Run(backend.name, func(b *testing.B) { bench(b, backend.open(b)) })
	}
}

// bulkInsertAny is bulkInsert on either backend.
func bulkInsertAny(t testing.TB, s Store, userID int64, n int, expires time.Time) {
	t.Helper()
	switch s := s.(type) {
	case *SQLiteStore:
		bulkInsert(t, s, userID, n, expires)
	case *PostgresStore:
		pgBulkInsert(t, s, userID, n, expires)
	default:
		t.Fatalf("bulkInsert: unknown store %T", s)
	}
}

// familyIDs lists the refresh families the store keeps, by ID.
func familyIDs(t testing.TB, s Store) []string {
	t.Helper()
	const q = `SELECT id FROM refresh_families ORDER BY id`
	ctx := context.Background()
	var families []string
	switch s := s.(type) {
	case *SQLiteStore:
		rows, err := s.db.QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var f string
			if err := rows.Scan(&f); err != nil {
				t.Fatal(err)
			}
			families = append(families, f)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			t.Fatal(err)
		}
	case *PostgresStore:
		families = pgStrings(t, s, q)
	default:
		t.Fatalf("familyIDs: unknown store %T", s)
	}
	return families
}

// storedRows is every row of the refresh token tables, as text.
func storedRows(t testing.TB, s Store) string {
	t.Helper()
	var rows []string
	for _, table := range []string{"refresh_tokens", "refresh_families"} {
		switch s := s.(type) {
		case *SQLiteStore:
			rows = append(rows, sqliteRows(t, s, table)...)
		case *PostgresStore:
			rows = append(rows, pgStrings(t, s, `SELECT r::text FROM `+table+` r`)...)
		default:
			t.Fatalf("storedRows: unknown store %T", s)
		}
	}
	return strings.Join(rows, "\n")
}

// storeNow is the clock of the store tests.
var storeNow = time.Date(2025, 3, 1, 12, 0, 0, 123456789, time.UTC)

// mustUser creates a user or fails the test.
func mustUser(t testing.TB, s Store, name string) User {
	t.Helper()
	u, err := s.CreateUser(context.Background(), name, "hash-of-"+name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// mustAdd records a refresh token expiring an hour after storeNow.
func mustAdd(t testing.TB, s Store, jti, family string, userID int64) {
	t.Helper()
	err := s.AddRefresh(context.Background(), RefreshToken{JTI: jti, Family: family, UserID: userID, ExpiresAt: storeNow.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
}

// nextToken is the refresh token a rotation records, expiring an hour after
// storeNow.
func nextToken(jti string, userID int64) RefreshToken {
	return RefreshToken{JTI: jti, UserID: userID, ExpiresAt: storeNow.Add(time.Hour)}
}

// errAnyStore in a table's wantErr stands for an error that is none of the
// sentinels.
var errAnyStore = errors.New("any error")

// storeErrMatches reports whether err is what a table row wants: nil, errAnyStore for
// any error, or a sentinel.
func storeErrMatches(err, want error) bool {
	if want == errAnyStore {
		return err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrUserExists) &&
			!errors.Is(err, ErrRefreshReused) && !errors.Is(err, ErrRefreshRevoked) && !errors.Is(err, ErrRefreshExpired)
	}
	if want == nil {
		return err == nil
	}
	return errors.Is(err, want)
}

// reuseOutcome is what the *ReuseError in err says, or "".
func reuseOutcome(err error) string {
	var reuse *ReuseError
	if !errors.As(err, &reuse) {
		return ""
	}
	return reuse.Outcome.String()
}

func TestStoreCreateUser(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		mustUser(t, s, "alice")
		tests := []struct {
			name     string
			giveName string
			wantErr  error // nil: created; errAnyStore: some other error
		}{
			{name: "new", giveName: "bob"},
			{name: "taken", giveName: "alice", wantErr: ErrUserExists},
			{name: "other case is another user", giveName: "Alice"},
			{name: "unicode", giveName: "名前"},
			{name: "150 characters", giveName: strings.Repeat("é", 150)},
			{name: "151 characters", giveName: strings.Repeat("é", 151), wantErr: errAnyStore},
			{name: "empty", giveName: "", wantErr: errAnyStore},
			{name: "not UTF-8", giveName: "\xff", wantErr: errAnyStore},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				u, err := s.CreateUser(ctx, tt.giveName, "h")
				if !storeErrMatches(err, tt.wantErr) {
					t.Fatalf("CreateUser(%q) error = %v, want %v", tt.giveName, err, tt.wantErr)
				}
				if err != nil {
					return
				}
				want := User{ID: u.ID, Username: tt.giveName, PasswordHash: "h", Active: true, Joined: storeNow}
				if u.ID <= 0 || u != want {
					t.Errorf("CreateUser(%q) = %+v, want %+v with a positive ID", tt.giveName, u, want)
				}
				if got, err := s.UserByID(ctx, u.ID); err != nil || got != want {
					t.Errorf("UserByID(%d) = %+v, %v; want %+v", u.ID, got, err, want)
				}
			})
		}
	})
}

func TestStoreUserLookup(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		alice := mustUser(t, s, "alice")
		bob := mustUser(t, s, "bob")
		tests := []struct {
			name     string
			giveFind func() (User, error)
			wantUser User
			wantErr  error
		}{
			{name: "by name", giveFind: func() (User, error) { return s.UserByName(ctx, "alice") }, wantUser: alice},
			{name: "by name, other user", giveFind: func() (User, error) { return s.UserByName(ctx, "bob") }, wantUser: bob},
			{name: "by name, other case", giveFind: func() (User, error) { return s.UserByName(ctx, "ALICE") }, wantErr: ErrNotFound},
			{name: "by name, prefix", giveFind: func() (User, error) { return s.UserByName(ctx, "ali") }, wantErr: ErrNotFound},
			{name: "by name, LIKE pattern", giveFind: func() (User, error) { return s.UserByName(ctx, "ali%") }, wantErr: ErrNotFound},
			{name: "by name, empty", giveFind: func() (User, error) { return s.UserByName(ctx, "") }, wantErr: ErrNotFound},
			{name: "by ID", giveFind: func() (User, error) { return s.UserByID(ctx, bob.ID) }, wantUser: bob},
			{name: "by ID, unknown", giveFind: func() (User, error) { return s.UserByID(ctx, bob.ID+100) }, wantErr: ErrNotFound},
			{name: "by ID, zero", giveFind: func() (User, error) { return s.UserByID(ctx, 0) }, wantErr: ErrNotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				u, err := tt.giveFind()
				if !storeErrMatches(err, tt.wantErr) || u != tt.wantUser {
					t.Errorf("find = %+v, %v; want %+v, %v", u, err, tt.wantUser, tt.wantErr)
				}
			})
		}
	})
}

func TestStoreUserUpdates(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		alice := mustUser(t, s, "alice")
		bob := mustUser(t, s, "bob")
		tests := []struct {
			name       string
			giveUpdate func() error
			wantErr    error
			wantAlice  User
		}{
			{name: "set password", giveUpdate: func() error { return s.SetPassword(ctx, alice.ID, "new") },
				wantAlice: User{ID: alice.ID, Username: "alice", PasswordHash: "new", Active: true, Joined: storeNow}},
			{name: "deactivate", giveUpdate: func() error { return s.SetActive(ctx, alice.ID, false) },
				wantAlice: User{ID: alice.ID, Username: "alice", PasswordHash: "new", Active: false, Joined: storeNow}},
			{name: "deactivate again", giveUpdate: func() error { return s.SetActive(ctx, alice.ID, false) },
				wantAlice: User{ID: alice.ID, Username: "alice", PasswordHash: "new", Active: false, Joined: storeNow}},
			{name: "reactivate", giveUpdate: func() error { return s.SetActive(ctx, alice.ID, true) },
				wantAlice: User{ID: alice.ID, Username: "alice", PasswordHash: "new", Active: true, Joined: storeNow}},
			{name: "set password, same", giveUpdate: func() error { return s.SetPassword(ctx, alice.ID, "new") },
				wantAlice: User{ID: alice.ID, Username: "alice", PasswordHash: "new", Active: true, Joined: storeNow}},
			{name: "set password, unknown user", giveUpdate: func() error { return s.SetPassword(ctx, bob.ID+1, "x") }, wantErr: ErrNotFound,
				wantAlice: User{ID: alice.ID, Username: "alice", PasswordHash: "new", Active: true, Joined: storeNow}},
			{name: "set active, unknown user", giveUpdate: func() error { return s.SetActive(ctx, bob.ID+1, false) }, wantErr: ErrNotFound,
				wantAlice: User{ID: alice.ID, Username: "alice", PasswordHash: "new", Active: true, Joined: storeNow}},
			{name: "set last login", giveUpdate: func() error { return s.SetLastLogin(ctx, alice.ID, storeNow.Add(time.Hour)) },
				wantAlice: User{ID: alice.ID, Username: "alice", PasswordHash: "new", Active: true, Joined: storeNow, LastLogin: storeNow.Add(time.Hour)}},
			{name: "set last login, unknown user", giveUpdate: func() error { return s.SetLastLogin(ctx, bob.ID+1, storeNow) }, wantErr: ErrNotFound,
				wantAlice: User{ID: alice.ID, Username: "alice", PasswordHash: "new", Active: true, Joined: storeNow, LastLogin: storeNow.Add(time.Hour)}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if err := tt.giveUpdate(); !storeErrMatches(err, tt.wantErr) {
					t.Fatalf("update error = %v, want %v", err, tt.wantErr)
				}
				if got, err := s.UserByName(ctx, "alice"); err != nil || got != tt.wantAlice {
					t.Errorf("UserByName(alice) = %+v, %v; want %+v", got, err, tt.wantAlice)
				}
				if got, err := s.UserByID(ctx, bob.ID); err != nil || got != bob {
					t.Errorf("UserByID(bob) = %+v, %v; want %+v, untouched", got, err, bob)
				}
			})
		}
	})
}

// TestStoreRotateRefreshReuse follows one family through rotations and a
// reuse: the reuse revokes the family, newest token included, and leaves
// the user's other family and other users alone.
func TestStoreRotateRefreshReuse(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		alice, bob := mustUser(t, s, "alice"), mustUser(t, s, "bob")
		mustAdd(t, s, "a1", "family-a", alice.ID)
		mustAdd(t, s, "b1", "family-b", alice.ID) // alice's second login
		mustAdd(t, s, "c1", "family-c", bob.ID)

		steps := []struct {
			name     string
			giveStep func() error
			wantErr  error
			// wantStates: RefreshState of each jti after the step.
			wantStates map[string]error
		}{
			{name: "rotate a1", giveStep: func() error { return s.RotateRefresh(ctx, "a1", nextToken("a2", alice.ID), storeNow, 0) },
				wantStates: map[string]error{"a1": ErrRefreshReused, "a2": nil, "b1": nil, "c1": nil}},
			{name: "rotate a2", giveStep: func() error { return s.RotateRefresh(ctx, "a2", nextToken("a3", alice.ID), storeNow, 0) },
				wantStates: map[string]error{"a1": ErrRefreshReused, "a2": ErrRefreshReused, "a3": nil, "b1": nil}},
			{name: "reuse a1", giveStep: func() error { return s.RotateRefresh(ctx, "a1", nextToken("x1", alice.ID), storeNow, 0) }, wantErr: ErrRefreshReused,
				wantStates: map[string]error{"a1": ErrRefreshReused, "a3": ErrRefreshRevoked, "x1": ErrNotFound, "b1": nil, "c1": nil}},
			{name: "newest of the revoked family", giveStep: func() error { return s.RotateRefresh(ctx, "a3", nextToken("x2", alice.ID), storeNow, 0) }, wantErr: ErrRefreshRevoked,
				wantStates: map[string]error{"a3": ErrRefreshRevoked, "x2": ErrNotFound}},
			{name: "reuse a2, family already revoked", giveStep: func() error { return s.RotateRefresh(ctx, "a2", nextToken("x3", alice.ID), storeNow, 0) }, wantErr: ErrRefreshReused,
				wantStates: map[string]error{"a2": ErrRefreshReused, "x3": ErrNotFound}},
			{name: "other family rotates", giveStep: func() error { return s.RotateRefresh(ctx, "b1", nextToken("b2", alice.ID), storeNow, 0) },
				wantStates: map[string]error{"b1": ErrRefreshReused, "b2": nil, "c1": nil}},
			{name: "other user rotates", giveStep: func() error { return s.RotateRefresh(ctx, "c1", nextToken("c2", 0), storeNow, 0) },
				wantStates: map[string]error{"c1": ErrRefreshReused, "c2": nil, "b2": nil}},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				if err := st.giveStep(); !storeErrMatches(err, st.wantErr) {
					t.Fatalf("error = %v, want %v", err, st.wantErr)
				}
				for jti, want := range st.wantStates {
					if err := s.RefreshState(ctx, jti); !storeErrMatches(err, want) {
						t.Errorf("RefreshState(%q) = %v, want %v", jti, err, want)
					}
				}
			})
		}
	})
}

// TestStoreRotateRefreshRefusals checks each reason a rotation is refused,
// and that a refused rotation records nothing and consumes nothing.
func TestStoreRotateRefreshRefusals(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		alice, bob := mustUser(t, s, "alice"), mustUser(t, s, "bob")
		mustAdd(t, s, "live", "", alice.ID)
		mustAdd(t, s, "blacklisted", "", alice.ID)
		if err := s.RevokeRefresh(ctx, "blacklisted", storeNow); err != nil {
			t.Fatal(err)
		}
		if err := s.AddRefresh(ctx, RefreshToken{JTI: "expiring", UserID: alice.ID, ExpiresAt: storeNow.Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name      string
			giveOld   string
			giveNext  RefreshToken
			giveNow   time.Time
			wantErr   error
			wantState error // of giveOld afterwards
		}{
			{name: "unknown", giveOld: "nope", giveNext: nextToken("n1", alice.ID), giveNow: storeNow, wantErr: ErrNotFound, wantState: ErrNotFound},
			{name: "blacklisted", giveOld: "blacklisted", giveNext: nextToken("n2", alice.ID), giveNow: storeNow, wantErr: ErrRefreshRevoked, wantState: ErrRefreshRevoked},
			{name: "expired at its expiry", giveOld: "expiring", giveNext: nextToken("n3", alice.ID), giveNow: storeNow.Add(time.Minute), wantErr: ErrRefreshExpired},
			{name: "next for another user", giveOld: "live", giveNext: nextToken("n4", bob.ID), giveNow: storeNow, wantErr: errAnyStore},
			{name: "next reuses the old jti", giveOld: "live", giveNext: nextToken("live", alice.ID), giveNow: storeNow, wantErr: errAnyStore},
			{name: "next reuses another jti", giveOld: "live", giveNext: nextToken("blacklisted", alice.ID), giveNow: storeNow, wantErr: errAnyStore},
			{name: "next without jti", giveOld: "live", giveNext: nextToken("", alice.ID), giveNow: storeNow, wantErr: errAnyStore},
			{name: "next without expiry", giveOld: "live", giveNext: RefreshToken{JTI: "n5", UserID: alice.ID}, giveNow: storeNow, wantErr: errAnyStore},
			{name: "expiring, a second before", giveOld: "expiring", giveNext: nextToken("n6", alice.ID), giveNow: storeNow.Add(time.Minute - time.Second), wantState: ErrRefreshReused},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := s.RotateRefresh(ctx, tt.giveOld, tt.giveNext, tt.giveNow, 0)
				if !storeErrMatches(err, tt.wantErr) {
					t.Fatalf("RotateRefresh(%q, %+v) = %v, want %v", tt.giveOld, tt.giveNext, err, tt.wantErr)
				}
				if err := s.RefreshState(ctx, tt.giveOld); !storeErrMatches(err, tt.wantState) {
					t.Errorf("RefreshState(%q) afterwards = %v, want %v", tt.giveOld, err, tt.wantState)
				}
				if tt.wantErr != nil && tt.giveNext.JTI != tt.giveOld && tt.giveNext.JTI != "blacklisted" {
					if err := s.RefreshState(ctx, tt.giveNext.JTI); !errors.Is(err, ErrNotFound) {
						t.Errorf("RefreshState(next %q) after a refused rotation = %v, want ErrNotFound", tt.giveNext.JTI, err)
					}
				}
			})
		}
	})
}

func TestStoreAddRefresh(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		alice := mustUser(t, s, "alice")
		mustAdd(t, s, "first", "family", alice.ID)
		tests := []struct {
			name    string
			give    RefreshToken
			wantErr error
		}{
			{name: "new family", give: RefreshToken{JTI: "t1", Family: "f1", UserID: alice.ID, ExpiresAt: storeNow.Add(time.Hour)}},
			{name: "family named after the token", give: RefreshToken{JTI: "t2", UserID: alice.ID, ExpiresAt: storeNow.Add(time.Hour)}},
			{name: "family exists", give: RefreshToken{JTI: "t3", Family: "family", UserID: alice.ID, ExpiresAt: storeNow.Add(time.Hour)}, wantErr: errAnyStore},
			{name: "jti exists", give: RefreshToken{JTI: "first", Family: "f4", UserID: alice.ID, ExpiresAt: storeNow.Add(time.Hour)}, wantErr: errAnyStore},
			{name: "unknown user", give: RefreshToken{JTI: "t5", Family: "f5", UserID: alice.ID + 1, ExpiresAt: storeNow.Add(time.Hour)}, wantErr: ErrNotFound},
			{name: "no jti", give: RefreshToken{Family: "f6", UserID: alice.ID, ExpiresAt: storeNow.Add(time.Hour)}, wantErr: errAnyStore},
			{name: "no expiry", give: RefreshToken{JTI: "t7", Family: "f7", UserID: alice.ID}, wantErr: errAnyStore},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if err := s.AddRefresh(ctx, tt.give); !storeErrMatches(err, tt.wantErr) {
					t.Fatalf("AddRefresh(%+v) = %v, want %v", tt.give, err, tt.wantErr)
				}
				wantState := error(nil)
				if tt.wantErr != nil && tt.give.JTI != "first" {
					wantState = ErrNotFound
				}
				if tt.give.JTI != "" {
					if err := s.RefreshState(ctx, tt.give.JTI); !storeErrMatches(err, wantState) {
						t.Errorf("RefreshState(%q) = %v, want %v", tt.give.JTI, err, wantState)
					}
				}
			})
		}
	})
}

// TestStoreRevokeRefresh blacklists tokens in each state: a usable one is
// blacklisted alone; a rotated one revokes its family, however recently it
// was rotated; the rest are refused.
func TestStoreRevokeRefresh(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		alice := mustUser(t, s, "alice")
		mustAdd(t, s, "a1", "family-a", alice.ID)
		mustAdd(t, s, "b1", "family-b", alice.ID)
		mustAdd(t, s, "c1", "family-c", alice.ID)
		if err := s.AddRefresh(ctx, RefreshToken{JTI: "expiring", UserID: alice.ID, ExpiresAt: storeNow.Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		for _, r := range [][2]string{{"a1", "a2"}, {"b1", "b2"}} {
			if err := s.RotateRefresh(ctx, r[0], nextToken(r[1], alice.ID), storeNow, 0); err != nil {
				t.Fatal(err)
			}
		}
		tests := []struct {
			name        string
			giveJTI     string
			giveNow     time.Time
			wantErr     error
			wantOutcome string // of the *ReuseError, when wantErr is ErrRefreshReused
			wantStates  map[string]error
		}{
			{name: "live token", giveJTI: "a2", giveNow: storeNow,
				wantStates: map[string]error{"a2": ErrRefreshRevoked, "a1": ErrRefreshReused, "b2": nil, "c1": nil}},
			{name: "twice", giveJTI: "a2", giveNow: storeNow, wantErr: ErrRefreshRevoked,
				wantStates: map[string]error{"a2": ErrRefreshRevoked}},
			{name: "rotated token, just rotated: the family is revoked", giveJTI: "b1", giveNow: storeNow, wantErr: ErrRefreshReused, wantOutcome: "family revoked",
				wantStates: map[string]error{"b1": ErrRefreshReused, "b2": ErrRefreshRevoked, "c1": nil}},
			{name: "rotated token of a revoked family", giveJTI: "b1", giveNow: storeNow, wantErr: ErrRefreshReused, wantOutcome: "family already revoked",
				wantStates: map[string]error{"b2": ErrRefreshRevoked, "c1": nil}},
			{name: "descendant of a revoked family", giveJTI: "b2", giveNow: storeNow, wantErr: ErrRefreshRevoked,
				wantStates: map[string]error{"b2": ErrRefreshRevoked, "c1": nil}},
			{name: "expired", giveJTI: "expiring", giveNow: storeNow.Add(time.Minute), wantErr: ErrRefreshExpired,
				wantStates: map[string]error{"expiring": nil, "c1": nil}},
			{name: "unknown", giveJTI: "nope", giveNow: storeNow, wantErr: ErrNotFound,
				wantStates: map[string]error{"nope": ErrNotFound, "c1": nil}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := s.RevokeRefresh(ctx, tt.giveJTI, tt.giveNow)
				if !storeErrMatches(err, tt.wantErr) {
					t.Fatalf("RevokeRefresh(%q) = %v, want %v", tt.giveJTI, err, tt.wantErr)
				}
				if got := reuseOutcome(err); got != tt.wantOutcome {
					t.Errorf("RevokeRefresh(%q) reuse outcome = %q, want %q", tt.giveJTI, got, tt.wantOutcome)
				}
				for jti, want := range tt.wantStates {
					if err := s.RefreshState(ctx, jti); !storeErrMatches(err, want) {
						t.Errorf("RefreshState(%q) = %v, want %v", jti, err, want)
					}
				}
			})
		}
		if err := s.RotateRefresh(ctx, "a2", nextToken("a3", alice.ID), storeNow, 0); !errors.Is(err, ErrRefreshRevoked) {
			t.Errorf("RotateRefresh(blacklisted) = %v, want ErrRefreshRevoked", err)
		}
	})
}

// TestStoreRotateRefreshGrace presents a rotated token again at times
// around the grace window: within it the token is refused and its
// successor still rotates; from its end on, the family is revoked.
func TestStoreRotateRefreshGrace(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		alice := mustUser(t, s, "alice")
		const grace = 10 * time.Second
		tests := []struct {
			name          string
			giveGrace     time.Duration
			giveAfter     time.Duration // from the rotation to the reuse
			wantOutcome   string
			wantSuccessor error // RotateRefresh of the successor after the reuse
		}{
			{name: "at once", giveGrace: grace, giveAfter: 0, wantOutcome: "within the grace window, nothing revoked"},
			{name: "just inside", giveGrace: grace, giveAfter: grace - time.Nanosecond, wantOutcome: "within the grace window, nothing revoked"},
			{name: "at the end", giveGrace: grace, giveAfter: grace, wantOutcome: "family revoked", wantSuccessor: ErrRefreshRevoked},
			{name: "after", giveGrace: grace, giveAfter: time.Hour, wantOutcome: "family revoked", wantSuccessor: ErrRefreshRevoked},
			{name: "clock of another process behind", giveGrace: grace, giveAfter: -time.Second, wantOutcome: "within the grace window, nothing revoked"},
			{name: "no grace, at once", giveGrace: 0, giveAfter: 0, wantOutcome: "family revoked", wantSuccessor: ErrRefreshRevoked},
			{name: "no grace, clock behind", giveGrace: 0, giveAfter: -time.Second, wantOutcome: "family revoked", wantSuccessor: ErrRefreshRevoked},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				first, second, third := fmt.Sprintf("g%d-1", i), fmt.Sprintf("g%d-2", i), fmt.Sprintf("g%d-3", i)
				mustAdd(t, s, first, "", alice.ID)
				if err := s.RotateRefresh(ctx, first, nextToken(second, alice.ID), storeNow, tt.giveGrace); err != nil {
					t.Fatal(err)
				}
				reusedAt := storeNow.Add(tt.giveAfter)
				err := s.RotateRefresh(ctx, first, nextToken("unused-"+first, alice.ID), reusedAt, tt.giveGrace)
				if got := reuseOutcome(err); !errors.Is(err, ErrRefreshReused) || got != tt.wantOutcome {
					t.Errorf("reuse %v after the rotation, grace %v = %v (%q), want ErrRefreshReused (%q)", tt.giveAfter, tt.giveGrace, err, got, tt.wantOutcome)
				}
				if err := s.RotateRefresh(ctx, second, nextToken(third, alice.ID), reusedAt, tt.giveGrace); !storeErrMatches(err, tt.wantSuccessor) {
					t.Errorf("RotateRefresh(successor) after the reuse = %v, want %v", err, tt.wantSuccessor)
				}
			})
		}
	})
}

// TestStoreRevokeUserRefresh revokes all of one user's families, in any
// state, and nobody else's.
func TestStoreRevokeUserRefresh(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		alice, bob := mustUser(t, s, "alice"), mustUser(t, s, "bob")
		mustAdd(t, s, "a1", "", alice.ID)
		mustAdd(t, s, "b1", "", alice.ID)
		mustAdd(t, s, "c1", "", alice.ID)
		mustAdd(t, s, "d1", "", bob.ID)
		if err := s.RotateRefresh(ctx, "b1", nextToken("b2", alice.ID), storeNow, 0); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeRefresh(ctx, "c1", storeNow); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeRefresh(ctx, "b1", storeNow); !errors.Is(err, ErrRefreshReused) { // revokes family b
			t.Fatal(err)
		}
		tests := []struct {
			name       string
			giveUser   int64
			wantN      int64
			wantStates map[string]error
		}{
			{name: "alice", giveUser: alice.ID, wantN: 2, // a and c; b was revoked already
				wantStates: map[string]error{"a1": ErrRefreshRevoked, "b2": ErrRefreshRevoked, "c1": ErrRefreshRevoked, "d1": nil}},
			{name: "alice again", giveUser: alice.ID, wantN: 0,
				wantStates: map[string]error{"a1": ErrRefreshRevoked, "d1": nil}},
			{name: "unknown user", giveUser: bob.ID + 1, wantN: 0, wantStates: map[string]error{"d1": nil}},
			{name: "bob", giveUser: bob.ID, wantN: 1, wantStates: map[string]error{"d1": ErrRefreshRevoked}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				n, err := s.RevokeUserRefresh(ctx, tt.giveUser, storeNow)
				if err != nil || n != tt.wantN {
					t.Fatalf("RevokeUserRefresh(%d) = %d, %v; want %d", tt.giveUser, n, err, tt.wantN)
				}
				for jti, want := range tt.wantStates {
					if err := s.RefreshState(ctx, jti); !storeErrMatches(err, want) {
						t.Errorf("RefreshState(%q) = %v, want %v", jti, err, want)
					}
				}
			})
		}
		if err := s.RotateRefresh(ctx, "a1", nextToken("a2", alice.ID), storeNow, 0); !errors.Is(err, ErrRefreshRevoked) {
			t.Errorf("RotateRefresh after RevokeUserRefresh = %v, want ErrRefreshRevoked", err)
		}
	})
}

// TestStorePasswordSchemes checks that each stored hash is reported once
// per scheme, cut before its salt.
func TestStorePasswordSchemes(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		hashes := []string{
			"argon2$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
			"argon2$argon2id$v=19$m=19456,t=2,p=1$b3RoZXJzYWx0$b3RoZXJoYXNo",
			"argon2$argon2i$v=19$m=512,t=2,p=2$c29tZXNhbHQ$aGFzaA",
			djangoHash,
			"pbkdf2_sha256$260000$otherSalt123$1IWvmFB4mi9O3GxSSAMLQNnaRsXorFR+yMa/kkGDyyo=",
			"pbkdf2_sha256$1000000$salt$1IWvmFB4mi9O3GxSSAMLQNnaRsXorFR+yMa/kkGDyyo=",
			"pbkdf2_sha1$260000$salt$8eyut4GAuWbCd2Aa5GazYbJZvtI=",
			"!unusableRandomCharacters0123456789abcdef",
		}
		for i, h := range hashes {
			if _, err := s.CreateUser(ctx, fmt.Sprintf("u%d", i), h); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.PasswordSchemes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		want := []string{
			"!",
			"argon2$argon2i$v=19$m=512,t=2,p=2$",
			"argon2$argon2id$v=19$m=19456,t=2,p=1$",
			"pbkdf2_sha1$260000$",
			"pbkdf2_sha256$1000000$",
			"pbkdf2_sha256$260000$",
		}
		if !slices.Equal(got, want) {
			t.Errorf("PasswordSchemes() = %q, want %q", got, want)
		}
	})
}

func TestStorePrune(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		alice := mustUser(t, s, "alice")
		add := func(jti, family string, expires time.Time) {
			t.Helper()
			if err := s.AddRefresh(ctx, RefreshToken{JTI: jti, Family: family, UserID: alice.ID, ExpiresAt: expires}); err != nil {
				t.Fatal(err)
			}
		}
		add("old", "f-old", storeNow.Add(-time.Hour))
		add("at-now", "f-at-now", storeNow)
		add("live", "f-live", storeNow.Add(time.Nanosecond))
		// A family whose rotated token expired but whose newest lives on.
		add("mixed-1", "f-mixed", storeNow.Add(-time.Minute))
		if err := s.RotateRefresh(ctx, "mixed-1", RefreshToken{JTI: "mixed-2", ExpiresAt: storeNow.Add(time.Hour)}, storeNow.Add(-2*time.Minute), 0); err != nil {
			t.Fatal(err)
		}
		// More than one batch of expired tokens, written directly.
		const bulk = pruneBatch + 500
		bulkInsertAny(t, s, alice.ID, bulk, storeNow.Add(-time.Second))

		n, err := s.Prune(ctx, storeNow)
		if err != nil || n != bulk+3 {
			t.Fatalf("Prune() = %d, %v; want %d, nil", n, err, bulk+3)
		}
		tests := []struct {
			name      string
			giveJTI   string
			wantState error
		}{
			{name: "expired an hour ago", giveJTI: "old", wantState: ErrNotFound},
			{name: "expiring now", giveJTI: "at-now", wantState: ErrNotFound},
			{name: "expiring after now", giveJTI: "live"},
			{name: "expired, rotated", giveJTI: "mixed-1", wantState: ErrNotFound},
			{name: "live in the same family", giveJTI: "mixed-2"},
			{name: "bulk", giveJTI: "bulk-0", wantState: ErrNotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if err := s.RefreshState(ctx, tt.giveJTI); !storeErrMatches(err, tt.wantState) {
					t.Errorf("RefreshState(%q) after Prune = %v, want %v", tt.giveJTI, err, tt.wantState)
				}
			})
		}
		families := familyIDs(t, s)
		if got, want := strings.Join(families, ","), "f-live,f-mixed"; got != want {
			t.Errorf("families after Prune = %s, want %s", got, want)
		}
		if n, err := s.Prune(ctx, storeNow); err != nil || n != 0 {
			t.Errorf("second Prune() = %d, %v; want 0, nil", n, err)
		}
	})
}

// TestStoreRotateRefreshRace rotates one token through two stores on one
// database at the same instant, as two workers (SQLite) or hosts
// (PostgreSQL) would, many times: exactly one rotation wins each time,
// the other sees a reuse.
func TestStoreRotateRefreshRace(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b storeBackend) {
		stores := b.openShared(t, 2)
		ctx := context.Background()
		alice := mustUser(t, stores[0], "alice")
		rounds := 40
		if testing.Short() {
			rounds = 10
		}
		for round := range rounds {
			old := fmt.Sprintf("r%d", round)
			mustAdd(t, stores[round%2], old, "", alice.ID)
			var errs [2]error
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i, s := range stores {
				wg.Go(func() {
					<-start
					errs[i] = s.RotateRefresh(ctx, old, nextToken(fmt.Sprintf("%s-next-%d", old, i), alice.ID), storeNow, 0)
				})
			}
			close(start)
			wg.Wait()
			won := 0
			for i, err := range errs {
				switch {
				case err == nil:
					won++
				case !errors.Is(err, ErrRefreshReused):
					t.Errorf("round %d: store %d: RotateRefresh = %v, want nil or ErrRefreshReused", round, i, err)
				}
			}
			if won != 1 {
				t.Fatalf("round %d: %d rotations of one token succeeded (%v), want exactly 1", round, won, errs)
			}
		}
	})
}

// TestStoreRevokeRefreshRacesRotation blacklists and rotates one token at
// the same moment through two stores on one database (two workers or
// hosts), with a grace window: whichever comes second, no token of the
// family is usable afterwards.
func TestStoreRevokeRefreshRacesRotation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b storeBackend) {
		stores := b.openShared(t, 2)
		ctx := context.Background()
		alice := mustUser(t, stores[0], "alice")
		rounds := 40
		if testing.Short() {
			rounds = 10
		}
		rotatedFirst := 0
		for round := range rounds {
			old, next := fmt.Sprintf("r%d", round), fmt.Sprintf("r%d-next", round)
			mustAdd(t, stores[0], old, "", alice.ID)
			var rotateErr, revokeErr error
			start := make(chan struct{})
			var wg sync.WaitGroup
			wg.Go(func() {
				<-start
				rotateErr = stores[round%2].RotateRefresh(ctx, old, nextToken(next, alice.ID), storeNow, time.Minute)
			})
			wg.Go(func() {
				<-start
				revokeErr = stores[1-round%2].RevokeRefresh(ctx, old, storeNow)
			})
			close(start)
			wg.Wait()
			switch {
			case rotateErr == nil && reuseOutcome(revokeErr) == "family revoked":
				rotatedFirst++
			case revokeErr == nil && errors.Is(rotateErr, ErrRefreshRevoked):
			default:
				t.Errorf("round %d: RotateRefresh = %v, RevokeRefresh = %v; want one to succeed and the other to find the token used", round, rotateErr, revokeErr)
			}
			for _, jti := range []string{old, next} {
				if err := stores[0].RefreshState(ctx, jti); err == nil {
					t.Errorf("round %d: %s is usable after a simultaneous rotation and blacklisting", round, jti)
				}
			}
		}
		t.Logf("the rotation came first in %d of %d rounds", rotatedFirst, rounds)
	})
}

func TestStoreUsers(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		if users, err := s.Users(ctx); err != nil || len(users) != 0 {
			t.Fatalf("Users() of an empty store = %v, %v; want none", users, err)
		}
		alice, bob := mustUser(t, s, "alice"), mustUser(t, s, "bob")
		if err := s.SetActive(ctx, bob.ID, false); err != nil {
			t.Fatal(err)
		}
		users, err := s.Users(ctx)
		if err != nil {
			t.Fatal(err)
		}
		bob.Active = false
		if want := []User{alice, bob}; !slices.Equal(users, want) {
			t.Errorf("Users() = %+v, want %+v", users, want)
		}
	})
}

func TestStoreDeleteUser(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b storeBackend) {
		ctx := context.Background()
		tests := []struct {
			name      string
			giveID    func(alice User) int64
			wantErr   error
			wantUsers []string
		}{
			{name: "existing", giveID: func(a User) int64 { return a.ID }, wantUsers: []string{"bob"}},
			{name: "unknown", giveID: func(User) int64 { return 999 }, wantErr: ErrNotFound, wantUsers: []string{"alice", "bob"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s := b.open(t)
				alice, bob := mustUser(t, s, "alice"), mustUser(t, s, "bob")
				mustAdd(t, s, "a1", "", alice.ID)
				mustAdd(t, s, "b1", "", bob.ID)
				if err := s.DeleteUser(ctx, tt.giveID(alice)); !errors.Is(err, tt.wantErr) {
					t.Fatalf("DeleteUser() = %v, want %v", err, tt.wantErr)
				}
				users, err := s.Users(ctx)
				if err != nil {
					t.Fatal(err)
				}
				var names []string
				for _, u := range users {
					names = append(names, u.Username)
				}
				if !slices.Equal(names, tt.wantUsers) {
					t.Errorf("users after DeleteUser() = %q, want %q", names, tt.wantUsers)
				}
				// Bob's token is untouched either way.
				if err := s.RefreshState(ctx, "b1"); err != nil {
					t.Errorf("RefreshState(bob's token) = %v, want nil", err)
				}
			})
		}
	})
}

// TestStoreDeleteUserTakesItsTokens: a deleted user's refresh tokens and
// families go with the row, and the ID is not given again.
func TestStoreDeleteUserTakesItsTokens(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		alice := mustUser(t, s, "alice")
		mustAdd(t, s, "a1", "", alice.ID)
		if err := s.DeleteUser(ctx, alice.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.RefreshState(ctx, "a1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("RefreshState(deleted user's token) = %v, want ErrNotFound", err)
		}
		if families := familyIDs(t, s); len(families) != 0 {
			t.Errorf("families left = %q, want none", families)
		}
		again := mustUser(t, s, "alice")
		if again.ID == alice.ID {
			t.Errorf("a new alice got the deleted user's ID %d", alice.ID)
		}
	})
}

func BenchmarkRotateRefresh(b *testing.B) {
	benchEachStore(b, func(b *testing.B, s Store) {
		ctx := context.Background()
		u := mustUser(b, s, "alice")
		mustAdd(b, s, "jti-0", "", u.ID)
		i := 0
		for b.Loop() {
			old, nxt := fmt.Sprintf("jti-%d", i), fmt.Sprintf("jti-%d", i+1)
			if err := s.RotateRefresh(ctx, old, nextToken(nxt, u.ID), storeNow, 0); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

func BenchmarkUserByName(b *testing.B) {
	benchEachStore(b, func(b *testing.B, s Store) {
		ctx := context.Background()
		for i := range 1000 {
			mustUser(b, s, fmt.Sprintf("user-%d", i))
		}
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.UserByName(ctx, "user-500"); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// TestStoreImportUser imports users as Django keeps them: each as given,
// taken names and IDs refused, and no later CreateUser given an imported
// ID or that of a deleted user.
func TestStoreImportUser(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		alice, bob := mustUser(t, s, "alice"), mustUser(t, s, "bob")
		carol := mustUser(t, s, "carol")
		if err := s.DeleteUser(ctx, carol.ID); err != nil {
			t.Fatal(err)
		}
		joined, login := storeNow.Add(-24*time.Hour), storeNow.Add(-time.Minute)
		tests := []struct {
			name    string
			give    User
			wantErr error
		}{
			{name: "with a last login", give: User{ID: 100, Username: "dave", PasswordHash: djangoHash, Active: true, Joined: joined, LastLogin: login}},
			{name: "inactive, never logged in", give: User{ID: 50, Username: "erin", PasswordHash: "h", Joined: joined}},
			{name: "below the deleted user's ID", give: User{ID: bob.ID + 10, Username: "frank", PasswordHash: "h", Active: true, Joined: joined}},
			{name: "taken ID", give: User{ID: alice.ID, Username: "grace", PasswordHash: "h", Joined: joined}, wantErr: ErrUserExists},
			{name: "taken username", give: User{ID: 200, Username: "bob", PasswordHash: "h", Joined: joined}, wantErr: ErrUserExists},
			{name: "zero ID", give: User{Username: "heidi", PasswordHash: "h", Joined: joined}, wantErr: errAnyStore},
			{name: "empty username", give: User{ID: 300, PasswordHash: "h", Joined: joined}, wantErr: errAnyStore},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := s.ImportUser(ctx, tt.give)
				if !storeErrMatches(err, tt.wantErr) {
					t.Fatalf("ImportUser(%+v) = %v, want %v", tt.give, err, tt.wantErr)
				}
				if err != nil {
					return
				}
				if got, err := s.UserByID(ctx, tt.give.ID); err != nil || got != tt.give {
					t.Errorf("UserByID(%d) = %+v, %v; want %+v", tt.give.ID, got, err, tt.give)
				}
			})
		}
		if got, err := s.UserByName(ctx, "bob"); err != nil || got != bob {
			t.Errorf("UserByName(bob) after the imports = %+v, %v; want %+v, untouched", got, err, bob)
		}
		next := mustUser(t, s, "ivan")
		if next.ID <= 100 {
			t.Errorf("CreateUser after importing ID 100 gave ID %d, want more than 100", next.ID)
		}
		if again := mustUser(t, s, "carol"); again.ID == carol.ID {
			t.Errorf("a new carol got the deleted user's ID %d", carol.ID)
		}
	})
}

// TestStoreKeepsOnlyJTIHashesInRows looks for tokens' jti in every row of
// the refresh token tables: only their SHA-256 may be there.
func TestStoreKeepsOnlyJTIHashesInRows(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		alice := mustUser(t, s, "alice")
		const jti, rotated, named = "5f2b1c7e9a0d4e3f8b6a1c2d3e4f5a6b", "0a1b2c3d4e5f60718293a4b5c6d7e8f9", "9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a"
		mustAdd(t, s, jti, "", alice.ID)
		mustAdd(t, s, named, "family-of-named", alice.ID)
		if err := s.RotateRefresh(ctx, jti, nextToken(rotated, alice.ID), storeNow, 0); err != nil {
			t.Fatal(err)
		}
		raw := storedRows(t, s)
		for _, id := range []string{jti, rotated, named} {
			if strings.Contains(raw, id) {
				t.Errorf("the stored rows contain the jti %s:\n%s", id, raw)
			}
			if !strings.Contains(raw, hashJTI(id)) {
				t.Errorf("the stored rows lack sha256(%s) = %s:\n%s", id, hashJTI(id), raw)
			}
		}
	})
}
