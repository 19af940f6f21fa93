package reload

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/drover/drover/dev"
	"github.com/drover/drover/internal/exitcode"
	"github.com/drover/drover/internal/sockets"
)

// defaultStopTimeout bounds how long a program may take to finish its
// request and exit before it is killed; drover dev itself gives up after 3s.
const defaultStopTimeout = 5 * time.Second

// Config is what the watcher needs.
type Config struct {
	// Name is the program's name, for its binaries, the banner and the
	// failure page; "" means "drover".
	Name string
	// Args run the program as a development server: "dev" and the flags
	// it was given. The program finds its sockets with Inherited.
	Args []string
	// Bind are the addresses to bind and hold (--bind).
	Bind []string
	// Dir is the directory to watch (--reload-dir); "" means the root of
	// the module holding the working directory.
	Dir string
	// ExtraFiles are globs of further files whose changes rebuild
	// (--reload-extra-files), as Filter.Extra reads them.
	ExtraFiles []string
	// Build is a command line that builds the program and names its binary
	// with -o (--reload-build), run by sh -c in the module root; "" means
	// go build of the running program's main package.
	Build string
	// Terminal receives the banner and the compiler's output; nil means
	// os.Stderr, which the programs' stderr goes to as well.
	Terminal io.Writer
	// Stdout is the programs' standard output (the access log); nil means
	// os.Stdout.
	Stdout io.Writer
	// Exe is the running program's binary; "" means os.Executable.
	Exe string
	// BuildInfo describes that binary; nil means debug.ReadBuildInfo.
	BuildInfo *debug.BuildInfo
	// Env is the programs' environment; nil means os.Environ.
	Env []string
	// Quiet is how long changes must pause before a rebuild; 0 means
	// 200ms.
	Quiet time.Duration
	// StopTimeout bounds how long a program may take to stop before it is
	// killed; 0 means 5s.
	StopTimeout time.Duration
}

// Watcher is drover dev --reload: it holds the sockets, runs the program
// as a child serving them, and replaces it with a new build when the
// source changes.
type Watcher struct {
	cfg Config
	log *zap.Logger
	// root is the watched directory.
	root   string
	filter Filter
	// builder makes new binaries; nil means the binary is watched instead
	// (no module at hand), and noBuild says why.
	builder *builder
	noBuild error
}

// New prepares a watcher: it finds what to watch and how to rebuild. It
// binds nothing until Run.
func New(cfg Config, log *zap.Logger) (*Watcher, error) {
	if cfg.Name == "" {
		cfg.Name = "drover"
	}
	if cfg.Terminal == nil {
		cfg.Terminal = os.Stderr
	}
	if cfg.Stdout == nil {
		cfg.Stdout = os.Stdout
	}
	if cfg.Env == nil {
		cfg.Env = os.Environ()
	}
	if cfg.Quiet == 0 {
		cfg.Quiet = defaultQuiet
	}
	if cfg.StopTimeout == 0 {
		cfg.StopTimeout = defaultStopTimeout
	}
	if cfg.Exe == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("find the program's binary: %w", err)
		}
		cfg.Exe = exe
	}
	if cfg.BuildInfo == nil {
		cfg.BuildInfo, _ = debug.ReadBuildInfo()
	}
	for _, glob := range cfg.ExtraFiles {
		if _, err := path.Match(glob, ""); err != nil {
			return nil, fmt.Errorf("--reload-extra-files %q: %w", glob, err)
		}
	}
	w := &Watcher{cfg: cfg, log: log}
	if err := w.plan(); err != nil {
		return nil, err
	}
	return w, nil
}

// plan decides how new binaries come: the --reload-build command, go build
// of the program's main package in its module, or, with no module (or no
// go) at hand, a replaced binary.
func (w *Watcher) plan() error {
	start := w.cfg.Dir
	if start == "" {
		wd, err := os.Getwd()
		if err != nil {
			return fmt.Errorf("working directory: %w", err)
		}
		start = wd
	} else if info, err := os.Stat(start); err != nil || !info.IsDir() {
		return fmt.Errorf("--reload-dir %s: not a directory", start)
	}
	mod, modErr := findModule(start)
	name := filepath.Base(w.cfg.Name)
	switch {
	case w.cfg.Build != "":
		dir := mod.Root
		if modErr != nil {
			dir = start
		}
		b, err := newShellBuilder(dir, w.cfg.Build, "", name)
		if err != nil {
			return err
		}
		w.builder, w.root = b, dir
	default:
		err := modErr
		var pkg string
		if err == nil {
			pkg, err = mainPackage(w.cfg.BuildInfo, mod)
		}
		if err == nil {
			_, err = exec.LookPath("go")
		}
		if err != nil {
			w.noBuild = err
			w.root = filepath.Dir(w.cfg.Exe)
			return nil
		}
		w.builder, w.root = &builder{dir: mod.Root, pkg: pkg, name: name}, mod.Root
	}
	if w.cfg.Dir != "" {
		abs, err := filepath.Abs(w.cfg.Dir)
		if err != nil {
			return fmt.Errorf("--reload-dir: %w", err)
		}
		w.root = abs
	}
	w.filter = Filter{Extra: w.cfg.ExtraFiles}
	for _, p := range []string{w.builder.output, w.cfg.Exe} {
		if rel, err := filepath.Rel(w.root, p); err == nil && p != "" && !strings.HasPrefix(rel, "..") {
			w.filter.Skip = append(w.filter.Skip, rel)
		}
	}
	return nil
}

// Run binds the addresses, prints the banner, starts the program and
// replaces it on every change until INT or TERM (or ctx ends); then it
// stops the program and any build, removes its temporary files and
// returns nil. An address it cannot bind is an *exitcode.Error with
// exitcode.Config, as drover serve's and dev's.
func (w *Watcher) Run(ctx context.Context) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	tmp, err := os.MkdirTemp("", "drover-dev-")
	if err != nil {
		return fmt.Errorf("temporary directory: %w", err)
	}
	defer os.RemoveAll(tmp)
	socks, err := bindAll(w.cfg.Bind)
	if err != nil {
		return exitcode.Wrap(exitcode.Config, err) // as drover serve and dev
	}
	defer sockets.CloseAll(socks)

	var tr *tree
	if w.builder != nil {
		w.builder.out = tmp
		tr, err = watchTree(w.root, w.filter.SkipDir, w.filter.Match, w.log)
	} else {
		base := filepath.Base(w.cfg.Exe)
		tr, err = watchTree(w.root,
			func(string) bool { return true },
			func(rel string) bool { return rel == base }, w.log)
	}
	if err != nil {
		return err
	}
	defer tr.Close()

	dev.WriteBanner(w.cfg.Terminal, w.cfg.Name, sockets.Listeners(socks))
	if w.builder != nil {
		w.log.Info("watching for changes", zap.String("dir", w.root), zap.Stringer("build", w.builder))
	} else {
		w.log.Warn("no module to rebuild from: restarting when the binary is replaced",
			zap.String("binary", w.cfg.Exe), zap.String("reason", w.noBuild.Error()))
	}
	s := newSession(w, socks, tr, filepath.Join(tmp, "failure"))
	s.run(ctx)
	return nil
}
