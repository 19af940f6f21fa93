package sqlitedb_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/drover/drover/sqlitedb"
)

func TestOpenRefusesWhatIsNoPlainFile(t *testing.T) {
	for _, path := range []string{"", ":memory:", "file:x.db", "x.db?mode=ro"} {
		if db, err := sqlitedb.Open(context.Background(), path); err == nil {
			db.Close()
			t.Errorf("Open(%q) = nil error, want a refusal", path)
		}
	}
}

func TestOpenSettings(t *testing.T) {
	db, err := sqlitedb.Open(context.Background(), filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for pragma, want := range map[string]string{"journal_mode": "wal", "busy_timeout": "5000", "synchronous": "2", "foreign_keys": "1"} {
		var got string
		if err := db.QueryRow("PRAGMA " + pragma).Scan(&got); err != nil || got != want {
			t.Errorf("PRAGMA %s = %q, %v; want %q", pragma, got, err, want)
		}
	}
}

// Many openers of one new file at once, as the workers of a fresh server
// are: every one gets it in WAL mode and can write.
func TestOpenConcurrently(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := sqlitedb.Open(context.Background(), path)
			if err != nil {
				errs <- err
				return
			}
			defer db.Close()
			if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS t (n INTEGER)`); err != nil {
				errs <- err
				return
			}
			if _, err := db.Exec(`INSERT INTO t VALUES (?)`, i); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	db, err := sqlitedb.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM t`).Scan(&n); err != nil || n != 8 {
		t.Errorf("rows = %d, %v; want 8", n, err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM nope`).Scan(&n); err == nil || sqlitedb.IsBusy(err) || !strings.Contains(err.Error(), "no such table") {
		t.Errorf("a missing table's error = %v, want no such table, not busy", err)
	}
}
