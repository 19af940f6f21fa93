package worker

import (
	"os/exec"
	"strings"
	"testing"
)

// TestWorkerLinksNoConfig checks that the worker, and so a program that
// embeds it with its own Options, links neither drover's internal
// configuration nor the supervisor: a worker is told how to serve in its
// own terms (Options), mapped from the settings by its caller.
func TestWorkerLinksNoConfig(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go list needs the go command: %v", err)
	}
	const pkg = "github.com/drover/drover/worker"
	forbidden := []string{
		"github.com/drover/drover/internal/config",
		"github.com/drover/drover/server",
	}
	out, err := exec.Command(goTool, "list", "-deps", pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	deps := make(map[string]bool)
	for _, p := range strings.Fields(string(out)) {
		deps[p] = true
	}
	if !deps[pkg] {
		t.Fatalf("go list -deps %s does not list the worker itself: %q", pkg, out)
	}
	for _, f := range forbidden {
		if deps[f] {
			t.Errorf("go list -deps %s includes %s, want the worker to link without it", pkg, f)
		}
	}
}
