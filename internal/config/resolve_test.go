package config_test

import (
	"errors"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/drover/drover/internal/config"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// fakeEnv is a LookupEnv over a map, so tests never read the real
// environment.
func fakeEnv(env map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := env[name]
		return v, ok
	}
}

// withFile replaces {file} in args and env values with path.
func withFile(path string, args []string, env map[string]string) ([]string, map[string]string) {
	outArgs := make([]string, len(args))
	for i, a := range args {
		outArgs[i] = strings.ReplaceAll(a, "{file}", path)
	}
	outEnv := make(map[string]string, len(env))
	for k, v := range env {
		outEnv[k] = strings.ReplaceAll(v, "{file}", path)
	}
	return outArgs, outEnv
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestResolve(t *testing.T) {
	// Rows name the config file as {file}; it holds giveFile. want
	// changes Default() into the expected configuration.
	tests := []struct {
		name     string
		giveFile string
		giveEnv  map[string]string
		giveArgs []string
		want     func(c *config.Config, file string)
	}{
		{
			name: "defaults",
			want: func(c *config.Config, file string) {},
		},
		{
			name:     "file is not read unless named",
			giveFile: "workers = 3\n",
			want:     func(c *config.Config, file string) {},
		},
		{
			name:     "file by --config",
			giveFile: "workers = 3\nbind = [\"unix:/run/a.sock\"]\ntimeout = \"45s\"\nlimit_request_body = \"10M\"\n",
			giveArgs: []string{"--config", "{file}"},
			want: func(c *config.Config, file string) {
				c.File = file
				c.Server.Workers = 3
				c.Server.Bind = []string{"unix:/run/a.sock"}
				c.Server.Timeout = 45 * time.Second
				c.Limits.RequestBody = 10 << 20
			},
		},
		{
			name:     "file by DROVER_CONFIG",
			giveFile: "workers = 3\n",
			giveEnv:  map[string]string{"DROVER_CONFIG": "{file}"},
			want: func(c *config.Config, file string) {
				c.File = file
				c.Server.Workers = 3
			},
		},
		{
			name:     "--config over DROVER_CONFIG",
			giveFile: "workers = 3\n",
			giveEnv:  map[string]string{"DROVER_CONFIG": "/nonexistent/drover.toml"},
			giveArgs: []string{"--config={file}"},
			want: func(c *config.Config, file string) {
				c.File = file
				c.Server.Workers = 3
			},
		},
		{
			name:     "file keys with dashes",
			giveFile: "graceful-timeout = 5\n",
			giveArgs: []string{"--config", "{file}"},
			want: func(c *config.Config, file string) {
				c.File = file
				c.Server.GracefulTimeout = 5 * time.Second
			},
		},
		{
			name:     "file numbers for durations and floats for ints",
			giveFile: "timeout = 0.5\nkeep_alive = 2\nbacklog = 512.0\n",
			giveArgs: []string{"--config", "{file}"},
			want: func(c *config.Config, file string) {
				c.File = file
				c.Server.Timeout = 500 * time.Millisecond
				c.Worker.KeepAlive = 2 * time.Second
				c.Server.Backlog = 512
			},
		},
		{
			name:     "environment over file",
			giveFile: "workers = 3\ntimeout = 45\n",
			giveEnv:  map[string]string{"DROVER_WORKERS": "5"},
			giveArgs: []string{"-c", "{file}"},
			want: func(c *config.Config, file string) {
				c.File = file
				c.Server.Workers = 5
				c.Server.Timeout = 45 * time.Second
			},
		},
		{
			name:     "flags over environment over file",
			giveFile: "workers = 3\nmax_requests = 100\nmax_requests_jitter = 10\n",
			giveEnv:  map[string]string{"DROVER_WORKERS": "5", "DROVER_MAX_REQUESTS": "200"},
			giveArgs: []string{"-c", "{file}", "--workers", "7"},
			want: func(c *config.Config, file string) {
				c.File = file
				c.Server.Workers = 7
				c.Worker.MaxRequests = 200
				c.Worker.MaxRequestsJitter = 10
			},
		},
		{
			name:     "environment names with underscores",
			giveEnv:  map[string]string{"DROVER_LIMIT_REQUEST_FIELD_SIZE": "100", "DROVER_ACCESS_LOG_FORMAT": "combined"},
			giveArgs: []string{},
			want: func(c *config.Config, file string) {
				c.Limits.RequestFieldSize = 100
				c.Log.AccessLogFormat = "combined"
			},
		},
		{
			name:     "environment bind list replaces file bind list",
			giveFile: "bind = [\"127.0.0.1:1\", \"127.0.0.1:2\"]\n",
			giveEnv:  map[string]string{"DROVER_BIND": "unix:/run/a.sock, fd://3,"},
			giveArgs: []string{"-c", "{file}"},
			want: func(c *config.Config, file string) {
				c.File = file
				c.Server.Bind = []string{"unix:/run/a.sock", "fd://3"}
			},
		},
		{
			name:     "repeated bind flags append and replace the environment",
			giveEnv:  map[string]string{"DROVER_BIND": "unix:/run/a.sock"},
			giveArgs: []string{"-b", ":9000", "--bind", "[::1]:9001", "--bind=fd://4"},
			want: func(c *config.Config, file string) {
				c.Server.Bind = []string{":9000", "[::1]:9001", "fd://4"}
			},
		},
		{
			name:     "one bind flag replaces the default",
			giveArgs: []string{"-b", "0.0.0.0"},
			want: func(c *config.Config, file string) {
				c.Server.Bind = []string{"0.0.0.0"}
			},
		},
		{
			name:     "last scalar flag wins",
			giveArgs: []string{"-w", "2", "--workers", "3"},
			want: func(c *config.Config, file string) {
				c.Server.Workers = 3
			},
		},
		{
			name:     "underscore flag alias",
			giveArgs: []string{"--limit-request-field_size", "100", "--max_requests=5"},
			want: func(c *config.Config, file string) {
				c.Limits.RequestFieldSize = 100
				c.Worker.MaxRequests = 5
			},
		},
		{
			name:     "short flags",
			giveFile: "backlog = 64\n",
			giveArgs: []string{"-b", "unix:/run/b.sock", "-w", "2", "-k", "sync", "-t", "1m", "-c", "{file}", "-p", "/run/drover.pid"},
			want: func(c *config.Config, file string) {
				c.File = file
				c.Server.Backlog = 64
				c.Server.Bind = []string{"unix:/run/b.sock"}
				c.Server.Workers = 2
				c.Worker.Class = "sync"
				c.Server.Timeout = time.Minute
				c.Server.PIDFile = "/run/drover.pid"
			},
		},
		{
			name:     "guards: sizes with units and durations",
			giveEnv:  map[string]string{"DROVER_MAX_RSS_HARD": "1G"},
			giveArgs: []string{"--max-rss", "512M", "--request-timeout", "30", "--shutdown-delay", "5s"},
			want: func(c *config.Config, file string) {
				c.Worker.MaxRSS = 512 << 20
				c.Server.MaxRSSHard = 1 << 30
				c.Worker.RequestTimeout = 30 * time.Second
				c.Server.ShutdownDelay = 5 * time.Second
			},
		},
		{
			name:     "allow ips star",
			giveArgs: []string{"--forwarded-allow-ips", "*"},
			want: func(c *config.Config, file string) {
				c.Proxy.ForwardedAllowIPs = nil
				c.Proxy.TrustAll = true
			},
		},
		{
			name:     "allow ips from the environment",
			giveEnv:  map[string]string{"DROVER_FORWARDED_ALLOW_IPS": "10.0.0.0/8,192.168.0.1"},
			giveArgs: []string{},
			want: func(c *config.Config, file string) {
				c.Proxy.ForwardedAllowIPs = []netip.Prefix{
					netip.MustParsePrefix("10.0.0.0/8"),
					netip.MustParsePrefix("192.168.0.1/32"),
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := writeFile(t, "drover.toml", tt.giveFile)
			args, env := withFile(file, tt.giveArgs, tt.giveEnv)
			want := config.Default()
			tt.want(&want, file)

			got, err := config.Resolve(config.Source{Args: args, LookupEnv: fakeEnv(env)})
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("Resolve(%q, env %v) = %+v, %v; want %+v, nil", args, env, got, err, want)
			}
		})
	}
}

func TestResolveDefaults(t *testing.T) {
	defaults := config.Default()
	defaults.Server.Workers = 9
	defaults.Server.Bind = []string{"unix:/run/dev.sock"}
	defaults.Log.Format = "console"

	got, err := config.Resolve(config.Source{
		Args:      []string{"-w", "2"},
		LookupEnv: fakeEnv(nil),
		Defaults:  &defaults,
	})

	want := defaults
	want.Server.Workers = 2
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Resolve(-w 2 over custom defaults) = %+v, %v; want %+v, nil", got, err, want)
	}
	if defaults.Server.Workers != 9 {
		t.Errorf("Resolve changed the caller's Defaults: workers = %d, want 9", defaults.Server.Workers)
	}
}

