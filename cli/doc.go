// Package cli is drover's command line: it picks a process's role and runs
// it. A supervisor-started process (DROVER_ROLE=worker) runs as a worker;
// otherwise the first argument chooses serve (the default: the supervisor),
// dev (the single-process development server), check (validate and print
// the configuration), the user commands on the store, version or help. The
// commands help lists, with their own flags, are one table (help.go).
//
// # Your program under drover
//
// It is public so a Go program can be served by drover with a main as
// short as drover's own. [Program] is the one entry point: the program's
// name, its own settings ([Setting]), whether it uses drover's token
// authentication ([Auth]), and its routes:
//
//	func main() {
//		os.Exit(cli.Main(cli.Program{Name: "notes", Auth: &cli.Auth{}, Routes: routes}))
//	}
//
//	// routes runs once in each worker process (and once in dev mode).
//	func routes(ctx context.Context, a *cli.App) error {
//		a.Router.Handle(http.MethodGet, "/notes/", list)
//		a.Router.Handle(http.MethodPost, "/notes/", create)
//		a.Router.Guard("/notes/", a.Auth.Require(api.IsAuthenticatedOrReadOnly))
//		return nil
//	}
//
// [App] holds what the routes need: the DRF-shaped router (package
// app/api) with the simplejwt endpoints mounted at [Auth.TokenPath],
// [api.Auth] for authentication and permissions, the resolved settings
// ([Settings], read-only and typed), the state directory and the logger.
// Handlers read the user and the token's claims with auth.UserFrom and
// auth.ClaimsFrom. The program's own settings are flags, environment
// variables (NOTES_… and DROVER_…), config-file keys and lines of help,
// check and --print-config like drover's. A program without Auth shows no
// authentication setting and no user command. examples/notes is such a
// program, with its own test suite.
//
// A program that needs no router nor authentication gives a whole
// handler instead: cli.Program{Name: "myapp", Handler: build}.
//
// Main is the only place that turns an error into an exit status; nothing
// below it exits the process.
package cli
