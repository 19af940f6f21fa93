package config_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/drover/drover/internal/config"
)

// TestBooleansInEveryLayer: a boolean reads true/false, yes/no, on/off
// and 1/0 from a flag (with "=", as the next word, or bare), from the
// environment and from the file (a TOML boolean or a string).
func TestBooleansInEveryLayer(t *testing.T) {
	tests := []struct {
		name          string
		giveFile      string
		giveEnv       map[string]string
		giveArgs      []string
		wantRotate    bool
		wantProtocol  bool
		wantWorkers   int
		wantPrintConf bool
	}{
		{name: "defaults", wantRotate: true, wantWorkers: 4},
		{name: "flag, next word no", giveArgs: []string{"--rotate-refresh-tokens", "no"}, wantWorkers: 4},
		{name: "flag, next word then more flags", giveArgs: []string{"--proxy-protocol", "yes", "-w", "2"}, wantRotate: true, wantProtocol: true, wantWorkers: 2},
		{name: "flag, =off", giveArgs: []string{"--rotate-refresh-tokens=off"}, wantWorkers: 4},
		{name: "flag, =0", giveArgs: []string{"--rotate-refresh-tokens=0"}, wantWorkers: 4},
		{name: "flag, bare", giveArgs: []string{"--proxy-protocol", "-w", "3"}, wantRotate: true, wantProtocol: true, wantWorkers: 3},
		{name: "flag, bare last", giveArgs: []string{"--proxy-protocol"}, wantRotate: true, wantProtocol: true, wantWorkers: 4},
		{name: "flag, upper case", giveArgs: []string{"--proxy-protocol", "ON"}, wantRotate: true, wantProtocol: true, wantWorkers: 4},
		{name: "command flag, next word", giveArgs: []string{"--print-config", "yes"}, wantRotate: true, wantWorkers: 4, wantPrintConf: true},
		{name: "command flag, =no", giveArgs: []string{"--print-config=no"}, wantRotate: true, wantWorkers: 4},
		{name: "env no", giveEnv: map[string]string{"DROVER_ROTATE_REFRESH_TOKENS": "no"}, wantWorkers: 4},
		{name: "env on", giveEnv: map[string]string{"DROVER_PROXY_PROTOCOL": "on"}, wantRotate: true, wantProtocol: true, wantWorkers: 4},
		{name: "env 1", giveEnv: map[string]string{"DROVER_PROXY_PROTOCOL": "1"}, wantRotate: true, wantProtocol: true, wantWorkers: 4},
		{name: "file boolean", giveFile: "rotate_refresh_tokens = false\n", wantWorkers: 4},
		{name: "file string no", giveFile: "rotate_refresh_tokens = \"no\"\n", wantWorkers: 4},
		{name: "file string yes", giveFile: "proxy_protocol = \"yes\"\n", wantRotate: true, wantProtocol: true, wantWorkers: 4},
		{name: "flag over env", giveEnv: map[string]string{"DROVER_PROXY_PROTOCOL": "yes"}, giveArgs: []string{"--proxy-protocol", "off"}, wantRotate: true, wantWorkers: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := writeFile(t, "drover.toml", tt.giveFile)
			env := map[string]string{"DROVER_CONFIG": file, "DROVER_WORKERS": "4"}
			for k, v := range tt.giveEnv {
				env[k] = v
			}
			var printConf bool
			got, err := config.Resolve(config.Source{Args: tt.giveArgs, LookupEnv: fakeEnv(env), Extra: func(fs *pflag.FlagSet) {
				fs.BoolVar(&printConf, "print-config", false, "print")
			}})
			if err != nil || got.Auth.RotateRefreshTokens != tt.wantRotate || got.Proxy.Protocol != tt.wantProtocol ||
				got.Server.Workers != tt.wantWorkers || printConf != tt.wantPrintConf {
				t.Errorf("Resolve(%q, env %v, file %q) = rotate %t, proxy-protocol %t, workers %d, print-config %t, %v; want %t, %t, %d, %t, nil",
					tt.giveArgs, tt.giveEnv, tt.giveFile, got.Auth.RotateRefreshTokens, got.Proxy.Protocol, got.Server.Workers, printConf, err,
					tt.wantRotate, tt.wantProtocol, tt.wantWorkers, tt.wantPrintConf)
			}
		})
	}
}

