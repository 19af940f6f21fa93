package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/spf13/pflag"
	"go.uber.org/zap"

	"github.com/drover/drover/internal/config"
	"github.com/drover/drover/internal/exitcode"
	"github.com/drover/drover/internal/proto"
)

// Program is a server program built on drover: its name and the
// application it serves.
type Program struct {
	// Name is the program's name in usage and error lines; "" means "drover".
	Name string
	// Handler builds the application, once in each worker process and once
	// in dev mode. An error makes the worker exit with exitcode.WorkerBoot.
	// nil serves drover's own API (api.API, the DRF-compatible endpoints).
	Handler func(log *zap.Logger) (http.Handler, error)
}

func (p Program) name() string {
	if p.Name == "" {
		return "drover"
	}
	return p.Name
}

// ownAPI reports whether the program serves drover's own API, which needs
// a signing key and the store.
func (p Program) ownAPI() bool { return p.Handler == nil }

// handler builds the program's application for one process; close
// releases what it holds. The process that housekeeps (worker slot 1, the
// dev server) also prunes the store.
func (p Program) handler(ctx context.Context, cfg config.Config, housekeeper bool, log *zap.Logger) (http.Handler, func() error, error) {
	if p.ownAPI() {
		return buildAPI(ctx, cfg, housekeeper, log)
	}
	h, err := p.Handler(log)
	return h, func() error { return nil }, err
}

// Main runs p with the process's arguments and returns its exit status;
// a failure is printed as one line on stderr. A program's main is:
//
//	func main() { os.Exit(cli.Main(cli.Program{Handler: myHandler})) }
func Main(p Program) int {
	err := Run(context.Background(), p, os.Args[1:], os.Stdout)
	if err == nil {
		return exitcode.OK
	}
	fmt.Fprintf(os.Stderr, "%s: %v\n", p.name(), err)
	var ee *exitcode.Error
	if errors.As(err, &ee) {
		return ee.Code
	}
	return exitcode.Runtime
}

// Run picks the process's role and runs it: a worker when the supervisor
// started this process (proto.EnvRole), else the command in args: serve
// (the default), dev, check or help. Usage and printed configuration go to
// stdout.
func Run(ctx context.Context, p Program, args []string, stdout io.Writer) error {
	if os.Getenv(proto.EnvRole) == proto.RoleWorker {
		return runWorker(ctx, p)
	}
	cmd, rest := "serve", args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, rest = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return runServe(ctx, p, rest, stdout)
	case "dev":
		return runDev(ctx, p, rest, stdout)
	case "check":
		return runCheck(p, rest, stdout)
	case "users", "createuser", "changepassword", "deactivateuser", "activateuser", "deleteuser":
		return runUserCommand(ctx, cmd, rest, os.Stdin, stdout)
	case "help":
		usage(stdout, p, nil)
		return nil
	}
	return exitcode.Wrap(exitcode.Usage, fmt.Errorf("unknown command %q (commands: serve, dev, check, users, createuser, changepassword, deactivateuser, activateuser, deleteuser, help)", cmd))
}

// resolve reads the configuration for a command; shown reports that help
// was printed instead.
func resolve(p Program, args []string, defaults *config.Config, extra func(*pflag.FlagSet), stdout io.Writer) (cfg config.Config, shown bool, err error) {
	cfg, err = config.Resolve(config.Source{Args: args, Defaults: defaults, Extra: extra})
	if errors.Is(err, config.ErrHelp) {
		usage(stdout, p, extra)
		return cfg, true, nil
	}
	if err != nil {
		return cfg, false, exitcode.Wrap(exitcode.Config, err)
	}
	return cfg, false, nil
}

func usage(w io.Writer, p Program, extra func(*pflag.FlagSet)) {
	fmt.Fprintf(w, `Usage: %[1]s [serve|dev|check] [flags]

  serve   run the pre-fork server: a supervisor and --workers worker processes (default)
  dev     run the development server: one process, one request at a time
  check   validate the configuration and print it

  users                 list the users of the store
  createuser NAME       add a user (password from a prompt, or stdin's first line;
                        Django's password validators, --no-validate to skip them)
  changepassword NAME   set a user's password and revoke their refresh tokens
  deactivateuser NAME   refuse a user's logins and tokens
  activateuser NAME     undo deactivateuser
  deleteuser NAME       delete a user and their refresh tokens

Every flag can also be set as DROVER_<NAME> (DROVER_WORKERS=4) or in the
--config file (workers = 4). Flags win over the environment, which wins over
the file. Durations are seconds (30) or Go durations (500ms, 2m); sizes are
bytes or take K, M, G. --workers defaults to the number of CPUs.

Flags:
`, p.name())
	config.Usage(w, config.Default(), extra)
}

// runCheck refuses what serve refuses, through the same prepare, and
// prints the configuration; it creates nothing.
//
// One refusal of serve's is only noted: no signing key at all. An
// operator runs check from a shell that often lacks the service's
// environment file, where DROVER_SECRET_KEY lives; a key that is set is
// checked as serve checks it. prepare checks the keys last, so every
// other check has passed by then.
func runCheck(p Program, args []string, stdout io.Writer) error {
	cfg, shown, err := resolve(p, args, nil, nil, stdout)
	if err != nil || shown {
		return err
	}
	err = prepare(p, &cfg)
	switch {
	case errors.Is(err, config.ErrNoSigningKey):
		fmt.Fprintf(stdout, "# no signing key is set here (%s or --secret-key-file); serve refuses to start without one\n", config.EnvSecretKey)
	case err != nil:
		return exitcode.Wrap(exitcode.Config, err)
	}
	for _, w := range lingerWarnings(cfg) {
		fmt.Fprintf(stdout, "# warning: %s\n", w)
	}
	fmt.Fprint(stdout, cfg.TOML())
	return nil
}
