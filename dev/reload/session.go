package reload

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/drover/drover/dev"
	"github.com/drover/drover/internal/sockets"
)

// session is one Run of the watcher. Its state is owned by the goroutine
// in run: file changes, finished builds and the program's exit all arrive
// there.
type session struct {
	w           *Watcher
	log         *zap.Logger
	socks       []*sockets.Held
	tree        *tree
	failureFile string

	deb   debouncer
	timer *time.Timer

	// The program serving the sockets, and its binary; or, when it has
	// exited, page serving the failure instead.
	child *child
	bin   string
	page  *pageServer

	// builds delivers every build's result; inflight counts the builds
	// whose result has not arrived, buildID names the latest one (older
	// ones were cancelled) and pending the files it was started for.
	builds      chan buildResult
	inflight    int
	buildID     int
	cancelBuild context.CancelFunc
	pending     []string
}

// buildResult is one build's outcome.
type buildResult struct {
	id   int
	bin  string
	err  error
	took time.Duration
}

func newSession(w *Watcher, socks []*sockets.Held, tr *tree, failureFile string) *session {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	return &session{
		w: w, log: w.log, socks: socks, tree: tr, failureFile: failureFile,
		deb:    debouncer{quiet: w.cfg.Quiet, maxWait: defaultMaxWait},
		timer:  timer,
		builds: make(chan buildResult),
	}
}

// run starts the program and handles events until ctx ends, then stops
// everything it started.
func (s *session) run(ctx context.Context) {
	s.start(s.w.cfg.Exe)
	for {
		var exited <-chan struct{}
		if s.child != nil {
			exited = s.child.exited
		}
		select {
		case <-ctx.Done():
			s.shutdown()
			return
		case rel := <-s.tree.Changes():
			s.deb.add(rel, time.Now())
			s.arm()
		case <-s.timer.C:
			if names, ok := s.deb.take(time.Now()); ok {
				s.rebuild(ctx, names)
			}
			s.arm()
		case r := <-s.builds:
			s.inflight--
			s.finish(r)
		case <-exited:
			s.exited(ctx)
		}
	}
}

// arm sets the timer for the pending batch of changes, if any.
func (s *session) arm() {
	if at, ok := s.deb.due(); ok {
		s.timer.Reset(time.Until(at))
	}
}

// rebuild starts a build for the changed files, cancelling one still
// running (it builds a source that is already out of date). With no
// builder, a replaced binary is simply restarted.
func (s *session) rebuild(ctx context.Context, names []string) {
	for _, n := range names {
		if !slices.Contains(s.pending, n) {
			s.pending = append(s.pending, n)
		}
	}
	if s.w.builder == nil {
		names := s.pending
		s.pending = nil
		s.replace(s.w.cfg.Exe)
		s.log.Info("binary replaced: restarted", zap.Strings("changed", names))
		return
	}
	if s.cancelBuild != nil {
		s.cancelBuild()
	}
	bctx, cancel := context.WithCancel(ctx)
	s.cancelBuild = cancel
	s.buildID++
	s.inflight++
	id, bin, b := s.buildID, s.w.builder.next(), s.w.builder
	go func() {
		start := time.Now()
		err := b.build(bctx, bin)
		if err != nil {
			bin = ""
		}
		s.builds <- buildResult{id: id, bin: bin, err: err, took: time.Since(start)}
	}()
}

// finish acts on a build's result: the new binary replaces the program, or
// the compiler's output is shown in the terminal and as the response to
// every request while the old program keeps running.
func (s *session) finish(r buildResult) {
	if r.id != s.buildID { // cancelled by a newer build
		if r.bin != "" {
			os.Remove(r.bin)
		}
		return
	}
	s.cancelBuild()
	s.cancelBuild = nil
	names := s.pending
	s.pending = nil
	if errors.Is(r.err, context.Canceled) {
		return
	}
	if r.err != nil {
		f := dev.Failure{Title: r.err.Error(), Output: r.err.Error()}
		var be *buildError
		if errors.As(r.err, &be) {
			f.Output = be.Output
		}
		s.log.Error("build failed: serving its output as the error page until the next good build",
			zap.Strings("changed", names), zap.Duration("build_time_s", r.took))
		fmt.Fprintf(s.w.cfg.Terminal, "\n%s\n", indent(f.Output))
		s.fail(f)
		return
	}
	s.replace(r.bin)
	s.log.Info("rebuilt in "+seconds(r.took), zap.Strings("changed", names))
}

