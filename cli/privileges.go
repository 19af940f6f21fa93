package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/drover/drover/internal/config"
)

// applyUmask sets --umask for the supervisor and, since a child inherits
// it, every worker.
func applyUmask(s config.Server) {
	if s.Umask >= 0 {
		unix.Umask(s.Umask)
	}
}

// storeFiles are the files of the SQLite store a root supervisor may
// create before the workers run as --user.
var storeFiles = []string{storeFile, storeFile + "-wal", storeFile + "-shm", storeFile + "-journal"}

// handOver gives the workers' user what a root supervisor created for
// them: the state directory, the store's files and the hash-slot locks,
// and the log files the workers append to. It follows no symbolic link
// and leaves alone what does not exist. Without --user, or when not root,
// it does nothing.
func handOver(cfg config.Config) error {
	cred, err := cfg.Server.Credential()
	if err != nil || cred == nil || os.Geteuid() != 0 {
		return err
	}
	uid, gid := int(cred.UID), int(cred.GID)
	dir := cfg.Auth.StateDir
	paths := []string{dir}
	for _, name := range storeFiles {
		paths = append(paths, filepath.Join(dir, name))
	}
	slots := filepath.Join(dir, hashSlotDir)
	paths = append(paths, slots)
	if entries, err := os.ReadDir(slots); err == nil {
		for _, e := range entries {
			paths = append(paths, filepath.Join(slots, e.Name()))
		}
	}
	paths = append(paths, logFiles(cfg.Log)...)
	for _, p := range paths {
		if err := os.Lchown(p, uid, gid); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("give %s to user %s: %w", p, cred.Name, err)
		}
	}
	return nil
}

// logFiles are the log paths that are files, not stderr/stdout or off.
func logFiles(l config.Log) []string {
	var out []string
	for _, p := range []string{l.ErrorLogfile, l.AccessLogfile} {
		if p != "" && p != "-" {
			out = append(out, p)
		}
	}
	return out
}
