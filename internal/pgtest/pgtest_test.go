package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// query runs SELECT current_database() on url.
func query(ctx context.Context, url string) (string, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	var db string
	err = conn.QueryRow(ctx, `SELECT current_database()`).Scan(&db)
	return db, err
}

func TestStartStopAgain(t *testing.T) {
	ctx := context.Background()
	c := Start(t)
	url := c.CreateDatabase(t, "")
	db, err := query(ctx, url)
	if err != nil || !strings.HasPrefix(db, "t_teststartstopagain_") {
		t.Fatalf("current_database() = %q, %v; want t_teststartstopagain_…", db, err)
	}
	if os.Geteuid() == 0 {
		fi, err := os.Stat(filepath.Join(c.data, "PG_VERSION"))
		if err != nil {
			t.Fatal(err)
		}
		if uid := fi.Sys().(*syscall.Stat_t).Uid; uid == 0 {
			t.Errorf("the data directory is root's, want nobody's")
		}
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := query(ctx, url); err == nil {
		t.Fatal("connected to a stopped cluster")
	}
	if err := c.StartAgain(); err != nil {
		t.Fatal(err)
	}
	if got, err := query(ctx, url); err != nil || got != db {
		t.Errorf("after StartAgain, current_database() = %q, %v; want %q", got, err, db)
	}
}

// TestStartLeavesNothing checks that a cluster's test leaves no server and
// no directory behind.
func TestStartLeavesNothing(t *testing.T) {
	var c *Cluster
	var pid int
	t.Run("cluster", func(t *testing.T) {
		c = Start(t)
		b, err := os.ReadFile(filepath.Join(c.data, "postmaster.pid"))
		if err != nil {
			t.Fatal(err)
		}
		first, _, _ := strings.Cut(string(b), "\n")
		if pid, err = strconv.Atoi(first); err != nil {
			t.Fatal(err)
		}
	})
	if c == nil || pid == 0 {
		t.Fatal("no cluster started")
	}
	if _, err := os.Stat(c.dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the cluster's directory is left: %v", err)
	}
	if stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil && !zombie(stat) {
		t.Errorf("the server (pid %d) is left running: %s", pid, stat)
	}
}

// TestLaunchClose checks the entry point for programs: a database of
// its own, and nothing left behind after Close, which may be repeated.
func TestLaunchClose(t *testing.T) {
	ctx := context.Background()
	c, err := Launch()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close() // a failure below must not leave the cluster running
	urlA, err := c.CreateDB("bench")
	if err != nil {
		t.Fatal(err)
	}
	urlB, err := c.CreateDB("")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ giveURL, wantDB string }{{urlA, "bench"}, {urlB, "db_2"}} {
		if db, err := query(ctx, tt.giveURL); err != nil || db != tt.wantDB {
			t.Errorf("current_database() of %s = %q, %v; want %s", tt.giveURL, db, err, tt.wantDB)
		}
	}
	if _, err := c.CreateDB("bench"); err == nil {
		t.Error("CreateDB of an existing database succeeded")
	}
	b, err := os.ReadFile(filepath.Join(c.data, "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(first)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close() = %v, want nil", err)
	}
	if _, err := os.Stat(c.dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the cluster's directory is left: %v", err)
	}
	if stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil && !zombie(stat) {
		t.Errorf("the server (pid %d) is left running: %s", pid, stat)
	}
	if err := Shared(t).Close(); err == nil {
		t.Error("Close of the shared cluster succeeded")
	}
}

// zombie reports whether /proc/<pid>/stat is a process that exited and
// waits for its parent (init, for a server started by pg_ctl) to reap it.
func zombie(stat []byte) bool {
	_, after, _ := strings.Cut(string(stat), ") ")
	return strings.HasPrefix(after, "Z")
}

func TestShared(t *testing.T) {
	ctx := context.Background()
	a, b := Shared(t), Shared(t)
	if a != b {
		t.Fatal("two shared clusters")
	}
	if err := a.Stop(); err == nil {
		t.Error("Stop of the shared cluster succeeded")
	}
	urlA, urlB := a.CreateDatabase(t, ""), a.CreateDatabase(t, "named")
	for _, tt := range []struct{ giveURL, wantDB string }{{urlA, "t_testshared_1"}, {urlB, "named"}} {
		if db, err := query(ctx, tt.giveURL); err != nil || !strings.HasPrefix(db, tt.wantDB) {
			t.Errorf("current_database() of %s = %q, %v; want %s", tt.giveURL, db, err, tt.wantDB)
		}
	}
}

func TestDatabaseName(t *testing.T) {
	tests := []struct {
		giveTest string
		giveN    int
		want     string
	}{
		{giveTest: "TestX", giveN: 1, want: "t_testx_1"},
		{giveTest: "TestStore/postgres/with space", giveN: 7, want: "t_teststore_postgres_with_space_7"},
		{giveTest: strings.Repeat("a", 100), giveN: 12, want: "t_" + strings.Repeat("a", 48) + "_12"},
	}
	for _, tt := range tests {
		if got := databaseName(tt.giveTest, tt.giveN); got != tt.want || len(got) > 63 {
			t.Errorf("databaseName(%q, %d) = %q, want %q", tt.giveTest, tt.giveN, got, tt.want)
		}
	}
}

func TestVersionOrder(t *testing.T) {
	if got := versionOf("/usr/lib/postgresql/9.6/bin"); len(got) != 2 || got[0] != 9 || got[1] != 6 {
		t.Errorf("versionOf(9.6) = %v", got)
	}
	deadline := time.Now().Add(time.Second) // findBin reads the disk only
	if _, err := findBin(); err != nil {
		t.Fatal(err)
	}
	if time.Now().After(deadline) {
		t.Log("findBin was slow")
	}
}
