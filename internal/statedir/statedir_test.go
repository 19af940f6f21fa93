package statedir_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/drover/drover/internal/statedir"
)

func TestPaths(t *testing.T) {
	d := statedir.Dir("/var/lib/drover")
	tests := []struct {
		name string
		got  string
		want string
	}{
		{name: "Path", got: d.Path(), want: "/var/lib/drover"},
		{name: "Store", got: d.Store(), want: "/var/lib/drover/drover.db"},
		{name: "HashSlots", got: d.HashSlots(), want: "/var/lib/drover/hash-slots"},
		{name: "ACME", got: d.ACME(), want: "/var/lib/drover/certmagic"},
		{name: "DevKey", got: d.DevKey(), want: "/var/lib/drover/dev-secret.key"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s() = %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

func TestWorkerOwned(t *testing.T) {
	d := statedir.Dir(filepath.Join(t.TempDir(), "state"))
	if err := d.Create(); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(d.Path()); err != nil || info.Mode().Perm() != 0o700 {
		t.Fatalf("Create: mode %v, %v; want 0700", info.Mode().Perm(), err)
	}
	if err := os.Mkdir(d.HashSlots(), 0o700); err != nil {
		t.Fatal(err)
	}
	slot := filepath.Join(d.HashSlots(), "slot-0")
	if err := os.WriteFile(slot, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	got := d.WorkerOwned()
	want := []string{d.Path(), d.Store(), d.Store() + "-wal", d.Store() + "-shm", d.Store() + "-journal", d.HashSlots(), slot}
	if !slices.Equal(got, want) {
		t.Errorf("WorkerOwned() = %q, want %q", got, want)
	}
	if slices.Contains(got, d.ACME()) || slices.Contains(got, d.DevKey()) {
		t.Errorf("WorkerOwned() = %q lists what the workers create themselves or what only dev uses", got)
	}
}
