package cli

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/spf13/pflag"

	"github.com/drover/drover/auth"
	"github.com/drover/drover/internal/exitcode"
	_ "modernc.org/sqlite" // the "sqlite" driver, read-only on Django's file
)

// importFlags are import-django-users' own flags.
type importFlags struct {
	table string
}

func (f *importFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.table, "django-table", "auth_user", "the table of Django's user model (a custom AUTH_USER_MODEL has its own, such as accounts_user)")
}

// tableName is what --django-table accepts: a plain SQL identifier,
// since it is put into the query as it is.
var tableName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// djangoUser is one row of Django's user table.
type djangoUser struct {
	id        int64
	username  string
	password  string
	active    bool
	joined    time.Time
	lastLogin time.Time // zero: NULL
}

// runImportDjangoUsers copies the users of a Django deployment into the
// store: from Django's SQLite file or its PostgreSQL database (SOURCE, a
// path or a postgres:// URL), each with its ID, username, password hash,
// active state, date_joined and last_login. The passwords stay what they
// were: drover verifies Django's pbkdf2_sha256 and argon2 hashes and
// re-hashes each at its user's next login. Keeping the IDs keeps the
// user_id of tokens Django issued, so with Django's SIGNING_KEY as
// drover's key its live tokens keep working.
//
// The source is only read. Nothing is written when any user conflicts
// with the store's (the same username with another ID, or the ID taken
// by another username): the conflicts are listed and the command exits
// 1. A user already there with the same ID, username and hash counts as
// imported before, so the command can run again.
func runImportDjangoUsers(ctx context.Context, p Program, args []string, stdout io.Writer) error {
	var source string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		source, args = args[0], args[1:]
	} else if n := len(args); n > 0 && !strings.HasPrefix(args[n-1], "-") {
		source, args = args[n-1], args[:n-1]
	}
	if source == "" {
		return exitcode.Wrap(exitcode.Usage, fmt.Errorf("usage: %s import-django-users SOURCE [flags] (SOURCE: Django's SQLite file, or its postgres:// URL)", p.name()))
	}
	var f importFlags
	cfg, shown, err := resolve(p, args, nil, f.register, stdout)
	if err != nil || shown {
		return err
	}
	if !tableName.MatchString(f.table) {
		return exitcode.Wrap(exitcode.Usage, fmt.Errorf("--django-table %q is not a table name", f.table))
	}
	users, err := readDjangoUsers(ctx, source, f.table)
	if err != nil {
		return exitcode.Wrap(storeExit(err), err)
	}
	if err := cfg.LoadDatabasePassword(); err != nil {
		return exitcode.Wrap(exitcode.Config, err)
	}
	store, where, err := openStore(ctx, cfg, storeAdmin)
	if err != nil {
		return exitcode.Wrap(storeExit(err), err)
	}
	defer store.Close()
	return importUsers(ctx, store, where, users, newHasher(cfg), auth.RedactURL(source), stdout)
}

// importUsers checks every user against the store, then adds the new
// ones; see runImportDjangoUsers.
func importUsers(ctx context.Context, store auth.Store, where string, users []djangoUser, h *auth.Hasher, source string, stdout io.Writer) error {
	var fresh []djangoUser
	var conflicts []string
	already := 0
	for _, u := range users {
		switch same, err := existing(ctx, store, u); {
		case err != nil:
			conflicts = append(conflicts, err.Error())
		case same:
			already++
		default:
			fresh = append(fresh, u)
		}
	}
	if len(conflicts) > 0 {
		return exitcode.Wrap(exitcode.Config, fmt.Errorf("nothing imported: %d of the %d users of %s conflict with %s:\n  %s",
			len(conflicts), len(users), source, where, strings.Join(conflicts, "\n  ")))
	}
	for _, u := range fresh {
		err := store.ImportUser(ctx, auth.User{ID: u.id, Username: u.username, PasswordHash: u.password,
			Active: u.active, Joined: u.joined, LastLogin: u.lastLogin})
		if err != nil {
			return exitcode.Wrap(exitcode.Runtime, fmt.Errorf("after %d imported: %w", len(fresh), err))
		}
		if strings.HasPrefix(u.password, "!") {
			fmt.Fprintf(stdout, "warning: user %q cannot log in until a changepassword: Django gave them no usable password\n", u.username)
		} else if err := h.Readable(u.password); err != nil {
			fmt.Fprintf(stdout, "warning: user %q cannot log in until a changepassword: %v\n", u.username, err)
		}
	}
	fmt.Fprintf(stdout, "imported %d users from %s into %s", len(fresh), source, where)
	if already > 0 {
		fmt.Fprintf(stdout, " (%d were there already)", already)
	}
	fmt.Fprintln(stdout)
	return nil
}

