package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/drover/drover/auth"
	"github.com/drover/drover/internal/config"
	"github.com/drover/drover/internal/exitcode"
	"github.com/drover/drover/internal/statedir"
)

// noValidateFlag registers --no-validate of createuser and changepassword.
func noValidateFlag(p *bool) func(*pflag.FlagSet) {
	return func(fs *pflag.FlagSet) {
		fs.BoolVar(p, "no-validate", false, "skip Django's password validators (length, similarity to the name, common, numeric), as createsuperuser's bypass does; an empty password is still refused")
	}
}

// passwordTries is how many times a terminal is asked for a password
// before the command gives up, as Django's changepassword does.
const passwordTries = 3

// userCommand is one admin command's run: the store it acts on, named in
// every line it prints, and where it talks.
type userCommand struct {
	store     auth.Store
	path      string // the store's file, absolute, or its database URL without the password
	hasher    *auth.Hasher
	validator *auth.PasswordValidator // nil: --no-validate
	stdin     io.Reader
	stdout    io.Writer
}

// runUserCommand runs users, or createuser, changepassword,
// deactivateuser, activateuser or deleteuser NAME [flags], on the store
// the server uses: the state directory of --state-dir, DROVER_STATE_DIR,
// the --config file or STATE_DIRECTORY, resolved as serve resolves it.
// Every line it prints names the store's file. Passwords come from a
// prompt (twice, not echoed; asked again when refused) or, when stdin is
// not a terminal, from its first line; never from a flag. They must pass
// Django's default validators unless --no-validate. changepassword,
// deactivateuser and deleteuser end every refresh token the user holds:
// none of them refreshes again, in any worker, and a reactivation does
// not bring them back.
func runUserCommand(ctx context.Context, p Program, cmd string, args []string, stdin io.Reader, stdout io.Writer) error {
	// NAME is the first argument, or the last after flags
	// (createuser --config /etc/drover/drover.toml alice).
	var name string
	if cmd != "users" && !slices.Contains(args, "-h") && !slices.Contains(args, "--help") {
		switch n := len(args); {
		case n > 0 && !strings.HasPrefix(args[0], "-"):
			name, args = args[0], args[1:]
		case n > 1 && !strings.HasPrefix(args[n-1], "-"):
			name, args = args[n-1], args[:n-1]
		default:
			return exitcode.Wrap(exitcode.Usage, fmt.Errorf("usage: %s %s NAME [flags]", p.name(), cmd))
		}
	}
	var noValidate bool
	var extra func(*pflag.FlagSet)
	if cmd == "createuser" || cmd == "changepassword" {
		extra = noValidateFlag(&noValidate)
	}
	cfg, shown, err := resolve(p, args, nil, extra, stdout)
	if err != nil || shown {
		return err
	}
	if err := checkStoreExists(cfg, cmd == "createuser"); err != nil {
		return err
	}
	if err := cfg.LoadDatabasePassword(); err != nil {
		return exitcode.Wrap(exitcode.Config, err)
	}
	store, path, err := openStore(ctx, cfg, storeAdmin)
	if err != nil {
		return exitcode.Wrap(storeExit(err), err)
	}
	defer store.Close()
	c := &userCommand{store: store, path: path, hasher: newHasher(cfg), stdin: stdin, stdout: stdout}
	if !noValidate {
		if c.validator, err = auth.NewPasswordValidator(); err != nil {
			return err
		}
	}

	switch cmd {
	case "users":
		return c.list(ctx)
	case "createuser":
		return c.create(ctx, name)
	}
	u, err := store.UserByName(ctx, name)
	if errors.Is(err, auth.ErrNotFound) {
		return exitcode.Wrap(exitcode.Config, fmt.Errorf("no user %q in %s", name, path))
	}
	if err != nil {
		return err
	}
	switch cmd {
	case "changepassword":
		return c.changePassword(ctx, u)
	case "deactivateuser":
		if err := store.SetActive(ctx, u.ID, false); err != nil {
			return err
		}
		revoked, err := revokeSessions(ctx, store, u)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "user %q is inactive in %s; %s\n", name, path, revoked)
	case "activateuser":
		if err := store.SetActive(ctx, u.ID, true); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "user %q is active in %s\n", name, path)
	case "deleteuser":
		if err := store.DeleteUser(ctx, u.ID); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "deleted user %q (id %d) from %s, and every refresh token they held\n", name, u.ID, path)
	}
	return nil
}

func (c *userCommand) create(ctx context.Context, name string) error {
	if _, err := c.store.UserByName(ctx, name); err == nil {
		// Before the password is asked for, not after.
		return exitcode.Wrap(exitcode.Config, fmt.Errorf("user %q already exists in %s", name, c.path))
	}
	hash, err := c.askPasswordHash(ctx, name)
	if err != nil {
		return err
	}
	u, err := c.store.CreateUser(ctx, name, hash)
	if errors.Is(err, auth.ErrUserExists) {
		return exitcode.Wrap(exitcode.Config, fmt.Errorf("user %q already exists in %s", name, c.path))
	}
	if err != nil {
		return exitcode.Wrap(exitcode.Config, err)
	}
	fmt.Fprintf(c.stdout, "created user %q (id %d) in %s\n", u.Username, u.ID, c.path)
	return nil
}

