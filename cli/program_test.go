package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/drover/drover/app/api"
	"github.com/drover/drover/internal/config"
	"github.com/drover/drover/internal/exitcode"
)

// plainProgram serves a handler of its own, without drover's
// authentication.
func plainProgram() Program {
	return Program{
		Name: "plain",
		Handler: func(*zap.Logger) (http.Handler, error) {
			return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "plain") }), nil
		},
	}
}

// notesProgram has settings of its own and routes that read them.
func notesProgram(withAuth bool) Program {
	p := Program{
		Name: "notes",
		Settings: []Setting{
			{Name: "notes-title", Default: "Notes", Usage: "title of the list"},
			{Name: "notes-page-size", Default: 50, Usage: "notes per page", Check: func(v any) error {
				if n := v.(int); n < 1 || n > 1000 {
					return fmt.Errorf("must be from 1 to 1000, got %d", n)
				}
				return nil
			}},
			{Name: "notes-cache", Default: time.Minute, Usage: "how long a list is cached"},
			{Name: "notes-max-body", Default: Size(64 << 10), Usage: "largest note"},
			{Name: "notes-public", Default: true, Usage: "anonymous clients may list"},
		},
		Routes: func(_ context.Context, a *App) error {
			title := a.Settings.String("notes-title")
			size := a.Settings.Int("notes-page-size")
			a.Router.Handle(http.MethodGet, "/notes/", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				fmt.Fprintf(w, "%s %d %s %d %t %s", title, size, a.Settings.Duration("notes-cache"), a.Settings.Size("notes-max-body"),
					a.Settings.Bool("notes-public"), a.Settings.Duration("keep-alive"))
			}))
			return nil
		},
	}
	if withAuth {
		p.Auth = &Auth{}
	}
	return p
}

func runProgram(t *testing.T, p Program, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := Run(context.Background(), p, args, &out)
	return out.String(), err
}

func TestProgramWithoutAuthHasNoAuthFlagsOrUserCommands(t *testing.T) {
	for _, p := range []Program{plainProgram(), notesProgram(false)} {
		t.Run(p.Name, func(t *testing.T) {
			for _, args := range [][]string{{"help"}, {"serve", "--help"}, {"check", "--help"}} {
				out, err := runProgram(t, p, args...)
				if err != nil {
					t.Fatalf("%s %v: %v", p.Name, args, err)
				}
				for _, absent := range []string{"--secret-key-file", "--jwt-algorithm", "--access-token-lifetime", "--argon2-memory", "--refresh-cookie", "createuser", "changepassword", "the user commands", "drover"} {
					if strings.Contains(out, absent) {
						t.Errorf("%s %v lists %q:\n%s", p.Name, args, absent, out)
					}
				}
				if !strings.Contains(out, "Usage: "+p.Name) || !strings.Contains(out, "--workers") {
					t.Errorf("%s %v lacks its usage line or --workers:\n%s", p.Name, args, out)
				}
			}
			for _, cmd := range []string{"createuser", "users", "deleteuser"} {
				_, err := runProgram(t, p, cmd, "alice")
				var ee *exitcode.Error
				if !errors.As(err, &ee) || ee.Code != exitcode.Usage || !strings.Contains(err.Error(), fmt.Sprintf("unknown command %q", cmd)) {
					t.Errorf("%s %s = %v, want unknown command (usage)", p.Name, cmd, err)
				}
			}
			if _, err := runProgram(t, p, "check", "--secret-key-file", "/k"); err == nil || !strings.Contains(err.Error(), "unknown flag: --secret-key-file") {
				t.Errorf("check --secret-key-file = %v, want unknown flag", err)
			}
		})
	}
}

func TestProgramWithAuthHasAuthFlagsAndUserCommands(t *testing.T) {
	out, err := runProgram(t, notesProgram(true), "help")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Usage: notes [COMMAND]", "createuser NAME", "--secret-key-file", "--jwt-algorithm", "--notes-page-size int", "NOTES_<NAME> (NOTES_WORKERS=4"} {
		if !strings.Contains(out, want) {
			t.Errorf("notes help lacks %q:\n%s", want, out)
		}
	}
}

