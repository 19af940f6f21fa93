package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/drover/drover/app/api"
	"github.com/drover/drover/auth"
	"github.com/drover/drover/internal/config"
)

// Program is a server program built on drover: its name, its own
// settings, whether it uses drover's token authentication, and its routes.
// The zero Program is drover itself: the token endpoints and the demo
// /hello/ behind them.
//
//	func main() {
//		os.Exit(cli.Main(cli.Program{
//			Name:     "notes",
//			Auth:     &cli.Auth{},
//			Settings: []cli.Setting{{Name: "notes-page-size", Default: 50, Usage: "notes per page"}},
//			Routes:   routes, // func(ctx context.Context, a *cli.App) error: a.Router.Handle(…)
//		}))
//	}
type Program struct {
	// Name is the program's name wherever a person reads it (usage, error
	// lines, banners, the serving line) and the prefix of its environment
	// variables (NOTES_WORKERS beside DROVER_WORKERS); "" means "drover".
	// Lowercase letters, digits and "-".
	Name string
	// Auth, when set, gives the program drover's token authentication:
	// the simplejwt endpoints, App.Auth for its routes, the users store
	// with its commands (createuser, …) and the authentication settings.
	// Without it, help shows none of them.
	Auth *Auth
	// Settings are the program's own settings, in the same table as
	// drover's: each is a flag, a NAME_… and DROVER_… environment
	// variable, a config-file key, a line of help, check and
	// --print-config. Read them in Routes with App.Settings.
	Settings []Setting
	// Routes registers the program's routes on App.Router, once in each
	// worker process and once in dev mode; ctx ends when the process
	// stops. An error (or a panic) makes the worker exit with
	// exitcode.WorkerBoot, and is logged.
	Routes func(ctx context.Context, a *App) error
	// Handler is the simpler alternative to Routes: a whole http.Handler,
	// built once in each worker and in dev mode, with no router and no
	// authentication. Set one of Routes and Handler.
	Handler func(log *zap.Logger) (http.Handler, error)
}

// Auth is how a program uses drover's token authentication.
type Auth struct {
	// TokenPath is where the token endpoints are mounted: TokenPath
	// (obtain), then refresh/, verify/ and blacklist/ under it. "" is
	// "/api/token/", simplejwt's usual place; "-" mounts none, for a
	// program whose tokens another service issues with the same key.
	TokenPath string
	// Claims, when set, adds claims to the tokens issued at login and at
	// every refresh: the Go equivalent of overriding simplejwt's
	// TokenObtainPairSerializer.get_token. It may not set token_type,
	// exp, iat, jti, user_id, aud, iss or nbf. Handlers read the claims
	// with auth.ClaimsFrom.
	Claims auth.ClaimsFunc
}

// defaultTokenPath is where the token endpoints are mounted by default.
const defaultTokenPath = "/api/token/"

// tokenPath is where a's endpoints are mounted, "" for none.
func (a *Auth) tokenPath() string {
	switch a.TokenPath {
	case "":
		return defaultTokenPath
	case "-":
		return ""
	}
	return a.TokenPath
}

// Setting is one of a program's own settings.
type Setting struct {
	// Name is its flag name: lowercase words joined by "-", not one of
	// drover's ("notes-page-size": --notes-page-size, NOTES_NOTES_PAGE_SIZE
	// and DROVER_NOTES_PAGE_SIZE, notes_page_size in the config file).
	Name string
	// Usage is its line of help.
	Usage string
	// Default is its value when no layer sets it, and its Go type is the
	// setting's type: string, int, bool, time.Duration or Size.
	Default any
	// Check, when set, refuses the values the program cannot use, with
	// the reason; v has Default's type. The refusal names where the value
	// came from (--notes-page-size, NOTES_NOTES_PAGE_SIZE or the file's
	// key), as every setting's does.
	Check func(v any) error
}

// Size is a setting's size in bytes, written 512K, 10M, 1G or in bytes.
type Size int64

// appSetting is s as a row of the settings table.
func (s Setting) appSetting() (config.AppSetting, error) {
	a := config.AppSetting{Name: s.Name, Usage: s.Usage}
	var convert func(any) any // the table's parsed value → Default's type
	switch d := s.Default.(type) {
	case string:
		a.Kind, a.Default = "string", d
		convert = func(v any) any { return v }
	case int:
		a.Kind, a.Default = "int", fmt.Sprint(d)
		convert = func(v any) any { return int(v.(int64)) }
	case bool:
		a.Kind, a.Default = "bool", fmt.Sprint(d)
		convert = func(v any) any { return v }
	case time.Duration:
		a.Kind, a.Default = "duration", d.String()
		convert = func(v any) any { return v }
	case Size:
		a.Kind, a.Default = "size", fmt.Sprint(int64(d))
		convert = func(v any) any { return Size(v.(int64)) }
	default:
		return a, fmt.Errorf("setting %q: Default is a %T; give a string, int, bool, time.Duration or cli.Size", s.Name, s.Default)
	}
	if s.Check != nil {
		a.Check = func(v any) error { return s.Check(convert(v)) }
	}
	return a, nil
}

