package e2e

import (
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drover/drover/internal/pgtest"
)

// droverExit runs a drover command with env added and returns its output
// and exit status.
func droverExit(t *testing.T, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(droverBin, args...)
	cmd.Env = append(append(os.Environ(), "DROVER_SECRET_KEY="+testSecretKey, "DROVER_STATE_DIR="+t.TempDir()), env...)
	out, _ := cmd.CombinedOutput()
	return string(out), cmd.ProcessState.ExitCode()
}

// TestPostgresCommands: the schema's life on PostgreSQL (serve
// --no-migrate refuses a database drover migrate has not prepared;
// migrate, then again; hosts starting at once on a fresh database), the
// password never printed, and the commands' status when the server is
// down.
func TestPostgresCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL")
	}
	cluster := pgtest.Start(t)
	url := cluster.CreateDatabase(t, "drover_commands")
	// Trust authentication ignores the password: it is here to be hidden.
	withPassword := strings.Replace(url, "postgres:///", "postgres://drover:hunter2-secret@/", 1)
	env := []string{"DATABASE_URL=" + withPassword}

	out, code := droverExit(t, env, "serve", "--bind", "127.0.0.1:0", "--no-migrate")
	if code != 1 || !strings.Contains(out, "run drover migrate") {
		t.Errorf("serve --no-migrate on an empty database: exit %d, want 1 and a line saying to run drover migrate:\n%s", code, out)
	}
	out, code = droverExit(t, env, "check")
	if code != 0 || !strings.Contains(out, `database_url = "postgres://drover:xxxxx@/drover_commands?`) {
		t.Errorf("check: exit %d, want 0 and the URL with its password masked:\n%s", code, out)
	}
	for _, cmd := range [][]string{{"migrate"}, {"migrate"}, {"users"}} {
		out, code = droverExit(t, env, cmd...)
		if code != 0 {
			t.Fatalf("drover %v: exit %d\n%s", cmd, code, out)
		}
		if strings.Contains(out, "hunter2") {
			t.Errorf("drover %v printed the password:\n%s", cmd, out)
		}
		t.Logf("drover %v: %s", cmd, strings.TrimSpace(out))
	}
	if !strings.Contains(out, "0 users in postgres://drover:xxxxx@/drover_commands") {
		t.Errorf("users on an empty database said: %s", out)
	}

	t.Run("hosts starting at once on a fresh database migrate once", func(t *testing.T) {
		fresh := []string{"DATABASE_URL=" + cluster.CreateDatabase(t, "drover_fresh")}
		var wg sync.WaitGroup
		servers := make([]*server, 3)
		for i := range servers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				servers[i] = serve(t, droverBin, 1, fresh)
			}()
		}
		wg.Wait()
		for i, s := range servers {
			if s == nil {
				t.Fatalf("host %d did not start", i)
			}
			if status, body := get(t, client(), s.url+"/healthz"); status != 200 {
				t.Errorf("host %d: /healthz = %d %s", i, status, body)
			}
		}
		out, code := droverExit(t, fresh, "migrate")
		if code != 0 || !strings.Contains(out, "is current") {
			t.Errorf("migrate after the hosts started: exit %d\n%s", code, out)
		}
	})

	t.Run("PostgreSQL down: the commands exit 75, serve too", func(t *testing.T) {
		if err := cluster.Stop(); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := cluster.StartAgain(); err != nil {
				t.Error(err)
			}
		}()
		for _, cmd := range [][]string{{"users"}, {"migrate"}, {"serve", "--bind", "127.0.0.1:0"}} {
			start := time.Now()
			out, code := droverExit(t, env, cmd...)
			if code != 75 || strings.Contains(out, "hunter2") || strings.Contains(out, "goroutine ") {
				t.Errorf("drover %v with PostgreSQL down: exit %d, want 75 (and no password, no stack):\n%s", cmd, code, out)
			}
			if lines := strings.Count(strings.TrimSpace(out), "\n") + 1; cmd[0] != "serve" && lines != 1 {
				t.Errorf("drover %v with PostgreSQL down printed %d lines, want one:\n%s", cmd, lines, out)
			}
			t.Logf("drover %v, down, in %v: %s", cmd, time.Since(start).Round(time.Millisecond), strings.TrimSpace(out))
		}
	})
}
