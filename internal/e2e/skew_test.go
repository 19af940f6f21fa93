package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// skewRow is the setting the skewed build adds to the settings table.
const skewRow = `boolSetting("skew-test-extra", "", "a setting only the skewed build has",
			func(c *Config) *bool { return &c.Proxy.Protocol }),
`

// buildSkewed builds the test app at out with one setting more than the
// tree has: a patched copy of internal/config/settings.go given to go
// build -overlay, so no production code carries a test hook.
func buildSkewed(t *testing.T, out string) {
	t.Helper()
	src, err := filepath.Abs(filepath.Join("..", "config", "settings.go"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	const table = "\tall := []setting{\n"
	if !strings.Contains(string(data), table) {
		t.Fatalf("%s has no %q to add a setting after", src, table)
	}
	dir := t.TempDir()
	patched := filepath.Join(dir, "settings.go")
	if err := os.WriteFile(patched, []byte(strings.Replace(string(data), table, table+"\t\t"+skewRow, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	overlay, err := json.Marshal(map[string]map[string]string{"Replace": {src: patched}})
	if err != nil {
		t.Fatal(err)
	}
	overlayFile := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(overlayFile, overlay, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("go", "build", "-overlay", overlayFile, "-o", out, "../testapp").CombinedOutput(); err != nil {
		t.Fatalf("go build -overlay: %v\n%s", err, out)
	}
}

// TestHUPOntoSkewedBinaryIsRefused: an operator installs a build whose
// settings differ (renaming it over the binary the supervisor runs) and
// sends HUP. The new workers refuse the supervisor's Config frame, the
// supervisor refuses the reload with one line saying to restart, and the
// old generation keeps serving.
func TestHUPOntoSkewedBinaryIsRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a second test app")
	}
	dir := t.TempDir()
	installed, next := filepath.Join(dir, "testapp"), filepath.Join(dir, "testapp.next")
	buildSkewed(t, next)
	data, err := os.ReadFile(testappBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(installed, data, 0o755); err != nil {
		t.Fatal(err)
	}

	s := serve(t, installed, 2, nil)
	before := s.waitWorkers(2, 5*time.Second)
	if err := os.Rename(next, installed); err != nil {
		t.Fatal(err)
	}
	mark := s.mark()
	s.signal(syscall.SIGHUP)

	// The supervisor refuses the reload with one line, carrying the first
	// new worker's reason: both schemas. (It kills the rest of the new
	// generation at once, so not every new worker gets to say so itself.)
	s.waitLog(10*time.Second, mark, 1, func(l logLine) bool {
		reason, _ := l.fields["reason"].(string)
		return l.msg() == "reload refused: this worker binary does not match the supervisor; restart to upgrade" &&
			strings.Contains(reason, "settings schema")
	})

	after := s.waitWorkers(2, 5*time.Second)
	slices.Sort(before)
	slices.Sort(after)
	if !slices.Equal(before, after) {
		t.Errorf("workers changed after a refused reload: %v → %v", before, after)
	}
	_, body := get(t, client(), s.url+"/pid")
	if pid, _ := strconv.Atoi(strings.TrimSpace(body)); !slices.Contains(before, pid) {
		t.Errorf("GET /pid after a refused reload = %q, want one of the old workers %v", body, before)
	}
}
