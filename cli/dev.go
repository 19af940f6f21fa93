package cli

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/drover/drover/dev"
	"github.com/drover/drover/dev/reload"
	"github.com/drover/drover/internal/config"
	"github.com/drover/drover/internal/exitcode"
	"github.com/drover/drover/internal/logging"
	"github.com/drover/drover/internal/statedir"
)

// devDefaults are the defaults of drover dev: debug logs on the console
// and every request logged, as Django's runserver does.
func devDefaults() config.Config {
	cfg := config.Default()
	cfg.Server.Workers = 1
	cfg.Log.Level = "debug"
	cfg.Log.Format = "console"
	cfg.Log.AccessLogfile = "-"
	return cfg
}

// reloadFlags are drover dev's --reload flags: command-line only, not
// settings.
type reloadFlags struct {
	on    bool
	dir   string
	extra []string
	build string
}

func (f *reloadFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&f.on, "reload", false, "dev: rebuild and restart on source changes, holding the socket so no connection is refused")
	fs.StringVar(&f.dir, "reload-dir", "", "dev: directory to watch (default the module root above the working directory)")
	fs.StringArrayVar(&f.extra, "reload-extra-files", nil, "dev: glob of further files that trigger a rebuild, like '*.toml' or 'templates/*.html' (repeatable)")
	fs.StringVar(&f.build, "reload-build", "", "dev: build command naming its binary with -o (default: go build of the program's main package)")
}

// runDev runs the single-process development server; with --reload, the
// watcher that runs it as a child and replaces it on every change. A child
// of the watcher (reload.EnvListeners set) serves the sockets it inherited
// and prints no banner.
func runDev(ctx context.Context, p Program, args []string, stdout io.Writer) error {
	defaults := devDefaults()
	var rf reloadFlags
	cfg, shown, err := resolve(p, args, &defaults, rf.register, stdout)
	if err != nil || shown {
		return err
	}
	inherited, failureFile, err := reload.Inherited(p.name(), os.Getenv)
	if err != nil {
		return exitcode.Wrap(exitcode.Config, err)
	}
	logs, err := logging.Open(cfg.Log, true)
	if err != nil {
		return exitcode.Wrap(exitcode.Config, err)
	}
	defer logs.Close()
	if inherited == nil {
		// The watcher's child runs with the same environment: warned once.
		for _, w := range p.envWarnings() {
			logs.Error.Warn(w)
		}
	}
	if rf.on && inherited == nil {
		return runReloadWatcher(ctx, p, cfg, rf, args, logs.Error.Named("reload"))
	}
	log := logs.Error.Named("dev")
	if p.authenticates() {
		t, _ := p.table() // Run checked it
		if err := devKeys(&cfg, t, log); err != nil {
			return exitcode.Wrap(exitcode.Config, err)
		}
	}
	if err := createState(ctx, p, cfg); err != nil {
		return exitcode.Wrap(storeExit(err), err)
	}
	handler, closeApp, err := p.handler(ctx, cfg, true, nil, log)
	if err != nil {
		return exitcode.Wrap(exitcode.WorkerBoot, err)
	}
	defer closeApp()
	dc := dev.Options{
		Name:              p.name(),
		Bind:              cfg.Server.Bind,
		Chain:             cfg.Chain(),
		ReadHeaderTimeout: cfg.Worker.ReadHeaderTimeout,
		IdleTimeout:       cfg.Worker.KeepAlive,
		// --keep-alive 0 is "off", as under serve.
		CloseAfterResponse: cfg.Worker.KeepAlive == 0,
		Handler:            handler,
		Access:             logs.Access,
		Banner:             os.Stderr,
	}
	if inherited != nil {
		dc.Banner, dc.Listeners, dc.FailureFile = nil, inherited, failureFile
		// The watcher logs one line per rebuild; the server's own
		// "stopping" at every swap would double it.
		if log.Core().Enabled(zapcore.InfoLevel) {
			log = log.WithOptions(zap.IncreaseLevel(zapcore.WarnLevel))
		}
	}
	srv, err := dev.New(dc, log)
	if err != nil {
		return exitcode.Wrap(exitcode.Config, err)
	}
	return exitcode.Wrap(exitcode.Runtime, srv.Run(ctx))
}

// runReloadWatcher runs drover dev --reload's watcher: it binds, and runs
// this program again as "dev" with the same flags (the --reload ones are
// ignored by the child) on the sockets it holds.
func runReloadWatcher(ctx context.Context, p Program, cfg config.Config, rf reloadFlags, args []string, log *zap.Logger) error {
	w, err := reload.New(reload.Config{
		Name:       p.name(),
		Args:       append([]string{"dev"}, args...),
		Bind:       cfg.Server.Bind,
		Dir:        rf.dir,
		ExtraFiles: rf.extra,
		Build:      rf.build,
	}, log)
	if err != nil {
		return exitcode.Wrap(exitcode.Config, err)
	}
	return exitcode.Wrap(exitcode.Runtime, w.Run(ctx))
}

// devKeys loads the configured signing key (from the flags and variables
// of t, the program's table) or, when none is configured, generates one in
// the state directory on first run and keeps using it, so tokens survive
// restarts of the development server.
func devKeys(cfg *config.Config, t config.Table, log *zap.Logger) error {
	lookup := t.LookupEnv(nil)
	err := cfg.LoadKeys(lookup)
	if !errors.Is(err, config.ErrNoSigningKey) {
		return err
	}
	path := statedir.Dir(cfg.Auth.StateDir).DevKey()
	if _, statErr := os.Stat(path); errors.Is(statErr, fs.ErrNotExist) {
		if err := writeNewKey(path); err != nil {
			return err
		}
		log.Warn(fmt.Sprintf("generated a development signing key; %s serve needs its own (--secret-key-file or %s)", t.Program, t.SecretKeyEnv()),
			zap.String("file", path))
	}
	cfg.Auth.SecretKeyFile = path
	return cfg.LoadKeys(lookup)
}

// writeNewKey writes 48 random bytes, base64url-encoded, readable by the
// owner only.
func writeNewKey(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("state dir: %w", err)
	}
	key := make([]byte, 48)
	if _, err := rand.Read(key); err != nil {
		return fmt.Errorf("generate key: %w", err)
	}
	data := base64.RawURLEncoding.EncodeToString(key) + "\n"
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		return fmt.Errorf("write key: %w", err)
	}
	return nil
}