func TestParseBool(t *testing.T) {
	tests := []struct {
		give    string
		want    bool
		wantErr bool
	}{
		{give: "true", want: true}, {give: "yes", want: true}, {give: "on", want: true}, {give: "1", want: true},
		{give: " Yes ", want: true}, {give: "TRUE", want: true},
		{give: "false"}, {give: "no"}, {give: "off"}, {give: "0"}, {give: "No"},
		{give: "", wantErr: true}, {give: "maybe", wantErr: true}, {give: "2", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			got, err := config.ParseBool(tt.give)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("ParseBool(%q) = %t, %v; want %t (error: %t)", tt.give, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// TestFlagErrorsHelp: the refusals a person meets on the command line
// say what to type instead.
func TestFlagErrorsHelp(t *testing.T) {
	tests := []struct {
		name     string
		giveArgs []string
		giveEnv  map[string]string
		wantErr  string
	}{
		{name: "value forgotten before a long flag", giveArgs: []string{"--bind", "--print-config"},
			wantErr: `--bind needs a value, got the flag --print-config (a value starting with dashes is written --bind=--print-config)`},
		{name: "value forgotten before a short flag", giveArgs: []string{"-b", "-w", "2"},
			wantErr: `-b needs a value, got the flag -w`},
		{name: "dashes given with =", giveArgs: []string{"--workers=--4"}, wantErr: `invalid argument "--4" for "-w, --workers" flag: "--4" is not a whole number`},
		{name: "negative number is a value", giveArgs: []string{"-w", "-1"}, wantErr: "invalid --workers: must be at least 1, got -1"},
		{name: "bool word for a non-bool", giveArgs: []string{"--workers", "yes"}, wantErr: `"yes" is not a whole number`},
		{name: "bad boolean env", giveEnv: map[string]string{"DROVER_PROXY_PROTOCOL": "maybe"}, wantErr: `invalid DROVER_PROXY_PROTOCOL: "maybe" is not a boolean (true/false, yes/no, on/off, 1/0)`},
		{name: "bad boolean flag", giveArgs: []string{"--proxy-protocol=maybe"}, wantErr: `"maybe" is not a boolean`},
		{name: "a non-bool word after a bool", giveArgs: []string{"--proxy-protocol", "maybe"}, wantErr: `unexpected argument "maybe"`},
		{name: "typo", giveArgs: []string{"--wrokers", "2"}, wantErr: "unknown flag: --wrokers (did you mean --workers?)"},
		{name: "typo with underscores", giveArgs: []string{"--graceful_timout", "2"}, wantErr: "unknown flag: --graceful_timout (did you mean --graceful-timeout?)"},
		{name: "typo of a command flag", giveArgs: []string{"--print-confg"}, wantErr: "(did you mean --print-config?)"},
		{name: "abbreviation", giveArgs: []string{"--tls-auto-cha", "http-01"}, wantErr: "(did you mean --tls-auto-challenge?)"},
		{name: "ambiguous abbreviation: the nearest", giveArgs: []string{"--max-request", "5"}, wantErr: "(did you mean --max-requests?)"},
		{name: "nothing near", giveArgs: []string{"--frobnicate"}, wantErr: "unknown flag: --frobnicate"},
		{name: "gunicorn reload", giveArgs: []string{"--reload"}, wantErr: "unknown flag: --reload: drover serve does not rebuild on source changes; drover dev --reload does"},
		{name: "gunicorn check-config", giveArgs: []string{"--check-config"}, wantErr: "unknown flag: --check-config: run drover check"},
		{name: "gunicorn threads", giveArgs: []string{"--threads", "4"}, wantErr: "unknown flag: --threads: a Go worker already serves each connection in its own goroutine; --max-concurrency"},
		{name: "gunicorn preload", giveArgs: []string{"--preload"}, wantErr: "unknown flag: --preload: there is no application to import before forking"},
		{name: "gunicorn access-logformat", giveArgs: []string{"--access-logformat", "%(h)s"}, wantErr: "unknown flag: --access-logformat: the access log's format is --access-log-format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Resolve(config.Source{Args: tt.giveArgs, LookupEnv: fakeEnv(tt.giveEnv), Extra: func(fs *pflag.FlagSet) {
				fs.Bool("print-config", false, "print")
			}})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Resolve(%q) error = %v, want one containing %q", tt.giveArgs, err, tt.wantErr)
			}
		})
	}
}

// TestDidYouMeanNeverWhenNoHint: the suggestion is left out when the
// unknown flag is far from every flag, so it never misleads.
func TestDidYouMeanNeverWhenNoHint(t *testing.T) {
	_, err := config.Resolve(config.Source{Args: []string{"--xyz"}, LookupEnv: fakeEnv(nil)})
	if err == nil || strings.Contains(err.Error(), "did you mean") {
		t.Errorf("Resolve(--xyz) error = %v, want one without a suggestion", err)
	}
}