// existing reports whether u is in the store already, as imported: same
// ID, username and hash. A user that holds u's name or u's ID otherwise
// is a conflict, returned as the error.
func existing(ctx context.Context, store auth.Store, u djangoUser) (same bool, err error) {
	byName, nameErr := store.UserByName(ctx, u.username)
	byID, idErr := store.UserByID(ctx, u.id)
	for _, err := range []error{nameErr, idErr} {
		if err != nil && !errors.Is(err, auth.ErrNotFound) {
			return false, err
		}
	}
	switch {
	case nameErr == nil && byName.ID == u.id && byName.PasswordHash == u.password:
		return true, nil
	case nameErr == nil && byName.ID == u.id:
		return false, fmt.Errorf("%q (id %d) is there already, with another password", u.username, u.id)
	case nameErr == nil:
		return false, fmt.Errorf("%q (id %d) is there as id %d", u.username, u.id, byName.ID)
	case idErr == nil:
		return false, fmt.Errorf("%q (id %d): id %d is %q", u.username, u.id, u.id, byID.Username)
	}
	return false, nil
}

// readDjangoUsers reads every user of Django's table from source.
func readDjangoUsers(ctx context.Context, source, table string) ([]djangoUser, error) {
	if strings.HasPrefix(source, "postgres://") || strings.HasPrefix(source, "postgresql://") {
		return readDjangoPostgres(ctx, source, table)
	}
	return readDjangoSQLite(ctx, source, table)
}

// djangoQuery selects the columns drover keeps, the times as text on
// SQLite (Django writes them so), typed on PostgreSQL.
func djangoQuery(table, timeCast string) string {
	return `SELECT id, username, password, is_active, ` + fmt.Sprintf(timeCast, "date_joined") + `, ` +
		fmt.Sprintf(timeCast, "last_login") + ` FROM ` + table + ` ORDER BY id`
}

func readDjangoSQLite(ctx context.Context, path, table string) ([]djangoUser, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("django database: %w", err)
	}
	// A file: URI, read-only: Django's file is never written.
	uri := "file:" + strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path) + "?mode=ro"
	db, err := sql.Open("sqlite", uri)
	if err != nil {
		return nil, fmt.Errorf("django database %s: %w", path, err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, djangoQuery(table, "CAST(%s AS TEXT)"))
	if err != nil {
		return nil, fmt.Errorf("django database %s: read %s: %w", path, table, err)
	}
	defer rows.Close()
	var users []djangoUser
	for rows.Next() {
		var u djangoUser
		var joined string
		var last sql.NullString
		if err := rows.Scan(&u.id, &u.username, &u.password, &u.active, &joined, &last); err != nil {
			return nil, fmt.Errorf("django database %s: %w", path, err)
		}
		if u.joined, err = parseDjangoTime(joined); err != nil {
			return nil, fmt.Errorf("django database %s: user %q: date_joined: %w", path, u.username, err)
		}
		if last.Valid {
			if u.lastLogin, err = parseDjangoTime(last.String); err != nil {
				return nil, fmt.Errorf("django database %s: user %q: last_login: %w", path, u.username, err)
			}
		}
		users = append(users, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("django database %s: %w", path, err)
	}
	return users, nil
}

// djangoTimeLayouts are how Django's SQLite backend writes a datetime:
// UTC without an offset under USE_TZ, microseconds when there are any;
// an offset only from other writers.
var djangoTimeLayouts = []string{
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02T15:04:05.999999999",
	time.RFC3339Nano,
}

func parseDjangoTime(s string) (time.Time, error) {
	for _, layout := range djangoTimeLayouts {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a datetime", s)
}

func readDjangoPostgres(ctx context.Context, url, table string) ([]djangoUser, error) {
	where := auth.RedactURL(url)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		// Down or unreachable: exit 75, try again; refused (a password,
		// no such database): exit 1.
		return nil, fmt.Errorf("django database %s: %w", where, auth.WrapUnavailable(err))
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, djangoQuery(table, "%s"))
	if err != nil {
		return nil, fmt.Errorf("django database %s: read %s: %w", where, table, auth.WrapUnavailable(err))
	}
	defer rows.Close()
	var users []djangoUser
	for rows.Next() {
		var u djangoUser
		var last *time.Time
		if err := rows.Scan(&u.id, &u.username, &u.password, &u.active, &u.joined, &last); err != nil {
			return nil, fmt.Errorf("django database %s: %w", where, err)
		}
		u.joined = u.joined.UTC()
		if last != nil {
			u.lastLogin = last.UTC()
		}
		users = append(users, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("django database %s: read %s: %w", where, table, err)
	}
	return users, nil
}
