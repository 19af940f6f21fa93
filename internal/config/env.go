package config

import (
	"fmt"
	"os"
	"slices"
	"strings"
)

// testEnvPrefix starts the variables drover's own tests pass to the
// processes they start; they are never settings.
const testEnvPrefix = EnvPrefix + "TEST_"

// UnknownEnv returns one warning per DROVER_* variable of environ (as
// os.Environ lists them) that is no setting of drover's, with the nearest
// setting's name when it looks like a typo of one: a typo'd variable
// would otherwise be ignored without a word, where the same key in the
// config file is refused. internal names the DROVER_* variables drover's
// processes pass each other (the worker role, inherited listeners), which
// are not settings either and are never warned about.
func UnknownEnv(environ []string, internal ...string) []string {
	return Drover().UnknownEnv(environ, internal...)
}

// UnknownEnv is the package-level UnknownEnv for the table's settings. A
// program's own <PROGRAM>_* variables are warned about only when they
// look like a typo of a setting's: NOTES_WROKERS is, NOTES_HOME may be the
// program's business.
func (t Table) UnknownEnv(environ []string, internal ...string) []string {
	known := []string{EnvPrefix + "CONFIG", EnvSecretKey, EnvSecretKeyPrevious}
	own := t.EnvPrefix()
	if own != EnvPrefix {
		known = append(known, own+"CONFIG", t.SecretKeyEnv(), t.SecretKeyPreviousEnv())
	}
	for _, s := range t.settings() {
		known = append(known, t.EnvNames(s.name)...)
	}
	var warnings []string
	seen := make(map[string]bool)
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		ours := strings.HasPrefix(name, EnvPrefix)
		if !ours && (own == EnvPrefix || !strings.HasPrefix(name, own)) || strings.HasPrefix(name, testEnvPrefix) || seen[name] ||
			slices.Contains(known, name) || slices.Contains(internal, name) {
			continue
		}
		seen[name] = true
		near := nearest(name, known)
		switch {
		case near != "":
			warnings = append(warnings, fmt.Sprintf("%s is not a %s setting and is ignored (did you mean %s?)", name, t.name(), near))
		case ours:
			warnings = append(warnings, fmt.Sprintf("%s is not a %s setting and is ignored", name, t.name()))
		}
	}
	return warnings
}

// SecretKeyEnv is the program's own variable for the HS256 key, read
// before DROVER_SECRET_KEY: NOTES_SECRET_KEY for the program notes,
// DROVER_SECRET_KEY itself for drover.
func (t Table) SecretKeyEnv() string { return t.EnvPrefix() + "SECRET_KEY" }

// SecretKeyPreviousEnv is the program's own variable for the previous
// HS256 key, read before DROVER_SECRET_KEY_PREVIOUS: NOTES_SECRET_KEY_PREVIOUS
// for the program notes, DROVER_SECRET_KEY_PREVIOUS itself for drover.
func (t Table) SecretKeyPreviousEnv() string { return t.EnvPrefix() + "SECRET_KEY_PREVIOUS" }

// LookupEnv is lookup (os.LookupEnv when nil) with the program's own
// variables read in place of DROVER_SECRET_KEY and
// DROVER_SECRET_KEY_PREVIOUS when they are set, for [Config.LoadKeys].
func (t Table) LookupEnv(lookup func(string) (string, bool)) func(string) (string, bool) {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	own := map[string]string{EnvSecretKey: t.SecretKeyEnv(), EnvSecretKeyPrevious: t.SecretKeyPreviousEnv()}
	return func(name string) (string, bool) {
		if o, ok := own[name]; ok && o != name {
			if v, ok := lookup(o); ok {
				return v, true
			}
		}
		return lookup(name)
	}
}
