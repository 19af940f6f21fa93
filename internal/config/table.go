package config

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
)

// Table is the settings one program reads: drover's own, without the
// authentication group unless Auth, and the program's own ([AppSetting]),
// in the order --help and --print-config show them. Every setting of the
// table is a flag, a DROVER_<NAME> and <PROGRAM>_<NAME> environment
// variable, a key of the config file, a line of --help and of
// --print-config alike.
type Table struct {
	// Program is the program's name: its settings are also read from
	// <PROGRAM>_<NAME> variables ("notes" → NOTES_WORKERS), which win
	// over DROVER_<NAME>. "" and "drover" read DROVER_<NAME> alone.
	Program string
	// Auth keeps the authentication settings (the signing key, the JWT
	// claims and lifetimes, password hashing, the refresh cookie): the
	// ones a program without drover's token authentication has no use for.
	Auth bool
	// App are the program's own settings, after drover's.
	App []AppSetting
}

// AppSetting is one of a program's own settings.
type AppSetting struct {
	// Name is its flag name, lowercase words joined by "-": "notes-title".
	Name string
	// Usage is its line of --help.
	Usage string
	// Kind is "string", "int", "bool", "duration" or "size".
	Kind string
	// Default is its value before any layer sets it, as a flag would
	// carry it ("50", "30s", "1M").
	Default string
	// Check, when set, refuses the values the program cannot use; its
	// error is reported as every setting's is, naming where the value
	// came from.
	Check func(v any) error
}

// Drover is drover's own table: every setting, the program "drover".
func Drover() Table { return Table{Program: "drover", Auth: true} }

// authSettings are the settings Table.Auth keeps: those of drover's
// token authentication and of the users store's password hashing.
var authSettings = []string{
	"secret-key-file", "secret-key-previous-file", "jwt-algorithm", "jwt-private-key-file", "jwt-public-key-file", "jwt-verify-key-file",
	"access-token-lifetime", "refresh-token-lifetime", "jwt-audience", "jwt-issuer", "jwt-leeway",
	"rotate-refresh-tokens", "user-cache-ttl", "refresh-reuse-grace", "update-last-login",
	"argon2-memory", "argon2-iterations", "argon2-parallelism", "max-concurrent-hashes",
	"refresh-cookie",
	"database-url", "database-password-file", "database-max-connections",
	"database-statement-timeout", "database-connect-timeout", "no-migrate",
}

// IsAuthSetting reports whether name is one of the settings Table.Auth
// keeps.
func IsAuthSetting(name string) bool { return slices.Contains(authSettings, name) }

// Check reports the first problem of the table's declaration: an
// application setting with an invalid or duplicate name, a name of
// drover's, an unknown kind or a default its kind does not read. These are
// the program's mistakes, found before any command runs.
func (t Table) Check() error {
	if t.Program != "" && !validName(t.Program) {
		return fmt.Errorf("program name %q: use lowercase letters, digits and \"-\", starting with a letter", t.Program)
	}
	own := settings()
	seen := make(map[string]bool)
	for _, a := range t.App {
		switch {
		case !validName(a.Name):
			return fmt.Errorf("setting %q: a name is lowercase words joined by \"-\", like notes-title", a.Name)
		case a.Name == "config" || lookupSetting(own, a.Name) != nil:
			return fmt.Errorf("setting %q is drover's; give the program's a name of its own, like %s-%s", a.Name, t.programOr("app"), a.Name)
		case seen[a.Name]:
			return fmt.Errorf("setting %q is declared twice", a.Name)
		}
		seen[a.Name] = true
		s, err := appSetting(a)
		if err != nil {
			return err
		}
		var scratch Config
		if err := s.set(&scratch, a.Default); err != nil {
			return fmt.Errorf("setting %q: default: %w", a.Name, err)
		}
	}
	return nil
}

func (t Table) programOr(fallback string) string {
	if t.Program == "" {
		return fallback
	}
	return t.Program
}

