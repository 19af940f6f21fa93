package reload

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/fsnotify/fsnotify"
	"go.uber.org/zap"
)

// tree watches a directory and every directory below it that skipDir does
// not exclude, including directories created after it started (inotify
// does not recurse), and reports the files that change and match, as
// paths relative to the root.
type tree struct {
	root    string
	skipDir func(rel string) bool
	match   func(rel string) bool
	log     *zap.Logger
	w       *fsnotify.Watcher
	changes chan string
	stop    chan struct{}
	done    chan struct{}
}

// watchTree starts watching root. Close stops it.
func watchTree(root string, skipDir, match func(rel string) bool, log *zap.Logger) (*tree, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", root, err)
	}
	t := &tree{
		root: root, skipDir: skipDir, match: match, log: log, w: w,
		changes: make(chan string, 64),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	if err := t.w.Add(root); err != nil {
		w.Close()
		return nil, fmt.Errorf("watch %s: %w", root, err)
	}
	t.addBelow(root, false)
	go t.run()
	return t, nil
}

// Changes delivers the relative path of each changed file that matches.
func (t *tree) Changes() <-chan string { return t.changes }

// Close stops watching and waits for the watching goroutine to end.
func (t *tree) Close() error {
	close(t.stop)
	err := t.w.Close()
	<-t.done
	return err
}

func (t *tree) run() {
	defer close(t.done)
	for {
		select {
		case ev, ok := <-t.w.Events:
			if !ok {
				return
			}
			if !t.handle(ev) {
				return
			}
		case err, ok := <-t.w.Errors:
			if !ok {
				return
			}
			// An overflow loses events: the developer saves again.
			t.log.Warn("file watching", zap.Error(err))
		case <-t.stop:
			return
		}
	}
}

// handle reports ev if it matters and starts watching a directory it
// created; it returns false once the tree is closing.
func (t *tree) handle(ev fsnotify.Event) bool {
	rel, err := filepath.Rel(t.root, ev.Name)
	if err != nil {
		return true
	}
	if ev.Has(fsnotify.Create) {
		if info, err := os.Lstat(ev.Name); err == nil && info.IsDir() {
			if t.skipDir(rel) {
				return true
			}
			if err := t.w.Add(ev.Name); err != nil {
				t.log.Warn("watch new directory", zap.String("dir", rel), zap.Error(err))
				return true
			}
			// Files may have landed in it before the watch did (mkdir -p
			// and a copy, a git checkout): they count as changes.
			return t.addBelow(ev.Name, true)
		}
	}
	if t.match(rel) {
		return t.send(rel)
	}
	return true
}

// errClosing ends a walk when the tree is closing.
var errClosing = errors.New("closing")

// addBelow watches every directory below dir; report sends the matching
// files found on the way as changes. It returns false once the tree is
// closing.
func (t *tree) addBelow(dir string, report bool) bool {
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // gone already, or unreadable: nothing to watch
		}
		rel, _ := filepath.Rel(t.root, p)
		if d.IsDir() {
			if p == dir {
				return nil
			}
			if t.skipDir(rel) {
				return filepath.SkipDir
			}
			if err := t.w.Add(p); err != nil {
				t.log.Warn("watch directory", zap.String("dir", rel), zap.Error(err))
			}
			return nil
		}
		if report && t.match(rel) && !t.send(rel) {
			return errClosing
		}
		return nil
	})
	return !errors.Is(err, errClosing)
}

func (t *tree) send(rel string) bool {
	select {
	case t.changes <- rel:
		return true
	case <-t.stop:
		return false
	}
}
