package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/drover/drover/internal/pgtest"
)

// The PostgreSQL store's own tests: migrations under the advisory lock,
// unavailability and recovery, several hosts at once, pruning by one
// host, errors, URLs. Its behaviour as a Store is tested by the suite,
// store_suite_test.go.

// createTestDatabase creates a new, empty database in the test binary's
// shared cluster and returns its URL.
func createTestDatabase(t testing.TB) string {
	t.Helper()
	return pgtest.Shared(t).CreateDatabase(t, "")
}

// openPostgresTestStore opens a migrated store on the database at url (a
// new database in the shared cluster when empty), with its clock at
// storeNow, closed when the test ends.
func openPostgresTestStore(t testing.TB, url string) *PostgresStore {
	t.Helper()
	if url == "" {
		url = createTestDatabase(t)
	}
	return openPostgresWith(t, PostgresConfig{URL: url, Migrate: true})
}

// openPostgresWith opens a store with cfg, its clock at storeNow, closed
// when the test ends.
func openPostgresWith(t testing.TB, cfg PostgresConfig) *PostgresStore {
	t.Helper()
	s, err := OpenPostgres(context.Background(), cfg)
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

// pgBulkInsert writes n refresh tokens bulk-<i>, each its own family, in
// one transaction.
func pgBulkInsert(t testing.TB, s *PostgresStore, userID int64, n int, expires time.Time) {
	t.Helper()
	ids, hashes := make([]string, n), make([]string, n)
	for i := range n {
		ids[i] = fmt.Sprintf("bulk-%d", i)
		hashes[i] = hashJTI(ids[i])
	}
	ctx := context.Background()
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO refresh_families (id, user_id, created_at) SELECT unnest($1::text[]), $2, 0`, ids, userID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO refresh_tokens (jti_sha256, family_id, expires_at) SELECT unnest($1::text[]), unnest($2::text[]), $3`,
			hashes, ids, expires.UnixNano())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// pgStrings runs query, which returns one text column.
func pgStrings(t testing.TB, s *PostgresStore, query string, args ...any) []string {
	t.Helper()
	rows, err := s.pool.Query(context.Background(), query, args...)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// schemaVersion reads the schema version of the database at url.
func schemaVersion(t testing.TB, url string) int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var v int
	if err := conn.QueryRow(ctx, `SELECT version FROM schema_version`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// adminExec runs statements on the database at url, outside any store.
func adminExec(t testing.TB, url string, stmts ...string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, q := range stmts {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// TestPostgresMigrateConcurrently opens and migrates one new database from
// several hosts at once, as a fresh install's hosts starting together
// do: all succeed, one migrates, the schema is current.
func TestPostgresMigrateConcurrently(t *testing.T) {
	url := createTestDatabase(t)
	const n = 8
	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		errs    [n]error
		froms   [n]int
		tos     [n]int
		storesM sync.Mutex
		stores  []*PostgresStore
	)
	for i := range n {
		wg.Go(func() {
			<-start
			if i%2 == 0 {
				froms[i], tos[i], errs[i] = MigratePostgres(context.Background(), PostgresConfig{URL: url})
				return
			}
			s, err := OpenPostgres(context.Background(), PostgresConfig{URL: url, Migrate: true})
			errs[i], froms[i], tos[i] = err, -1, -1
			if err == nil {
				storesM.Lock()
				stores = append(stores, s)
				storesM.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	for _, s := range stores {
		defer s.Close()
	}
	fromZero := 0
	for i, err := range errs {
		switch {
		case err != nil:
			t.Errorf("host %d: %v", i, err)
		case froms[i] == -1:
		case tos[i] != len(postgresMigrations):
			t.Errorf("host %d: MigratePostgres() = %d, %d; want to %d", i, froms[i], tos[i], len(postgresMigrations))
		case froms[i] == 0:
			fromZero++
		}
	}
	if fromZero > 1 {
		t.Errorf("%d hosts migrated from version 0, want at most 1", fromZero)
	}
	if v := schemaVersion(t, url); v != len(postgresMigrations) {
		t.Errorf("schema version = %d, want %d", v, len(postgresMigrations))
	}
	if from, to, err := MigratePostgres(context.Background(), PostgresConfig{URL: url}); err != nil || from != to || to != len(postgresMigrations) {
		t.Errorf("MigratePostgres() again = %d, %d, %v; want %d, %[4]d, nil", from, to, err, len(postgresMigrations))
	}
}

// TestPostgresOpenSchemaVersions opens databases of each schema version,
// with and without Migrate.
func TestPostgresOpenSchemaVersions(t *testing.T) {
	current := len(postgresMigrations)
	tests := []struct {
		name        string
		giveVersion int // -1: an empty database, no schema_version table
		giveMigrate bool
		wantErr     string // "" for success
	}{
		{name: "empty, migrate", giveVersion: -1, giveMigrate: true},
		{name: "empty, no migrate", giveVersion: -1, wantErr: "run drover migrate"},
		{name: "version 0, no migrate", giveVersion: 0, wantErr: "run drover migrate"},
		{name: "version 0, migrate", giveVersion: 0, giveMigrate: true},
		{name: "current, no migrate", giveVersion: current},
		{name: "current, migrate", giveVersion: current, giveMigrate: true},
		{name: "newer, no migrate", giveVersion: current + 1, wantErr: "is newer than this drover's"},
		{name: "newer, migrate", giveVersion: current + 1, giveMigrate: true, wantErr: "is newer than this drover's"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := createTestDatabase(t)
			switch {
			case tt.giveVersion == 0: // as an interrupted first start leaves it
				adminExec(t, url, `CREATE TABLE schema_version (version INTEGER NOT NULL)`, `INSERT INTO schema_version (version) VALUES (0)`)
			case tt.giveVersion > 0:
				if _, _, err := MigratePostgres(context.Background(), PostgresConfig{URL: url}); err != nil {
					t.Fatal(err)
				}
				adminExec(t, url, fmt.Sprintf(`UPDATE schema_version SET version = %d`, tt.giveVersion))
			}
			s, err := OpenPostgres(context.Background(), PostgresConfig{URL: url, Migrate: tt.giveMigrate})
			if err == nil {
				defer s.Close()
			}
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("OpenPostgres(migrate=%t) = %v, want error containing %q", tt.giveMigrate, err, tt.wantErr)
			}
			if errors.Is(err, ErrStoreUnavailable) {
				t.Errorf("OpenPostgres() error %v matches ErrStoreUnavailable", err)
			}
			if err == nil {
				mustUser(t, s, "alice")
			}
		})
	}
}

// TestPostgresUnavailable stops the server under an open store: every
// call fails with ErrStoreUnavailable, and once the server is back the
// same store works again, not reopened.
func TestPostgresUnavailable(t *testing.T) {
	ctx := context.Background()
	c := pgtest.Start(t)
	url := c.CreateDatabase(t, "")
	s := openPostgresWith(t, PostgresConfig{URL: url, Migrate: true, StatementTimeout: time.Second, ConnectTimeout: time.Second})
	alice := mustUser(t, s, "alice")
	mustAdd(t, s, "a1", "", alice.ID)

	calls := []struct {
		name     string
		giveCall func() error
	}{
		{name: "UserByName", giveCall: func() error { _, err := s.UserByName(ctx, "alice"); return err }},
		{name: "CreateUser", giveCall: func() error { _, err := s.CreateUser(ctx, "bob", "h"); return err }},
		{name: "RotateRefresh", giveCall: func() error { return s.RotateRefresh(ctx, "a1", nextToken("a2", alice.ID), storeNow, 0) }},
		{name: "RefreshState", giveCall: func() error { return s.RefreshState(ctx, "a1") }},
		{name: "Prune", giveCall: func() error { _, err := s.Prune(ctx, storeNow); return err }},
		{name: "OpenPostgres", giveCall: func() error {
			s, err := OpenPostgres(ctx, PostgresConfig{URL: url, ConnectTimeout: time.Second})
			if err == nil {
				s.Close()
			}
			return err
		}},
		{name: "MigratePostgres", giveCall: func() error { _, _, err := MigratePostgres(ctx, PostgresConfig{URL: url}); return err }},
	}
	for round := range 2 {
		// Round 0 calls while the server is down; round 1 restarts it at
		// once, leaving the pool's idle connections dead, and calls after.
		if err := c.Stop(); err != nil {
			t.Fatal(err)
		}
		if round == 0 {
			for _, tt := range calls {
				if err := tt.giveCall(); !errors.Is(err, ErrStoreUnavailable) {
					t.Errorf("server stopped: %s() = %v, want ErrStoreUnavailable", tt.name, err)
				}
			}
		}
		if err := c.StartAgain(); err != nil {
			t.Fatal(err)
		}
		if got, err := s.UserByName(ctx, "alice"); err != nil || got != alice {
			t.Fatalf("round %d: UserByName(alice) after the restart = %+v, %v; want %+v", round, got, err, alice)
		}
	}
	if err := s.RotateRefresh(ctx, "a1", nextToken("a2", alice.ID), storeNow, 0); err != nil {
		t.Errorf("RotateRefresh after the restart = %v", err)
	}
}

// TestPostgresStatementTimeout holds a lock a store's call needs: the
// statement timeout ends the call with ErrStoreUnavailable; a caller's
// cancellation ends it with context.Canceled, not ErrStoreUnavailable.
func TestPostgresStatementTimeout(t *testing.T) {
	ctx := context.Background()
	url := createTestDatabase(t)
	s := openPostgresWith(t, PostgresConfig{URL: url, Migrate: true, StatementTimeout: 300 * time.Millisecond})
	alice := mustUser(t, s, "alice")
	if got := pgStrings(t, s, `SHOW statement_timeout`); len(got) != 1 || got[0] != "300ms" {
		t.Errorf("statement_timeout = %q, want 300ms", got)
	}

	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, alice.ID); err != nil {
		t.Fatal(err)
	}

	err = s.SetActive(ctx, alice.ID, false)
	var pgErr *pgconn.PgError
	if !errors.Is(err, ErrStoreUnavailable) || !errors.As(err, &pgErr) || pgErr.Code != "57014" {
		t.Errorf("SetActive on a locked row = %v, want ErrStoreUnavailable from query_canceled (57014)", err)
	}

	cancelCtx, cancel := context.WithCancel(ctx)
	time.AfterFunc(50*time.Millisecond, cancel)
	err = s.SetActive(cancelCtx, alice.ID, false)
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrStoreUnavailable) {
		t.Errorf("SetActive canceled by its caller = %v, want context.Canceled and not ErrStoreUnavailable", err)
	}

	if _, err := s.CreateUser(ctx, "alice", "h"); !errors.Is(err, ErrUserExists) || errors.Is(err, ErrStoreUnavailable) {
		t.Errorf("CreateUser(taken) = %v, want ErrUserExists only", err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.SetActive(ctx, alice.ID, false); err != nil {
		t.Errorf("SetActive after the lock's release = %v", err)
	}
}

// TestPostgresRotateRefreshAcrossHosts rotates one token from several
// separately opened stores (hosts) at the same instant, many times:
// exactly one rotation wins each time, the others see a reuse.
func TestPostgresRotateRefreshAcrossHosts(t *testing.T) {
	ctx := context.Background()
	url := createTestDatabase(t)
	const hosts, rounds = 4, 20
	stores := make([]*PostgresStore, hosts)
	for i := range stores {
		stores[i] = openPostgresTestStore(t, url)
	}
	alice := mustUser(t, stores[0], "alice")
	for round := range rounds {
		old := fmt.Sprintf("r%d", round)
		mustAdd(t, stores[round%hosts], old, "", alice.ID)
		errs := make([]error, hosts)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, s := range stores {
			wg.Go(func() {
				<-start
				errs[i] = s.RotateRefresh(ctx, old, nextToken(fmt.Sprintf("%s-next-%d", old, i), alice.ID), storeNow, time.Minute)
			})
		}
		close(start)
		wg.Wait()
		won := 0
		for i, err := range errs {
			switch {
			case err == nil:
				won++
			case reuseOutcome(err) != ReuseInGrace.String():
				t.Errorf("round %d: host %d: RotateRefresh = %v, want nil or a reuse within the grace window", round, i, err)
			}
		}
		if won != 1 {
			t.Fatalf("round %d: %d rotations of one token succeeded (%v), want exactly 1", round, won, errs)
		}
	}
}

// TestPostgresPruneOneHostAtATime holds the prune lock as another host
// pruning would: Prune leaves the tokens to that host; once the lock is
// free, Prune deletes them.
func TestPostgresPruneOneHostAtATime(t *testing.T) {
	ctx := context.Background()
	url := createTestDatabase(t)
	s := openPostgresTestStore(t, url)
	alice := mustUser(t, s, "alice")
	pgBulkInsert(t, s, alice.ID, 10, storeNow.Add(-time.Second))

	other, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(ctx)
	if _, err := other.Exec(ctx, `SELECT pg_advisory_lock($1)`, pgPruneLock); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Prune(ctx, storeNow); err != nil || n != 0 {
		t.Errorf("Prune() while another host prunes = %d, %v; want 0, nil", n, err)
	}
	if err := s.RefreshState(ctx, "bulk-0"); err != nil {
		t.Errorf("RefreshState(bulk-0) = %v, want it kept", err)
	}
	if _, err := other.Exec(ctx, `SELECT pg_advisory_unlock($1)`, pgPruneLock); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Prune(ctx, storeNow); err != nil || n != 10 {
		t.Errorf("Prune() = %d, %v; want 10, nil", n, err)
	}
}

// TestPostgresKeepsOnlyJTIHashes reads the token table as a copy of the
// database would show it: hashes, no jti.
func TestPostgresKeepsOnlyJTIHashes(t *testing.T) {
	s := openPostgresTestStore(t, "")
	alice := mustUser(t, s, "alice")
	const jti = "5f2b1c7e9a0d4e3f8b6a1c2d3e4f5a6b"
	mustAdd(t, s, jti, "family", alice.ID)
	got := pgStrings(t, s, `SELECT jti_sha256 FROM refresh_tokens`)
	if want := []string{hashJTI(jti)}; len(got) != 1 || got[0] != want[0] {
		t.Errorf("jti_sha256 = %q, want %q", got, want)
	}
}

// TestPostgresClassify sorts driver errors into unavailability and the
// rest.
func TestPostgresClassify(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	constraint := &pgconn.PgError{Code: "23505"}
	tests := []struct {
		name            string
		giveCtx         context.Context
		giveErr         error
		wantUnavailable bool
		wantCanceled    bool
	}{
		{name: "nil", giveErr: nil},
		{name: "unique violation", giveErr: constraint},
		{name: "undefined table", giveErr: &pgconn.PgError{Code: "42P01"}},
		{name: "wrong password", giveErr: &pgconn.PgError{Code: "28P01"}},
		{name: "no such database", giveErr: &pgconn.PgError{Code: "3D000"}},
		{name: "connection failure", giveErr: &pgconn.PgError{Code: "08006"}, wantUnavailable: true},
		{name: "admin shutdown", giveErr: &pgconn.PgError{Code: "57P01"}, wantUnavailable: true},
		{name: "crash shutdown", giveErr: &pgconn.PgError{Code: "57P02"}, wantUnavailable: true},
		{name: "starting up", giveErr: &pgconn.PgError{Code: "57P03"}, wantUnavailable: true},
		{name: "statement timeout", giveErr: &pgconn.PgError{Code: "57014"}, wantUnavailable: true},
		{name: "too many connections", giveErr: &pgconn.PgError{Code: "53300"}, wantUnavailable: true},
		{name: "wrapped server error", giveErr: fmt.Errorf("x: %w", &pgconn.PgError{Code: "57P01"}), wantUnavailable: true},
		{name: "deadline", giveErr: context.DeadlineExceeded, wantUnavailable: true},
		{name: "eof", giveErr: fmt.Errorf("receive: %w", io.ErrUnexpectedEOF), wantUnavailable: true},
		{name: "net", giveErr: &net.OpError{Op: "dial", Err: errors.New("refused")}, wantUnavailable: true},
		{name: "sentinel", giveErr: ErrNotFound},
		{name: "canceled by the caller", giveCtx: canceled, giveErr: &net.OpError{Op: "read", Err: errors.New("timeout")}, wantCanceled: true},
		{name: "canceled, the driver says so", giveCtx: canceled, giveErr: fmt.Errorf("x: %w", context.Canceled), wantCanceled: true},
		{name: "canceled, a constraint", giveCtx: canceled, giveErr: constraint},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := tt.giveCtx
			if ctx == nil {
				ctx = context.Background()
			}
			err := (&PostgresStore{}).classify(ctx, tt.giveErr)
			if got := errors.Is(err, ErrStoreUnavailable); got != tt.wantUnavailable {
				t.Errorf("classify(%v) = %v, unavailable %t, want %t", tt.giveErr, err, got, tt.wantUnavailable)
			}
			if got := errors.Is(err, context.Canceled); got != tt.wantCanceled {
				t.Errorf("classify(%v) = %v, canceled %t, want %t", tt.giveErr, err, got, tt.wantCanceled)
			}
			if tt.giveErr != nil && !errors.Is(err, tt.giveErr) {
				t.Errorf("classify(%v) = %v, which no longer wraps it", tt.giveErr, err)
			}
		})
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct {
		give string
		want string
	}{
		{give: "postgres://drover:s3cret@db.example:5432/drover?sslmode=verify-full", want: "postgres://drover:xxxxx@db.example:5432/drover?sslmode=verify-full"},
		{give: "postgresql://drover@db/drover", want: "postgresql://drover@db/drover"},
		{give: "postgres:///drover?host=/run/pg&user=drover", want: "postgres:///drover?host=/run/pg&user=drover"},
		{give: "postgres://db/drover?user=u&password=s3cret&sslpassword=k3y&sslmode=require", want: "postgres://db/drover?user=u&password=xxxxx&sslpassword=xxxxx&sslmode=require"},
		{give: "postgres://u:p%40ss@db/x", want: "postgres://u:xxxxx@db/x"},
		{give: "postgres://u:s3cret@db/x?bad=%zz&password=%zz", want: "postgres://u:xxxxx@db/x?bad=%zz&password=xxxxx"},
		{give: "postgres://u:s3c%zzret@db/x", want: "postgres://u:xxxxx@db/x"},
		{give: "host=db user=drover password=s3cret dbname=drover", want: "host=db user=drover password=xxxxx dbname=drover"},
		{give: "host=db password = 's3 cr\\'et' dbname=drover", want: "host=db password = xxxxx dbname=drover"},
		{give: "host=db sslpassword=k3y", want: "host=db sslpassword=xxxxx"},
		{give: "", want: ""},
	}
	for _, tt := range tests {
		got := RedactURL(tt.give)
		if got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.give, got, tt.want)
		}
		for _, secret := range []string{"s3cret", "k3y", "p%40ss", "s3 cr"} {
			if strings.Contains(got, secret) {
				t.Errorf("RedactURL(%q) = %q, which shows %q", tt.give, got, secret)
			}
		}
	}
}

// TestPostgresDescribe: the store names its database without the password.
func TestPostgresDescribe(t *testing.T) {
	url := createTestDatabase(t)
	s := openPostgresTestStore(t, url)
	if got := s.Describe(); got != url {
		t.Errorf("Describe() = %q, want %q (no password to hide)", got, url)
	}
	_, err := OpenPostgres(context.Background(), PostgresConfig{URL: "postgres://drover:s3cret@%zz/x"})
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("OpenPostgres(bad URL) = %v, want an error without the password", err)
	}
}
