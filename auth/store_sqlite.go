package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/drover/drover/sqlitedb"
)

// The store's file is opened by package sqlitedb, whose doc says which
// settings every connection gets and why (busy timeout, synchronous=FULL,
// foreign keys, BEGIN IMMEDIATE, WAL): several workers share it.

// sqliteMigrations are the schema versions in order: version i+1 is
// reached by running sqliteMigrations[i]. Append, never edit.
var sqliteMigrations = []string{
	// Version 1. Times are Unix nanoseconds, UTC. Usernames use SQLite's
	// default BINARY collation: unique and compared case-sensitively, like
	// Django's on SQLite and PostgreSQL. AUTOINCREMENT, as Django uses on
	// SQLite, never gives a deleted user's ID (and its tokens' user_id) to
	// someone else. Refresh tokens are kept by the SHA-256 of their jti.
	`CREATE TABLE users (
		id            INTEGER PRIMARY KEY AUTOINCREMENT,
		username      TEXT    NOT NULL UNIQUE,
		password_hash TEXT    NOT NULL,
		active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
		joined        INTEGER NOT NULL
	) STRICT;
	CREATE TABLE refresh_families (
		id         TEXT    PRIMARY KEY,
		user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
		created_at INTEGER NOT NULL,
		revoked_at INTEGER
	) STRICT;
	CREATE INDEX refresh_families_user ON refresh_families (user_id);
	CREATE TABLE refresh_tokens (
		jti_sha256     TEXT    PRIMARY KEY CHECK (length(jti_sha256) = 64),
		family_id      TEXT    NOT NULL REFERENCES refresh_families (id) ON DELETE CASCADE,
		expires_at     INTEGER NOT NULL,
		rotated_at     INTEGER,
		blacklisted_at INTEGER
	) STRICT, WITHOUT ROWID;
	CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
	CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);`,
	// Version 2. last_login as Django keeps it: NULL until the first
	// login recorded.
	`ALTER TABLE users ADD COLUMN last_login INTEGER;`,
}

// pruneBatch is how many refresh tokens Prune deletes per transaction, so
// that the other workers never wait long for the write lock.
const pruneBatch = 1000

// SQLiteStore is the [Store] in one SQLite file, shared by every worker
// process of a host (see the constants above for how). It is safe for
// concurrent use by goroutines and processes. The file must be on a local
// filesystem: WAL mode shares memory between the processes, which network
// filesystems do not provide, so it serves the workers of one host only.
type SQLiteStore struct {
	db *sql.DB
	// writer is held by the one goroutine of this process that writes, so
	// that the others queue here, woken as soon as it is done, rather than
	// in SQLite's busy handler, which sleeps and polls. Other processes
	// still meet at SQLite's lock.
	writer chan struct{}

	now func() time.Time // when users join and families start; a test seam
}

var _ Store = (*SQLiteStore)(nil)

