package cli

import (
	"context"
	"io"
	"os"

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
	handler, err := p.handler(log)
	if err != nil {
		return exitcode.Wrap(exitcode.WorkerBoot, err)
	}
	srv, err := dev.New(dev.Config{Settings: cfg, Handler: handler, Access: logs.Access, Banner: os.Stderr}, log)
	if err != nil {
		return exitcode.Wrap(exitcode.Config, err)
	}
	return exitcode.Wrap(exitcode.Runtime, srv.Run(ctx))
}
