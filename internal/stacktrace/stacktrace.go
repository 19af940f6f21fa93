package stacktrace

import "strings"

// frame is one call of a goroutine dump: the function line and its
// file:line.
type frame struct{ fn, file string }

// Readable rewrites a goroutine dump (runtime/debug.Stack, or
// several from a goroutine profile) for a person: the frames above the
// panic (debug.Stack and the recovery) are dropped, the program's own
// frames come first, then, under a rule, those of drover's request path
// and of the standard library, in their order; "+0x1f" offsets are
// dropped. Text it cannot read as a dump is returned as it is.
func Readable(dump string) string {
	var out strings.Builder
	for _, g := range strings.Split(strings.TrimSpace(dump), "\n\n") {
		if out.Len() > 0 {
			out.WriteString("\n\n")
		}
		out.WriteString(readableGoroutine(g))
	}
	return out.String()
}

func readableGoroutine(g string) string {
	lines := strings.Split(g, "\n")
	if len(lines) < 3 || !strings.HasPrefix(lines[0], "goroutine ") {
		return g
	}
	var frames []frame
	for i := 1; i+1 < len(lines); i += 2 {
		if !strings.HasPrefix(lines[i+1], "\t") {
			return g
		}
		file := strings.TrimPrefix(lines[i+1], "\t")
		if j := strings.LastIndex(file, " +0x"); j >= 0 {
			file = file[:j]
		}
		frames = append(frames, frame{fn: lines[i], file: file})
	}
	// Everything above the last panic call is the recovery's own stack.
	for i := len(frames) - 1; i >= 0; i-- {
		if strings.HasPrefix(frames[i].fn, "panic(") {
			frames = frames[i+1:]
			break
		}
	}
	var own, theirs []frame
	for _, f := range frames {
		if framework(f.fn) {
			theirs = append(theirs, f)
		} else {
			own = append(own, f)
		}
	}
	var b strings.Builder
	b.WriteString(lines[0])
	write := func(fs []frame) {
		for _, f := range fs {
			b.WriteString("\n  ")
			b.WriteString(f.fn)
			b.WriteString("\n      ")
			b.WriteString(f.file)
		}
	}
	write(own)
	if len(own) > 0 && len(theirs) > 0 {
		b.WriteString("\n  -- drover and the standard library --")
	}
	write(theirs)
	if len(lines)%2 == 0 { // an odd line out: keep it
		b.WriteString("\n" + lines[len(lines)-1])
	}
	return b.String()
}

// framework reports whether a frame's function belongs to the standard
// library (a first path element without a dot, main aside) or to
// drover's request path (the chain, the worker, the dev server), rather
// than to the program being served.
func framework(fn string) bool {
	fn = strings.TrimPrefix(fn, "created by ")
	for _, p := range []string{"github.com/drover/drover/app.", "github.com/drover/drover/worker.", "github.com/drover/drover/dev.", "github.com/drover/drover/internal/"} {
		if strings.HasPrefix(fn, p) {
			return true
		}
	}
	first, _, _ := strings.Cut(fn, "/")
	if strings.Contains(fn, "/") {
		return !strings.Contains(first, ".")
	}
	pkg, _, _ := strings.Cut(fn, ".")
	return pkg != "main"
}
