package config

import (
	"fmt"
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
	known := []string{EnvPrefix + "CONFIG", EnvSecretKey}
	for _, s := range settings() {
		known = append(known, EnvName(s.name))
	}
	var warnings []string
	seen := make(map[string]bool)
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, EnvPrefix) || strings.HasPrefix(name, testEnvPrefix) || seen[name] ||
			slices.Contains(known, name) || slices.Contains(internal, name) {
			continue
		}
		seen[name] = true
		w := fmt.Sprintf("%s is not a drover setting and is ignored", name)
		if near := nearest(name, known); near != "" {
			w = fmt.Sprintf("%s is not a drover setting and is ignored (did you mean %s?)", name, near)
		}
		warnings = append(warnings, w)
	}
	return warnings
}
