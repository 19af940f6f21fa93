package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/drover/drover/auth"
	"github.com/drover/drover/internal/exitcode"
)

// runMigrate creates or migrates the schema of the store the settings
// name, as serve does at its start, and says what it did. On PostgreSQL
// it is the step of a deployment that starts its hosts with --no-migrate:
// one migration, under an advisory lock, before any host serves the new
// version. On SQLite, opening the file migrates it.
func runMigrate(ctx context.Context, p Program, args []string, stdout io.Writer) error {
	cfg, shown, err := resolve(p, args, nil, nil, stdout)
	if err != nil || shown {
		return err
	}
	if err := cfg.LoadDatabasePassword(); err != nil {
		return exitcode.Wrap(exitcode.Config, err)
	}
	if cfg.Database.URL == "" {
		store, where, err := openStore(ctx, cfg, storeAdmin)
		if err != nil {
			return exitcode.Wrap(exitcode.Config, err)
		}
		fmt.Fprintf(stdout, "the schema of %s is current\n", where)
		return store.Close()
	}
	where := cfg.Database.URL.String()
	from, to, err := auth.MigratePostgres(ctx, auth.PostgresConfig{
		URL:              databaseURL(cfg.Database),
		MaxConns:         adminConns,
		StatementTimeout: cfg.Database.StatementTimeout,
		ConnectTimeout:   cfg.Database.ConnectTimeout,
	})
	if err != nil {
		return exitcode.Wrap(storeExit(err), err)
	}
	if from == to {
		fmt.Fprintf(stdout, "the schema of %s is current (version %d)\n", where, to)
		return nil
	}
	fmt.Fprintf(stdout, "migrated the schema of %s from version %d to %d\n", where, from, to)
	return nil
}
