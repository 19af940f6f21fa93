package config

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"
)

// usageWidth is the width --help wraps its descriptions to.
const usageWidth = 100

// Usage writes the flags of drover's settings, with their meaning, plus
// the ones extra registers (see [Table.Usage]).
func Usage(w io.Writer, defaults Config, extra func(fs *pflag.FlagSet)) {
	Drover().Usage(w, defaults, extra)
}

// Usage writes the flags of the table's settings, with their meaning,
// plus the ones extra registers.
func (t Table) Usage(w io.Writer, defaults Config, extra func(fs *pflag.FlagSet)) {
	var layer []assignment
	var file string
	fs := newFlagSet(t.settings(), &defaults, &layer, &file)
	if extra != nil {
		extra(fs)
	}
	PrintFlags(w, fs)
	fmt.Fprintln(w, "  -h, --help   print this help")
}

// PrintFlags writes fs's flags as --help shows them: the flag and the
// kind of value it takes (booleans as [=true|false]), then its meaning,
// wrapped, and its default once: not when it is the zero value, and not
// when the meaning already says what the default is.
func PrintFlags(w io.Writer, fs *pflag.FlagSet) {
	type row struct{ left, right string }
	var rows []row
	width := 0
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		left := "      --" + f.Name
		if f.Shorthand != "" {
			left = "  -" + f.Shorthand + ", --" + f.Name
		}
		switch kind := f.Value.Type(); {
		case kind == "bool":
			left += "[=true|false]"
		case kind == "stringArray" || kind == "stringSlice":
			left += " string"
		default:
			left += " " + kind
		}
		right := f.Usage
		if d := f.DefValue; !isZeroDefault(d) && !strings.Contains(right, "default") {
			right += " (default " + d + ")"
		}
		rows = append(rows, row{left, right})
		width = max(width, len(left))
	})
	width = min(width, 40)
	for _, r := range rows {
		indent := width + 3
		lines := wrap(r.right, usageWidth-indent)
		if len(r.left) > width {
			fmt.Fprintf(w, "%s\n%s%s\n", r.left, strings.Repeat(" ", indent), lines[0])
		} else {
			fmt.Fprintf(w, "%-*s   %s\n", width, r.left, lines[0])
		}
		for _, l := range lines[1:] {
			fmt.Fprintf(w, "%s%s\n", strings.Repeat(" ", indent), l)
		}
	}
}

func isZeroDefault(d string) bool {
	switch d {
	case "", "0", "0s", "false", "[]":
		return true
	}
	return false
}

// wrap breaks s into lines of at most width bytes at spaces; a longer
// word gets a line of its own.
func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		switch {
		case line == "":
			line = word
		case len(line)+1+len(word) > width:
			lines = append(lines, line)
			line = word
		default:
			line += " " + word
		}
	}
	return append(lines, line)
}

// helpValue turns a TOML value as TOML() prints it into the text --help
// shows: strings unquoted, lists as comma-separated items.
func helpValue(v string) string {
	if strings.HasPrefix(v, "[") && strings.HasSuffix(v, "]") {
		v = strings.TrimSuffix(strings.TrimPrefix(v, "["), "]")
		if v == "" {
			return "[]"
		}
		return strings.ReplaceAll(v, `"`, "")
	}
	return strings.Trim(v, `"`)
}