func TestResolveExtra(t *testing.T) {
	var printConfig bool
	extra := func(fs *pflag.FlagSet) {
		fs.BoolVar(&printConfig, "print-config", false, "print the effective configuration")
	}

	got, err := config.Resolve(config.Source{
		Args:      []string{"--print-config", "-w", "2"},
		LookupEnv: fakeEnv(nil),
		Extra:     extra,
	})

	if err != nil || !printConfig || got.Server.Workers != 2 {
		t.Errorf("Resolve(--print-config -w 2) = workers %d, print-config %t, %v; want 2, true, nil",
			got.Server.Workers, printConfig, err)
	}
}

func TestResolveErrors(t *testing.T) {
	// wantErr is a part of the message: the setting and where it came
	// from. wantConfigError says whether it is a *config.Error; flag
	// parse errors come from pflag and name the flag themselves.
	tests := []struct {
		name            string
		giveFile        string
		giveEnv         map[string]string
		giveArgs        []string
		wantErr         string
		wantConfigError bool
	}{
		{
			name:     "unknown flag",
			giveArgs: []string{"--bogus"},
			wantErr:  "unknown flag: --bogus",
		},
		{name: "workers-min above workers", giveArgs: []string{"-w", "2", "--workers-min", "3"},
			wantErr: "invalid --workers-min: must be from 1 to --workers (2), or 0 for --workers; got 3", wantConfigError: true},
		{name: "workers-max below workers", giveEnv: map[string]string{"DROVER_WORKERS_MAX": "1"}, giveArgs: []string{"-w", "2"},
			wantErr: "invalid DROVER_WORKERS_MAX: must be from --workers (2) to 1024, or 0 for --workers; got 1", wantConfigError: true},
		{name: "workers-idle too short", giveArgs: []string{"--workers-idle", "100ms"},
			wantErr: "invalid --workers-idle: must be at least 1s, got 100ms", wantConfigError: true},
		{
			name:     "unknown short flag",
			giveArgs: []string{"-z"},
			wantErr:  "unknown shorthand flag: 'z'",
		},
		{
			name:     "flag without value",
			giveArgs: []string{"--workers"},
			wantErr:  "--workers",
		},
		{
			name:     "bad flag value",
			giveArgs: []string{"--workers", "many"},
			wantErr:  "--workers",
		},
		{
			name:     "bad short flag value",
			giveArgs: []string{"-t", "soon"},
			wantErr:  "--timeout",
		},
		{
			name:     "bad flag enum",
			giveArgs: []string{"--worker-class", "threads"},
			wantErr:  "--worker-class",
		},
		{
			name:     "bad flag bind",
			giveArgs: []string{"-b", "fd://2"},
			wantErr:  "--bind",
		},
		{
			name:     "positional argument",
			giveArgs: []string{"-w", "2", "serve"},
			wantErr:  `unexpected argument "serve"`,
		},
		{
			name:            "sync with a concurrency bound",
			giveArgs:        []string{"-k", "sync", "--max-concurrency", "5"},
			wantErr:         "invalid --max-concurrency: worker-class sync handles one request at a time; got 5",
			wantConfigError: true,
		},
		{
			name:            "bad environment value",
			giveEnv:         map[string]string{"DROVER_WORKERS": "many"},
			wantErr:         "invalid DROVER_WORKERS:",
			wantConfigError: true,
		},
		{
			name:            "bad environment bind",
			giveEnv:         map[string]string{"DROVER_BIND": "127.0.0.1:1,unix:"},
			wantErr:         "invalid DROVER_BIND:",
			wantConfigError: true,
		},
		{
			name:            "bad environment duration",
			giveEnv:         map[string]string{"DROVER_GRACEFUL_TIMEOUT": "-1"},
			wantErr:         "invalid DROVER_GRACEFUL_TIMEOUT:",
			wantConfigError: true,
		},
		{
			name:            "bad file value",
			giveFile:        "workers = \"many\"\n",
			giveArgs:        []string{"-c", "{file}"},
			wantErr:         "drover.toml: workers:",
			wantConfigError: true,
		},
		{
			name:            "bad file value type",
			giveFile:        "[workers]\ncount = 3\n",
			giveArgs:        []string{"-c", "{file}"},
			wantErr:         "drover.toml: workers:",
			wantConfigError: true,
		},
		{
			name:            "unknown key in file",
			giveFile:        "workers = 2\nwrokers = 3\n",
			giveArgs:        []string{"-c", "{file}"},
			wantErr:         "drover.toml: wrokers: unknown setting",
			wantConfigError: true,
		},
		{
			name:            "config is not a file key",
			giveFile:        "config = \"other.toml\"\n",
			giveArgs:        []string{"-c", "{file}"},
			wantErr:         "drover.toml: config: unknown setting",
			wantConfigError: true,
		},
		{
			name:            "file is not TOML",
			giveFile:        "workers: 3\n",
			giveArgs:        []string{"-c", "{file}"},
			wantErr:         "drover.toml:",
			wantConfigError: true,
		},
		{
			name:            "missing file",
			giveArgs:        []string{"-c", "{file}.missing"},
			wantErr:         "invalid config:",
			wantConfigError: true,
		},
		{
			name:            "missing file by DROVER_CONFIG",
			giveEnv:         map[string]string{"DROVER_CONFIG": "{file}.missing"},
			wantErr:         "invalid config:",
			wantConfigError: true,
		},
		{
			name:            "validation: workers 0",
			giveArgs:        []string{"-w", "0"},
			wantErr:         "invalid --workers:",
			wantConfigError: true,
		},
		{
			name:            "validation: timeout 10ms",
			giveEnv:         map[string]string{"DROVER_TIMEOUT": "10ms"},
			wantErr:         "invalid DROVER_TIMEOUT:",
			wantConfigError: true,
		},
		{
			name:            "validation: limit-request-line",
			giveFile:        "limit_request_line = 10\n",
			giveArgs:        []string{"-c", "{file}"},
			wantErr:         "drover.toml: limit_request_line: must be at least 64",
			wantConfigError: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := writeFile(t, "drover.toml", tt.giveFile)
			args, env := withFile(file, tt.giveArgs, tt.giveEnv)

			_, err := config.Resolve(config.Source{Args: args, LookupEnv: fakeEnv(env)})
			var ce *config.Error
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || errors.As(err, &ce) != tt.wantConfigError {
				t.Errorf("Resolve(%q, env %v) error = %v (*config.Error: %t); want one containing %q (*config.Error: %t)",
					args, env, err, errors.As(err, &ce), tt.wantErr, tt.wantConfigError)
			}
		})
	}
}