// OpenSQLite opens the store in the SQLite file at path, creating the file
// and its schema if needed and migrating an older schema. Several processes
// may open the same file at once: one creates or migrates, the others wait
// for it and find the schema current. A file whose schema is newer than
// this drover's is refused.
func OpenSQLite(ctx context.Context, path string) (*SQLiteStore, error) {
	db, err := sqlitedb.Open(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	s := &SQLiteStore{db: db, writer: make(chan struct{}, 1), now: time.Now}
	if err := s.migrate(ctx); err != nil {
		_ = db.Close() // err says more
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}
	return s, nil
}

// migrate brings the schema to the newest version in one immediate
// transaction: of several processes opening the file at once, one
// migrates and the others then see the new version.
func (s *SQLiteStore) migrate(ctx context.Context) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL) STRICT`); err != nil {
			return fmt.Errorf("schema version table: %w", err)
		}
		var version int
		err := tx.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&version)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (0)`); err != nil {
				return fmt.Errorf("schema version: %w", err)
			}
		case err != nil:
			return fmt.Errorf("schema version: %w", err)
		case version > len(sqliteMigrations):
			return fmt.Errorf("schema version %d is newer than this drover's (%d)", version, len(sqliteMigrations))
		}
		for v := version; v < len(sqliteMigrations); v++ {
			if _, err := tx.ExecContext(ctx, sqliteMigrations[v]); err != nil {
				return fmt.Errorf("migrate schema to version %d: %w", v+1, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE schema_version SET version = ?`, len(sqliteMigrations)); err != nil {
			return fmt.Errorf("schema version: %w", err)
		}
		return nil
	})
}

// lockWriter takes this process's write turn, or returns ctx's error.
func (s *SQLiteStore) lockWriter(ctx context.Context) error {
	select {
	case s.writer <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *SQLiteStore) unlockWriter() { <-s.writer }

// write runs fn in an immediate transaction and commits if fn returns nil.
func (s *SQLiteStore) write(ctx context.Context, fn func(*sql.Tx) error) error {
	if err := s.lockWriter(ctx); err != nil {
		return err
	}
	defer s.unlockWriter()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() // a no-op once committed
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// exec runs one writing statement on its own and returns the rows it
// changed.
func (s *SQLiteStore) exec(ctx context.Context, query string, args ...any) (int64, error) {
	if err := s.lockWriter(ctx); err != nil {
		return 0, err
	}
	defer s.unlockWriter()
	res, err := s.db.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// CreateUser adds an active user joined now. A taken username is
// ErrUserExists; an empty one, or one longer than Django's 150
// characters, is refused.
func (s *SQLiteStore) CreateUser(ctx context.Context, username, passwordHash string) (User, error) {
	if err := checkUsername(username); err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	u := User{Username: username, PasswordHash: passwordHash, Active: true, Joined: time.Unix(0, s.now().UnixNano()).UTC()}
	err := s.write(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO users (username, password_hash, active, joined) VALUES (?, ?, 1, ?)
			ON CONFLICT (username) DO NOTHING RETURNING id`, username, passwordHash, u.Joined.UnixNano()).Scan(&u.ID)
	})
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return User{}, fmt.Errorf("create user %q: %w", username, ErrUserExists)
	case err != nil:
		return User{}, fmt.Errorf("create user %q: %w", username, err)
	}
	return u, nil
}

// ImportUser adds u with its own ID, hash, active state and times. A
// taken username or ID is ErrUserExists. AUTOINCREMENT moves past an
// imported ID, so CreateUser never gives it again.
func (s *SQLiteStore) ImportUser(ctx context.Context, u User) error {
	if err := checkImport(u); err != nil {
		return err
	}
	var lastLogin sql.NullInt64
	if !u.LastLogin.IsZero() {
		lastLogin = sql.NullInt64{Int64: u.LastLogin.UnixNano(), Valid: true}
	}
	n, err := s.exec(ctx, `INSERT INTO users (id, username, password_hash, active, joined, last_login) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, u.ID, u.Username, u.PasswordHash, u.Active, u.Joined.UnixNano(), lastLogin)
	switch {
	case err != nil:
		return fmt.Errorf("import user %q: %w", u.Username, err)
	case n == 0:
		return fmt.Errorf("import user %q (id %d): %w", u.Username, u.ID, ErrUserExists)
	}
	return nil
}

const userColumns = `id, username, password_hash, active, joined, last_login`

// scanUser reads one row of userColumns, from QueryRow or Query.
func scanUser(row interface{ Scan(...any) error }) (User, error) {
	var u User
	var joined int64
	var lastLogin sql.NullInt64
	if err := row.Scan(&u.ID, &u.Username, &u.PasswordHash, &u.Active, &joined, &lastLogin); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return User{}, ErrNotFound
		}
		return User{}, err
	}
	u.Joined = time.Unix(0, joined).UTC()
	if lastLogin.Valid {
		u.LastLogin = time.Unix(0, lastLogin.Int64).UTC()
	}
	return u, nil
}

// UserByName finds the user with exactly this username (case-sensitive).
func (s *SQLiteStore) UserByName(ctx context.Context, username string) (User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE username = ?`, username))
	if err != nil {
		return User{}, fmt.Errorf("user %q: %w", username, err)
	}
	return u, nil
}

// UserByID finds the user with this ID.
func (s *SQLiteStore) UserByID(ctx context.Context, id int64) (User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	if err != nil {
		return User{}, fmt.Errorf("user %d: %w", id, err)
	}
	return u, nil
}

