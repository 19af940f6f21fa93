package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/spf13/pflag"
)

// EnvPrefix starts the name of every environment variable drover reads.
const EnvPrefix = "DROVER_"

// maxFileSize bounds a configuration file; anything larger is a mistake.
const maxFileSize = 1 << 20

// Source is what Resolve reads: the command's flags, the environment and
// the defaults to start from.
type Source struct {
	// Args are the flags after the command name.
	Args []string
	// LookupEnv reads the environment; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// Defaults is the base layer; nil means Default().
	Defaults *Config
	// Extra registers command-specific flags (such as --print-config)
	// that are not settings.
	Extra func(fs *pflag.FlagSet)
	// Table is the program's settings; nil means [Drover].
	Table *Table
}

// table is the Table src resolves.
func (src Source) table() Table {
	if src.Table == nil {
		return Drover()
	}
	return *src.Table
}

// assignment is one setting given a value by one layer.
type assignment struct {
	s      *setting
	value  string
	origin string
}

// Resolve builds the effective configuration: defaults < config file
// (--config or DROVER_CONFIG) < DROVER_* environment (then the program's
// <PROGRAM>_*, see [Table.EnvNames]) < flags, then Validate. Every error
// names the setting and where it came from.
func Resolve(src Source) (Config, error) {
	lookup := src.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	cfg := Default()
	if src.Defaults != nil {
		cfg = *src.Defaults
	}
	// systemd's StateDirectory= sets STATE_DIRECTORY (colon-separated).
	if dir, ok := lookup("STATE_DIRECTORY"); ok && dir != "" {
		cfg.Auth.StateDir = strings.Split(dir, ":")[0]
	}
	// DATABASE_URL, the deployments' convention, is a base layer too.
	if u, ok := lookup(EnvDatabaseURL); ok && u != "" {
		if err := checkDatabaseURL(u); err != nil {
			return cfg, &Error{Setting: EnvDatabaseURL, Err: err}
		}
		cfg.Database.URL = DatabaseURL(u)
	}
	t := src.table()
	if err := t.Check(); err != nil {
		return cfg, err
	}
	table := t.settings()

	var flagLayer []assignment
	var file string
	fs := newFlagSet(table, &cfg, &flagLayer, &file)
	if src.Extra != nil {
		src.Extra(fs)
	}
	widenBools(fs)
	args, err := normalizeArgs(fs, src.Args)
	if err != nil {
		return cfg, err
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return cfg, ErrHelp
		}
		return cfg, explainFlagError(fs, t.name(), err)
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q (settings are flags, like --workers 4)", fs.Arg(0))
	}
	if file == "" {
		file, _ = lookupLast(lookup, t.EnvNames("config"))
	}

	layers := [][]assignment{nil, envLayer(t, table, lookup), flagLayer}
	if file != "" {
		fileLayer, err := readFile(table, file)
		if err != nil {
			return cfg, err
		}
		layers[0] = fileLayer
		cfg.File = file
	}
	origins := make(map[string]string)
	for _, layer := range layers {
		if err := apply(&cfg, layer, origins); err != nil {
			return cfg, err
		}
	}
	return cfg, blame(cfg.Validate(), origins)
}

// blame names where a setting rejected by Validate was given: the flag,
// the environment variable or the file and key.
func blame(err error, origins map[string]string) error {
	var e *Error
	if errors.As(err, &e) {
		if origin, ok := origins[e.Setting]; ok {
			e.Setting = origin
		}
	}
	return err
}

func apply(c *Config, layer []assignment, origins map[string]string) error {
	reset := make(map[string]bool)
	for _, a := range layer {
		if a.s.list && !reset[a.s.name] {
			a.s.reset(c)
			reset[a.s.name] = true
		}
		if err := a.s.set(c, a.value); err != nil {
			return &Error{Setting: a.origin, Err: err}
		}
		origins[a.s.name] = a.origin
	}
	return nil
}

// EnvName is the DROVER_* environment variable that sets the named
// setting (see [Table.EnvNames] for a program's own).
func EnvName(setting string) string { return EnvPrefix + envSuffix(setting) }

// lookupLast returns the value of the last of names that is set: the
// program's own variable wins over DROVER_'s.
func lookupLast(lookup func(string) (string, bool), names []string) (value string, name string) {
	for _, n := range names {
		if v, ok := lookup(n); ok {
			value, name = v, n
		}
	}
	return value, name
}