func TestResolveHelp(t *testing.T) {
	tests := []struct {
		name     string
		giveArgs []string
	}{
		{name: "short", giveArgs: []string{"-h"}},
		{name: "long", giveArgs: []string{"--help"}},
		{name: "after other flags", giveArgs: []string{"-w", "2", "--help"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Resolve(config.Source{Args: tt.giveArgs, LookupEnv: fakeEnv(nil)})
			if !errors.Is(err, config.ErrHelp) {
				t.Errorf("Resolve(%q) error = %v, want config.ErrHelp", tt.giveArgs, err)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name        string
		give        func(c *config.Config)
		wantSetting string // "" for a valid configuration
	}{
		{name: "defaults", give: func(c *config.Config) {}},
		{name: "smallest values", give: func(c *config.Config) {
			c.Server.Workers = 1
			c.Server.Backlog = 1
			c.Server.Timeout = 100 * time.Millisecond
			c.Server.BootTimeout = 100 * time.Millisecond
			c.Limits.RequestLine = 64
			c.Limits.RequestFields = 1
			c.Limits.RequestFieldSize = 64
			c.Limits.RequestBody = 0
		}},
		{name: "1024 workers", give: func(c *config.Config) { c.Server.Workers = 1024 }},
		{name: "no bind", give: func(c *config.Config) { c.Server.Bind = nil }, wantSetting: "bind"},
		{name: "bad bind", give: func(c *config.Config) { c.Server.Bind = []string{"fd://1"} }, wantSetting: "bind"},
		{name: "workers 0", give: func(c *config.Config) { c.Server.Workers = 0 }, wantSetting: "workers"},
		{name: "workers 1025", give: func(c *config.Config) { c.Server.Workers = 1025 }, wantSetting: "workers"},
		{name: "backlog 0", give: func(c *config.Config) { c.Server.Backlog = 0 }, wantSetting: "backlog"},
		{name: "timeout 10ms", give: func(c *config.Config) { c.Server.Timeout = 10 * time.Millisecond }, wantSetting: "timeout"},
		{name: "timeout 0, never", give: func(c *config.Config) { c.Server.Timeout = 0 }},
		{name: "keep-alive 0, off", give: func(c *config.Config) { c.Worker.KeepAlive = 0 }},
		{name: "sync with max concurrency 0", give: func(c *config.Config) { c.Worker.Class = "sync" }},
		{name: "sync with max concurrency 1", give: func(c *config.Config) { c.Worker.Class, c.Worker.MaxConcurrency = "sync", 1 }},
		{name: "sync with max concurrency 5", give: func(c *config.Config) { c.Worker.Class, c.Worker.MaxConcurrency = "sync", 5 }, wantSetting: "max-concurrency"},
		{name: "go with max concurrency 5", give: func(c *config.Config) { c.Worker.MaxConcurrency = 5 }},
		{name: "boot timeout 0", give: func(c *config.Config) { c.Server.BootTimeout = 0 }, wantSetting: "boot-timeout"},
		{name: "negative max concurrency", give: func(c *config.Config) { c.Worker.MaxConcurrency = -1 }, wantSetting: "max-concurrency"},
		{name: "negative max requests", give: func(c *config.Config) { c.Worker.MaxRequests = -1 }, wantSetting: "max-requests"},
		{name: "negative jitter", give: func(c *config.Config) { c.Worker.MaxRequestsJitter = -1 }, wantSetting: "max-requests-jitter"},
		{name: "request line 63", give: func(c *config.Config) { c.Limits.RequestLine = 63 }, wantSetting: "limit-request-line"},
		{name: "request fields 0", give: func(c *config.Config) { c.Limits.RequestFields = 0 }, wantSetting: "limit-request-fields"},
		{name: "field size 63", give: func(c *config.Config) { c.Limits.RequestFieldSize = 63 }, wantSetting: "limit-request-field-size"},
		{name: "negative body", give: func(c *config.Config) { c.Limits.RequestBody = -1 }, wantSetting: "limit-request-body"},
		{name: "max rss and hard limit", give: func(c *config.Config) { c.Worker.MaxRSS, c.Server.MaxRSSHard = 512<<20, 1<<30 }},
		{name: "max rss alone", give: func(c *config.Config) { c.Worker.MaxRSS = config.MinRSSLimit }},
		{name: "hard rss limit alone", give: func(c *config.Config) { c.Server.MaxRSSHard = 1 << 30 }},
		{name: "max rss in bytes by mistake", give: func(c *config.Config) { c.Worker.MaxRSS = 512 }, wantSetting: "max-rss"},
		{name: "hard rss limit in bytes by mistake", give: func(c *config.Config) { c.Server.MaxRSSHard = 1024 }, wantSetting: "max-rss-hard"},
		{name: "hard rss limit equal to max rss", give: func(c *config.Config) { c.Worker.MaxRSS, c.Server.MaxRSSHard = 512<<20, 512<<20 }, wantSetting: "max-rss-hard"},
		{name: "hard rss limit below max rss", give: func(c *config.Config) { c.Worker.MaxRSS, c.Server.MaxRSSHard = 1<<30, 512<<20 }, wantSetting: "max-rss-hard"},
		{name: "request timeout", give: func(c *config.Config) { c.Worker.RequestTimeout = 10 * time.Millisecond }},
		{name: "request timeout 1ms", give: func(c *config.Config) { c.Worker.RequestTimeout = time.Millisecond }, wantSetting: "request-timeout"},
		{name: "shutdown delay", give: func(c *config.Config) { c.Server.ShutdownDelay = 5 * time.Second }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := config.Default()
			tt.give(&c)

			err := c.Validate()
			var ce *config.Error
			errors.As(err, &ce)
			if got := settingOf(ce); got != tt.wantSetting || (err == nil) != (tt.wantSetting == "") {
				t.Errorf("Validate() = %v (setting %q), want setting %q", err, got, tt.wantSetting)
			}
		})
	}
}

func settingOf(e *config.Error) string {
	if e == nil {
		return ""
	}
	return e.Setting
}

func TestErrorUnwrap(t *testing.T) {
	reason := errors.New("too small")
	err := error(&config.Error{Setting: "--workers", Err: reason})
	if got, want := err.Error(), "invalid --workers: too small"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, reason) {
		t.Errorf("errors.Is(%v, reason) = false, want true", err)
	}
}

func TestWorkerConcurrency(t *testing.T) {
	tests := []struct {
		name string
		give config.Worker
		want int
	}{
		{name: "go unbounded", give: config.Worker{Class: "go"}, want: 0},
		{name: "go bounded", give: config.Worker{Class: "go", MaxConcurrency: 50}, want: 50},
		{name: "sync is one", give: config.Worker{Class: "sync", MaxConcurrency: 50}, want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.give.Concurrency(); got != tt.want {
				t.Errorf("%+v.Concurrency() = %d, want %d", tt.give, got, tt.want)
			}
		})
	}
}

