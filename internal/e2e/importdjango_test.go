package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drover/drover/internal/pgtest"
)

// djangoUsersScript makes a Django deployment's users table with Django
// itself: migrate, then create_user with the hasher of each user's
// algorithm (PBKDF2 at a test's cost, argon2), an inactive one and one
// with an unusable password. It prints the users as Django keeps them,
// JSON: name → [id, password hash, is_active].
const djangoUsersScript = `
import json, os, sys
import django
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher

class FastPBKDF2(PBKDF2PasswordHasher):
    iterations = 1000

db = json.loads(os.environ["DJ_DB"])
settings.configure(
    INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes"],
    DATABASES={"default": db},
    USE_TZ=True,
    DEFAULT_AUTO_FIELD="django.db.models.AutoField",
    PASSWORD_HASHERS=["__main__.FastPBKDF2", "django.contrib.auth.hashers.Argon2PasswordHasher"],
)
django.setup()
from django.core.management import call_command
from django.contrib.auth.models import User
from django.contrib.auth.hashers import make_password
from django.utils import timezone
call_command("migrate", verbosity=0, interactive=False)
# A gap in the IDs, as deletions leave: drover keeps each ID.
User.objects.create_user("placeholder", password="x").delete()
u = User.objects.create_user("ada", password="ada-pbkdf2-password")
u.last_login = timezone.now(); u.save()
g = User.objects.create_user("grace")
g.password = make_password("grace-argon2-password", hasher="argon2"); g.save()
User.objects.create_user("linus", password="linus-password", is_active=False)
User.objects.create_user("nopass")  # an unusable password
print(json.dumps({u.username: [u.id, u.password, u.is_active] for u in User.objects.all()}))
`

// makeDjangoUsers runs djangoUsersScript on the Django database db (a
// DATABASES entry) and returns what it printed.
func makeDjangoUsers(t *testing.T, db map[string]string) map[string][]any {
	t.Helper()
	dbJSON, _ := json.Marshal(db)
	cmd := exec.Command(seedPython, "-c", djangoUsersScript)
	cmd.Env = append(os.Environ(), "DJ_DB="+string(dbJSON), "PYTHONDONTWRITEBYTECODE=1")
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("make Django's users (%s; make deps installs python3-django, python3-argon2 and python3-psycopg2): %v\n%s", seedPython, err, stderr)
	}
	var users map[string][]any
	if err := json.Unmarshal(out, &users); err != nil {
		t.Fatalf("Django's users: %v\n%s", err, out)
	}
	return users
}

