package cli

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/drover/drover/auth"
	"github.com/drover/drover/internal/config"
	"github.com/drover/drover/internal/statedir"
)

// storeUse is what a process opens the users store for, which decides
// whether it migrates the schema and how many connections it may hold.
type storeUse int

const (
	// storeWorker: a worker serving requests. Its pool is its share of
	// --database-max-connections, it never migrates (its supervisor did,
	// or checked), and it connects on first use: a worker that starts
	// while PostgreSQL is down serves what needs no database (a valid
	// access token within the user cache TTL) and its other requests get
	// 503 until PostgreSQL is back.
	storeWorker storeUse = iota
	// storeStart: serve's supervisor at its start (and the dev server):
	// creates or migrates the schema unless --no-migrate, else refuses a
	// schema that is not current. It holds a connection only while it
	// does.
	storeStart
	// storeAdmin: an admin command (createuser, users, …, migrate,
	// import-django-users), which migrates as serve does.
	storeAdmin
)

// adminConns is the pool of an admin command: one statement at a time.
const adminConns = 2

// openStore opens the users store cfg names for use: the PostgreSQL
// database of --database-url, else the SQLite file in the state
// directory (created with the directory if needed). where names it for
// the lines a command prints: the file's absolute path, or the URL with
// its password masked.
func openStore(ctx context.Context, cfg config.Config, use storeUse) (store auth.Store, where string, err error) {
	if cfg.Database.URL == "" {
		dir := statedir.Dir(cfg.Auth.StateDir)
		if err := dir.Create(); err != nil {
			return nil, "", err
		}
		path, err := filepath.Abs(dir.Store())
		if err != nil {
			return nil, "", err
		}
		s, err := auth.OpenSQLite(ctx, path)
		if err != nil {
			return nil, path, fmt.Errorf("open store %s: %w", path, err)
		}
		return s, path, nil
	}
	where = cfg.Database.URL.String()
	pc := auth.PostgresConfig{
		URL:              databaseURL(cfg.Database),
		MaxConns:         int32(workerConns(cfg)),
		StatementTimeout: cfg.Database.StatementTimeout,
		ConnectTimeout:   cfg.Database.ConnectTimeout,
		Migrate:          use != storeWorker && !cfg.Database.NoMigrate,
		Lazy:             use == storeWorker,
	}
	if use != storeWorker {
		pc.MaxConns = adminConns
	}
	s, err := auth.OpenPostgres(ctx, pc)
	if err != nil {
		return nil, where, err // it names the database
	}
	return s, where, nil
}

// workerConns is each worker's share of --database-max-connections: the
// bound divided by the most workers the host runs at once (the adaptive
// count's maximum), at least one. A reload's overlap, old generation
// draining beside the new, may briefly hold up to twice the bound.
func workerConns(cfg config.Config) int {
	most := max(cfg.Server.Workers, cfg.Server.WorkersMax, 1)
	return max(cfg.Database.MaxConnections/most, 1)
}

// databaseURL is the connection string pgx opens: --database-url with
// the password of --database-password-file put in, when there is one.
// Without, pgx itself reads PGPASSWORD and PGPASSFILE as libpq does.
func databaseURL(d config.Database) string {
	raw := string(d.URL)
	if len(d.Password) == 0 {
		return raw
	}
	if strings.HasPrefix(raw, "postgres://") || strings.HasPrefix(raw, "postgresql://") {
		u, err := url.Parse(raw)
		if err != nil {
			return raw // refused by the setting already; pgx says why
		}
		u.User = url.UserPassword(u.User.Username(), string(d.Password))
		return u.String()
	}
	// key=value: single quotes, with \ and ' escaped (libpq's rules).
	quoted := strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(string(d.Password))
	return raw + " password='" + quoted + "'"
}