func TestEnvName(t *testing.T) {
	tests := []struct {
		give string
		want string
	}{
		{give: "workers", want: "DROVER_WORKERS"},
		{give: "limit-request-field-size", want: "DROVER_LIMIT_REQUEST_FIELD_SIZE"},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			if got := config.EnvName(tt.give); got != tt.want {
				t.Errorf("EnvName(%q) = %q, want %q", tt.give, got, tt.want)
			}
		})
	}
}

// TestDefaultTOML compares --print-config of the defaults with
// testdata/default.toml; go test -run TestDefaultTOML -update rewrites it.
func TestDefaultTOML(t *testing.T) {
	c := config.Default()
	c.Server.Workers = 4           // the default is runtime.NumCPU()
	c.Auth.MaxConcurrentHashes = 4 // likewise
	got := c.TOML()

	golden := filepath.Join("testdata", "default.toml")
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
		t.Errorf("Default().TOML() =\n%s\nwant (%s)\n%s", got, golden, want)
	}
}

func TestTOMLNamesFile(t *testing.T) {
	c := config.Default()
	c.File = "/etc/drover.toml"
	if got, want := c.TOML(), "# read from /etc/drover.toml\n"; !strings.Contains(got, want) {
		t.Errorf("TOML() = %q, want it to contain %q", got, want)
	}
}