// envLayer is the environment's assignments: for each setting, the
// winning one of its variables (see Table.EnvNames).
func envLayer(t Table, table []setting, lookup func(string) (string, bool)) []assignment {
	var layer []assignment
	for i := range table {
		s := &table[i]
		v, name := lookupLast(lookup, t.EnvNames(s.name))
		if name == "" {
			continue
		}
		if !s.list {
			layer = append(layer, assignment{s: s, value: v, origin: name})
			continue
		}
		for _, item := range strings.Split(v, ",") {
			if item = strings.TrimSpace(item); item != "" {
				layer = append(layer, assignment{s: s, value: item, origin: name})
			}
		}
	}
	return layer
}

// readFile reads a TOML file of top-level keys named like the flags
// (workers = 4, graceful_timeout = "30s", bind = ["unix:/run/x.sock"]).
// Unknown keys are rejected.
func readFile(table []setting, path string) ([]assignment, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{Setting: "config", Err: err}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, &Error{Setting: "config", Err: fmt.Errorf("read %s: %w", path, err)}
	}
	if len(data) > maxFileSize {
		return nil, &Error{Setting: "config", Err: fmt.Errorf("%s is larger than %d bytes", path, maxFileSize)}
	}
	return parseFile(table, path, data)
}

func parseFile(table []setting, path string, data []byte) ([]assignment, error) {
	var doc map[string]any
	if err := toml.Unmarshal(data, &doc); err != nil {
		// A syntax error names its line and column, as a compiler does.
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			return nil, &Error{Setting: "config", Err: fmt.Errorf("%s:%d:%d: %w", path, row, col, err)}
		}
		return nil, &Error{Setting: "config", Err: fmt.Errorf("%s: %w", path, err)}
	}
	keys := make([]string, 0, len(doc))
	for k := range doc {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var layer []assignment
	for _, key := range keys {
		origin := path + ": " + key
		s := lookupSetting(table, strings.ReplaceAll(key, "_", "-"))
		if s == nil {
			return nil, &Error{Setting: origin, Err: errors.New("unknown setting")}
		}
		values, err := fileValues(doc[key], s.list)
		if err != nil {
			return nil, &Error{Setting: origin, Err: err}
		}
		for _, v := range values {
			layer = append(layer, assignment{s: s, value: v, origin: origin})
		}
	}
	return layer, nil
}

func lookupSetting(table []setting, name string) *setting {
	for i := range table {
		if table[i].name == name {
			return &table[i]
		}
	}
	return nil
}

// fileValues turns a TOML value into the text a flag would carry.
func fileValues(v any, list bool) ([]string, error) {
	switch v := v.(type) {
	case string:
		return []string{v}, nil
	case int64:
		return []string{strconv.FormatInt(v, 10)}, nil
	case float64:
		return []string{strconv.FormatFloat(v, 'f', -1, 64)}, nil
	case bool:
		return []string{strconv.FormatBool(v)}, nil
	case []any:
		var out []string
		for _, item := range v {
			s, err := fileValues(item, false)
			if err != nil {
				return nil, err
			}
			out = append(out, s...)
		}
		if !list {
			return []string{strings.Join(out, ",")}, nil
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported value %v (%T)", v, v)
}

// flagValue records each use of a flag as an assignment for the flag
// layer, applied after the file and environment layers.
type flagValue struct {
	s     *setting
	layer *[]assignment
	last  string
}

func (f *flagValue) String() string { return f.last }
func (f *flagValue) Type() string   { return f.s.kind }
func (f *flagValue) Set(v string) error {
	// Check the value now so pflag reports the flag by name.
	var scratch Config
	if err := f.s.set(&scratch, v); err != nil {
		return err
	}
	f.last = v
	*f.layer = append(*f.layer, assignment{s: f.s, value: v, origin: "--" + f.s.name})
	return nil
}

// newFlagSet registers a flag per setting; defaults supplies the values
// --help shows.
func newFlagSet(table []setting, defaults *Config, layer *[]assignment, file *string) *pflag.FlagSet {
	fs := pflag.NewFlagSet("settings", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	fs.SetNormalizeFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		return pflag.NormalizedName(strings.ReplaceAll(name, "_", "-"))
	})
	fs.StringVarP(file, "config", "c", "", "TOML configuration file (keys named like the flags)")
	for i := range table {
		s := &table[i]
		f := fs.VarPF(&flagValue{s: s, layer: layer}, s.name, s.short, s.usage)
		f.DefValue = helpValue(s.get(defaults))
		if s.kind == "bool" {
			f.NoOptDefVal = "true"
		}
	}
	return fs
}

// TOML prints the configuration as a config file drover reads back, one
// key per setting of drover's table, in the order of --help (see
// [Table.TOML] for a program's).
func (c *Config) TOML() string { d := Drover(); return d.TOML(c) }
