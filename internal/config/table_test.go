package config_test

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/drover/drover/internal/config"
)

// notesTable is a program's table as cli builds it: the program "notes"
// with two settings of its own and, unless noAuth, drover's
// authentication.
func notesTable(auth bool) *config.Table {
	return &config.Table{
		Program: "notes",
		Auth:    auth,
		App: []config.AppSetting{
			{Name: "notes-title", Kind: "string", Default: "Notes", Usage: "title of the list"},
			{Name: "notes-page-size", Kind: "int", Default: "50", Usage: "notes per page",
				Check: func(v any) error {
					if n := v.(int64); n < 1 || n > 1000 {
						return fmt.Errorf("must be from 1 to 1000, got %d", n)
					}
					return nil
				}},
			{Name: "notes-cache", Kind: "duration", Default: "1m", Usage: "how long a list is cached"},
			{Name: "notes-max-body", Kind: "size", Default: "64K", Usage: "largest note"},
			{Name: "notes-public", Kind: "bool", Default: "true", Usage: "anonymous clients may list"},
		},
	}
}

func TestTableAppSettingsThroughEveryLayer(t *testing.T) {
	tests := []struct {
		name     string
		giveFile string
		giveEnv  map[string]string
		giveArgs []string
		want     map[string]any
	}{
		{name: "defaults",
			want: map[string]any{"notes-title": "Notes", "notes-page-size": int64(50), "notes-cache": time.Minute, "notes-max-body": int64(64 << 10), "notes-public": true}},
		{name: "flag", giveArgs: []string{"--notes-page-size", "20", "--notes-public=no", "--notes-cache", "90s"},
			want: map[string]any{"notes-page-size": int64(20), "notes-public": false, "notes-cache": 90 * time.Second}},
		{name: "DROVER_ variable", giveEnv: map[string]string{"DROVER_NOTES_TITLE": "Shared"},
			want: map[string]any{"notes-title": "Shared"}},
		{name: "program variable", giveEnv: map[string]string{"NOTES_NOTES_TITLE": "Mine"},
			want: map[string]any{"notes-title": "Mine"}},
		{name: "program variable wins over DROVER_", giveEnv: map[string]string{"DROVER_NOTES_TITLE": "Shared", "NOTES_NOTES_TITLE": "Mine"},
			want: map[string]any{"notes-title": "Mine"}},
		{name: "program variable sets drover's settings too", giveEnv: map[string]string{"DROVER_WORKERS": "3", "NOTES_WORKERS": "5"},
			want: map[string]any{"workers": int64(5)}},
		{name: "file", giveFile: "notes_title = \"From file\"\nnotes_max_body = \"1M\"\n", giveArgs: []string{"--config", "{file}"},
			want: map[string]any{"notes-title": "From file", "notes-max-body": int64(1 << 20)}},
		{name: "file named by the program's variable", giveFile: "notes_page_size = 7\n", giveEnv: map[string]string{"NOTES_CONFIG": "{file}"},
			want: map[string]any{"notes-page-size": int64(7)}},
		{name: "flag wins over env over file", giveFile: "notes_title = \"file\"\n", giveEnv: map[string]string{"NOTES_NOTES_TITLE": "env"},
			giveArgs: []string{"-c", "{file}", "--notes-title", "flag"},
			want:     map[string]any{"notes-title": "flag"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "notes.toml", tt.giveFile)
			args, env := withFile(path, tt.giveArgs, tt.giveEnv)
			table := notesTable(true)
			cfg, err := config.Resolve(config.Source{Args: args, LookupEnv: fakeEnv(env), Table: table})
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			for name, want := range tt.want {
				got, _, err := table.Value(&cfg, name)
				if err != nil {
					t.Fatalf("Value(%q): %v", name, err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s = %#v, want %#v", name, got, want)
				}
			}
			// What --print-config prints reads back to the same values.
			back, err := config.Resolve(config.Source{Args: []string{"-c", writeFile(t, "back.toml", table.TOML(&cfg))}, LookupEnv: fakeEnv(nil), Table: table})
			if err != nil {
				t.Fatalf("Resolve(TOML()): %v\n%s", err, table.TOML(&cfg))
			}
			for name := range tt.want {
				a, _, _ := table.Value(&cfg, name)
				b, _, _ := table.Value(&back, name)
				if !reflect.DeepEqual(a, b) {
					t.Errorf("%s after a TOML round trip = %#v, want %#v", name, b, a)
				}
			}
		})
	}
}

