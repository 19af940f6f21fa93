package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/drover/drover/internal/config"
)

// prepare checks a resolved configuration (config.Resolve has validated
// each setting) as serve will run it, and reads what the supervisor sends
// its workers: the TLS certificate and key, drover's own signing keys and
// the database password.
// It is the one check behind serve's start, every HUP and drover check,
// so that check refuses exactly what serve refuses and a reload that
// every new worker would fail on is refused before one starts.
//
// It creates nothing: serve's start then creates what the workers need
// (the store, the log files) and gives it to their user.
func prepare(p Program, cfg *config.Config) error {
	if err := checkTLS(cfg); err != nil {
		return err
	}
	if err := checkPrivileges(cfg.Server); err != nil {
		return err
	}
	if err := checkLogFiles(cfg.Log); err != nil {
		return err
	}
	if p.authenticates() {
		if err := cfg.LoadDatabasePassword(); err != nil {
			return err
		}
		t, _ := p.table() // Run checked it
		if err := cfg.LoadKeys(t.LookupEnv(nil)); err != nil {
			return err
		}
		// The key's own checks (RSA size, the curve of ES256) are the
		// token signer's: build one, as every worker will.
		if _, err := newTokens(*cfg); err != nil {
			return &config.Error{Setting: keySetting(cfg.Auth), Err: err}
		}
	}
	return nil
}

// keySetting names the setting a signing-key refusal is about.
func keySetting(a config.Auth) string {
	switch {
	case a.Algorithm != "HS256" && a.PrivateKeyFile != "":
		return "jwt-private-key-file"
	case a.Algorithm != "HS256":
		return "jwt-public-key-file"
	case a.Keys.Source != "":
		return a.Keys.Source
	}
	return "secret-key-file"
}

// checkLogFiles checks that each log file can be created where it is
// configured, without creating it: its directory exists and the path is
// not itself a directory.
func checkLogFiles(l config.Log) error {
	for _, f := range []struct{ setting, path string }{
		{"error-logfile", l.ErrorLogfile},
		{"access-logfile", l.AccessLogfile},
	} {
		if f.path == "" || f.path == "-" {
			continue
		}
		if info, err := os.Stat(f.path); err == nil && info.IsDir() {
			return &config.Error{Setting: f.setting, Err: fmt.Errorf("%s is a directory", f.path)}
		}
		dir := filepath.Dir(f.path)
		info, err := os.Stat(dir)
		if err != nil {
			return &config.Error{Setting: f.setting, Err: fmt.Errorf("directory of %s: %w", f.path, err)}
		}
		if !info.IsDir() {
			return &config.Error{Setting: f.setting, Err: fmt.Errorf("%s is not a directory", dir)}
		}
	}
	return nil
}

// checkReload refuses what a HUP cannot change from the running
// configuration. The workers' user and group stay as they started: the
// state directory, the store and the log files belong to that user, and
// the old generation keeps using them while the new one boots, so giving
// them to another user would break one generation or the other.
func checkReload(running, next config.Config) error {
	if next.Server.User != running.Server.User {
		return &config.Error{Setting: "user", Err: fmt.Errorf("changed from %q to %q; the workers' user changes only on a restart", running.Server.User, next.Server.User)}
	}
	if next.Server.Group != running.Server.Group {
		return &config.Error{Setting: "group", Err: fmt.Errorf("changed from %q to %q; the workers' group changes only on a restart", running.Server.Group, next.Server.Group)}
	}
	return nil
}