func TestProgramSettingsReachItsRoutes(t *testing.T) {
	t.Setenv("NOTES_NOTES_TITLE", "Mine")
	t.Setenv("DROVER_NOTES_TITLE", "Shared")
	t.Setenv("DROVER_NOTES_PAGE_SIZE", "7")
	p := notesProgram(false)
	cfg, shown, err := resolve(p, []string{"--notes-cache", "90s", "--notes-max-body", "1M", "--notes-public=no", "--keep-alive", "3s", "--state-dir", t.TempDir()}, nil, nil, &bytes.Buffer{})
	if err != nil || shown {
		t.Fatalf("resolve: %v", err)
	}
	h, release, err := p.handler(context.Background(), cfg, false, nil, zap.NewNop())
	if err != nil {
		t.Fatalf("handler: %v", err)
	}
	defer release()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/notes/", nil))
	if got, want := rec.Body.String(), "Mine 7 1m30s 1048576 false 3s"; got != want {
		t.Errorf("routes saw %q, want %q", got, want)
	}
}

func TestProgramCheckPrintsItsSettings(t *testing.T) {
	t.Setenv("NOTES_NOTES_PAGE_SIZE", "9")
	out, err := runProgram(t, notesProgram(false), "check", "--notes-title", "Shared notes")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# notes effective configuration\n", "notes_title = \"Shared notes\"\n", "notes_page_size = 9\n", "notes_cache = \"1m\"\n", "notes_max_body = \"64K\"\n", "notes_public = true\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("check lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "secret_key_file") {
		t.Errorf("check of a program without auth prints secret_key_file")
	}
	_, err = runProgram(t, notesProgram(false), "check", "--notes-page-size", "0")
	var ee *exitcode.Error
	if !errors.As(err, &ee) || ee.Code != exitcode.Config || !strings.Contains(err.Error(), `"--notes-page-size"`) || !strings.HasSuffix(err.Error(), ": must be from 1 to 1000, got 0") {
		t.Errorf("check --notes-page-size 0 = %v, want exit 2 naming the flag", err)
	}
}

