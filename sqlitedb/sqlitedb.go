// Package sqlitedb opens a SQLite file that several processes share at
// once, as drover's workers do: drover's users store (package auth) and a
// program's own database (examples/notes) are opened with it. It is the
// pure-Go modernc.org/sqlite driver with the settings such sharing needs.
//
// # The settings
//
// Every connection gets, through the DSN:
//
//   - busy_timeout=5000: a writer that finds the file locked by another
//     process waits up to 5 s ([BusyTimeout]) instead of failing at once.
//   - synchronous=FULL: every commit fsyncs the WAL before it returns. With
//     NORMAL, WAL mode stays consistent but a power loss may undo the last
//     commits (for drover's store, the consumption of a refresh token: it
//     would be usable again and reuse detection would not see it). FULL
//     makes a returned commit durable, for one fsync per write.
//   - foreign_keys=1: SQLite's foreign keys are enforced.
//   - _txlock=immediate: write transactions start with BEGIN IMMEDIATE,
//     taking the write lock up front. A deferred transaction reads first
//     and asks for the write lock later; if another process committed in
//     between, its snapshot is stale and it fails with SQLITE_BUSY at once,
//     which no busy timeout can help. An immediate one queues behind the
//     other writer instead.
//
// The journal mode, WAL, is a property of the file, set once by [Open]
// (every connection of every process then uses it). In WAL mode readers
// never block the writer nor the reverse.
//
// # Where it runs
//
// In each worker process (and the dev server, and the supervisor when it
// creates drover's store before the workers start). Nothing here starts a
// goroutine or touches process state.
package sqlitedb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"modernc.org/sqlite" // the "sqlite" database/sql driver, pure Go
	sqlite3 "modernc.org/sqlite/lib"
)

// params are the settings every connection gets (see the package doc).
const params = "_busy_timeout=5000&_synchronous=FULL&_foreign_keys=1&_txlock=immediate"

// BusyTimeout is how long a writer waits for another process's lock.
const BusyTimeout = 5 * time.Second

// Open opens the SQLite file at path (a plain file path: not ":memory:",
// no "file:" URI, no '?'), creating it if needed, with the package's
// settings, and puts it in WAL mode. Several processes may open the same
// file at the same moment.
func Open(ctx context.Context, path string) (*sql.DB, error) {
	switch {
	case path == "", path == ":memory:":
		return nil, fmt.Errorf("open sqlite %q: want a file", path)
	case strings.ContainsRune(path, '?'), strings.HasPrefix(path, "file:"):
		return nil, fmt.Errorf("open sqlite %q: want a plain file path, without '?' or \"file:\"", path)
	}
	db, err := sql.Open("sqlite", path+"?"+params)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	// SQLite runs in the calling goroutine, so more connections than
	// runnable goroutines buy nothing; each one costs three descriptors
	// (database, WAL, shared memory). Callers past the bound wait in
	// database/sql, as long as their context allows.
	conns := max(4, 2*runtime.GOMAXPROCS(0))
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	if err := setWAL(ctx, db); err != nil {
		_ = db.Close() // err says more
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return db, nil
}

// setWAL puts the file in WAL mode, unless it is already. SQLite does not
// call the busy handler for this change, which needs the file to itself:
// when other processes are opening it at the same moment it answers
// SQLITE_BUSY at once, so setWAL retries, with backoff, for up to
// BusyTimeout. There is no event to wait on; SQLite's own busy handler
// polls the same way.
func setWAL(ctx context.Context, db *sql.DB) error {
	var mode string
	if err := db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		return fmt.Errorf("journal mode: %w", err)
	}
	deadline := time.Now().Add(BusyTimeout)
	for delay := time.Millisecond; mode != "wal"; delay = min(2*delay, 50*time.Millisecond) {
		err := db.QueryRowContext(ctx, `PRAGMA journal_mode = WAL`).Scan(&mode)
		switch {
		case err == nil && mode != "wal":
			return fmt.Errorf("journal mode: got %q, want wal", mode)
		case err == nil:
		case !IsBusy(err) || time.Now().After(deadline):
			return fmt.Errorf("journal mode wal: %w", err)
		default:
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			}
		}
	}
	return nil
}

// IsBusy reports whether err is SQLite's SQLITE_BUSY, in any of its
// extended forms.
func IsBusy(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_BUSY
}
