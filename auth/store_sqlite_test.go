package auth

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// The SQLite store's own tests: its schema migrations, its file, its
// connection settings. Its behaviour as a Store is tested by the suite,
// store_suite_test.go.

// openTestStore opens the SQLite store at path (a new file in a temporary directory
// when empty), with its clock at storeNow, closed when the test ends.
func openTestStore(t testing.TB, path string) *SQLiteStore {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "drover.db")
	}
	s, err := OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	s.now = func() time.Time { return storeNow }
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// TestStoreMigratesVersion1 opens a store left by a drover of schema
// version 1: its users are kept, without a last login, and one can be
// recorded.
func TestStoreMigratesVersion1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "drover.db")
	old, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		sqliteMigrations[0],
		`CREATE TABLE schema_version (version INTEGER NOT NULL) STRICT`,
		`INSERT INTO schema_version (version) VALUES (1)`,
		`INSERT INTO users (username, password_hash, active, joined) VALUES ('alice', 'hash', 1, 42)`,
	} {
		if _, err := old.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	s := openTestStore(t, path)
	u, err := s.UserByName(ctx, "alice")
	if want := (User{ID: 1, Username: "alice", PasswordHash: "hash", Active: true, Joined: time.Unix(0, 42).UTC()}); err != nil || u != want {
		t.Fatalf("UserByName(alice) after the migration = %+v, %v; want %+v", u, err, want)
	}
	if err := s.SetLastLogin(ctx, u.ID, storeNow); err != nil {
		t.Fatal(err)
	}
	if u, err := s.UserByID(ctx, u.ID); err != nil || !u.LastLogin.Equal(storeNow) {
		t.Errorf("LastLogin = %v, %v; want %v", u.LastLogin, err, storeNow)
	}
}

// bulkInsert writes n refresh tokens bulk-<i>, each its own family, in
// one transaction.
func bulkInsert(t testing.TB, s *SQLiteStore, userID int64, n int, expires time.Time) {
	t.Helper()
	ctx := context.Background()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for i := range n {
		jti := fmt.Sprintf("bulk-%d", i)
		if _, err := tx.ExecContext(ctx, `INSERT INTO refresh_families (id, user_id, created_at) VALUES (?, ?, 0)`, jti, userID); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO refresh_tokens (jti_sha256, family_id, expires_at) VALUES (?, ?, ?)`,
			hashJTI(jti), jti, expires.UnixNano()); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// TestStoreKeepsOnlyJTIHashes looks for a token's jti in the bytes of the
// database and its WAL: it must not be there, its SHA-256 must.
func TestStoreKeepsOnlyJTIHashes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "drover.db")
	s := openTestStore(t, path)
	ctx := context.Background()
	alice := mustUser(t, s, "alice")
	const jti, rotated = "5f2b1c7e9a0d4e3f8b6a1c2d3e4f5a6b", "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
	mustAdd(t, s, jti, "family", alice.ID)
	if err := s.RotateRefresh(ctx, jti, nextToken(rotated, alice.ID), storeNow, 0); err != nil {
		t.Fatal(err)
	}
	var raw []byte
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		raw = append(raw, b...)
	}
	for _, id := range []string{jti, rotated} {
		if bytes.Contains(raw, []byte(id)) {
			t.Errorf("the database files contain the jti %s", id)
		}
		if !bytes.Contains(raw, []byte(hashJTI(id))) {
			t.Errorf("the database files lack sha256(%s) = %s", id, hashJTI(id))
		}
	}
}

func TestStoreOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	newer := filepath.Join(dir, "newer.db")
	s := openTestStore(t, newer)
	if _, err := s.db.ExecContext(ctx, `UPDATE schema_version SET version = ?`, len(sqliteMigrations)+1); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		givePath string
		wantErr  bool
	}{
		{name: "new file", givePath: filepath.Join(dir, "new.db")},
		{name: "existing file", givePath: filepath.Join(dir, "new.db")},
		{name: "schema newer than drover", givePath: newer, wantErr: true},
		{name: "empty path", givePath: "", wantErr: true},
		{name: "memory", givePath: ":memory:", wantErr: true},
		{name: "question mark", givePath: filepath.Join(dir, "a?b.db"), wantErr: true},
		{name: "URI", givePath: "file:" + filepath.Join(dir, "uri.db"), wantErr: true},
		{name: "missing directory", givePath: filepath.Join(dir, "missing", "x.db"), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := OpenSQLite(ctx, tt.givePath)
			if (err != nil) != tt.wantErr {
				t.Fatalf("OpenSQLite(%q) error = %v, want error %t", tt.givePath, err, tt.wantErr)
			}
			if err != nil {
				return
			}
			defer s.Close()
			var version int
			var journal string
			if err := s.db.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&version); err != nil || version != len(sqliteMigrations) {
				t.Errorf("schema version = %d, %v; want %d", version, err, len(sqliteMigrations))
			}
			if err := s.db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&journal); err != nil || journal != "wal" {
				t.Errorf("journal_mode = %q, %v; want wal", journal, err)
			}
		})
	}
}

// TestStoreConnectionSettings checks the pragmas every pooled connection
// gets from the DSN.
func TestStoreConnectionSettings(t *testing.T) {
	s := openTestStore(t, "")
	ctx := context.Background()
	tests := []struct {
		givePragma string
		want       string
	}{
		{givePragma: "journal_mode", want: "wal"},
		{givePragma: "synchronous", want: "2"}, // FULL
		{givePragma: "foreign_keys", want: "1"},
		{givePragma: "busy_timeout", want: "5000"},
	}
	// Several connections at once, so that more than one is checked.
	conns := make([]interface{ Close() error }, 0, 3)
	for range 3 {
		c, err := s.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		for _, tt := range tests {
			var got string
			if err := c.QueryRowContext(ctx, "PRAGMA "+tt.givePragma).Scan(&got); err != nil || got != tt.want {
				t.Errorf("PRAGMA %s = %q, %v; want %q", tt.givePragma, got, err, tt.want)
			}
		}
	}
	for _, c := range conns {
		c.Close()
	}
}

// TestStoreOpenConcurrently opens one new file from several stores at once,
// as the workers of a fresh install do: all open, one schema.
func TestStoreOpenConcurrently(t *testing.T) {
	path := filepath.Join(t.TempDir(), "drover.db")
	const n = 6
	stores := make([]*SQLiteStore, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			stores[i], errs[i] = OpenSQLite(context.Background(), path)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("store %d: %v", i, err)
			continue
		}
		defer stores[i].Close()
	}
	if t.Failed() {
		return
	}
	u := mustUser(t, stores[0], "alice")
	if got, err := stores[n-1].UserByName(context.Background(), "alice"); err != nil || got.ID != u.ID {
		t.Errorf("UserByName through another store = %+v, %v; want ID %d", got, err, u.ID)
	}
}

// sqliteRows is every row of table, as text.
func sqliteRows(t testing.TB, s *SQLiteStore, table string) []string {
	t.Helper()
	rows, err := s.db.QueryContext(context.Background(), `SELECT * FROM `+table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint(vals...))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
