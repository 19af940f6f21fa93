package main

import (
	"context"
	"fmt"
	"os"

	"github.com/drover/drover/auth"
	"github.com/drover/drover/cli"
)

func main() { os.Exit(cli.Main(program())) }

// pageSizeSetting is the program's own setting: --notes-page-size,
// NOTES_NOTES_PAGE_SIZE or DROVER_NOTES_PAGE_SIZE, notes_page_size in a
// config file.
const pageSizeSetting = "notes-page-size"

// usernameClaim is the claim notes adds to every token drover issues.
const usernameClaim = "username"

// program is notes as drover runs it.
func program() cli.Program {
	return cli.Program{
		Name: "notes",
		// Drover's token endpoints at /api/token/, its users store and
		// commands; Claims is simplejwt's get_token override.
		Auth: &cli.Auth{Claims: claims},
		Settings: []cli.Setting{{
			Name:    pageSizeSetting,
			Default: 50,
			Usage:   "the most notes GET /notes/ returns, newest first",
			Check:   checkPageSize,
		}},
		Routes: routes,
	}
}

// claims adds the user's name to the access and refresh tokens issued at
// login and at every refresh, so that a handler (or another service that
// trusts the key) reads it from the token, without a query.
func claims(_ context.Context, u auth.User) (map[string]any, error) {
	return map[string]any{usernameClaim: u.Username}, nil
}

// maxPageSize bounds --notes-page-size: one response holds at most that
// many notes.
const maxPageSize = 1000

// checkPageSize refuses the page sizes notes cannot use. drover's error
// names where the value came from (the flag, the variable or the key).
func checkPageSize(v any) error {
	if n := v.(int); n < 1 || n > maxPageSize {
		return fmt.Errorf("must be from 1 to %d, got %d", maxPageSize, n)
	}
	return nil
}