func TestTableRefusals(t *testing.T) {
	tests := []struct {
		name     string
		giveFile string
		giveEnv  map[string]string
		giveArgs []string
		wantErr  string
	}{
		{name: "bad int flag", giveArgs: []string{"--notes-page-size", "many"}, wantErr: `"many" is not a whole number`},
		{name: "check refuses flag", giveArgs: []string{"--notes-page-size", "0"}, wantErr: "must be from 1 to 1000, got 0"},
		{name: "check refuses program variable", giveEnv: map[string]string{"NOTES_NOTES_PAGE_SIZE": "5000"}, wantErr: "invalid NOTES_NOTES_PAGE_SIZE: must be from 1 to 1000, got 5000"},
		{name: "check refuses file key", giveFile: "notes_page_size = -1\n", giveArgs: []string{"-c", "{file}"}, wantErr: "notes_page_size: must be from 1 to 1000, got -1"},
		{name: "bad duration", giveArgs: []string{"--notes-cache", "soon"}, wantErr: `"soon" is not a duration`},
		{name: "auth flag without auth", giveArgs: []string{"--secret-key-file", "/k"}, wantErr: "unknown flag: --secret-key-file: notes does not use drover's token authentication"},
		{name: "auth key in file without auth", giveFile: "jwt_algorithm = \"HS256\"\n", giveArgs: []string{"-c", "{file}"}, wantErr: "jwt_algorithm: unknown setting"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "notes.toml", tt.giveFile)
			args, env := withFile(path, tt.giveArgs, tt.giveEnv)
			_, err := config.Resolve(config.Source{Args: args, LookupEnv: fakeEnv(env), Table: notesTable(false)})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Resolve = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestTableCheck(t *testing.T) {
	tests := []struct {
		name    string
		give    config.Table
		wantErr string
	}{
		{name: "ok", give: *notesTable(true)},
		{name: "drover's name", give: config.Table{Program: "notes", App: []config.AppSetting{{Name: "workers", Kind: "int", Default: "1"}}}, wantErr: `setting "workers" is drover's; give the program's a name of its own, like notes-workers`},
		{name: "config", give: config.Table{App: []config.AppSetting{{Name: "config", Kind: "string"}}}, wantErr: `"config" is drover's`},
		{name: "auth setting's name even without auth", give: config.Table{App: []config.AppSetting{{Name: "jwt-issuer", Kind: "string"}}}, wantErr: `"jwt-issuer" is drover's`},
		{name: "twice", give: config.Table{App: []config.AppSetting{{Name: "a-b", Kind: "string"}, {Name: "a-b", Kind: "string"}}}, wantErr: "declared twice"},
		{name: "bad name", give: config.Table{App: []config.AppSetting{{Name: "Notes_Title", Kind: "string"}}}, wantErr: "lowercase words"},
		{name: "bad kind", give: config.Table{App: []config.AppSetting{{Name: "x", Kind: "float"}}}, wantErr: `kind "float"`},
		{name: "bad default", give: config.Table{App: []config.AppSetting{{Name: "x", Kind: "int", Default: "ten"}}}, wantErr: `setting "x": default: "ten" is not a whole number`},
		{name: "bad program name", give: config.Table{Program: "My App"}, wantErr: `program name "My App"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.give.Check()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Check = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Check = %v, want an error containing %q", err, tt.wantErr)
			}
			if _, rerr := config.Resolve(config.Source{LookupEnv: fakeEnv(nil), Table: &tt.give}); rerr == nil {
				t.Errorf("Resolve accepted a table Check refuses")
			}
		})
	}
}

func TestTableWithoutAuthHasNoAuthSettings(t *testing.T) {
	cfg := config.Default()
	var help bytes.Buffer
	table := notesTable(false)
	table.Usage(&help, cfg, nil)
	toml := table.TOML(&cfg)
	for _, name := range []string{"secret-key-file", "jwt-algorithm", "access-token-lifetime", "rotate-refresh-tokens", "argon2-memory", "refresh-cookie", "max-concurrent-hashes"} {
		if !config.IsAuthSetting(name) {
			t.Errorf("%s is not an auth setting", name)
		}
		if strings.Contains(help.String(), "--"+name+" ") || strings.Contains(help.String(), "--"+name+"[") {
			t.Errorf("help of a program without auth lists --%s", name)
		}
		if strings.Contains(toml, strings.ReplaceAll(name, "-", "_")+" =") {
			t.Errorf("TOML of a program without auth has %s", name)
		}
	}
	for _, want := range []string{"--notes-title string", "title of the list (default Notes)", "--notes-page-size int", "--workers int", "--cors-allowed-origins"} {
		if !strings.Contains(help.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, help.String())
		}
	}
	if !strings.HasPrefix(toml, "# notes effective configuration\n") {
		t.Errorf("TOML starts %q", strings.SplitN(toml, "\n", 2)[0])
	}
	var full bytes.Buffer
	notesTable(true).Usage(&full, cfg, nil)
	if !strings.Contains(full.String(), "--secret-key-file") {
		t.Errorf("help of a program with auth lacks --secret-key-file")
	}
}

func TestTableSchema(t *testing.T) {
	drover := config.Drover()
	schemas := map[string]string{
		"drover":         drover.Schema(),
		"notes":          notesTable(true).Schema(),
		"notes, no auth": notesTable(false).Schema(),
	}
	if schemas["drover"] != config.Schema() {
		t.Errorf("Drover().Schema() = %s, Schema() = %s", schemas["drover"], config.Schema())
	}
	seen := map[string]string{}
	for name, s := range schemas {
		if other, ok := seen[s]; ok {
			t.Errorf("%s and %s have the same schema %s", name, other, s)
		}
		seen[s] = name
	}
}

func TestTableValue(t *testing.T) {
	table := notesTable(true)
	cfg := config.Default()
	tests := []struct {
		name     string
		want     any
		wantKind string
	}{
		{"workers", int64(cfg.Server.Workers), "int"},
		{"bind", []string{"127.0.0.1:8000"}, "list"},
		{"access-token-lifetime", 5 * time.Minute, "duration"},
		{"limit-request-body", int64(1 << 20), "size"},
		{"rotate-refresh-tokens", true, "bool"},
		{"log-level", "info", "string"},
		{"notes-title", "Notes", "string"},
	}
	for _, tt := range tests {
		got, kind, err := table.Value(&cfg, tt.name)
		if err != nil || kind != tt.wantKind || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Value(%q) = %#v, %q, %v; want %#v, %q", tt.name, got, kind, err, tt.want, tt.wantKind)
		}
	}
	if _, _, err := notesTable(false).Value(&cfg, "access-token-lifetime"); !errors.Is(err, config.ErrNoSetting) {
		t.Errorf("Value of an auth setting without auth = %v, want ErrNoSetting", err)
	}
}

func TestTableUnknownEnv(t *testing.T) {
	got := notesTable(true).UnknownEnv([]string{
		"NOTES_WROKERS=3",     // a typo of NOTES_WORKERS
		"NOTES_HOME=/srv",     // the program's own business
		"NOTES_NOTES_TITLE=x", // a setting
		"NOTES_CONFIG=/etc/notes.toml",
		"DROVER_NOTES_TITL=y", // a typo under DROVER_
		"DROVER_WHATEVER=1",
	})
	want := []string{
		"NOTES_WROKERS is not a notes setting and is ignored (did you mean NOTES_WORKERS?)",
		"DROVER_NOTES_TITL is not a notes setting and is ignored (did you mean DROVER_NOTES_TITLE?)",
		"DROVER_WHATEVER is not a notes setting and is ignored",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("UnknownEnv =\n%q\nwant\n%q", got, want)
	}
}

func TestTableSecretKeyFromTheProgramsVariable(t *testing.T) {
	key := strings.Repeat("k", 32)
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{name: "DROVER_SECRET_KEY", env: map[string]string{"DROVER_SECRET_KEY": key + "d"}, want: key + "d"},
		{name: "NOTES_SECRET_KEY", env: map[string]string{"NOTES_SECRET_KEY": key + "n"}, want: key + "n"},
		{name: "the program's wins", env: map[string]string{"DROVER_SECRET_KEY": key + "d", "NOTES_SECRET_KEY": key + "n"}, want: key + "n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config.Default()
			if err := cfg.LoadKeys(notesTable(true).LookupEnv(fakeEnv(tt.env))); err != nil {
				t.Fatal(err)
			}
			if got := string(cfg.Auth.Keys.Secret); got != tt.want {
				t.Errorf("key = %q, want %q", got, tt.want)
			}
		})
	}
	if got := notesTable(true).UnknownEnv([]string{"NOTES_SECRET_KEY=x"}); len(got) != 0 {
		t.Errorf("UnknownEnv warns about NOTES_SECRET_KEY: %q", got)
	}
}
