package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"

	"github.com/drover/drover/internal/config"
	"github.com/drover/drover/internal/statedir"
)

// applyUmask sets --umask for the supervisor and, since a child inherits
// it, every worker.
func applyUmask(s config.Server) {
	if s.Umask >= 0 {
		unix.Umask(s.Umask)
	}
}

// chownForWorkers gives the workers' user (--user, --group) what a root
// supervisor created for them: what the state directory lists as
// worker-owned (statedir.Dir.WorkerOwned) and the log files the workers
// append to. It follows no symbolic link and leaves alone what does not
// exist. Without --user, or when not root, it does nothing.
func chownForWorkers(cfg config.Config) error {
	cred, err := cfg.Server.Credential()
	if err != nil || cred == nil || os.Geteuid() != 0 {
		return err
	}
	uid, gid := int(cred.UID), int(cred.GID)
	paths := append(statedir.Dir(cfg.Auth.StateDir).WorkerOwned(), logFiles(cfg.Log)...)
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