// withDefaults is p with drover's own API filled in when p has neither
// routes nor a handler.
func (p Program) withDefaults() Program {
	if p.Routes == nil && p.Handler == nil {
		p.Auth = &Auth{}
		p.Routes = droverRoutes
	}
	return p
}

// droverRoutes is drover's own application: the demo /hello/, which
// takes an access token (the token endpoints are mounted by Auth).
func droverRoutes(_ context.Context, a *App) error {
	a.Router.Handle(http.MethodGet, "/hello/", api.Hello())
	a.Router.Guard("/hello/", a.Auth.Require(api.IsAuthenticated))
	return nil
}

// table is p's settings table, checked.
func (p Program) table() (config.Table, error) {
	p = p.withDefaults()
	t := config.Table{Program: p.name(), Auth: p.Auth != nil}
	if p.Routes != nil && p.Handler != nil {
		return t, errors.New("the program sets both Routes and Handler; set one")
	}
	for _, s := range p.Settings {
		a, err := s.appSetting()
		if err != nil {
			return t, err
		}
		t.App = append(t.App, a)
	}
	if err := t.Check(); err != nil {
		return t, fmt.Errorf("program %s: %w", p.name(), err)
	}
	return t, nil
}

// App is what a program's Routes gets, once in each worker process (and
// once in dev mode): the router to register on, drover's authentication,
// the resolved settings and the logger.
type App struct {
	// Name is the program's name.
	Name string
	// Router answers as Django REST Framework does (JSON 404 and 405,
	// OPTIONS, APPEND_SLASH); the token endpoints are on it already
	// when the program authenticates.
	Router *api.Router
	// Auth is drover's token authentication for the program's routes
	// (Auth.Require is a Router.Guard); nil when the program has no Auth.
	Auth *api.Auth
	// Settings are the resolved settings, drover's and the program's,
	// read-only.
	Settings Settings
	// StateDir is the directory of the server's state (--state-dir): the
	// place for the program's own files, such as its SQLite database.
	StateDir string
	// Log is the process's logger, named for the program.
	Log *zap.Logger

	closers []func() error
}

// OnClose registers f to run when the process stops serving, after the
// server has drained, in the reverse order of registration: the place to
// close the program's database.
func (a *App) OnClose(f func() error) { a.closers = append(a.closers, f) }

// close runs the OnClose functions, last registered first.
func (a *App) close() error {
	var errs []error
	for i := len(a.closers) - 1; i >= 0; i-- {
		errs = append(errs, a.closers[i]())
	}
	return errors.Join(errs...)
}

// Settings are the resolved settings of a process, read by name with the
// getter of their type. A name the program does not have, or a getter of
// another type, panics: a program's mistake, reported when its Routes
// run as the worker's boot error.
type Settings struct {
	table config.Table
	cfg   *config.Config
}

// settingPanic is the value Settings' getters panic with.
type settingPanic struct{ err error }

func (s Settings) value(name, want string) any {
	v, kind, err := s.table.Value(s.cfg, name)
	switch {
	case err != nil:
		panic(settingPanic{fmt.Errorf("settings: %w", err)})
	case kind != want:
		panic(settingPanic{fmt.Errorf("settings: %q is a %s setting, not a %s one", name, kind, want)})
	}
	return v
}

// String is a string setting's value.
func (s Settings) String(name string) string { return s.value(name, "string").(string) }

// Int is a whole-number setting's value.
func (s Settings) Int(name string) int { return int(s.value(name, "int").(int64)) }

// Bool is a boolean setting's value.
func (s Settings) Bool(name string) bool { return s.value(name, "bool").(bool) }

// Duration is a duration setting's value.
func (s Settings) Duration(name string) time.Duration {
	return s.value(name, "duration").(time.Duration)
}

// Size is a size setting's value, in bytes.
func (s Settings) Size(name string) Size { return Size(s.value(name, "size").(int64)) }

// Strings is a list setting's items (--bind, --forwarded-allow-ips …).
func (s Settings) Strings(name string) []string { return s.value(name, "list").([]string) }

// runRoutes calls routes, turning a panic (a Settings getter's, a
// Router's refusal of a registration) into its error.
func runRoutes(ctx context.Context, routes func(context.Context, *App) error, a *App) (err error) {
	defer func() {
		switch r := recover().(type) {
		case nil:
		case settingPanic:
			err = r.err
		default:
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return routes(ctx, a)
}
