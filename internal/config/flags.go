package config

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/pflag"
)

// ParseBool reads a boolean as people write it in flags, environment
// variables and config files: true/false, yes/no, on/off, 1/0, in any
// case.
func ParseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "on", "1", "t", "y":
		return true, nil
	case "false", "no", "off", "0", "f", "n":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean (true/false, yes/no, on/off, 1/0)", s)
}

// isBoolWord reports whether s is a boolean ParseBool reads, spelled out
// (not a single letter, which is more likely a mistake than a value).
func isBoolWord(s string) bool {
	if len(s) < 2 && s != "0" && s != "1" {
		return false
	}
	_, err := ParseBool(s)
	return err == nil
}

// boolFlag gives a command's own boolean flags (--print-config, --reload)
// the spellings of ParseBool, as the settings have.
type boolFlag struct{ pflag.Value }

func (b boolFlag) Set(v string) error {
	on, err := ParseBool(v)
	if err != nil {
		return err
	}
	if on {
		return b.Value.Set("true")
	}
	return b.Value.Set("false")
}

// widenBools makes every boolean flag of fs read ParseBool's spellings.
func widenBools(fs *pflag.FlagSet) {
	fs.VisitAll(func(f *pflag.Flag) {
		if _, ok := f.Value.(*flagValue); !ok && f.Value.Type() == "bool" {
			f.Value = boolFlag{f.Value}
		}
	})
}

// normalizeArgs prepares args for pflag, which would take any next word
// as a flag's value and no next word as a boolean's:
//
//   - a flag that needs a value followed by a word starting with "--"
//     (drover serve --bind --print-config) is refused: the value was
//     forgotten, and the next flag would silently become it. A value
//     that does start with dashes is given as --bind=--x;
//   - a boolean flag followed by a boolean word (--rotate-refresh-tokens
//     no) takes it as its value, since drover takes no positional
//     arguments for the word to be.
//
// Everything after "--" is left alone.
func normalizeArgs(fs *pflag.FlagSet, args []string) ([]string, error) {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		arg := args[i]
		out = append(out, arg)
		if arg == "--" {
			return append(out, args[i+1:]...), nil
		}
		f, shown := flagTakingNext(fs, arg)
		if f == nil || i+1 == len(args) {
			continue
		}
		next := args[i+1]
		switch {
		case isBool(f):
			if isBoolWord(next) {
				out[len(out)-1] = arg + "=" + next
				i++
			}
		case strings.HasPrefix(next, "--"):
			return nil, fmt.Errorf("%s needs a value, got the flag %s (a value starting with dashes is written %s=%s)", shown, next, shown, next)
		case isShortFlag(fs, next):
			return nil, fmt.Errorf("%s needs a value, got the flag %s (a value starting with a dash is written %s=%s)", shown, next, shown, next)
		default:
			out = append(out, next)
			i++
		}
	}
	return out, nil
}

// flagTakingNext returns the flag arg names when its value, if any, would
// be the next argument: "--name" without "=", or "-x" (also the last
// letter of "-abx") without an attached value. shown is how the user
// wrote it.
func flagTakingNext(fs *pflag.FlagSet, arg string) (f *pflag.Flag, shown string) {
	switch {
	case strings.HasPrefix(arg, "--"):
		name := arg[2:]
		if name == "" || strings.Contains(name, "=") {
			return nil, ""
		}
		return fs.Lookup(name), arg
	case strings.HasPrefix(arg, "-") && len(arg) > 1:
		letters := arg[1:]
		for j := range len(letters) {
			f := fs.ShorthandLookup(letters[j : j+1])
			if f == nil {
				return nil, ""
			}
			if j == len(letters)-1 {
				return f, "-" + letters[j:j+1]
			}
			if !isBool(f) {
				return nil, "" // the rest of the group is its value
			}
		}
	}
	return nil, ""
}

func isBool(f *pflag.Flag) bool { return f.NoOptDefVal != "" && f.Value.Type() == "bool" }

// isShortFlag reports whether s is "-x" for a shorthand fs knows, as
// opposed to a negative number or "-" (stdout, stderr).
func isShortFlag(fs *pflag.FlagSet, s string) bool {
	return len(s) == 2 && s[0] == '-' && fs.ShorthandLookup(s[1:]) != nil
}

// gunicornOnly are Gunicorn flags drover does not have, with what to do
// instead. Gunicorn users try them first.
var gunicornOnly = map[string]string{
	"reload":             "drover serve does not rebuild on source changes; drover dev --reload does (serve re-reads its configuration on HUP)",
	"check-config":       "run drover check: it validates the configuration as serve would and prints it",
	"print-config":       "drover serve --print-config and drover check print the configuration",
	"threads":            "a Go worker already serves each connection in its own goroutine; --max-concurrency bounds the requests a worker runs at once",
	"preload":            "there is no application to import before forking: every worker runs the compiled binary, which starts in milliseconds",
	"preload-app":        "there is no application to import before forking: every worker runs the compiled binary, which starts in milliseconds",
	"access-logformat":   "the access log's format is --access-log-format",
	"log-file":           "the error log is --error-logfile",
	"worker-connections": "--max-concurrency bounds the requests one worker handles at once",
	"daemon":             "drover stays in the foreground: run it under systemd (see the README's Deploying section)",
	"version":            "drover --version (or drover version) prints the version",
}

// explainFlagError adds what to type instead to pflag's unknown-flag
// error: the Gunicorn equivalent, the nearest flag's name, or that the
// program (named program) has no token authentication.
func explainFlagError(fs *pflag.FlagSet, program string, err error) error {
	var ne *pflag.NotExistError
	if !errors.As(err, &ne) || ne.GetSpecifiedShortnames() != "" {
		return err
	}
	name := strings.ReplaceAll(ne.GetSpecifiedName(), "_", "-")
	if hint, ok := gunicornOnly[name]; ok {
		return fmt.Errorf("%w: %s", err, strings.ReplaceAll(hint, "drover", program))
	}
	if IsAuthSetting(name) {
		return fmt.Errorf("%w: %s does not use drover's token authentication, which this setting is about", err, program)
	}
	if near := nearestFlag(fs, name); near != "" {
		return fmt.Errorf("%w (did you mean --%s?)", err, near)
	}
	return err
}

// nearestFlag is fs's flag closest to name, if it is close enough to be
// a typo of it: at most one edit for short names, two for longer ones.
func nearestFlag(fs *pflag.FlagSet, name string) string {
	var names []string
	fs.VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
	return nearest(name, names)
}

// nearest returns the one candidate name abbreviates (Gunicorn's
// argparse accepts abbreviations), else the candidate closest to name by
// edit distance, ties going to the first, or "" when none is within
// reach of a typo.
func nearest(name string, candidates []string) string {
	var prefixed []string
	for _, c := range candidates {
		if len(name) >= 3 && strings.HasPrefix(c, name) {
			prefixed = append(prefixed, c)
		}
	}
	if len(prefixed) == 1 {
		return prefixed[0]
	}
	best, bestDist := "", 0
	limit := 2
	if len(name) <= 4 {
		limit = 1
	}
	for _, c := range candidates {
		d := editDistance(name, c)
		if d <= limit && (best == "" || d < bestDist) {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and swaps of adjacent letters
// ("wrokers") each count one.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
