package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/spf13/pflag"

	"github.com/drover/drover/dev/reload"
	"github.com/drover/drover/internal/config"
	"github.com/drover/drover/internal/exitcode"
	"github.com/drover/drover/internal/proto"
	"github.com/drover/drover/server"
)

func (p Program) name() string {
	if p.Name == "" {
		return "drover"
	}
	return p.Name
}

// authenticates reports whether the program uses drover's token authentication,
// which needs a signing key and the store.
func (p Program) authenticates() bool { return p.withDefaults().Auth != nil }

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
// (the default), dev, check, the user commands, version or help. Usage,
// the version and printed configuration go to stdout.
func Run(ctx context.Context, p Program, args []string, stdout io.Writer) error {
	p = p.withDefaults()
	if _, err := p.table(); err != nil {
		return exitcode.Wrap(exitcode.Usage, err)
	}
	if os.Getenv(proto.EnvRole) == proto.RoleWorker {
		return runWorker(ctx, p)
	}
	if wantsVersion(args) {
		info, ok := debug.ReadBuildInfo()
		fmt.Fprint(stdout, version(p.name(), info, ok))
		return nil
	}
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		usage(stdout, p)
		return nil
	}
	cmd, rest := "serve", args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, rest = args[0], args[1:]
	}
	c, ok := p.lookupCommand(cmd)
	if !ok {
		return exitcode.Wrap(exitcode.Usage, fmt.Errorf("unknown command %q (commands: %s; %s help lists them)", cmd, strings.Join(p.commandNames(), ", "), p.name()))
	}
	if wantsHelp(rest) {
		commandUsage(stdout, p, c)
		return nil
	}
	switch cmd {
	case "serve":
		return runServe(ctx, p, rest, stdout)
	case "dev":
		return runDev(ctx, p, rest, stdout)
	case "check":
		return runCheck(p, rest, stdout)
	case "status", "reload", "scale", "stop", "reopen-logs", "upgrade":
		return runControl(ctx, p, cmd, rest, stdout)
	case "users", "createuser", "changepassword", "deactivateuser", "activateuser", "deleteuser":
		return runUserCommand(ctx, p, cmd, rest, os.Stdin, stdout)
	case "migrate":
		return runMigrate(ctx, p, rest, stdout)
	case "import-django-users":
		return runImportDjangoUsers(ctx, p, rest, stdout)
	case "help":
		if len(rest) > 0 {
			if c, ok := p.lookupCommand(rest[0]); ok {
				commandUsage(stdout, p, c)
				return nil
			}
			return exitcode.Wrap(exitcode.Usage, fmt.Errorf("unknown command %q (commands: %s)", rest[0], strings.Join(p.commandNames(), ", ")))
		}
		usage(stdout, p)
		return nil
	}
	return exitcode.Wrap(exitcode.Usage, fmt.Errorf("command %q has no implementation", cmd))
}

// internalEnv are the DROVER_* variables drover's own processes pass each
// other; they are not settings, and config.UnknownEnv does not warn about
// them.
func internalEnv() []string {
	return append([]string{proto.EnvRole, proto.EnvListeners, reload.EnvListeners, reload.EnvFailureFile}, server.UpgradeEnv()...)
}

// envWarnings are the lines a command of p warns with at its start: one
// per DROVER_* variable of its environment that is no setting (and per
// variable of p's prefix that looks like a typo of one).
func (p Program) envWarnings() []string {
	t, _ := p.table() // Run checked it
	return t.UnknownEnv(os.Environ(), internalEnv()...)
}

// resolve reads the configuration for a command; shown reports that help
// was printed instead.
func resolve(p Program, args []string, defaults *config.Config, extra func(*pflag.FlagSet), stdout io.Writer) (cfg config.Config, shown bool, err error) {
	cfg, err = config.Resolve(p.source(args, defaults, extra))
	if errors.Is(err, config.ErrHelp) {
		usage(stdout, p)
		return cfg, true, nil
	}
	if err != nil {
		return cfg, false, exitcode.Wrap(exitcode.Config, err)
	}
	return cfg, false, nil
}

// source is what p's commands resolve their configuration from.
func (p Program) source(args []string, defaults *config.Config, extra func(*pflag.FlagSet)) config.Source {
	t, _ := p.table() // Run checked it
	return config.Source{Args: args, Defaults: defaults, Extra: extra, Table: &t}
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
	for _, w := range append(p.envWarnings(), p.lingerWarnings(cfg)...) {
		fmt.Fprintf(stdout, "# warning: %s\n", w)
	}
	t, _ := p.table()
	fmt.Fprint(stdout, t.TOML(&cfg))
	return nil
}
