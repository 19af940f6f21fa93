package logging

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"golang.org/x/term"

	"github.com/drover/drover/app"
	"github.com/drover/drover/internal/config"
)

// Logs are one process's loggers and the files behind them.
type Logs struct {
	// Error is the error log: lifecycle events, failures, panics.
	Error *zap.Logger
	// Access is the access log, or nil when it is off.
	Access *zap.Logger
	files  []*File
}

// Error log formats of config.Log.Format.
const (
	// FormatAuto is console when the error log is a terminal, JSON
	// otherwise (a file, a pipe, journald, a test).
	FormatAuto = "auto"
	// FormatJSON is one JSON object per line.
	FormatJSON = "json"
	// FormatConsole is zap's tab-separated console line, for a person.
	FormatConsole = "console"
)

// Open builds the loggers cfg describes. dev selects the development
// server's console output for the error log (colored on a terminal) and
// its one-line request log ("GET /x 200 54µs") unless the access log
// format is combined or a template.
func Open(cfg config.Log, dev bool) (*Logs, error) {
	return open(cfg, dev, isTerminal)
}

// isTerminal reports whether f is a terminal, the test for FormatAuto and
// for color.
func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

func open(cfg config.Log, dev bool, terminal func(*os.File) bool) (*Logs, error) {
	level, err := ParseLevel(cfg.Level)
	if err != nil {
		return nil, err
	}
	l := &Logs{}
	errOut, tty, err := l.output(cfg.ErrorLogfile, os.Stderr, terminal)
	if err != nil {
		return nil, fmt.Errorf("error log: %w", err)
	}
	enc, console := errorEncoder(cfg.Format, dev, tty)
	var core zapcore.Core = zapcore.NewCore(enc, errOut, level)
	if console {
		core = stackCore{core}
	}
	l.Error = zap.New(core)

	if cfg.AccessLogfile != "" {
		out, tty, err := l.output(cfg.AccessLogfile, os.Stdout, terminal)
		if err != nil {
			l.Close()
			return nil, fmt.Errorf("access log: %w", err)
		}
		l.Access = zap.New(zapcore.NewCore(accessEncoder(cfg.AccessLogFormat, dev, tty), out, zapcore.InfoLevel))
	}
	return l, nil
}

// output opens path ("-" for std); tty reports whether it is a terminal.
func (l *Logs) output(path string, std *os.File, terminal func(*os.File) bool) (_ zapcore.WriteSyncer, tty bool, _ error) {
	if path == "-" {
		return zapcore.Lock(std), terminal(std), nil
	}
	f, err := OpenFile(path)
	if err != nil {
		return nil, false, err
	}
	l.files = append(l.files, f)
	return f, false, nil
}

// Reopen reopens every log file, for log rotation (USR1).
func (l *Logs) Reopen() error {
	var errs []error
	for _, f := range l.files {
		errs = append(errs, f.Reopen())
	}
	return errors.Join(errs...)
}

// Close flushes the loggers and closes the files.
func (l *Logs) Close() error {
	if l.Error != nil {
		_ = l.Error.Sync() // stderr may not support fsync
	}
	if l.Access != nil {
		_ = l.Access.Sync()
	}
	var errs []error
	for _, f := range l.files {
		errs = append(errs, f.Close())
	}
	return errors.Join(errs...)
}

// ParseLevel reads Gunicorn's level names: debug, info, warning, error,
// critical.
func ParseLevel(s string) (zapcore.Level, error) {
	switch s {
	case "debug":
		return zapcore.DebugLevel, nil
	case "info", "":
		return zapcore.InfoLevel, nil
	case "warning":
		return zapcore.WarnLevel, nil
	case "error":
		return zapcore.ErrorLevel, nil
	case "critical":
		return zapcore.DPanicLevel, nil
	}
	return 0, fmt.Errorf("unknown log level %q", s)
}

// errorEncoder is the error log's encoder; console reports whether it
// writes for a person (stacks are then printed as lines, see stackCore).
// Color is only for a terminal: escape codes in a file or a pipe are noise.
func errorEncoder(format string, dev, tty bool) (_ zapcore.Encoder, console bool) {
	if dev && format != FormatJSON {
		ec := zap.NewDevelopmentEncoderConfig()
		ec.EncodeLevel = zapcore.CapitalLevelEncoder
		if tty {
			ec.EncodeLevel = zapcore.CapitalColorLevelEncoder
		}
		ec.EncodeTime = zapcore.TimeEncoderOfLayout("15:04:05.000")
		ec.CallerKey = ""
		return zapcore.NewConsoleEncoder(ec), true
	}
	ec := zap.NewProductionEncoderConfig()
	ec.TimeKey = "time"
	ec.EncodeTime = zapcore.ISO8601TimeEncoder
	// Durations are seconds as numbers, under keys that say so (boot_s).
	ec.EncodeDuration = zapcore.SecondsDurationEncoder
	if format == FormatConsole || (format == FormatAuto && tty) {
		if tty {
			ec.EncodeLevel = zapcore.LowercaseColorLevelEncoder
		}
		return zapcore.NewConsoleEncoder(ec), true
	}
	return zapcore.NewJSONEncoder(ec), false
}

func accessEncoder(format string, dev, tty bool) zapcore.Encoder {
	if format == app.AccessLogCombined || app.IsAccessLogTemplate(format) {
		// The chain writes the whole line as the message.
		return zapcore.NewConsoleEncoder(app.CombinedEncoderConfig())
	}
	if dev {
		// The chain writes "GET /x 200 54µs" as the message (its dev
		// format) and no fields: a clock time and the line.
		ec := app.CombinedEncoderConfig()
		ec.TimeKey = "time"
		ec.EncodeTime = zapcore.TimeEncoderOfLayout("15:04:05.000")
		return zapcore.NewConsoleEncoder(ec)
	}
	ec := zapcore.EncoderConfig{
		TimeKey:        "time",
		MessageKey:     "msg",
		LineEnding:     zapcore.DefaultLineEnding,
		EncodeTime:     zapcore.ISO8601TimeEncoder,
		EncodeDuration: zapcore.SecondsDurationEncoder,
	}
	return zapcore.NewJSONEncoder(ec)
}

// File is a log file that can be reopened after rotation. It is safe for
// concurrent use.
type File struct {
	mu   sync.Mutex
	path string
	f    *os.File
}

var _ zapcore.WriteSyncer = (*File)(nil)

// OpenFile opens path for appending, creating it with mode 0640.
func OpenFile(path string) (*File, error) {
	f, err := openAppend(path)
	if err != nil {
		return nil, err
	}
	return &File{path: path, f: f}, nil
}

func openAppend(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return f, nil
}

// Write appends p to the file.
func (f *File) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.f.Write(p)
}

// Sync flushes the file to disk.
func (f *File) Sync() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.f.Sync()
}

// Reopen opens the path again and swaps the new file in; on failure the
// old file stays in use.
func (f *File) Reopen() error {
	nf, err := openAppend(f.path)
	if err != nil {
		return err
	}
	f.mu.Lock()
	old := f.f
	f.f = nf
	f.mu.Unlock()
	return old.Close()
}

// Close closes the file.
func (f *File) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.f.Close()
}