// validName is a setting or program name: lowercase letters and digits
// in words joined by single "-", starting with a letter.
func validName(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' || strings.HasSuffix(s, "-") || strings.Contains(s, "--") {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// name is the program's name in the texts a person reads.
func (t Table) name() string { return t.programOr("drover") }

// settings is the table's settings, in the order of --help.
func (t Table) settings() []setting {
	var out []setting
	for _, s := range settings() {
		if !t.Auth && IsAuthSetting(s.name) {
			continue
		}
		out = append(out, s)
	}
	for _, a := range t.App {
		s, err := appSetting(a)
		if err != nil {
			continue // Check reports it; commands run Check first
		}
		out = append(out, s)
	}
	return out
}

// envPrefixes are the prefixes of the table's environment variables, the
// winning one last.
func (t Table) envPrefixes() []string {
	if p := t.EnvPrefix(); p != EnvPrefix {
		return []string{EnvPrefix, p}
	}
	return []string{EnvPrefix}
}

// EnvPrefix is the program's own prefix: "NOTES_" for "notes", DROVER_
// for drover.
func (t Table) EnvPrefix() string {
	return strings.ToUpper(strings.ReplaceAll(t.name(), "-", "_")) + "_"
}

// EnvNames are the variables that set the named setting, the winning one
// last: DROVER_WORKERS, and NOTES_WORKERS for the program notes.
func (t Table) EnvNames(setting string) []string {
	var names []string
	for _, p := range t.envPrefixes() {
		names = append(names, p+envSuffix(setting))
	}
	return names
}

func envSuffix(setting string) string {
	return strings.ToUpper(strings.ReplaceAll(setting, "-", "_"))
}

// Schema is the fingerprint of the table: a hash over the name and kind
// of every setting, sorted by name (see the package-level Schema).
func (t Table) Schema() string { return schemaOf(t.settings()) }

// TOML prints c as a config file the program reads back, one key per
// setting of the table, in the order of --help.
func (t Table) TOML(c *Config) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s effective configuration\n", t.name())
	if c.File != "" {
		fmt.Fprintf(&b, "# read from %s\n", c.File)
	}
	for _, s := range t.settings() {
		fmt.Fprintf(&b, "%s = %s\n", strings.ReplaceAll(s.name, "-", "_"), s.get(c))
	}
	return b.String()
}

// ErrNoSetting is Value's error for a name the table does not hold.
var ErrNoSetting = errors.New("no such setting")

// Value is the named setting's value in c, decoded from what
// --print-config prints for it: a string, an int64, a bool, a
// time.Duration, a size in bytes (int64) or a []string, by its kind,
// which it returns too ("string", "int", "bool", "duration", "size",
// "list").
func (t Table) Value(c *Config, name string) (v any, kind string, err error) {
	s := lookupSetting(t.settings(), name)
	if s == nil {
		return nil, "", fmt.Errorf("%q: %w", name, ErrNoSetting)
	}
	var doc map[string]any
	if err := toml.Unmarshal([]byte("v = "+s.get(c)), &doc); err != nil {
		return nil, "", fmt.Errorf("setting %q: read back %s: %w", name, s.get(c), err)
	}
	raw := doc["v"]
	switch {
	case s.list:
		items, _ := raw.([]any)
		out := make([]string, 0, len(items))
		for _, item := range items {
			out = append(out, fmt.Sprint(item))
		}
		return out, "list", nil
	case s.kind == "bool":
		b, _ := raw.(bool)
		return b, "bool", nil
	case s.kind == "int":
		n, _ := raw.(int64)
		return n, "int", nil
	case s.kind == "duration":
		d, err := ParseDuration(fmt.Sprint(raw))
		return d, "duration", err
	case s.kind == "size":
		n, err := ParseByteSize(fmt.Sprint(raw))
		return n, "size", err
	}
	return fmt.Sprint(raw), "string", nil
}

// appSetting is a as a row of the table: its value lives in Config.App
// as the text a flag carries, checked by its kind's parser and a.Check.
func appSetting(a AppSetting) (setting, error) {
	var parse func(string) (any, error)
	switch a.Kind {
	case "string":
		parse = func(v string) (any, error) { return v, nil }
	case "int":
		parse = func(v string) (any, error) {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%q is not a whole number", v)
			}
			return n, nil
		}
	case "bool":
		parse = func(v string) (any, error) { return ParseBool(v) }
	case "duration":
		parse = func(v string) (any, error) { return ParseDuration(v) }
	case "size":
		parse = func(v string) (any, error) { return ParseByteSize(v) }
	default:
		return setting{}, fmt.Errorf("setting %q: kind %q is not string, int, bool, duration or size", a.Name, a.Kind)
	}
	return setting{
		name: a.Name, usage: a.Usage, kind: a.Kind,
		set: func(c *Config, v string) error {
			x, err := parse(v)
			if err != nil {
				return err
			}
			if a.Check != nil {
				if err := a.Check(x); err != nil {
					return err
				}
			}
			if c.App == nil {
				c.App = make(map[string]string)
			}
			c.App[a.Name] = canonical(x)
			return nil
		},
		get: func(c *Config) string {
			v, ok := c.App[a.Name]
			if !ok {
				v = a.Default
				if x, err := parse(v); err == nil {
					v = canonical(x)
				}
			}
			switch a.Kind {
			case "int", "bool":
				return v
			case "size":
				n, _ := ParseByteSize(v)
				return tomlSize(n)
			}
			return tomlQuote(v)
		},
	}, nil
}

// canonical is the text an application setting's parsed value is kept
// as in Config.App, which its kind's parser reads back.
func canonical(x any) string {
	switch x := x.(type) {
	case time.Duration:
		return formatDuration(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(x)
}
