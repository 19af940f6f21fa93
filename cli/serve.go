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

// runServe runs the supervisor.
func runServe(ctx context.Context, p Program, args []string, stdout io.Writer) error {
	var printConfig bool
	extra := func(fs *pflag.FlagSet) {
		fs.BoolVar(&printConfig, "print-config", false, "print the effective configuration and exit")
	}
	cfg, shown, err := resolve(p, args, nil, extra, stdout)
	if err != nil || shown {
		return err
	}
	if printConfig {
		fmt.Fprint(stdout, cfg.TOML())
		return nil
	}
	if err := checkTLS(&cfg); err != nil {
		return exitcode.Wrap(exitcode.Config, err)
	}
	if err := server.CheckPrivileges(cfg.Server); err != nil {
		return exitcode.Wrap(exitcode.Config, err)
	}
	applyUmask(cfg.Server)
	if p.ownAPI() {
		if err := prepareAPI(ctx, &cfg); err != nil {
			return exitcode.Wrap(exitcode.Config, err)
		}
	}
	logs, err := logging.Open(cfg.Log, false)
	if err != nil {
		return exitcode.Wrap(exitcode.Config, err)
	}
	defer logs.Close()
	if err := handOver(cfg); err != nil {
		return exitcode.Wrap(exitcode.Config, err)
	}
	// Log files reopened on USR1 are created by the supervisor, before the
	// workers reopen them as --user.
	reopen := func() error {
		return errors.Join(logs.Reopen(), handOver(cfg))
	}

	reload := func() (config.Config, error) {
		next, err := config.Resolve(config.Source{Args: args, Extra: extra})
		if err == nil {
			err = checkTLS(&next) // a broken renewal must not take workers down
		}
		if err == nil && p.ownAPI() {
			err = next.LoadKeys(nil) // a rotated key file takes effect on HUP
		}
		return next, err
	}
	sup, err := server.New(server.Config{Settings: cfg, Reload: reload, Reopen: reopen}, logs.Error.Named("supervisor"))
	if err != nil {
		return exitcode.Wrap(exitcode.Config, err)
	}
	return sup.Run(ctx)
}
