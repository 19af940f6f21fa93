package pgtest_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/drover/drover/internal/pgtest"
)

// testNotes stands for a test of another package: it takes a database of
// its own in the test binary's shared cluster. No TestMain is needed.
func testNotes(t *testing.T) {
	url := pgtest.Shared(t).CreateDatabase(t, "")
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE TABLE notes (body TEXT)`); err != nil {
		t.Fatal(err)
	}
}

// testOutage stands for a test of an outage: it stops a cluster of its
// own, stopped and removed when the test ends.
func testOutage(t *testing.T) {
	c := pgtest.Start(t)
	url := c.CreateDatabase(t, "outage")
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	// … calls on url fail here …
	if err := c.StartAgain(); err != nil {
		t.Fatal(err)
	}
	_ = url // … and succeed again here.
}

// Tests take a database in the shared cluster, or stop a cluster of
// their own.
func Example() {
	_, _ = testNotes, testOutage
}

// A program that is not a test, such as the benchmark harness, launches
// a cluster of its own and closes it, in a defer so that an error or an
// interrupt closes it too.
func ExampleLaunch() {
	c, err := pgtest.Launch()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	defer c.Close()
	url, err := c.CreateDB("bench")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	_ = url // DATABASE_URL of the server under test
}
