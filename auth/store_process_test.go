package auth

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The test binary re-executes itself as a child process that plays a
// worker on the store: envChild names its role, envChildDB the store.
const (
	envChild   = "DROVER_TEST_STORE_CHILD"
	envChildDB = "DROVER_TEST_STORE_DB"
)

// TestStoreChildProcess is the child's side; it does nothing unless run
// as a child by the tests below.
//
//   - "rotate": prints "ready", then for each line "<old> <next> <user>" on
//     stdin rotates old to next and prints "ok", "reused" or "error: …",
//     until stdin closes. A line arriving is the barrier: the parent writes
//     one to each child at the same moment.
//   - "crash": creates users crash-<pid>-0, crash-<pid>-1, … and prints each one's ID
//     once its commit returned, until it is killed.
func TestStoreChildProcess(t *testing.T) {
	role := os.Getenv(envChild)
	if role == "" {
		return
	}
	ctx := context.Background()
	s, err := OpenSQLite(ctx, os.Getenv(envChildDB))
	if err != nil {
		fmt.Printf("error: %v\n", err)
		return
	}
	defer s.Close()
	switch role {
	case "rotate":
		fmt.Println("ready")
		in := bufio.NewScanner(os.Stdin)
		for in.Scan() {
			var old, nxt string
			var user int64
			if _, err := fmt.Sscan(in.Text(), &old, &nxt, &user); err != nil {
				fmt.Printf("error: %v\n", err)
				continue
			}
			err := s.RotateRefresh(ctx, old, RefreshToken{JTI: nxt, UserID: user, ExpiresAt: time.Now().Add(time.Hour)}, time.Now(), 0)
			switch {
			case err == nil:
				fmt.Println("ok")
			case errors.Is(err, ErrRefreshReused):
				fmt.Println("reused")
			default:
				fmt.Printf("error: %v\n", err)
			}
		}
	case "crash":
		for i := 0; ; i++ {
			u, err := s.CreateUser(ctx, fmt.Sprintf("crash-%d-%d", os.Getpid(), i), "h")
			if err != nil {
				fmt.Printf("error: %v\n", err)
				return
			}
			fmt.Println(u.ID)
		}
	default:
		fmt.Printf("error: unknown role %q\n", role)
	}
}

// child is a running re-execution of the test binary in a role.
type storeChild struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Scanner
}

// startChild starts the test binary as a child in role on the store at db.
// It is killed, if still running, when the test ends.
func startChild(t *testing.T, role, db string) *storeChild {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestStoreChildProcess$", "-test.count=1", "-test.timeout=5m")
	cmd.Env = append(os.Environ(), envChild+"="+role, envChildDB+"="+db)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // already gone, mostly
		_ = cmd.Wait()
	})
	return &storeChild{cmd: cmd, stdin: stdin, out: bufio.NewScanner(stdout)}
}

// line returns the child's next line of output, or fails the test.
func (c *storeChild) line(t *testing.T) string {
	t.Helper()
	if !c.out.Scan() {
		t.Fatalf("child %d: no more output (%v)", c.cmd.Process.Pid, c.out.Err())
	}
	return c.out.Text()
}

// TestStoreRotateRefreshAcrossProcesses has two worker processes rotate
// the same token at the same moment, round after round: exactly one wins.
func TestStoreRotateRefreshAcrossProcesses(t *testing.T) {
	// The children create the file: two processes opening a new store at
	// once, as the workers of a fresh install do.
	path := filepath.Join(t.TempDir(), "drover.db")
	children := [2]*storeChild{startChild(t, "rotate", path), startChild(t, "rotate", path)}
	for _, c := range children {
		if got := c.line(t); got != "ready" {
			t.Fatalf("child says %q, want ready", got)
		}
	}
	s := openTestStore(t, path)
	alice := mustUser(t, s, "alice")
	rounds := 20
	if testing.Short() {
		rounds = 5
	}
	for round := range rounds {
		old := fmt.Sprintf("p%d", round)
		if err := s.AddRefresh(context.Background(), RefreshToken{JTI: old, UserID: alice.ID, ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		for i, c := range children {
			if _, err := fmt.Fprintf(c.stdin, "%s %s-next-%d %d\n", old, old, i, alice.ID); err != nil {
				t.Fatal(err)
			}
		}
		got := [2]string{children[0].line(t), children[1].line(t)}
		if !(got == [2]string{"ok", "reused"} || got == [2]string{"reused", "ok"}) {
			t.Fatalf("round %d: the children say %q, want one ok and one reused", round, got)
		}
	}
	for _, c := range children {
		if err := c.stdin.Close(); err != nil {
			t.Fatal(err)
		}
		if err := c.cmd.Wait(); err != nil {
			t.Errorf("child %d: %v", c.cmd.Process.Pid, err)
		}
	}
}

// TestStoreCrashDurability SIGKILLs a worker process in the middle of a
// burst of commits, several times: the store must open cleanly each time,
// pass SQLite's integrity check, and hold every row the child saw
// committed.
func TestStoreCrashDurability(t *testing.T) {
	path := filepath.Join(t.TempDir(), "drover.db")
	ctx := context.Background()
	committed := map[int64]bool{}
	for round, killAfter := range []int{50, 200, 120} {
		c := startChild(t, "crash", path)
		for range killAfter {
			recordID(t, committed, c.line(t))
		}
		if err := c.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		for c.out.Scan() { // what it printed before it died was committed too
			recordID(t, committed, c.out.Text())
		}
		if err := c.cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
			t.Fatalf("round %d: child exit = %v, want killed", round, err)
		}

		s, err := OpenSQLite(ctx, path)
		if err != nil {
			t.Fatalf("round %d: reopen after kill: %v", round, err)
		}
		var check string
		if err := s.db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
			t.Errorf("round %d: integrity_check = %q, %v; want ok", round, check, err)
		}
		var missing []int64
		for id := range committed {
			if _, err := s.UserByID(ctx, id); err != nil {
				missing = append(missing, id)
			}
		}
		if len(missing) > 0 {
			t.Errorf("round %d: %d of %d committed users missing after the kill, e.g. %d", round, len(missing), len(committed), missing[0])
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d commits reported before the kills, all present", len(committed))
}

// recordID adds the user ID a crash child printed to committed.
func recordID(t *testing.T, committed map[int64]bool, line string) {
	t.Helper()
	id, err := strconv.ParseInt(line, 10, 64)
	if err != nil {
		t.Fatalf("crash child says %q, want a user ID", line)
	}
	committed[id] = true
}
