package statedir

import (
	"fmt"
	"os"
	"path/filepath"
)

// Names inside the state directory.
const (
	storeName     = "drover.db"
	hashSlotsName = "hash-slots"
	acmeName      = "certmagic"
	devKeyName    = "dev-secret.key"
)

// storeSuffixes are the files SQLite keeps beside the store: its
// write-ahead log, shared-memory index and rollback journal.
var storeSuffixes = [...]string{"", "-wal", "-shm", "-journal"}

// Dir is a state directory.
type Dir string

// Path is the directory itself.
func (d Dir) Path() string { return string(d) }

// Store is the SQLite store's file.
func (d Dir) Store() string { return filepath.Join(string(d), storeName) }

// HashSlots is the directory of the password-hash slot locks.
func (d Dir) HashSlots() string { return filepath.Join(string(d), hashSlotsName) }

// ACME is certmagic's storage for --tls-auto.
func (d Dir) ACME() string { return filepath.Join(string(d), acmeName) }

// DevKey is the signing key drover dev generates.
func (d Dir) DevKey() string { return filepath.Join(string(d), devKeyName) }

// Create makes the directory if it is missing, readable by its owner
// alone.
func (d Dir) Create() error {
	if err := os.MkdirAll(string(d), 0o700); err != nil {
		return fmt.Errorf("state dir: %w", err)
	}
	return nil
}

// WorkerOwned lists what a root supervisor creates that the workers'
// user must own: the directory (the workers create certmagic/ and the
// store's -wal and -shm in it), the store's files, the hash-slot
// directory and its lock files. Paths that do not exist are listed too;
// the caller skips them.
func (d Dir) WorkerOwned() []string {
	paths := []string{string(d)}
	for _, suffix := range storeSuffixes {
		paths = append(paths, d.Store()+suffix)
	}
	slots := d.HashSlots()
	paths = append(paths, slots)
	if entries, err := os.ReadDir(slots); err == nil {
		for _, e := range entries {
			paths = append(paths, filepath.Join(slots, e.Name()))
		}
	}
	return paths
}
