package e2e

import (
	"os/exec"
	"strings"
	"testing"
)

func TestBadConfigurationFailsWithOneLine(t *testing.T) {
	tests := []struct {
		name     string
		giveArgs []string
		giveEnv  []string
		wantLine string
		wantCode int
	}{
		{name: "zero workers", giveArgs: []string{"serve", "--workers", "0"}, wantLine: "drover: invalid --workers: must be at least 1, got 0", wantCode: 1},
		{name: "not a number", giveArgs: []string{"serve", "-w", "many"}, wantLine: `drover: invalid argument "many" for "-w, --workers" flag: "many" is not a whole number`, wantCode: 1},
		{name: "env value", giveArgs: []string{"serve"}, giveEnv: []string{"DROVER_TIMEOUT=soon"}, wantLine: `drover: invalid DROVER_TIMEOUT: "soon" is not a duration (seconds, or like 500ms, 2m)`, wantCode: 1},
		{name: "bad bind", giveArgs: []string{"check", "--bind", "unix:"}, wantLine: "unix socket needs a path", wantCode: 1},
		{name: "unknown flag", giveArgs: []string{"serve", "--wrokers", "2"}, wantLine: "drover: unknown flag: --wrokers", wantCode: 1},
		{name: "unknown command", giveArgs: []string{"srve"}, wantLine: `drover: unknown command "srve"`, wantCode: 2},
		{name: "port in use", giveArgs: []string{"serve", "--bind", "127.0.0.1:1", "--bind", "127.0.0.1:1"}, wantLine: "drover: bind 127.0.0.1:1:", wantCode: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(droverBin, tt.giveArgs...)
			cmd.Env = append(cmd.Environ(), "DROVER_STATE_DIR="+t.TempDir(), "DROVER_SECRET_KEY="+testSecretKey)
			cmd.Env = append(cmd.Env, tt.giveEnv...)
			out, err := cmd.CombinedOutput()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			if code != tt.wantCode || len(lines) != 1 || !strings.Contains(lines[0], tt.wantLine) {
				t.Errorf("drover %v: exit %d, output %q; want exit %d and one line containing %q",
					tt.giveArgs, code, out, tt.wantCode, tt.wantLine)
			}
		})
	}
}

func TestCheckPrintsEffectiveConfiguration(t *testing.T) {
	cmd := exec.Command(droverBin, "check", "--workers", "3", "--bind", "unix:/tmp/x.sock")
	cmd.Env = append(cmd.Environ(), "DROVER_MAX_REQUESTS=500", "DROVER_WORKERS=9")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("drover check: %v", err)
	}
	for _, want := range []string{"workers = 3\n", `bind = ["unix:/tmp/x.sock"]`, "max_requests = 500\n"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("drover check output lacks %q:\n%s", want, out)
		}
	}
}

// runDrover runs the drover binary with a state dir and a key, and returns
// its combined output and exit code.
func runDrover(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(droverBin, args...)
	cmd.Env = append(cmd.Environ(), "DROVER_STATE_DIR="+t.TempDir(), "DROVER_SECRET_KEY="+testSecretKey)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	return string(out), code
}
