package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/drover/drover/internal/config"
	"github.com/drover/drover/internal/exitcode"
	"github.com/drover/drover/internal/logging"
	"github.com/drover/drover/server"
)

// printConfigFlag registers serve's --print-config.
func printConfigFlag(v *bool) func(fs *pflag.FlagSet) {
	return func(fs *pflag.FlagSet) {
		fs.BoolVar(v, "print-config", false, "print the effective configuration and exit")
	}
}

// runServe runs the supervisor.
func runServe(ctx context.Context, p Program, args []string, stdout io.Writer) error {
	var printConfig bool
	extra := printConfigFlag(&printConfig)
	cfg, shown, err := resolve(p, args, nil, extra, stdout)
	if err != nil || shown {
		return err
	}
	if printConfig {
		t, _ := p.table()
		fmt.Fprint(stdout, t.TOML(&cfg))
		return nil
	}
	if err := prepare(p, &cfg); err != nil {
		return exitcode.Wrap(exitcode.Config, err)
	}

	// What the workers need, created once by the supervisor and given to
	// their user: the store (created or migrated here rather than in every
	// worker at the same moment) and the log files.
	applyUmask(cfg.Server)
	if err := createState(ctx, p, cfg); err != nil {
		return exitcode.Wrap(storeExit(err), err)
	}
	logs, err := logging.Open(cfg.Log, false)
	if err != nil {
		return exitcode.Wrap(exitcode.Config, err)
	}
	defer logs.Close()
	for _, w := range append(p.envWarnings(), p.lingerWarnings(cfg)...) {
		logs.Error.Warn(w)
	}
	if err := chownForWorkers(cfg); err != nil {
		return exitcode.Wrap(exitcode.Config, err)
	}

	// Log files reopened on USR1 are created by the supervisor, before the
	// workers reopen them as --user: those of the configuration serving
	// now, which a HUP may have changed since the start.
	table, _ := p.table() // Run checked it
	options := func(c config.Config) (server.Options, error) {
		return serverOptions(c, table, func() error { return errors.Join(logs.Reopen(), chownForWorkers(c)) })
	}
	opts, err := options(cfg)
	if err != nil {
		return exitcode.Wrap(exitcode.Config, err)
	}
	// The control socket is read once, at the start, as the sockets are.
	var long *longSocketError
	switch opts.ControlSocket, err = p.controlSocket(cfg); {
	case errors.As(err, &long):
		logs.Error.Warn("no control socket: " + long.Error())
	case err != nil:
		return exitcode.Wrap(exitcode.Config, err)
	}
	// A HUP re-resolves and prepares the configuration as the start did,
	// so what every new worker would fail on refuses the reload instead.
	reload := func() (server.Options, error) {
		next, err := config.Resolve(p.source(args, nil, extra))
		if err == nil {
			err = checkReload(cfg, next)
		}
		if err == nil {
			err = prepare(p, &next)
		}
		if err != nil {
			return server.Options{}, err
		}
		return options(next)
	}
	sup, err := server.New(server.Config{Options: opts, Reload: reload}, logs.Error.Named("supervisor"))
	if err != nil {
		return exitcode.Wrap(exitcode.Config, err)
	}
	return sup.Run(ctx)
}