// Users returns every user, ordered by ID (the order they were created).
func (s *SQLiteStore) Users(ctx context.Context) ([]User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var users []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		users = append(users, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return users, nil
}

// DeleteUser deletes the user and, with it (foreign keys, ON DELETE
// CASCADE), every refresh token the user holds: none refreshes again.
// ErrNotFound if no such user. The ID is never given to another user
// (AUTOINCREMENT), so an access token already issued to the deleted user
// names nobody; it is refused once the workers' user cache
// (--user-cache-ttl) has let the user go.
func (s *SQLiteStore) DeleteUser(ctx context.Context, userID int64) error {
	n, err := s.exec(ctx, `DELETE FROM users WHERE id = ?`, userID)
	if err == nil && n == 0 {
		err = ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("delete user %d: %w", userID, err)
	}
	return nil
}

// SetPassword replaces the user's password hash. It leaves the user's
// refresh tokens alone, since a re-hash after login goes through here too:
// a password change calls RevokeUserRefresh after it.
func (s *SQLiteStore) SetPassword(ctx context.Context, userID int64, passwordHash string) error {
	n, err := s.exec(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, passwordHash, userID)
	if err == nil && n == 0 {
		err = ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("set password of user %d: %w", userID, err)
	}
	return nil
}

// SetActive allows or forbids the user's logins and refreshes. It leaves
// the user's refresh tokens alone: RevokeUserRefresh revokes them.
func (s *SQLiteStore) SetActive(ctx context.Context, userID int64, active bool) error {
	n, err := s.exec(ctx, `UPDATE users SET active = ? WHERE id = ?`, active, userID)
	if err == nil && n == 0 {
		err = ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("set user %d active=%t: %w", userID, active, err)
	}
	return nil
}

// SetLastLogin records the user's last login at t.
func (s *SQLiteStore) SetLastLogin(ctx context.Context, userID int64, t time.Time) error {
	n, err := s.exec(ctx, `UPDATE users SET last_login = ? WHERE id = ?`, t.UnixNano(), userID)
	if err == nil && n == 0 {
		err = ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("set last login of user %d: %w", userID, err)
	}
	return nil
}

// hashAlphabet is every character of the salts and keys of the hashes
// Verify reads: base64's, with its padding (Django's salts are
// alphanumeric).
const hashAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="

// maxSchemes bounds what PasswordSchemes returns. Hashes with salts
// outside hashAlphabet would each give their own row; a real store has a
// handful of schemes.
const maxSchemes = 1000

// PasswordSchemes returns the distinct schemes of the stored hashes, each
// hash cut before its salt: SQLite strips the key, the "$" and the salt
// from the right (rtrim), so the scan runs in SQLite and returns a few
// rows however many users there are.
func (s *SQLiteStore) PasswordSchemes(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT rtrim(rtrim(rtrim(password_hash, ?1), '$'), ?1) FROM users LIMIT ?2`,
		hashAlphabet, maxSchemes)
	if err != nil {
		return nil, fmt.Errorf("password schemes: %w", err)
	}
	defer rows.Close()
	var schemes []string
	for rows.Next() {
		var scheme string
		if err := rows.Scan(&scheme); err != nil {
			return nil, fmt.Errorf("password schemes: %w", err)
		}
		schemes = append(schemes, scheme)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("password schemes: %w", err)
	}
	return schemes, nil
}

// AddRefresh records t as the first token of a new family, named t.Family
// or, when that is empty, after the token. The user must exist
// (ErrNotFound) and the family must be new.
func (s *SQLiteStore) AddRefresh(ctx context.Context, t RefreshToken) error {
	if err := checkRefresh(t); err != nil {
		return fmt.Errorf("add refresh token: %w", err)
	}
	jti := hashJTI(t.JTI)
	family := t.Family
	if family == "" {
		family = jti
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM users WHERE id = ?`, t.UserID).Scan(&one); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("user %d: %w", t.UserID, ErrNotFound)
			}
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO refresh_families (id, user_id, created_at) VALUES (?, ?, ?)
			ON CONFLICT (id) DO NOTHING`, family, t.UserID, s.now().UnixNano())
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return errors.Join(fmt.Errorf("family %q exists", family), err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO refresh_tokens (jti_sha256, family_id, expires_at) VALUES (?, ?, ?)`,
			jti, family, t.ExpiresAt.UnixNano())
		return err
	})
	if err != nil {
		return fmt.Errorf("add refresh token of user %d: %w", t.UserID, err)
	}
	return nil
}

