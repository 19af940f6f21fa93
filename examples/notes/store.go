package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/drover/drover/sqlitedb"
)

// schema is the notes table. owner is drover's user ID (the token's
// user_id), owner_name the username claim of the token that created the
// note: drover's users are in another file, so there is no join.
const schema = `CREATE TABLE IF NOT EXISTS notes (
	id         INTEGER PRIMARY KEY,
	owner      INTEGER NOT NULL,
	owner_name TEXT    NOT NULL DEFAULT '',
	title      TEXT    NOT NULL,
	body       TEXT    NOT NULL DEFAULT '',
	created    TEXT
)`

// note is a row of the table, and its JSON as the API shows it (DRF's
// ModelSerializer of the tutorial's shape).
type note struct {
	ID        int64  `json:"id"`
	Owner     int64  `json:"owner"`
	OwnerName string `json:"owner_name"`
	Title     string `json:"title"`
	Body      string `json:"body"`
	Created   string `json:"created"`
}

// store is the notes table in its SQLite file.
type store struct {
	db  *sql.DB
	now func() time.Time // the created time; a test seam
}

// errNotFound is a note that is not in the table.
var errNotFound = errors.New("no such note")

// openStore opens the SQLite file at path, creating it and its table if
// needed. Every worker opens it at the same moment when drover starts.
func openStore(ctx context.Context, path string) (*store, error) {
	// drover's opener: the settings (WAL, busy timeout, BEGIN
	// IMMEDIATE) several worker processes sharing one file need.
	db, err := sqlitedb.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	if _, err := db.ExecContext(ctx, schema); err != nil {
		_ = db.Close() // err says more
		return nil, fmt.Errorf("open %s: create the notes table: %w", path, err)
	}
	return &store{db: db, now: time.Now}, nil
}

// Close closes the database.
func (s *store) Close() error { return s.db.Close() }

// list returns the newest notes, at most limit.
func (s *store) list(ctx context.Context, limit int) ([]note, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT id, owner, owner_name, title, body, created FROM notes ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("list notes: %w", err)
	}
	defer rows.Close()
	notes := []note{} // [] rather than null when there are none
	for rows.Next() {
		var n note
		if err := rows.Scan(&n.ID, &n.Owner, &n.OwnerName, &n.Title, &n.Body, &n.Created); err != nil {
			return nil, fmt.Errorf("list notes: %w", err)
		}
		notes = append(notes, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list notes: %w", err)
	}
	return notes, nil
}

// get returns the note id, or errNotFound.
func (s *store) get(ctx context.Context, id int64) (note, error) {
	n := note{ID: id}
	err := s.db.QueryRowContext(ctx,
		`SELECT owner, owner_name, title, body, created FROM notes WHERE id = ?`, id).
		Scan(&n.Owner, &n.OwnerName, &n.Title, &n.Body, &n.Created)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return n, errNotFound
	case err != nil:
		return n, fmt.Errorf("get note %d: %w", id, err)
	}
	return n, nil
}

// create inserts n (its owner, owner name, title and body) and returns it
// with its ID and created time, as DRF's DateTimeField writes it.
func (s *store) create(ctx context.Context, n note) (note, error) {
	n.Created = s.now().UTC().Format("2006-01-02T15:04:05.000000Z07:00")
	err := s.db.QueryRowContext(ctx,
		`INSERT INTO notes (owner, owner_name, title, body, created) VALUES (?, ?, ?, ?, ?) RETURNING id`,
		n.Owner, n.OwnerName, n.Title, n.Body, n.Created).Scan(&n.ID)
	if err != nil {
		return n, fmt.Errorf("create note: %w", err)
	}
	return n, nil
}

// update writes n's title and body, or returns errNotFound when the note
// is gone (deleted since it was read).
func (s *store) update(ctx context.Context, n note) error {
	res, err := s.db.ExecContext(ctx, `UPDATE notes SET title = ?, body = ? WHERE id = ?`, n.Title, n.Body, n.ID)
	if err != nil {
		return fmt.Errorf("update note %d: %w", n.ID, err)
	}
	return oneRow(res, n.ID)
}

// delete deletes the note id, or returns errNotFound.
func (s *store) delete(ctx context.Context, id int64) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM notes WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete note %d: %w", id, err)
	}
	return oneRow(res, id)
}

// oneRow is errNotFound when res changed no row.
func oneRow(res sql.Result, id int64) error {
	n, err := res.RowsAffected()
	switch {
	case err != nil:
		return fmt.Errorf("note %d: %w", id, err)
	case n == 0:
		return errNotFound
	}
	return nil
}