func TestUnknownEnv(t *testing.T) {
	tests := []struct {
		name         string
		giveEnviron  []string
		giveInternal []string
		want         []string
	}{
		{name: "none", giveEnviron: []string{"HOME=/root", "PATH=/bin"}},
		{name: "settings and their friends", giveEnviron: []string{"DROVER_WORKERS=2", "DROVER_ARGON2_MEMORY=64K", "DROVER_SECRET_KEY=x", "DROVER_CONFIG=/etc/drover.toml", "DROVER_MAX_RSS_HARD=1G"}},
		{name: "typo", giveEnviron: []string{"DROVER_WOKERS=4"},
			want: []string{"DROVER_WOKERS is not a drover setting and is ignored (did you mean DROVER_WORKERS?)"}},
		{name: "one line per variable, in order", giveEnviron: []string{"DROVER_TIMOUT=3", "HOME=/", "DROVER_BLAH=1", "DROVER_TIMOUT=3"},
			want: []string{
				"DROVER_TIMOUT is not a drover setting and is ignored (did you mean DROVER_TIMEOUT?)",
				"DROVER_BLAH is not a drover setting and is ignored",
			}},
		{name: "drover's own process variables", giveEnviron: []string{"DROVER_ROLE=worker", "DROVER_LISTENERS=x", "DROVER_DEV_LISTENERS=y"},
			giveInternal: []string{"DROVER_ROLE", "DROVER_LISTENERS", "DROVER_DEV_LISTENERS"}},
		{name: "tests' variables", giveEnviron: []string{"DROVER_TEST_STORE_DB=/tmp/x"}},
		{name: "an internal name is not a setting elsewhere", giveEnviron: []string{"DROVER_ROLE=worker"},
			want: []string{"DROVER_ROLE is not a drover setting and is ignored"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := config.UnknownEnv(tt.giveEnviron, tt.giveInternal...)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("UnknownEnv(%q, %q) = %q, want %q", tt.giveEnviron, tt.giveInternal, got, tt.want)
			}
		})
	}
}

// TestFileSyntaxErrorPosition: a file that is not TOML is refused with
// its name, line and column.
func TestFileSyntaxErrorPosition(t *testing.T) {
	tests := []struct {
		name     string
		giveFile string
		wantAt   string
	}{
		{name: "colon for equals", giveFile: "workers = 2\nbind: 3\n", wantAt: ":2:5: toml:"},
		{name: "unterminated string", giveFile: "# drover\n\ntimeout = \"30s\n", wantAt: ":3:"},
		{name: "duplicate key", giveFile: "workers = 2\nworkers = 3\n", wantAt: ":2:1: toml:"},
		{name: "first line", giveFile: "= 3\n", wantAt: ":1:1: toml:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := writeFile(t, "drover.toml", tt.giveFile)
			_, err := config.Resolve(config.Source{Args: []string{"--config", file}, LookupEnv: fakeEnv(nil)})
			if want := "invalid config: " + file + tt.wantAt; err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("Resolve(--config %q) error = %v, want one containing %q", tt.giveFile, err, want)
			}
		})
	}
}

// TestUsageGolden compares --help's flag list with testdata/usage.txt; go
// test -run TestUsageGolden -update rewrites it.
func TestUsageGolden(t *testing.T) {
	defaults := config.Default()
	defaults.Server.Workers = 4           // the default is runtime.NumCPU()
	defaults.Auth.MaxConcurrentHashes = 4 // likewise
	var b strings.Builder
	config.Usage(&b, defaults, func(fs *pflag.FlagSet) {
		fs.Bool("print-config", false, "print the effective configuration and exit")
	})
	got := b.String()
	golden := filepath.Join("testdata", "usage.txt")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("Usage() =\n%s\nwant (%s)\n%s", got, golden, want)
	}
}

// TestUsageShowsEachDefaultOnce: booleans show [=true|false], sizes and
// durations read as a person writes them, and no default appears twice.
func TestUsageShowsEachDefaultOnce(t *testing.T) {
	var b strings.Builder
	config.Usage(&b, config.Default(), nil)
	lines := strings.Split(b.String(), "\n")
	tests := []struct {
		flag string
		want string
	}{
		{flag: "--rotate-refresh-tokens", want: "--rotate-refresh-tokens[=true|false]"},
		{flag: "--proxy-protocol", want: "--proxy-protocol[=true|false]"},
		{flag: "--argon2-memory", want: "(default 19M)"},
		{flag: "--limit-request-body", want: "(default 1M)"},
		{flag: "--read-timeout", want: "(default 1m)"},
		{flag: "--refresh-token-lifetime", want: "(default 24h)"},
		{flag: "--bind", want: "(default 127.0.0.1:8000)"},
	}
	for _, tt := range tests {
		t.Run(tt.flag, func(t *testing.T) {
			var text string
			for i, l := range lines {
				if strings.Contains(l, tt.flag+" ") || strings.Contains(l, tt.flag+"[") {
					// The flag's line and its wrapped continuation.
					text = l
					for _, more := range lines[i+1:] {
						if !strings.HasPrefix(more, "          ") {
							break
						}
						text += " " + strings.TrimSpace(more)
					}
					break
				}
			}
			if !strings.Contains(text, tt.want) || strings.Count(text, "default") > 1 {
				t.Errorf("Usage() shows %s as %q, want it to contain %q and one default", tt.flag, text, tt.want)
			}
		})
	}
	for _, l := range lines {
		if strings.Count(l, "default") > 1 {
			t.Errorf("Usage() line %q says default twice", l)
		}
	}
}
