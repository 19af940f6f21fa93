package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// walkthroughStep is one command of README's walk-through and, when the
// README shows one, what it prints.
type walkthroughStep struct {
	command string
	want    string // "" when the README shows no output
}

// readmeWalkthrough returns the commands of README's first sh block after
// "the simplejwt walk-through". A command is a line with the lines its
// trailing backslashes continue; the comment line right under it that
// starts like an answer ({ or "created") is what it prints, up to a note
// set off by three spaces and "(". Other comment lines are prose.
func readmeWalkthrough(t *testing.T) []walkthroughStep {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(data), "the simplejwt walk-through")
	if !ok {
		t.Fatal("README has no simplejwt walk-through")
	}
	_, rest, ok = strings.Cut(rest, "```sh\n")
	block, _, ok2 := strings.Cut(rest, "```\n")
	if !ok || !ok2 {
		t.Fatal("README's walk-through has no sh block")
	}
	var steps []walkthroughStep
	var cont []string
	for _, line := range strings.Split(strings.TrimSuffix(block, "\n"), "\n") {
		if len(cont) > 0 {
			cont = append(cont, line)
			if !strings.HasSuffix(line, `\`) {
				steps = append(steps, walkthroughStep{command: strings.Join(cont, "\n")})
				cont = nil
			}
			continue
		}
		if c, ok := strings.CutPrefix(line, "# "); ok {
			if n := len(steps); n > 0 && steps[n-1].want == "" && (strings.HasPrefix(c, "{") || strings.HasPrefix(c, "created")) {
				c, _, _ = strings.Cut(c, "   (")
				steps[n-1].want = strings.TrimSpace(c)
			}
			continue
		}
		if strings.HasSuffix(line, `\`) {
			cont = []string{line}
			continue
		}
		steps = append(steps, walkthroughStep{command: line})
	}
	return steps
}

// wantPattern turns a README answer into a regexp: "eyJ…" is a JWT, any
// other "…" is anything.
func wantPattern(want string) *regexp.Regexp {
	q := regexp.QuoteMeta(want)
	q = strings.ReplaceAll(q, "eyJ…", `eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`)
	q = strings.ReplaceAll(q, "…", `.*`)
	return regexp.MustCompile("^" + q + "$")
}

// runWalkthrough runs README's walk-through in one bash, against a drover
// serving from cwd/var as make run does, typing password at the read, and
// returns each step's output and the variables the README sets.
func runWalkthrough(t *testing.T, steps []walkthroughStep, url, cwd, password string) (outputs []string, vars map[string]string) {
	t.Helper()
	jq, err := exec.LookPath("jq")
	if err != nil {
		t.Fatal("jq not installed: the README's walk-through reads the answers with it (make deps installs it)")
	}
	var script strings.Builder
	for i, s := range steps {
		cmd := strings.NewReplacer("go run ./cmd/drover", droverBin, "http://127.0.0.1:8000", url).Replace(s.command)
		fmt.Fprintf(&script, "%s\nprintf '\\n@@step %d@@\\n'\n", cmd, i)
	}
	script.WriteString(`printf 'ACCESS=%s\nREFRESH=%s\nNEW_REFRESH=%s\n' "$ACCESS" "$REFRESH" "$NEW_REFRESH"` + "\n")
	cmd := exec.Command("bash", "-c", script.String())
	cmd.Dir = cwd
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(jq)+":"+os.Getenv("PATH"))
	cmd.Stdin = strings.NewReader(password + "\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("README's walk-through: %v\n%s", err, out)
	}
	rest := string(out)
	for i := range steps {
		before, after, ok := strings.Cut(rest, fmt.Sprintf("\n@@step %d@@\n", i))
		if !ok {
			t.Fatalf("README's walk-through stopped before step %d (%q):\n%s", i, steps[i].command, out)
		}
		outputs, rest = append(outputs, strings.TrimSpace(before)), after
	}
	vars = map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(rest), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			vars[k] = v
		}
	}
	return outputs, vars
}

// TestREADMEWalkthrough runs README's walk-through as written, with bash
// and jq, against a running two-worker drover on make run's state
// directory: each command prints what the README shows under it, and
// ACCESS, REFRESH and NEW_REFRESH hold three different tokens. Run again
// with --refresh-reuse-grace 0, the note of the last line holds: the reuse
// of REFRESH came after the grace window, so it revoked NEW_REFRESH and
// the logout is refused.
func TestREADMEWalkthrough(t *testing.T) {
	steps := readmeWalkthrough(t)
	var shown int
	for _, s := range steps {
		if s.want != "" {
			shown++
		}
	}
	if shown < 6 {
		t.Fatalf("README's walk-through shows %d answers, want every request's: %+v", shown, steps)
	}
	const password = "lantern-quarry-58"
	tests := []struct {
		name     string
		giveArgs []string
		wantLast string // the logout's answer
	}{
		{name: "within the grace window", wantLast: "{}"},
		{name: "after the grace window", giveArgs: []string{"--refresh-reuse-grace", "0"}, wantLast: blacklistedBody},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cwd := t.TempDir()
			state := filepath.Join(cwd, "var")
			s := serve(t, droverBin, 2, []string{"DROVER_STATE_DIR=" + state}, tt.giveArgs...)
			outputs, vars := runWalkthrough(t, steps, s.url, cwd, password)
			for i, step := range steps {
				t.Logf("%s\n  → %s", step.command, outputs[i])
				want := step.want
				if i == len(steps)-1 {
					want = tt.wantLast
				}
				if want == "" {
					continue
				}
				if !wantPattern(want).MatchString(outputs[i]) {
					t.Errorf("README's %q printed %q, want %q", step.command, outputs[i], want)
				}
			}
			jwt := regexp.MustCompile(`^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$`)
			seen := map[string]string{}
			for _, name := range []string{"ACCESS", "REFRESH", "NEW_REFRESH"} {
				v := vars[name]
				if !jwt.MatchString(v) {
					t.Errorf("after the walk-through %s = %q, want a token", name, v)
				}
				if other, ok := seen[v]; ok {
					t.Errorf("%s and %s hold the same token", other, name)
				}
				seen[v] = name
			}
			if !strings.Contains(outputs[1], filepath.Join(state, "drover.db")) {
				t.Errorf("createuser printed %q, want it to name the served store %s", outputs[1], filepath.Join(state, "drover.db"))
			}
		})
	}
}
