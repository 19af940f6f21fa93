package server

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// AlreadyRunningError is a pid file that names a live process of this
// program: another supervisor already runs with it, so this one refuses to
// start (and leaves the file alone).
type AlreadyRunningError struct {
	// PID is the running supervisor's, as the file holds it.
	PID int
	// Path is the pid file.
	Path string
}

func (e *AlreadyRunningError) Error() string {
	return fmt.Sprintf("already running as PID %d (pid file %s)", e.PID, e.Path)
}

// claimPIDFile writes pid to path, unless path names a live process of
// this program, which is an *AlreadyRunningError. A file naming a process
// that is gone, another program or this process (a container restarted
// with the same PID), or holding no PID at all, is stale and replaced;
// stale reports that. As in Gunicorn, two supervisors starting in the same
// instant may both pass the check; the last to write keeps the file.
func claimPIDFile(path string, pid int) (stale bool, err error) {
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return false, fmt.Errorf("pid file %s: %w", path, err)
	default:
		old, convErr := strconv.Atoi(string(bytes.TrimSpace(data)))
		if convErr == nil && old > 0 && old != pid && runningAsUs(old) {
			return false, &AlreadyRunningError{PID: old, Path: path}
		}
		stale = true
	}
	return stale, writePIDFile(path, pid)
}

// runningAsUs reports whether pid is a live process of this program. One
// that cannot be told apart (its name unreadable) counts as this
// program's: refusing to start is recoverable, overwriting a running
// supervisor's pid file is not.
func runningAsUs(pid int) bool {
	// EPERM: alive, another user's.
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	same, known := sameProgram(pid)
	return same || !known
}

// writePIDFile writes pid to path atomically: a temporary file in the same
// directory, then a rename, so a reader never sees a partial file.
func writePIDFile(path string, pid int) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".drover-pid-*")
	if err != nil {
		return fmt.Errorf("pid file %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.WriteString(strconv.Itoa(pid) + "\n"); err != nil {
		tmp.Close()
		return fmt.Errorf("pid file %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("pid file %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("pid file %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("pid file %s: %w", path, err)
	}
	return nil
}

// removePIDFile removes path if it still holds pid (a newer supervisor may
// have taken it over).
func removePIDFile(path string, pid int) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("pid file %s: %w", path, err)
	}
	if !bytes.Equal(bytes.TrimSpace(data), []byte(strconv.Itoa(pid))) {
		return nil
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("pid file %s: %w", path, err)
	}
	return nil
}

// holdsPID reports whether the pid file at path holds pid: after a binary
// upgrade (same process) it is this supervisor's already.
func holdsPID(path string, pid int) bool {
	data, err := os.ReadFile(path)
	return err == nil && bytes.Equal(bytes.TrimSpace(data), []byte(strconv.Itoa(pid)))
}
