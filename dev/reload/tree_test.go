package reload

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
)

// collect gathers the tree's changes until want have all been seen or
// timeout passes.
func collect(t *testing.T, tr *tree, timeout time.Duration, want ...string) []string {
	t.Helper()
	var got []string
	deadline := time.After(timeout)
	for {
		done := true
		for _, w := range want {
			if !slices.Contains(got, w) {
				done = false
			}
		}
		if done {
			return got
		}
		select {
		case rel := <-tr.Changes():
			got = append(got, rel)
		case <-deadline:
			t.Fatalf("changes = %q after %s, want %q among them", got, timeout, want)
		}
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestTreeReportsMatchingChangesIncludingNewDirectories(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "main.go"), "package main\n")
	writeFile(t, filepath.Join(root, "api", "api.go"), "package api\n")
	writeFile(t, filepath.Join(root, ".git", "HEAD"), "ref\n")
	tr, err := watchTree(root, Filter{}.SkipDir, Filter{}.Match, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()

	// Ignored first: if they were reported, they would come before the
	// matching ones below, in order.
	writeFile(t, filepath.Join(root, "main_test.go"), "package main\n")
	writeFile(t, filepath.Join(root, ".main.go.swp"), "x")
	writeFile(t, filepath.Join(root, ".git", "index"), "x")
	writeFile(t, filepath.Join(root, "vendor", "x", "x.go"), "package x\n")

	writeFile(t, filepath.Join(root, "api", "api.go"), "package api // edited\n")
	got := collect(t, tr, 5*time.Second, "api/api.go")
	// A directory created after the start, with a file written at once
	// (before the watch on it could exist), and one written later.
	writeFile(t, filepath.Join(root, "store", "deep", "store.go"), "package deep\n")
	got = append(got, collect(t, tr, 5*time.Second, "store/deep/store.go")...)
	// The walk that reported store.go watched store/deep before it.
	writeFile(t, filepath.Join(root, "store", "deep", "later.go"), "package deep\n")
	got = append(got, collect(t, tr, 5*time.Second, "store/deep/later.go")...)

	for _, rel := range got {
		if !(Filter{}).Match(rel) {
			t.Errorf("reported %q, which the filter rejects", rel)
		}
	}
}

func TestTreeOnlyFile(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "myapp"), "v1")
	tr, err := watchTree(dir, func(string) bool { return true }, func(rel string) bool { return rel == "myapp" }, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	writeFile(t, filepath.Join(dir, "other"), "x")
	// Replaced the way go build and install do: a new file renamed over it.
	writeFile(t, filepath.Join(dir, "myapp.tmp"), "v2")
	if err := os.Rename(filepath.Join(dir, "myapp.tmp"), filepath.Join(dir, "myapp")); err != nil {
		t.Fatal(err)
	}
	got := collect(t, tr, 5*time.Second, "myapp")
	if !slices.Equal(slices.Compact(got), []string{"myapp"}) {
		t.Errorf("changes = %q, want only myapp", got)
	}
}
