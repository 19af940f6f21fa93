package auth

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/sys/unix"
)

// hashSlots bounds the password hashes running at once across every
// process sharing a directory (all the workers of one server): n lock
// files, each held with flock(2) for one hash. A per-process semaphore
// alone cannot do it: N workers would hash N times as much at once, and a
// login flood would take every core from the cheap requests. The kernel
// releases a dead process's locks, so a kill -9 leaves no slot taken.
type hashSlots struct {
	files []*os.File
	// mu serialises this process's use of each file: flock is per open
	// file, so two goroutines of one process would both "hold" it.
	mu []sync.Mutex
}

// openHashSlots opens (creating) n slot files in dir.
func openHashSlots(dir string, n int) (*hashSlots, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("hash slots: %w", err)
	}
	s := &hashSlots{files: make([]*os.File, n), mu: make([]sync.Mutex, n)}
	for i := range n {
		f, err := os.OpenFile(filepath.Join(dir, fmt.Sprintf("hash-slot-%d.lock", i)), os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("hash slots: %w", err)
		}
		s.files[i] = f
	}
	return s, nil
}

// acquire takes a free slot, or waits on one chosen at random, and returns
// its release. Waiting is flock's own (no polling); a cancelled ctx is
// noticed once the wait ends.
func (s *hashSlots) acquire(ctx context.Context) (func(), error) {
	start := rand.IntN(len(s.files))
	for k := range s.files {
		i := (start + k) % len(s.files)
		if !s.mu[i].TryLock() {
			continue
		}
		if err := unix.Flock(int(s.files[i].Fd()), unix.LOCK_EX|unix.LOCK_NB); err == nil {
			return s.releaser(i), nil
		}
		s.mu[i].Unlock()
	}
	i := start
	s.mu[i].Lock()
	for {
		err := unix.Flock(int(s.files[i].Fd()), unix.LOCK_EX)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EINTR) {
			s.mu[i].Unlock()
			return nil, fmt.Errorf("hash slot: %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		s.releaser(i)()
		return nil, err
	}
	return s.releaser(i), nil
}

func (s *hashSlots) releaser(i int) func() {
	return func() {
		_ = unix.Flock(int(s.files[i].Fd()), unix.LOCK_UN)
		s.mu[i].Unlock()
	}
}

// Close closes the slot files.
func (s *hashSlots) Close() error {
	var errs []error
	for _, f := range s.files {
		if f != nil {
			errs = append(errs, f.Close())
		}
	}
	return errors.Join(errs...)
}