// replace stops the program (or the failure page) and starts bin on the
// same sockets; connections arriving in between wait in their backlogs.
func (s *session) replace(bin string) {
	if err := os.Remove(s.failureFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.log.Warn("remove the failure page", zap.Error(err))
	}
	if s.page != nil {
		s.page.stop()
		s.page = nil
	}
	if s.child != nil {
		s.child.stop(s.w.cfg.StopTimeout)
		s.child = nil
	}
	if s.bin != "" && s.bin != s.w.cfg.Exe && s.bin != bin {
		os.Remove(s.bin) // a build of ours, now unused
	}
	s.start(bin)
}

// start runs bin as the program; if it cannot start, the failure page
// says why.
func (s *session) start(bin string) {
	s.bin = bin
	c, err := startChild(childSpec{
		exe: bin, args: s.w.cfg.Args, env: s.w.cfg.Env,
		sockets: s.socks, failureFile: s.failureFile,
		stdout: s.w.cfg.Stdout, stderr: s.w.cfg.Terminal,
	})
	if err != nil {
		s.log.Error("cannot start the program", zap.Error(err))
		s.fail(dev.Failure{Title: "cannot start " + s.w.cfg.Name, Output: err.Error()})
		return
	}
	s.child = c
}

// exited handles the program's own exit (a panic at start, a log.Fatal, an
// os.Exit): the watcher serves its output as the failure page until the
// next build replaces it.
func (s *session) exited(ctx context.Context) {
	c := s.child
	s.child = nil
	if ctx.Err() != nil {
		return // stopping: a terminal's Ctrl-C reached the program first
	}
	s.log.Error("program exited: serving its output as the error page until the next good build",
		zap.Int("pid", c.pid()), zap.String("status", c.status()))
	s.fail(dev.Failure{
		Title:  fmt.Sprintf("%s exited (%s)", s.w.cfg.Name, c.status()),
		Output: c.tail.String(),
	})
}

// fail shows f for every request: through the running program, or from
// the watcher itself when none runs.
func (s *session) fail(f dev.Failure) {
	f.Program = s.w.cfg.Name
	switch {
	case s.child != nil:
		if err := f.WriteFile(s.failureFile); err != nil {
			s.log.Error("show the failure page", zap.Error(err))
		}
	case s.page != nil:
		s.page.set(f)
	default:
		p, err := servePage(s.socks, f, s.log)
		if err != nil {
			// Connections wait in the backlog for the next build.
			s.log.Error("show the failure page", zap.Error(err))
			return
		}
		s.page = p
	}
}

// shutdown stops the build, the program and the failure page, and waits
// for all of them.
func (s *session) shutdown() {
	s.log.Info("stopping")
	s.timer.Stop()
	if s.cancelBuild != nil {
		s.cancelBuild()
		s.cancelBuild = nil
	}
	if s.child != nil {
		s.child.stop(s.w.cfg.StopTimeout)
		s.child = nil
	}
	if s.page != nil {
		s.page.stop()
		s.page = nil
	}
	for ; s.inflight > 0; s.inflight-- {
		<-s.builds
	}
}

// seconds formats d as the build time developers read: "1.42s".
func seconds(d time.Duration) string {
	return fmt.Sprintf("%.2fs", d.Seconds())
}

// indent sets the compiler's output off from the log lines around it.
func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "    " + l
	}
	return strings.Join(lines, "\n")
}
