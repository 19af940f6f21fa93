package reload

import (
	"strings"
	"testing"
)

// TestInheritedNamesTheProgram: a bad EnvListeners says which command
// starts the program as the watcher's child.
func TestInheritedNamesTheProgram(t *testing.T) {
	tests := []struct {
		name     string
		giveName string
		want     string
	}{
		{name: "the program's name", giveName: "notes", want: ": not started by notes dev --reload: "},
		{name: "no name: drover", want: ": not started by drover dev --reload: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{EnvListeners: "no role, no address"}
			ls, _, err := Inherited(tt.giveName, func(k string) string { return env[k] })
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Inherited(%q) = %v, %v; want an error with %q", tt.giveName, ls, err, tt.want)
			}
		})
	}
}