func (c *userCommand) changePassword(ctx context.Context, u auth.User) error {
	hash, err := c.askPasswordHash(ctx, u.Username)
	if err != nil {
		return err
	}
	if err := c.store.SetPassword(ctx, u.ID, hash); err != nil {
		return err
	}
	revoked, err := revokeSessions(ctx, c.store, u)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "password of %q changed in %s; %s\n", u.Username, c.path, revoked)
	return nil
}

// list prints every user, one a line, after a line naming the store.
func (c *userCommand) list(ctx context.Context) error {
	users, err := c.store.Users(ctx)
	if err != nil {
		return err
	}
	noun := "users"
	if len(users) == 1 {
		noun = "user"
	}
	fmt.Fprintf(c.stdout, "%d %s in %s\n", len(users), noun, c.path)
	if len(users) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tUSERNAME\tACTIVE\tJOINED\tLAST LOGIN")
	for _, u := range users {
		active, last := "yes", "never"
		if !u.Active {
			active = "no"
		}
		if !u.LastLogin.IsZero() {
			last = u.LastLogin.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", u.ID, u.Username, active, u.Joined.Format(time.RFC3339), last)
	}
	return tw.Flush()
}

// revokeSessions revokes every refresh-token family of u and says how
// many. It runs after the password change or the deactivation, not
// before: from then on no login can start a family the revocation would
// miss (the old password no longer works, an inactive user cannot log
// in), and a rotation in between stays in a family that is revoked.
func revokeSessions(ctx context.Context, store auth.Store, u auth.User) (string, error) {
	n, err := store.RevokeUserRefresh(ctx, u.ID, time.Now())
	if err != nil {
		return "", err
	}
	if n == 1 {
		return "1 login's refresh tokens revoked", nil
	}
	return fmt.Sprintf("%d logins' refresh tokens revoked", n), nil
}

// checkStoreExists refuses a command on a SQLite store that is not there
// unless it may create one: only createuser makes a store, and a command
// on a missing one is most likely run without the service's state
// directory. A PostgreSQL database is the operator's to create.
func checkStoreExists(cfg config.Config, mayCreate bool) error {
	if cfg.Database.URL != "" || mayCreate {
		return nil
	}
	path, err := filepath.Abs(statedir.Dir(cfg.Auth.StateDir).Store())
	if err != nil {
		return exitcode.Wrap(exitcode.Config, err)
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return exitcode.Wrap(exitcode.Config, fmt.Errorf("no store at %s: give the service's --state-dir (or STATE_DIRECTORY, or --config), or its --database-url", path))
	}
	return nil
}

// storeExit is the exit code of a store that would not open: unavailable
// (PostgreSQL down or unreachable: try again) or refused (a setting).
func storeExit(err error) int {
	if errors.Is(err, auth.ErrStoreUnavailable) {
		return exitcode.Unavailable
	}
	return exitcode.Config
}

// errNoPassword is an empty password, or none at all on stdin.
var errNoPassword = errors.New("no password given")

// askPasswordHash reads a new password for the user name, checks it and
// hashes it. A terminal is asked again, up to passwordTries times, after
// a refusal; a pipe's first line is taken or refused.
func (c *userCommand) askPasswordHash(ctx context.Context, name string) (string, error) {
	f, ok := c.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		password, err := readPipePassword(c.stdin)
		if err == nil {
			err = c.check(password, name)
		}
		if err != nil {
			return "", exitcode.Wrap(exitcode.Config, err)
		}
		return c.hasher.Hash(ctx, password)
	}
	for range passwordTries {
		password, err := c.promptPassword(f)
		if err == nil {
			err = c.check(password, name)
		}
		var pe *auth.PasswordError
		switch {
		case err == nil:
			return c.hasher.Hash(ctx, password)
		case errors.As(err, &pe):
			for _, p := range pe.Problems {
				fmt.Fprintln(c.stdout, p)
			}
			fmt.Fprintln(c.stdout, "(--no-validate skips these checks)")
		case errors.Is(err, errNoPassword), errors.Is(err, errPasswordsDiffer):
			fmt.Fprintln(c.stdout, err)
		default:
			return "", exitcode.Wrap(exitcode.Config, err)
		}
	}
	return "", exitcode.Wrap(exitcode.Config, fmt.Errorf("no acceptable password after %d tries", passwordTries))
}

// check refuses an empty password always, and what Django's validators
// refuse unless --no-validate.
func (c *userCommand) check(password, name string) error {
	if password == "" {
		return errNoPassword
	}
	if c.validator == nil {
		return nil
	}
	return c.validator.Validate(password, name)
}

var errPasswordsDiffer = errors.New("the two passwords differ")

// promptPassword asks the terminal twice, without echo.
func (c *userCommand) promptPassword(f *os.File) (string, error) {
	read := func(label string) (string, error) {
		fmt.Fprint(c.stdout, label)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(c.stdout)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		return string(b), nil
	}
	p, err := read("Password: ")
	if err != nil {
		return "", err
	}
	if p == "" {
		return "", errNoPassword
	}
	again, err := read("Password (again): ")
	if err != nil {
		return "", err
	}
	if again != p {
		return "", errPasswordsDiffer
	}
	return p, nil
}

// readPipePassword reads the first line of stdin that is not a terminal.
func readPipePassword(stdin io.Reader) (string, error) {
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
	if password == "" {
		if line == "" {
			return "", fmt.Errorf("%w: stdin was empty (pipe the password as its first line, or run at a terminal)", errNoPassword)
		}
		return "", fmt.Errorf("%w: stdin's first line is empty", errNoPassword)
	}
	return password, nil
}
