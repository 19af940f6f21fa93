package cli

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/drover/drover/internal/exitcode"
)

// TestUserCommands runs the admin commands in order on one store, as an
// operator would; each row sees what the rows before it did.
func TestUserCommands(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "drover.db")
	t.Setenv("DROVER_STATE_DIR", dir)
	t.Setenv("DROVER_ARGON2_MEMORY", "64K")
	t.Setenv("DROVER_ARGON2_ITERATIONS", "1")
	tests := []struct {
		name      string
		giveCmd   string
		giveArgs  []string
		giveStdin string
		wantOut   string // a regexp; STORE stands for the store's path
		wantCode  int
		wantErr   string
	}{
		{name: "no store yet", giveCmd: "users", wantCode: exitcode.Config, wantErr: "no store at " + store},
		{name: "empty stdin", giveCmd: "createuser", giveArgs: []string{"frank"}, wantCode: exitcode.Config, wantErr: "no password given: stdin was empty"},
		{name: "blank line", giveCmd: "createuser", giveArgs: []string{"frank"}, giveStdin: "\n", wantCode: exitcode.Config, wantErr: "no password given"},
		{name: "common", giveCmd: "createuser", giveArgs: []string{"frank"}, giveStdin: "password1\n", wantCode: exitcode.Config, wantErr: "This password is too common."},
		{name: "short and numeric", giveCmd: "createuser", giveArgs: []string{"frank"}, giveStdin: "7394\n", wantCode: exitcode.Config,
			wantErr: "This password is too short. It must contain at least 8 characters. This password is entirely numeric."},
		{name: "like the name", giveCmd: "createuser", giveArgs: []string{"frank"}, giveStdin: "frank1980\n", wantCode: exitcode.Config, wantErr: "too similar to the username"},
		{name: "created", giveCmd: "createuser", giveArgs: []string{"frank"}, giveStdin: "amber-kettle-41\n", wantOut: `^created user "frank" \(id 1\) in STORE\n$`},
		{name: "taken", giveCmd: "createuser", giveArgs: []string{"frank"}, giveStdin: "amber-kettle-41\n", wantCode: exitcode.Config, wantErr: `user "frank" already exists in ` + store},
		{name: "no-validate", giveCmd: "createuser", giveArgs: []string{"grace", "--no-validate"}, giveStdin: "1234\n", wantOut: `^created user "grace" \(id 2\) in STORE\n$`},
		{name: "no-validate still wants one", giveCmd: "createuser", giveArgs: []string{"heidi", "--no-validate"}, wantCode: exitcode.Config, wantErr: "no password given"},
		{name: "name after the flags", giveCmd: "createuser", giveArgs: []string{"--no-validate", "heidi"}, giveStdin: "x\n", wantOut: `^created user "heidi" \(id 3\) in STORE\n$`},
		{name: "no name", giveCmd: "deactivateuser", giveArgs: []string{"--no-validate"}, wantCode: exitcode.Usage, wantErr: "usage: drover deactivateuser NAME [flags]"},
		{name: "change, validated", giveCmd: "changepassword", giveArgs: []string{"grace"}, giveStdin: "qwerty123\n", wantCode: exitcode.Config, wantErr: "too common"},
		{name: "change", giveCmd: "changepassword", giveArgs: []string{"grace"}, giveStdin: "sable-orchard-7\n", wantOut: `^password of "grace" changed in STORE; 0 logins' refresh tokens revoked\n$`},
		{name: "deactivate", giveCmd: "deactivateuser", giveArgs: []string{"grace"}, wantOut: `^user "grace" is inactive in STORE; 0 logins' refresh tokens revoked\n$`},
		{name: "list", giveCmd: "users", wantOut: `^3 users in STORE\nID +USERNAME +ACTIVE +JOINED +LAST LOGIN\n1 +frank +yes +\d{4}-\d\d-\d\dT\S+ +never\n2 +grace +no +\S+ +never\n3 +heidi +yes .*\n$`},
		{name: "delete heidi", giveCmd: "deleteuser", giveArgs: []string{"heidi"}, wantOut: `^deleted user "heidi"`},
		{name: "delete", giveCmd: "deleteuser", giveArgs: []string{"frank"}, wantOut: `^deleted user "frank" \(id 1\) from STORE, and every refresh token they held\n$`},
		{name: "delete unknown", giveCmd: "deleteuser", giveArgs: []string{"frank"}, wantCode: exitcode.Config, wantErr: `no user "frank" in ` + store},
		{name: "list after delete", giveCmd: "users", wantOut: `^1 user in STORE\n(.*\n){2}$`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			args := append([]string{tt.giveCmd}, tt.giveArgs...)
			err := runUserCommand(context.Background(), Program{}, tt.giveCmd, tt.giveArgs, strings.NewReader(tt.giveStdin), &out)
			code := 0
			var ee *exitcode.Error
			if errors.As(err, &ee) {
				code = ee.Code
			}
			if code != tt.wantCode || (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("drover %q = %v (code %d), want code %d and %q", args, err, code, tt.wantCode, tt.wantErr)
			}
			want := regexp.MustCompile(strings.ReplaceAll(tt.wantOut, "STORE", regexp.QuoteMeta(store)))
			if !want.MatchString(out.String()) {
				t.Errorf("drover %q printed %q, want it to match %q", args, out.String(), want)
			}
		})
	}
}
