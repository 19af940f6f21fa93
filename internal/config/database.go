package config

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/drover/drover/auth"
)

// EnvDatabaseURL is the database URL's conventional variable, read by
// Django deployments (dj-database-url) and twelve-factor apps: a base
// layer under the config file, DROVER_DATABASE_URL and the flag. It may
// carry the password, which a flag should not (it shows in ps).
const EnvDatabaseURL = "DATABASE_URL"

// The database defaults.
const (
	// DefaultDatabaseMaxConnections bounds the connections one host's
	// workers hold together: PostgreSQL's own max_connections is 100, for
	// every host and every other client.
	DefaultDatabaseMaxConnections = 16
	// DefaultDatabaseStatementTimeout bounds one statement: a request
	// waits no longer for the database than this before its 503.
	DefaultDatabaseStatementTimeout = 5 * time.Second
	// DefaultDatabaseConnectTimeout bounds opening one connection.
	DefaultDatabaseConnectTimeout = 3 * time.Second
)

// Database selects the users store: the SQLite file in the state
// directory when URL is empty, else the PostgreSQL database at URL,
// shared by every host behind one load balancer.
type Database struct {
	// URL is postgres://… or postgresql://… (pgx's, and libpq's, URL or
	// key=value forms); empty for SQLite. It prints with its password
	// masked.
	URL DatabaseURL
	// PasswordFile holds the database password, when neither the URL nor
	// PGPASSWORD nor a PGPASSFILE gives it.
	PasswordFile string
	// Password is PasswordFile's content, read by LoadDatabasePassword.
	Password Secret
	// MaxConnections bounds the connections all of one host's workers
	// hold together: each worker's pool gets MaxConnections divided by the
	// most workers the host may run, at least 1.
	MaxConnections int
	// StatementTimeout bounds every statement (PostgreSQL's
	// statement_timeout) and the wait for a connection.
	StatementTimeout time.Duration
	// ConnectTimeout bounds opening one connection.
	ConnectTimeout time.Duration
	// NoMigrate leaves the schema alone at serve's start: it must then be
	// current (drover migrate), else serve refuses to start.
	NoMigrate bool
}

// DatabaseURL is a database URL that prints with its password masked,
// so that --print-config, check and log lines never show it.
type DatabaseURL string

// String returns the URL with its password, if any, as "xxxxx".
func (u DatabaseURL) String() string { return auth.RedactURL(string(u)) }

// GoString is String, for %#v.
func (u DatabaseURL) GoString() string { return fmt.Sprintf("config.DatabaseURL(%q)", u.String()) }

// isDatabaseURL reports whether raw is in the URL form.
func isDatabaseURL(raw string) bool {
	return strings.HasPrefix(raw, "postgres://") || strings.HasPrefix(raw, "postgresql://")
}

// checkDatabaseURL refuses what cannot be a PostgreSQL URL: drover's
// other store, SQLite, needs no URL.
func checkDatabaseURL(raw string) error {
	switch {
	case raw == "":
		return nil
	case isDatabaseURL(raw):
		if _, err := url.Parse(raw); err != nil {
			// url's error quotes the URL, password included.
			return fmt.Errorf("%s is not a valid URL", auth.RedactURL(raw))
		}
		return nil
	case strings.HasPrefix(raw, "sqlite"):
		return fmt.Errorf("%s: SQLite is the store without a URL (the file drover.db in --state-dir); leave database-url empty", raw)
	case strings.Contains(raw, "://"):
		scheme, _, _ := strings.Cut(raw, "://")
		return fmt.Errorf("scheme %q: only postgres:// (or postgresql://) is supported", scheme)
	case strings.Contains(raw, "="):
		return nil // key=value form: host=… dbname=…
	}
	return fmt.Errorf("%s is neither a postgres:// URL nor a key=value connection string", auth.RedactURL(raw))
}

// databaseSettings are the settings of the users store's database.
func databaseSettings() []setting {
	return []setting{
		{
			name: "database-url", kind: "string",
			usage: "PostgreSQL database of the users store, postgres://USER@HOST/DB (also " + EnvDatabaseURL + "); empty: the SQLite file in --state-dir. A password is best given by " + EnvDatabaseURL + ", PGPASSWORD, a PGPASSFILE or --database-password-file, not a flag",
			// Checked by Validate, not here: a flag's refusal would quote
			// the value, password and all.
			set: func(c *Config, v string) error {
				c.Database.URL = DatabaseURL(v)
				return nil
			},
			get: func(c *Config) string { return tomlQuote(c.Database.URL.String()) },
		},
		stringSetting("database-password-file", "", "file holding the PostgreSQL password (its first line)",
			func(c *Config) *string { return &c.Database.PasswordFile }),
		intSetting("database-max-connections", "", "PostgreSQL connections one host's workers hold together, at most (each worker's pool: this divided by the most workers, at least 1)",
			func(c *Config) *int { return &c.Database.MaxConnections }),
		durationSetting("database-statement-timeout", "", "longest a PostgreSQL statement, or the wait for a connection, may take before the request gets 503",
			func(c *Config) *time.Duration { return &c.Database.StatementTimeout }),
		durationSetting("database-connect-timeout", "", "longest opening one PostgreSQL connection may take",
			func(c *Config) *time.Duration { return &c.Database.ConnectTimeout }),
		boolSetting("no-migrate", "", "do not create or migrate the PostgreSQL schema at serve's start (run drover migrate); serve refuses an old schema",
			func(c *Config) *bool { return &c.Database.NoMigrate }),
	}
}

// validate refuses database settings no store can use.
func (d Database) validate() error {
	bad := func(setting, format string, args ...any) error {
		return &Error{Setting: setting, Err: fmt.Errorf(format, args...)}
	}
	if err := checkDatabaseURL(string(d.URL)); err != nil {
		return &Error{Setting: "database-url", Err: err}
	}
	switch {
	case d.MaxConnections < 1:
		return bad("database-max-connections", "must be at least 1, got %d", d.MaxConnections)
	case d.MaxConnections > 10000:
		return bad("database-max-connections", "at most 10000, got %d", d.MaxConnections)
	case d.StatementTimeout < 10*time.Millisecond:
		return bad("database-statement-timeout", "must be at least 10ms, got %v", d.StatementTimeout)
	case d.ConnectTimeout < 10*time.Millisecond:
		return bad("database-connect-timeout", "must be at least 10ms, got %v", d.ConnectTimeout)
	case d.URL == "" && d.PasswordFile != "":
		return bad("database-password-file", "is set but database-url is not (SQLite needs no password)")
	}
	return nil
}

// LoadDatabasePassword reads --database-password-file into
// c.Database.Password.
func (c *Config) LoadDatabasePassword() error {
	if c.Database.PasswordFile == "" {
		return nil
	}
	data, err := readKeyFile(c.Database.PasswordFile)
	if err != nil {
		return &Error{Setting: "database-password-file", Err: err}
	}
	line, _, _ := bytes.Cut(data, []byte("\n"))
	if line = bytes.TrimRight(line, "\r"); len(line) == 0 {
		return &Error{Setting: "database-password-file", Err: fmt.Errorf("%s is empty", c.Database.PasswordFile)}
	}
	c.Database.Password = Secret(line)
	return nil
}
