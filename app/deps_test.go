package app

import (
	"os/exec"
	"strings"
	"testing"
)

// TestChainLinksNoStore checks that the chain, and a program built on it
// alone, link neither the API, auth, SQLite nor drover's internal
// configuration: embedding the chain must not cost a store.
func TestChainLinksNoStore(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go list needs the go command: %v", err)
	}
	forbidden := []string{
		"modernc.org/sqlite",
		"github.com/drover/drover/auth",
		"github.com/drover/drover/app/api",
		"github.com/drover/drover/internal/config",
	}
	tests := []struct {
		name    string
		givePkg string
	}{
		{name: "app", givePkg: "github.com/drover/drover/app"},
		{name: "chain-only example", givePkg: "github.com/drover/drover/app/example/chainonly"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := exec.Command(goTool, "list", "-deps", tt.givePkg).Output()
			if err != nil {
				t.Fatalf("go list -deps %s: %v", tt.givePkg, err)
			}
			deps := make(map[string]bool)
			for _, p := range strings.Fields(string(out)) {
				deps[p] = true
			}
			if !deps["github.com/drover/drover/app"] {
				t.Fatalf("go list -deps %s does not list app itself: %q", tt.givePkg, out)
			}
			for _, f := range forbidden {
				if deps[f] {
					t.Errorf("go list -deps %s includes %s, want the chain to link without it", tt.givePkg, f)
				}
			}
		})
	}
}
