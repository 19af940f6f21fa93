package e2e

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// serveFromFile starts drover serve configured by a TOML file with the
// given content, and waits for its n workers.
func serveFromFile(t *testing.T, content string, n int) (string, *proc, *server) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "drover.toml")
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	p := start(t, droverBin, nil, "serve", "--bind", "127.0.0.1:0", "--config", file)
	p.waitLog(10*time.Second, 0, n, supervisorReady)
	return file, p, &server{proc: p}
}

func TestHUPRereadsConfigFile(t *testing.T) {
	file, p, srv := serveFromFile(t, "workers = 2\n", 2)
	srv.waitWorkers(2, 5*time.Second)

	if err := os.WriteFile(file, []byte("workers = 3\nmax_requests = 1000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mark := p.mark()
	p.signal(syscall.SIGHUP)
	done := p.waitLog(10*time.Second, mark, 1, msgIs("reload complete"))[0]
	if done.int("workers") != 3 {
		t.Errorf("reload complete with %d workers, want 3 from the file", done.int("workers"))
	}
	srv.waitWorkers(3, 10*time.Second)
}

func TestHUPWithInvalidConfigKeepsServing(t *testing.T) {
	file, p, srv := serveFromFile(t, "workers = 2\n", 2)
	before := srv.waitWorkers(2, 5*time.Second)

	if err := os.WriteFile(file, []byte("workers = 0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mark := p.mark()
	p.signal(syscall.SIGHUP)
	refused := p.waitLog(5*time.Second, mark, 1, msgIs("reload refused: the configuration is invalid; the running workers keep serving"))[0]
	if refused.fields["error"] != "invalid "+file+": workers: must be at least 1, got 0" {
		t.Errorf("refusal names %v, want the file and setting", refused.fields["error"])
	}
	after := srv.waitWorkers(2, 5*time.Second)
	if len(after) != len(before) || after[0] != before[0] && after[0] != before[1] {
		t.Errorf("workers changed after a refused reload: %v → %v", before, after)
	}
}
