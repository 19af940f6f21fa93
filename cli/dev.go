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

	"go.uber.org/zap"

	"github.com/drover/drover/dev"
	"github.com/drover/drover/internal/config"
	"github.com/drover/drover/internal/exitcode"
	"github.com/drover/drover/internal/logging"
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

// runDev runs the single-process development server.
func runDev(ctx context.Context, p Program, args []string, stdout io.Writer) error {
	defaults := devDefaults()
	cfg, shown, err := resolve(p, args, &defaults, nil, stdout)
	if err != nil || shown {
		return err
	}
	logs, err := logging.Open(cfg.Log, true)
	if err != nil {
		return exitcode.Wrap(exitcode.Config, err)
	}
	defer logs.Close()
	log := logs.Error.Named("dev")
	if p.ownAPI() {
		if err := devKeys(&cfg, log); err != nil {
			return exitcode.Wrap(exitcode.Config, err)
		}
	}
	handler, closeApp, err := p.handler(ctx, cfg, true, log)
	if err != nil {
		return exitcode.Wrap(exitcode.WorkerBoot, err)
	}
	defer closeApp()
	srv, err := dev.New(dev.Config{Settings: cfg, Handler: handler, Access: logs.Access, Banner: os.Stderr}, log)
	if err != nil {
		return exitcode.Wrap(exitcode.Config, err)
	}
	return exitcode.Wrap(exitcode.Runtime, srv.Run(ctx))
}

// devKeyFile is where drover dev keeps the signing key it generates.
const devKeyFile = "dev-secret.key"

// devKeys loads the configured signing key or, when none is configured,
// generates one in the state directory on first run and keeps using it, so
// tokens survive restarts of the development server.
func devKeys(cfg *config.Config, log *zap.Logger) error {
	err := cfg.LoadKeys(nil)
	if !errors.Is(err, config.ErrNoSigningKey) {
		return err
	}
	path := filepath.Join(cfg.Auth.StateDir, devKeyFile)
	if _, statErr := os.Stat(path); errors.Is(statErr, fs.ErrNotExist) {
		if err := writeNewKey(path); err != nil {
			return err
		}
		log.Warn("generated a development signing key; drover serve needs its own (--secret-key-file or DROVER_SECRET_KEY)", zap.String("file", path))
	}
	cfg.Auth.SecretKeyFile = path
	return cfg.LoadKeys(nil)
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
