package logging

import (
	"go.uber.org/zap/zapcore"

	"github.com/drover/drover/internal/stacktrace"
)

// stackCore is the console error log's core: a "stack" field (the stack
// a panic or a timed-out request logs, as text) is printed after the
// line as lines of its own, the user's frames first (see stacktrace.Readable),
// instead of as one escaped string among the fields. JSON keeps the field
// as it is, for a program to read.
type stackCore struct{ zapcore.Core }

func (c stackCore) With(fields []zapcore.Field) zapcore.Core { return stackCore{c.Core.With(fields)} }

func (c stackCore) Check(ent zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(ent.Level) {
		return ce.AddCore(ent, c)
	}
	return ce
}

func (c stackCore) Write(ent zapcore.Entry, fields []zapcore.Field) error {
	for i, f := range fields {
		if f.Key != "stack" {
			continue
		}
		var text string
		switch f.Type {
		case zapcore.ByteStringType:
			text = string(f.Interface.([]byte))
		case zapcore.StringType:
			text = f.String
		default:
			continue
		}
		rest := make([]zapcore.Field, 0, len(fields)-1)
		rest = append(append(rest, fields[:i]...), fields[i+1:]...)
		ent.Stack = stacktrace.Readable(text)
		return c.Core.Write(ent, rest)
	}
	return c.Core.Write(ent, fields)
}