// checkRefresh refuses a token the store cannot keep.
func checkRefresh(t RefreshToken) error {
	switch {
	case t.JTI == "":
		return errors.New("empty jti")
	case t.ExpiresAt.Year() < 1970 || t.ExpiresAt.Year() > 2200:
		return fmt.Errorf("expiry %v out of range", t.ExpiresAt)
	}
	return nil
}

// usableToken is the condition of the one conditional UPDATE that
// consumes a refresh token, by rotation or blacklisting, with ?1 its jti
// hash and ?2 now: unused, not blacklisted, not expired, family not
// revoked.
const usableToken = `jti_sha256 = ?1 AND rotated_at IS NULL AND blacklisted_at IS NULL AND expires_at > ?2
	AND family_id IN (SELECT id FROM refresh_families WHERE revoked_at IS NULL)`

// RotateRefresh consumes the token oldJTI and records next in its family.
// The consumption is one conditional UPDATE (usableToken), in the same
// immediate transaction as the insertion of next: of two rotations of one
// token, in any processes, the second finds it used. next.Family is
// ignored; next.UserID, if set, must be the family's user.
//
// When the UPDATE matches nothing, the reason is looked up in the same
// transaction. A token already rotated is a reuse: unless it was rotated
// less than grace before now, its family is revoked and that revocation
// committed before the *ReuseError is returned.
func (s *SQLiteStore) RotateRefresh(ctx context.Context, oldJTI string, next RefreshToken, now time.Time, grace time.Duration) error {
	if err := checkRefresh(next); err != nil {
		return fmt.Errorf("rotate refresh token: next: %w", err)
	}
	var refusal error
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		refusal, err = rotate(ctx, tx, hashJTI(oldJTI), next, now.UnixNano(), grace)
		return err
	})
	switch {
	case err != nil:
		return fmt.Errorf("rotate refresh token: %w", err)
	case refusal != nil:
		return fmt.Errorf("rotate refresh token: %w", refusal)
	}
	return nil
}

