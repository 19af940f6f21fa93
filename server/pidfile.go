package server

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

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