func TestProgramMistakes(t *testing.T) {
	routes := func(context.Context, *App) error { return nil }
	tests := []struct {
		name    string
		give    Program
		wantErr string
	}{
		{name: "both Routes and Handler", give: Program{Routes: routes, Handler: plainProgram().Handler}, wantErr: "both Routes and Handler"},
		{name: "a setting named like drover's", give: Program{Name: "notes", Routes: routes, Settings: []Setting{{Name: "workers", Default: 2}}}, wantErr: `setting "workers" is drover's`},
		{name: "a default of another type", give: Program{Routes: routes, Settings: []Setting{{Name: "ratio", Default: 0.5}}}, wantErr: `setting "ratio": Default is a float64`},
		{name: "a bad program name", give: Program{Name: "My App", Routes: routes}, wantErr: `program name "My App"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runProgram(t, tt.give, "check")
			var ee *exitcode.Error
			if !errors.As(err, &ee) || ee.Code != exitcode.Usage || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("check = %v, want a usage error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestProgramRoutesMistakesAreBootErrors(t *testing.T) {
	tests := []struct {
		name    string
		routes  func(context.Context, *App) error
		wantErr string
	}{
		{name: "unknown setting", routes: func(_ context.Context, a *App) error { a.Settings.Int("notes-nope"); return nil }, wantErr: `settings: "notes-nope": no such setting`},
		{name: "wrong type", routes: func(_ context.Context, a *App) error { a.Settings.Int("notes-title"); return nil }, wantErr: `settings: "notes-title" is a string setting, not a int one`},
		{name: "router refusal", routes: func(_ context.Context, a *App) error {
			a.Router.Handle(http.MethodGet, "/x/", http.NotFoundHandler())
			a.Router.Handle(http.MethodGet, "/x/", http.NotFoundHandler())
			return nil
		}, wantErr: "registered twice"},
		{name: "error", routes: func(context.Context, *App) error { return errors.New("no database") }, wantErr: "routes: no database"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := notesProgram(false)
			p.Routes = tt.routes
			closed := false
			inner := p.Routes
			p.Routes = func(ctx context.Context, a *App) error {
				a.OnClose(func() error { closed = true; return nil })
				return inner(ctx, a)
			}
			cfg := config.Default()
			cfg.Auth.StateDir = t.TempDir()
			_, _, err := p.handler(context.Background(), cfg, false, nil, zap.NewNop())
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("handler = %v, want an error containing %q", err, tt.wantErr)
			}
			if !closed {
				t.Errorf("what the routes opened was not closed after their failure")
			}
		})
	}
}

// authConfig is a configuration whose authentication works: a state dir
// of the test's and an HS256 key.
func authConfig(t *testing.T, args ...string) config.Config {
	t.Helper()
	cfg, _, err := resolve(Program{}, append([]string{"--state-dir", t.TempDir(), "--argon2-memory", "8K", "--argon2-iterations", "1"}, args...), nil, nil, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Auth.Keys.Secret = config.Secret(strings.Repeat("k", 32))
	return cfg
}

func TestProgramTokenPath(t *testing.T) {
	tests := []struct {
		name       string
		tokenPath  string
		wantAt     string // answers a login
		wantAbsent string // 404
	}{
		{name: "default", tokenPath: "", wantAt: "/api/token/", wantAbsent: "/auth/"},
		{name: "elsewhere", tokenPath: "/auth/", wantAt: "/auth/", wantAbsent: "/api/token/"},
		{name: "none", tokenPath: "-", wantAbsent: "/api/token/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Program{Name: "notes", Auth: &Auth{TokenPath: tt.tokenPath}, Routes: func(_ context.Context, a *App) error {
				a.Router.Handle(http.MethodGet, "/me/", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
				a.Router.Guard("/me/", a.Auth.Require(api.IsAuthenticated))
				return nil
			}}
			h, release, err := p.handler(context.Background(), authConfig(t), false, nil, zap.NewNop())
			if err != nil {
				t.Fatal(err)
			}
			defer release()
			login := func(path string) *httptest.ResponseRecorder {
				r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(`{"username":"nobody","password":"x"}`))
				r.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				return rec
			}
			if tt.wantAt != "" {
				if rec := login(tt.wantAt); rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), "No active account found") {
					t.Errorf("login at %s = %d %s, want simplejwt's 401", tt.wantAt, rec.Code, rec.Body)
				}
			}
			if rec := login(tt.wantAbsent); rec.Code != http.StatusNotFound {
				t.Errorf("login at %s = %d, want 404", tt.wantAbsent, rec.Code)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/me/", nil))
			if rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") != `Bearer realm="api"` {
				t.Errorf("anonymous GET /me/ = %d %q, want 401 with the challenge", rec.Code, rec.Header().Get("WWW-Authenticate"))
			}
		})
	}
}

func TestProgramWithoutAuthGetsCORSAndSecurityHeaders(t *testing.T) {
	for _, p := range []Program{plainProgram(), notesProgram(false)} {
		t.Run(p.Name, func(t *testing.T) {
			cfg, _, err := resolve(p, []string{"--state-dir", t.TempDir(), "--cors-allowed-origins", "https://app.example"}, nil, nil, &bytes.Buffer{})
			if err != nil {
				t.Fatal(err)
			}
			h, release, err := p.handler(context.Background(), cfg, false, nil, zap.NewNop())
			if err != nil {
				t.Fatal(err)
			}
			defer release()
			r := httptest.NewRequest(http.MethodGet, "/notes/", nil)
			r.Header.Set("Origin", "https://app.example")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if got := rec.Header().Get("Access-Control-Allow-Origin"); got != "https://app.example" {
				t.Errorf("Access-Control-Allow-Origin = %q", got)
			}
			if got := rec.Header().Get("Access-Control-Allow-Credentials"); got != "" {
				t.Errorf("Access-Control-Allow-Credentials = %q without a refresh cookie", got)
			}
			if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q, want Django's nosniff", got)
			}
		})
	}
}
