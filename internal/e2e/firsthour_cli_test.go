package e2e

import (
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCLIErrorsSayWhatToTypeInstead: the refusals a newcomer meets on the
// command line are one line that says what to type instead.
func TestCLIErrorsSayWhatToTypeInstead(t *testing.T) {
	tests := []struct {
		name     string
		giveArgs []string
		wantLine string
	}{
		{name: "typo", giveArgs: []string{"serve", "--wrokers", "2"},
			wantLine: "drover: unknown flag: --wrokers (did you mean --workers?)"},
		{name: "typo under check", giveArgs: []string{"check", "--graceful-timout", "5"},
			wantLine: "drover: unknown flag: --graceful-timout (did you mean --graceful-timeout?)"},
		{name: "gunicorn --reload", giveArgs: []string{"serve", "--reload"},
			wantLine: "drover: unknown flag: --reload: drover serve does not rebuild on source changes; drover dev --reload does"},
		{name: "gunicorn --check-config", giveArgs: []string{"--check-config"},
			wantLine: "drover: unknown flag: --check-config: run drover check"},
		{name: "gunicorn --threads", giveArgs: []string{"serve", "--threads", "4"},
			wantLine: "drover: unknown flag: --threads: a Go worker already serves each connection in its own goroutine"},
		{name: "gunicorn --preload", giveArgs: []string{"serve", "--preload"},
			wantLine: "drover: unknown flag: --preload: there is no application to import before forking"},
		{name: "gunicorn --access-logformat", giveArgs: []string{"serve", "--access-logformat", "%(h)s"},
			wantLine: "drover: unknown flag: --access-logformat: the access log's format is --access-log-format"},
		{name: "value forgotten", giveArgs: []string{"serve", "--bind", "--print-config"},
			wantLine: "drover: --bind needs a value, got the flag --print-config (a value starting with dashes is written --bind=--print-config)"},
		{name: "bad boolean", giveArgs: []string{"check", "--rotate-refresh-tokens=maybe"},
			wantLine: `"maybe" is not a boolean (true/false, yes/no, on/off, 1/0)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, code := runDrover(t, tt.giveArgs...)
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if code != 1 || len(lines) != 1 || !strings.Contains(lines[0], tt.wantLine) {
				t.Errorf("drover %q: exit %d, output %q; want exit 1 and one line containing %q", tt.giveArgs, code, out, tt.wantLine)
			}
		})
	}
}

// TestBooleanTakesTheNextWord: --rotate-refresh-tokens no works, as
// Gunicorn users write it.
func TestBooleanTakesTheNextWord(t *testing.T) {
	out, code := runDrover(t, "serve", "--rotate-refresh-tokens", "no", "--proxy-protocol", "yes", "--print-config")
	if code != 0 || !strings.Contains(out, "rotate_refresh_tokens = false\n") || !strings.Contains(out, "proxy_protocol = true\n") {
		t.Errorf("drover serve --rotate-refresh-tokens no --proxy-protocol yes --print-config: exit %d, output\n%s", code, out)
	}
}

// TestServeWarnsOfUnknownDroverVariables: a typo'd DROVER_ variable is one
// warning line at the start, with the setting it was meant to be; the
// variables drover passes its own workers are not warned about.
func TestServeWarnsOfUnknownDroverVariables(t *testing.T) {
	s := serve(t, droverBin, 2, []string{"DROVER_WOKERS=4", "DROVER_TEST_WHATEVER=1"})
	warned := func(l logLine) bool { return strings.Contains(l.msg(), "is not a drover setting") }
	got := s.waitLog(5*time.Second, 0, 1, warned)[0]
	if want := "DROVER_WOKERS is not a drover setting and is ignored (did you mean DROVER_WORKERS?)"; got.msg() != want || got.fields["level"] != "warn" {
		t.Errorf("warning = %q at level %v, want %q at warn", got.msg(), got.fields["level"], want)
	}
	// A HUP starts new workers (DROVER_ROLE, DROVER_LISTENERS set): still
	// one warning.
	mark := s.mark()
	s.signal(syscall.SIGHUP)
	s.waitLog(10*time.Second, mark, 2, supervisorReady)
	s.stop()
	s.mu.Lock()
	logs := append([]logLine(nil), s.logs...)
	s.mu.Unlock()
	var all []string
	for _, l := range logs {
		if warned(l) {
			all = append(all, l.msg())
		}
	}
	if len(all) != 1 {
		t.Errorf("warnings about DROVER_ variables: %q, want one (DROVER_WOKERS)", all)
	}
}

// TestCheckWarnsOfUnknownDroverVariables: check prints the warning as a
// comment of the TOML it prints, which stays readable.
func TestCheckWarnsOfUnknownDroverVariables(t *testing.T) {
	cmd := exec.Command(droverBin, "check")
	cmd.Env = append(cmd.Environ(), "DROVER_STATE_DIR="+t.TempDir(), "DROVER_SECRET_KEY="+testSecretKey, "DROVER_MAX_REQUEST=5")
	out, err := cmd.Output()
	if want := "# warning: DROVER_MAX_REQUEST is not a drover setting and is ignored (did you mean DROVER_MAX_REQUESTS?)\n"; err != nil || !strings.Contains(string(out), want) {
		t.Errorf("drover check: %v, output\n%s\nwant it to contain %q", err, out, want)
	}
}

func TestVersionCommand(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}, {"serve", "--version"}} {
		out, code := runDrover(t, args...)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if code != 0 || len(lines) != 3 || !strings.HasPrefix(lines[0], "drover ") || !strings.HasSuffix(lines[0], ", module github.com/drover/drover") ||
			!strings.HasPrefix(lines[1], "revision ") || !strings.HasPrefix(lines[2], "go1.") {
			t.Errorf("drover %q: exit %d, output %q; want the version, revision and Go version lines", args, code, out)
		}
	}
}

// TestHelpListsWhatItSays: drover help lists every command's flags,
// booleans as [=true|false], each default once and sizes with units;
// a user command's --help lists its flags.
func TestHelpListsWhatItSays(t *testing.T) {
	help, code := runDrover(t, "help")
	if code != 0 {
		t.Fatalf("drover help: exit %d\n%s", code, help)
	}
	for _, want := range []string{
		"--print-config[=true|false]", "--reload[=true|false]", "--reload-extra-files string", "--rotate-refresh-tokens[=true|false]",
		"(default 19M)", "(default 1M)", "(default 24h)", "createuser NAME", "version", "-h, --help",
	} {
		if !strings.Contains(help, want) {
			t.Errorf("drover help lacks %q:\n%s", want, help)
		}
	}
	for _, line := range strings.Split(help, "\n") {
		if strings.Count(line, "default") > 1 {
			t.Errorf("drover help says default twice: %q", line)
		}
	}
	if strings.Contains(help, "19922944") {
		t.Errorf("drover help shows a size in bytes (19922944), want 19M")
	}

	for _, args := range [][]string{{"createuser", "--help"}, {"createuser", "alice", "--help"}, {"help", "createuser"}} {
		out, code := runDrover(t, args...)
		if code != 0 || !strings.HasPrefix(out, "Usage: drover createuser NAME [flags]") || !strings.Contains(out, "--state-dir string") {
			t.Errorf("drover %q: exit %d, output\n%s\nwant createuser's usage and its flags", args, code, out)
		}
	}
}