// TestImportDjangoUsers moves a Django deployment's users into drover,
// from Django's SQLite file and from its PostgreSQL database, into
// drover's SQLite store and its PostgreSQL one: each user keeps ID, name,
// active state and password (the Django password logs in), a second run
// imports nothing and says so, and a conflict refuses the whole import.
func TestImportDjangoUsers(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Django and PostgreSQL")
	}
	cluster := pgtest.Shared(t)
	sqliteSource := filepath.Join(t.TempDir(), "db.sqlite3")
	sources := []struct {
		name   string
		source string
		users  map[string][]any
	}{
		{name: "from Django's SQLite file", source: sqliteSource,
			users: makeDjangoUsers(t, map[string]string{"ENGINE": "django.db.backends.sqlite3", "NAME": sqliteSource})},
	}
	pgSource := cluster.CreateDatabase(t, "django_app")
	sources = append(sources, struct {
		name   string
		source string
		users  map[string][]any
	}{name: "from Django's PostgreSQL database", source: pgSource,
		users: makeDjangoUsers(t, map[string]string{"ENGINE": "django.db.backends.postgresql",
			"NAME": "django_app", "HOST": cluster.SocketDir(), "USER": pgtest.Superuser})})

	for i, src := range sources {
		for _, into := range []string{"sqlite", "postgres"} {
			t.Run(src.name+" into "+into, func(t *testing.T) {
				env := []string{"DROVER_STATE_DIR=" + t.TempDir()}
				if into == "postgres" {
					env = append(env, "DATABASE_URL="+cluster.CreateDatabase(t, fmt.Sprintf("drover_import_%d", i)))
				}
				out := droverWith(t, env, "", "import-django-users", src.source)
				if !strings.Contains(out, fmt.Sprintf("imported %d users", len(src.users))) {
					t.Fatalf("import said: %s", out)
				}
				if strings.Contains(out, "password=") || (strings.Contains(src.source, "@") && strings.Contains(out, src.source)) {
					t.Errorf("import printed a secret: %s", out)
				}
				if !strings.Contains(out, `user "nopass" cannot log in`) {
					t.Errorf("import did not warn of the unusable password: %s", out)
				}
				listed := droverWith(t, env, "", "users")
				for name, u := range src.users {
					line := regexp.MustCompile(fmt.Sprintf(`(?m)^%v +%s +%s `, u[0], name, map[bool]string{true: "yes", false: "no"}[u[2].(bool)]))
					if !line.MatchString(listed) {
						t.Errorf("users lacks %s (ID %v, active %v, as Django has it):\n%s", name, u[0], u[2], listed)
					}
				}

				again := droverWith(t, env, "", "import-django-users", src.source)
				if !strings.Contains(again, "imported 0 users") || !strings.Contains(again, fmt.Sprintf("(%d were there already)", len(src.users))) {
					t.Errorf("second import said: %s", again)
				}

				s := serve(t, droverBin, 1, env)
				// Before the stop (cleanups run last first): no idle
				// connection for the drain to linger on.
				t.Cleanup(http.DefaultTransport.(*http.Transport).CloseIdleConnections)
				api := &apiServer{server: s}
				for name, password := range map[string]string{"ada": "ada-pbkdf2-password", "grace": "grace-argon2-password"} {
					access, _ := api.login(t, name, password)
					if status, raw := getAuthed(&http.Client{Timeout: 10 * time.Second}, s.url+"/hello/", access); status != 200 {
						t.Errorf("/hello/ as %s = %d %s", name, status, raw)
					}
				}
				// Each Django hash moved to drover's argon2id at its login,
				// on either store.
				upgraded := s.waitLog(5*time.Second, 0, 2, msgIs("password hash upgraded"))
				got := []int{upgraded[0].int("user_id"), upgraded[1].int("user_id")}
				want := []int{int(src.users["ada"][0].(float64)), int(src.users["grace"][0].(float64))}
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("the hashes of users %v were upgraded, want ada's and grace's, %v", got, want)
				}
				for _, name := range []string{"linus", "nopass"} {
					r := api.call(t, "POST", "/api/token/", "", map[string]string{"username": name, "password": name + "-password"}, "")
					if r.status != 401 {
						t.Errorf("login as %s (inactive or no usable password) = %d %s, want 401", name, r.status, r.raw)
					}
				}
			})
		}
	}

	t.Run("a source that is down exits 75, one that refuses exits 1", func(t *testing.T) {
		for _, tt := range []struct {
			source   string
			wantCode int
		}{
			{source: "postgres:///django_app?host=" + t.TempDir() + "&user=drover&sslmode=disable", wantCode: 75},
			{source: strings.Replace(pgSource, "/django_app?", "/no_such_database?", 1), wantCode: 1},
			{source: filepath.Join(t.TempDir(), "missing.sqlite3"), wantCode: 1},
		} {
			out, code := droverExit(t, nil, "import-django-users", tt.source)
			if code != tt.wantCode || strings.Contains(out, "goroutine ") {
				t.Errorf("import-django-users %s: exit %d, want %d\n%s", tt.source, code, tt.wantCode, out)
			}
		}
	})

	t.Run("a conflict refuses the whole import", func(t *testing.T) {
		env := []string{"DROVER_STATE_DIR=" + t.TempDir()}
		droverWith(t, env, "ada-other\n", "createuser", "ada", "--no-validate")
		cmd := exec.Command(droverBin, "import-django-users", sqliteSource)
		cmd.Env = append(os.Environ(), "DROVER_SECRET_KEY="+testSecretKey, env[0])
		out, err := cmd.CombinedOutput()
		if code := cmd.ProcessState.ExitCode(); err == nil || code != 1 {
			t.Fatalf("import with a conflict: exit %d, want 1\n%s", code, out)
		}
		if !strings.Contains(string(out), "nothing imported") || !strings.Contains(string(out), `"ada"`) {
			t.Errorf("import with a conflict said: %s", out)
		}
		if listed := droverWith(t, env, "", "users"); !strings.Contains(listed, "1 user in") {
			t.Errorf("a refused import wrote users:\n%s", listed)
		}
	})
}
