package config_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drover/drover/internal/config"
)

func TestResolveDatabase(t *testing.T) {
	file := writeFile(t, "drover.toml", `database_url = "postgres://drover@db.internal/from_file"`+"\n")
	tests := []struct {
		name     string
		giveArgs []string
		giveEnv  map[string]string
		wantURL  string // as printed: the password masked
		wantErr  string // "" for success
	}{
		{name: "none: SQLite"},
		{name: "DATABASE_URL", giveEnv: map[string]string{"DATABASE_URL": "postgres://drover:s3cret@db/drover"},
			wantURL: "postgres://drover:xxxxx@db/drover"},
		{name: "the config file wins over DATABASE_URL", giveArgs: []string{"--config", file},
			giveEnv: map[string]string{"DATABASE_URL": "postgres://drover@db/env"}, wantURL: "postgres://drover@db.internal/from_file"},
		{name: "DROVER_DATABASE_URL wins over the file", giveArgs: []string{"--config", file},
			giveEnv: map[string]string{"DROVER_DATABASE_URL": "postgresql://drover@db/drover_env"}, wantURL: "postgresql://drover@db/drover_env"},
		{name: "the flag wins", giveArgs: []string{"--database-url", "postgres:///drover?host=/run/postgresql"},
			giveEnv: map[string]string{"DATABASE_URL": "postgres://drover@db/env"}, wantURL: "postgres:///drover?host=/run/postgresql"},
		{name: "keyword form", giveArgs: []string{"--database-url", "host=db dbname=drover password=s3cret"},
			wantURL: "host=db dbname=drover password=xxxxx"},
		{name: "sqlite URL refused", giveArgs: []string{"--database-url", "sqlite:///var/drover.db"},
			wantErr: "invalid --database-url: sqlite:///var/drover.db: SQLite is the store without a URL"},
		{name: "mysql refused", giveArgs: []string{"--database-url", "mysql://db/drover"},
			wantErr: `invalid --database-url: scheme "mysql": only postgres:// (or postgresql://) is supported`},
		{name: "a bad DATABASE_URL is named", giveEnv: map[string]string{"DATABASE_URL": "mysql://u:pw@db/x"},
			wantErr: `invalid DATABASE_URL: scheme "mysql"`},
		{name: "not a URL, password not echoed", giveArgs: []string{"--database-url", "postgres://u:pw@db/%zz"},
			wantErr: "invalid --database-url: postgres://u:xxxxx@db/%zz is not a valid URL"},
		{name: "no pool", giveArgs: []string{"--database-max-connections", "0"},
			wantErr: "invalid --database-max-connections: must be at least 1, got 0"},
		{name: "no statement timeout", giveArgs: []string{"--database-statement-timeout", "0s"},
			wantErr: "invalid --database-statement-timeout: must be at least 10ms"},
		{name: "a password file without a database", giveArgs: []string{"--database-password-file", "/etc/drover/db.password"},
			wantErr: "invalid --database-password-file: is set but database-url is not"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Resolve(config.Source{Args: tt.giveArgs, LookupEnv: fakeEnv(tt.giveEnv)})
			switch {
			case tt.wantErr != "":
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("Resolve = %v, want an error starting %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "pw@") || strings.Contains(err.Error(), "s3cret") {
					t.Errorf("the error shows the password: %v", err)
				}
				return
			case err != nil:
				t.Fatalf("Resolve: %v", err)
			}
			if got := c.Database.URL.String(); got != tt.wantURL {
				t.Errorf("URL prints as %q, want %q", got, tt.wantURL)
			}
			printed := config.Drover().TOML(&c)
			if strings.Contains(printed, "s3cret") {
				t.Errorf("print-config shows the password:\n%s", printed)
			}
			if want := `database_url = "` + tt.wantURL + `"`; !strings.Contains(printed, want) {
				t.Errorf("print-config lacks %s:\n%s", want, printed)
			}
		})
	}
}

func TestDatabaseDefaults(t *testing.T) {
	d := config.Default().Database
	if d.URL != "" || d.MaxConnections != 16 || d.StatementTimeout != 5*time.Second || d.ConnectTimeout != 3*time.Second || d.NoMigrate {
		t.Errorf("Default().Database = %+v", d)
	}
}

func TestLoadDatabasePassword(t *testing.T) {
	tests := []struct {
		name    string
		give    string // the file's content; "-" for no file
		want    string
		wantErr string
	}{
		{name: "first line, newline trimmed", give: "s3cret\n", want: "s3cret"},
		{name: "CRLF", give: "s3cret\r\nignored\n", want: "s3cret"},
		{name: "empty", give: "\n", wantErr: "is empty"},
		{name: "missing", give: "-", wantErr: "invalid database-password-file: stat "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := config.Default()
			c.Database.URL = "postgres://drover@db/drover"
			c.Database.PasswordFile = filepath.Join(t.TempDir(), "missing")
			if tt.give != "-" {
				c.Database.PasswordFile = writeFile(t, "db.password", tt.give)
			}
			err := c.LoadDatabasePassword()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("LoadDatabasePassword = %v, want an error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || string(c.Database.Password) != tt.want {
				t.Fatalf("LoadDatabasePassword = %v, password %q; want %q", err, c.Database.Password, tt.want)
			}
			if printed := config.Drover().TOML(&c); strings.Contains(printed, tt.want) {
				t.Errorf("print-config shows the password:\n%s", printed)
			}
		})
	}
}