// rotate is RotateRefresh's transaction. It returns the reason old cannot
// be rotated as refusal, with whatever it wrote (a family revocation) to
// be committed; err means roll back.
func rotate(ctx context.Context, tx *sql.Tx, old string, next RefreshToken, now int64, grace time.Duration) (refusal, err error) {
	var family string
	err = tx.QueryRowContext(ctx, `UPDATE refresh_tokens SET rotated_at = ?2 WHERE `+usableToken+` RETURNING family_id`,
		old, now).Scan(&family)
	if errors.Is(err, sql.ErrNoRows) {
		return refuse(ctx, tx, old, now, grace)
	}
	if err != nil {
		return nil, err
	}
	var userID int64
	if err := tx.QueryRowContext(ctx, `SELECT user_id FROM refresh_families WHERE id = ?`, family).Scan(&userID); err != nil {
		return nil, err
	}
	if next.UserID != 0 && next.UserID != userID {
		return nil, fmt.Errorf("next token is for user %d, the family for user %d", next.UserID, userID)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO refresh_tokens (jti_sha256, family_id, expires_at) VALUES (?, ?, ?)`,
		hashJTI(next.JTI), family, next.ExpiresAt.UnixNano())
	return nil, err
}

// refuse says why the token old could not be used at now (see
// refusedToken.refusal) and, for a rotated token presented again,
// revokes its family unless it was rotated less than grace before now.
func refuse(ctx context.Context, tx *sql.Tx, old string, now int64, grace time.Duration) (refusal, err error) {
	var r refusedToken
	var rotatedAt sql.NullInt64
	err = tx.QueryRowContext(ctx, `SELECT t.family_id, t.rotated_at, t.blacklisted_at IS NOT NULL,
			f.revoked_at IS NOT NULL, t.expires_at
		FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id
		WHERE t.jti_sha256 = ?`, old).Scan(&r.family, &rotatedAt, &r.blacklisted, &r.revoked, &r.expiresAt)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return ErrNotFound, nil
	case err != nil:
		return nil, err
	}
	if rotatedAt.Valid {
		r.rotatedAt = &rotatedAt.Int64
	}
	refusal, revoke := r.refusal(now, grace)
	if !revoke {
		return refusal, nil
	}
	res, err := tx.ExecContext(ctx, revokeFamilySQL, now, r.family)
	if err != nil {
		return nil, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return nil, err
	}
	return reused(refusal, n > 0), nil
}

// RevokeRefresh blacklists the token jti with one conditional UPDATE
// (usableToken), the one rotation makes, in one immediate transaction: a
// blacklisting and a rotation of one token, in any processes, are
// serialised, and whichever comes second finds the token used. When the
// UPDATE matches nothing the reason is looked up in the same transaction;
// a token already rotated revokes its family, however recently it was
// rotated: a logout with a token someone else rotated must end that
// someone's session too.
func (s *SQLiteStore) RevokeRefresh(ctx context.Context, jti string, now time.Time) error {
	var refusal error
	err := s.write(ctx, func(tx *sql.Tx) error {
		old, at := hashJTI(jti), now.UnixNano()
		res, err := tx.ExecContext(ctx, `UPDATE refresh_tokens SET blacklisted_at = ?2 WHERE `+usableToken, old, at)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		refusal, err = refuse(ctx, tx, old, at, 0)
		return err
	})
	switch {
	case err != nil:
		return fmt.Errorf("revoke refresh token: %w", err)
	case refusal != nil:
		return fmt.Errorf("revoke refresh token: %w", refusal)
	}
	return nil
}

// RevokeUserRefresh revokes every family of the user's refresh tokens not
// revoked yet, and returns how many. An unknown user has none.
func (s *SQLiteStore) RevokeUserRefresh(ctx context.Context, userID int64, now time.Time) (int64, error) {
	n, err := s.exec(ctx, `UPDATE refresh_families SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`, now.UnixNano(), userID)
	if err != nil {
		return 0, fmt.Errorf("revoke refresh tokens of user %d: %w", userID, err)
	}
	return n, nil
}

// RefreshState says whether the token jti may still be used.
func (s *SQLiteStore) RefreshState(ctx context.Context, jti string) error {
	var rotated, blacklisted, revoked bool
	err := s.db.QueryRowContext(ctx, `SELECT t.rotated_at IS NOT NULL, t.blacklisted_at IS NOT NULL, f.revoked_at IS NOT NULL
		FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id
		WHERE t.jti_sha256 = ?`, hashJTI(jti)).Scan(&rotated, &blacklisted, &revoked)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		err = ErrNotFound
	case err == nil:
		err = refreshState(rotated, blacklisted, revoked)
	}
	if err != nil {
		return fmt.Errorf("refresh token state: %w", err)
	}
	return nil
}

// Prune deletes the refresh tokens expired at now (ExpiresAt not after
// now), whatever their state, and the families they leave empty, in
// batches of pruneBatch tokens per transaction. It returns how many tokens
// it deleted, also when it stops early on an error.
func (s *SQLiteStore) Prune(ctx context.Context, now time.Time) (int64, error) {
	var total int64
	for {
		var n int64
		err := s.write(ctx, func(tx *sql.Tx) error {
			var err error
			n, err = pruneOnce(ctx, tx, now.UnixNano())
			return err
		})
		if err != nil {
			return total, fmt.Errorf("prune refresh tokens: %w", err)
		}
		total += n
		if n < pruneBatch {
			return total, nil
		}
	}
}

// pruneOnce deletes up to pruneBatch expired tokens and the families they
// leave empty.
func pruneOnce(ctx context.Context, tx *sql.Tx, now int64) (int64, error) {
	rows, err := tx.QueryContext(ctx, `DELETE FROM refresh_tokens WHERE jti_sha256 IN
		(SELECT jti_sha256 FROM refresh_tokens WHERE expires_at <= ? LIMIT ?) RETURNING family_id`, now, pruneBatch)
	if err != nil {
		return 0, err
	}
	var n int64
	families := map[string]bool{}
	for rows.Next() {
		var f string
		if err := rows.Scan(&f); err != nil {
			rows.Close()
			return 0, err
		}
		families[f] = true
		n++
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return 0, err
	}
	for f := range families {
		if _, err := tx.ExecContext(ctx, `DELETE FROM refresh_families WHERE id = ?1
			AND NOT EXISTS (SELECT 1 FROM refresh_tokens WHERE family_id = ?1)`, f); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// Close closes the database. Every commit is already durable.
func (s *SQLiteStore) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close sqlite store: %w", err)
	}
	return nil
}
