package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/drover/drover/auth"
	"github.com/drover/drover/internal/exitcode"
)

// minPasswordLength is Django's MinimumLengthValidator default.
const minPasswordLength = 8

// runUserCommand runs createuser, changepassword, deactivateuser or
// activateuser NAME [flags] on the store the server uses. Passwords come
// from a prompt (twice, not echoed) or, when stdin is not a terminal, from
// its first line; never from a flag. changepassword and deactivateuser
// revoke every refresh token the user holds: none of them refreshes
// again, in any worker, and a reactivation does not bring them back.
func runUserCommand(ctx context.Context, cmd string, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return exitcode.Wrap(exitcode.Usage, fmt.Errorf("usage: drover %s NAME [flags]", cmd))
	}
	name, rest := args[0], args[1:]
	cfg, shown, err := resolve(Program{}, rest, nil, nil, stdout)
	if err != nil || shown {
		return err
	}
	store, err := openStore(ctx, cfg)
	if err != nil {
		return exitcode.Wrap(exitcode.Config, err)
	}
	defer store.Close()
	hasher := newHasher(cfg)

	switch cmd {
	case "createuser":
		hash, err := askPasswordHash(ctx, hasher, stdin, stdout)
		if err != nil {
			return err
		}
		u, err := store.CreateUser(ctx, name, hash)
		if errors.Is(err, auth.ErrUserExists) {
			return exitcode.Wrap(exitcode.Config, fmt.Errorf("user %q already exists", name))
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created user %q (id %d)\n", u.Username, u.ID)
		return nil
	}

	u, err := store.UserByName(ctx, name)
	if errors.Is(err, auth.ErrNotFound) {
		return exitcode.Wrap(exitcode.Config, fmt.Errorf("no user %q", name))
	}
	if err != nil {
		return err
	}
	switch cmd {
	case "changepassword":
		hash, err := askPasswordHash(ctx, hasher, stdin, stdout)
		if err != nil {
			return err
		}
		if err := store.SetPassword(ctx, u.ID, hash); err != nil {
			return err
		}
		revoked, err := revokeSessions(ctx, store, u)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "password of %q changed; %s\n", name, revoked)
	case "deactivateuser":
		if err := store.SetActive(ctx, u.ID, false); err != nil {
			return err
		}
		revoked, err := revokeSessions(ctx, store, u)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "user %q is inactive; %s\n", name, revoked)
	case "activateuser":
		if err := store.SetActive(ctx, u.ID, true); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "user %q is active\n", name)
	}
	return nil
}

// revokeSessions revokes every refresh-token family of u and says how
// many. It runs after the password change or the deactivation, not
// before: from then on no login can start a family the revocation would
// miss (the old password no longer works, an inactive user cannot log
// in), and a rotation in between stays in a family that is revoked.
func revokeSessions(ctx context.Context, store *auth.SQLiteStore, u auth.User) (string, error) {
	n, err := store.RevokeUserRefresh(ctx, u.ID, time.Now())
	if err != nil {
		return "", err
	}
	if n == 1 {
		return "1 login's refresh tokens revoked", nil
	}
	return fmt.Sprintf("%d logins' refresh tokens revoked", n), nil
}

// askPasswordHash reads a new password and hashes it.
func askPasswordHash(ctx context.Context, hasher *auth.Hasher, stdin io.Reader, prompt io.Writer) (string, error) {
	password, err := readPassword(stdin, prompt, true)
	if err != nil {
		return "", exitcode.Wrap(exitcode.Config, err)
	}
	return hasher.Hash(ctx, password)
}

// readPassword prompts on a terminal (twice, without echo) or reads the
// first line of a pipe.
func readPassword(stdin io.Reader, prompt io.Writer, confirm bool) (string, error) {
	var password string
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		read := func(label string) (string, error) {
			fmt.Fprint(prompt, label)
			b, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(prompt)
			return string(b), err
		}
		p, err := read("Password: ")
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if confirm {
			again, err := read("Password (again): ")
			if err != nil {
				return "", fmt.Errorf("read password: %w", err)
			}
			if again != p {
				return "", errors.New("the two passwords differ")
			}
		}
		password = p
	} else {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read password from stdin: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
	}
	if len([]rune(password)) < minPasswordLength {
		return "", fmt.Errorf("the password is too short: at least %d characters", minPasswordLength)
	}
	return password, nil
}