// TestTOMLRoundTrip checks that --print-config prints a file Resolve reads
// back to the same configuration.
func TestTOMLRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		give func(c *config.Config)
	}{
		{name: "defaults", give: func(c *config.Config) {}},
		{name: "every setting changed", give: func(c *config.Config) {
			c.File = "/etc/drover/old.toml"
			c.Server.Bind = []string{"unix:/run/drover.sock", "[::1]:9000", "fd://3", "0.0.0.0"}
			c.Server.Workers = 3
			c.Server.Backlog = 100
			c.Server.PIDFile = `/run/drover "x" \ y.pid`
			c.Server.GracefulTimeout = 90 * time.Second
			c.Server.BootTimeout = 1500 * time.Millisecond
			c.Server.Timeout = 45 * time.Second
			c.Worker.Class = "sync"
			c.Worker.MaxConcurrency = 1 // more is refused with sync
			c.Worker.MaxRequests = 1000
			c.Worker.MaxRequestsJitter = 50
			c.Worker.KeepAlive = 0
			c.Worker.ReadHeaderTimeout = 2*time.Second + 250*time.Millisecond
			c.Worker.ReadTimeout = time.Hour
			c.Worker.WriteTimeout = 30 * time.Second
			c.Limits.RequestLine = 8190
			c.Limits.RequestFields = 50
			c.Limits.RequestFieldSize = 4096
			c.Limits.RequestBody = 10 << 20
			c.Log.ErrorLogfile = "/var/log/drövér/error.log"
			c.Log.Level = "warning"
			c.Log.Format = "console"
			c.Log.AccessLogfile = "-"
			c.Log.AccessLogFormat = "combined"
			c.Proxy.ForwardedAllowIPs = []netip.Prefix{
				netip.MustParsePrefix("10.0.0.0/8"),
				netip.MustParsePrefix("192.168.1.1/32"),
				netip.MustParsePrefix("2001:db8::/32"),
			}
		}},
		{name: "trust all", give: func(c *config.Config) {
			c.Proxy.ForwardedAllowIPs = nil
			c.Proxy.TrustAll = true
		}},
		{name: "trust none", give: func(c *config.Config) {
			c.Proxy.ForwardedAllowIPs = nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := config.Default()
			tt.give(&want)
			file := writeFile(t, "print.toml", want.TOML())

			got, err := config.Resolve(config.Source{Args: []string{"--config", file}, LookupEnv: fakeEnv(nil)})
			want.File = file
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("Resolve(--config TOML()) = %+v, %v; want %+v, nil\nfile:\n%s", got, err, want, want.TOML())
			}
		})
	}
}

func TestUsage(t *testing.T) {
	var b strings.Builder
	config.Usage(&b, config.Default(), func(fs *pflag.FlagSet) {
		fs.Bool("print-config", false, "print the effective configuration")
	})
	got := b.String()
	for _, want := range []string{"-b, --bind", "-w, --workers", "-c, --config", "--limit-request-field-size", "--print-config"} {
		if !strings.Contains(got, want) {
			t.Errorf("Usage() does not mention %q:\n%s", want, got)
		}
	}
}
