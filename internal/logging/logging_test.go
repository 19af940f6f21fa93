package logging_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/drover/drover/internal/config"
	"github.com/drover/drover/internal/logging"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func decodeJSON(t *testing.T, line string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatalf("log line %q is not JSON: %v", line, err)
	}
	return m
}

func open(t *testing.T, cfg config.Log) *logging.Logs {
	t.Helper()
	logs, err := logging.Open(cfg, false)
	if err != nil {
		t.Fatalf("Open(%+v) = %v", cfg, err)
	}
	return logs
}

func TestErrorLogJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "error.log")
	logs := open(t, config.Log{ErrorLogfile: path, Level: "info", Format: "json"})

	logs.Error.Info("worker booted", zap.Int("worker_pid", 4242))
	if err := logs.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}

	lines := readLines(t, path)
	if len(lines) != 1 {
		t.Fatalf("error log has %d lines, want 1:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	got := decodeJSON(t, lines[0])
	if got["level"] != "info" || got["msg"] != "worker booted" || got["worker_pid"] != float64(4242) {
		t.Errorf("error log line = %v, want level info, msg \"worker booted\", worker_pid 4242", got)
	}
	ts, _ := got["time"].(string)
	if _, err := time.Parse("2006-01-02T15:04:05.000Z0700", ts); err != nil {
		t.Errorf("error log time = %q, want ISO 8601: %v", got["time"], err)
	}
}

func TestErrorLogConsole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "error.log")
	logs := open(t, config.Log{ErrorLogfile: path, Level: "info", Format: "console"})

	logs.Error.Warn("slow worker", zap.Int("slot", 2))
	if err := logs.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}

	lines := readLines(t, path)
	if len(lines) != 1 || !strings.Contains(lines[0], "\twarn\tslow worker\t{\"slot\": 2}") {
		t.Errorf("console error log = %q, want one tab-separated warn line with its fields", lines)
	}
}

// TestErrorLogLevel checks which levels each --log-level lets through.
func TestErrorLogLevel(t *testing.T) {
	tests := []struct {
		name       string
		giveLevel  string
		wantLevels []string
	}{
		{name: "debug", giveLevel: "debug", wantLevels: []string{"debug", "info", "warn", "error"}},
		{name: "info", giveLevel: "info", wantLevels: []string{"info", "warn", "error"}},
		{name: "default", giveLevel: "", wantLevels: []string{"info", "warn", "error"}},
		{name: "warning", giveLevel: "warning", wantLevels: []string{"warn", "error"}},
		{name: "error", giveLevel: "error", wantLevels: []string{"error"}},
		{name: "critical", giveLevel: "critical", wantLevels: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "error.log")
			logs := open(t, config.Log{ErrorLogfile: path, Level: tt.giveLevel, Format: "json"})
			logs.Error.Debug("d")
			logs.Error.Info("i")
			logs.Error.Warn("w")
			logs.Error.Error("e")
			if err := logs.Close(); err != nil {
				t.Fatalf("Close() = %v", err)
			}

			var got []string
			for _, line := range nonEmpty(readLines(t, path)) {
				got = append(got, levelOf(line))
			}
			if !reflect.DeepEqual(got, tt.wantLevels) {
				t.Errorf("Open(level %q) logged levels %q, want %q", tt.giveLevel, got, tt.wantLevels)
			}
		})
	}
}

// levelOf is the level of a JSON log line.
func levelOf(line string) string {
	var m struct{ Level string }
	_ = json.Unmarshal([]byte(line), &m)
	return m.Level
}

func TestAccessLogJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.log")
	logs := open(t, config.Log{ErrorLogfile: "-", AccessLogfile: path, AccessLogFormat: "json"})

	logs.Access.Info("request", zap.String("method", "GET"), zap.Int("status", 200), zap.Duration("duration_s", 1500*time.Millisecond))
	if err := logs.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}

	lines := readLines(t, path)
	if len(lines) != 1 {
		t.Fatalf("access log has %d lines, want 1: %q", len(lines), lines)
	}
	got := decodeJSON(t, lines[0])
	delete(got, "time")
	want := map[string]any{"msg": "request", "method": "GET", "status": float64(200), "duration_s": 1.5}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("access log line = %v (without time), want %v", got, want)
	}
}

func TestAccessLogCombined(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.log")
	logs := open(t, config.Log{ErrorLogfile: "-", AccessLogfile: path, AccessLogFormat: "combined"})
	lines := []string{
		`127.0.0.1 - - [02/Jan/2026:15:04:05 +0000] "GET / HTTP/1.1" 200 5 "-" "curl/8.5"`,
		`::1 - alice [02/Jan/2026:15:04:06 +0000] "POST /x HTTP/1.1" 201 0 "http://a/" "Go"`,
	}

	for _, line := range lines {
		logs.Access.Info(line)
	}
	if err := logs.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}

	if got := readLines(t, path); !reflect.DeepEqual(got, lines) {
		t.Errorf("combined access log = %q, want exactly the messages, one a line: %q", got, lines)
	}
}

func TestAccessLogOff(t *testing.T) {
	logs := open(t, config.Log{ErrorLogfile: "-"})
	defer logs.Close()
	if logs.Access != nil {
		t.Errorf("Open(access-logfile \"\").Access = %v, want nil", logs.Access)
	}
}

func TestDevErrorLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "error.log")
	logs, err := logging.Open(config.Log{ErrorLogfile: path, Level: "info", Format: "console"}, true)
	if err != nil {
		t.Fatal(err)
	}
	logs.Error.Info("dev server ready")
	if err := logs.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}

	// A clock time and the level, not JSON, and no color in a file.
	lines := readLines(t, path)
	if len(lines) != 1 || !strings.Contains(lines[0], "\tINFO\tdev server ready") || strings.Contains(lines[0], "\x1b[") {
		t.Errorf("dev error log = %q, want a console line without color", lines)
	}
}

func TestOpenErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing", "x.log")
	tests := []struct {
		name    string
		give    config.Log
		wantErr string
	}{
		{name: "bad level", give: config.Log{ErrorLogfile: "-", Level: "loud"}, wantErr: `unknown log level "loud"`},
		{name: "error log in a missing directory", give: config.Log{ErrorLogfile: missing}, wantErr: "error log: open " + missing},
		{name: "access log in a missing directory", give: config.Log{ErrorLogfile: "-", AccessLogfile: missing}, wantErr: "access log: open " + missing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs, err := logging.Open(tt.give, false)
			if logs != nil || err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Open(%+v) = %v, %v; want nil, error containing %q", tt.give, logs, err, tt.wantErr)
			}
		})
	}
}

func TestParseLevel(t *testing.T) {
	tests := []struct {
		give    string
		want    zapcore.Level
		wantErr bool
	}{
		{give: "debug", want: zapcore.DebugLevel},
		{give: "info", want: zapcore.InfoLevel},
		{give: "", want: zapcore.InfoLevel},
		{give: "warning", want: zapcore.WarnLevel},
		{give: "warn", want: zapcore.InfoLevel, wantErr: true}, // Gunicorn says "warning"
		{give: "error", want: zapcore.ErrorLevel},
		{give: "critical", want: zapcore.DPanicLevel},
		{give: "bogus", wantErr: true},
		{give: "INFO", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			got, err := logging.ParseLevel(tt.give)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("ParseLevel(%q) = %v, %v; want %v, error %t", tt.give, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// TestLevelsMatchConfig checks that every level the configuration accepts
// is one ParseLevel reads.
func TestLevelsMatchConfig(t *testing.T) {
	tests := []struct {
		give string
	}{
		{give: "debug"},
		{give: "info"},
		{give: "warning"},
		{give: "error"},
		{give: "critical"},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			cfg, err := config.Resolve(config.Source{Args: []string{"--log-level", tt.give}, LookupEnv: noEnv})
			_, parseErr := logging.ParseLevel(cfg.Log.Level)
			if err != nil || cfg.Log.Level != tt.give || parseErr != nil {
				t.Errorf("Resolve(--log-level %s) = level %q, %v; ParseLevel = %v; want %q, nil; nil",
					tt.give, cfg.Log.Level, err, parseErr, tt.give)
			}
		})
	}
}

func noEnv(string) (string, bool) { return "", false }

func TestOpenFileMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "error.log")
	f, err := logging.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm&^0o640 != 0 {
		t.Errorf("OpenFile created mode %v, want at most 0640", perm)
	}
}

func TestOpenFileAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "error.log")
	if err := os.WriteFile(path, []byte("before\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := logging.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f, "after")
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	if got, want := readLines(t, path), []string{"before", "after"}; !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %q, want %q", path, got, want)
	}
}

// TestFileReopen is log rotation: the file is renamed, then Reopen
// creates a new one at the original path for later lines.
func TestFileReopen(t *testing.T) {
	dir := t.TempDir()
	path, rotated := filepath.Join(dir, "error.log"), filepath.Join(dir, "error.log.1")
	f, err := logging.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	fmt.Fprintln(f, "one")
	if err := os.Rename(path, rotated); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f, "two") // still the renamed file until Reopen
	if err := f.Reopen(); err != nil {
		t.Fatalf("Reopen() = %v", err)
	}
	fmt.Fprintln(f, "three")
	if err := f.Sync(); err != nil {
		t.Fatalf("Sync() = %v", err)
	}

	if got, want := readLines(t, rotated), []string{"one", "two"}; !reflect.DeepEqual(got, want) {
		t.Errorf("rotated file = %q, want %q", got, want)
	}
	if got, want := readLines(t, path), []string{"three"}; !reflect.DeepEqual(got, want) {
		t.Errorf("reopened file = %q, want %q", got, want)
	}
}

func TestFileReopenFailureKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "logs", "error.log")
	if err := os.Mkdir(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := logging.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	moved := filepath.Join(dir, "moved")
	if err := os.Rename(filepath.Dir(path), moved); err != nil {
		t.Fatal(err)
	}

	if err := f.Reopen(); err == nil {
		t.Fatal("Reopen() with the directory gone = nil, want an error")
	}
	fmt.Fprintln(f, "still here")

	if got, want := readLines(t, filepath.Join(moved, "error.log")), []string{"still here"}; !reflect.DeepEqual(got, want) {
		t.Errorf("old file after a failed Reopen = %q, want %q", got, want)
	}
}

// TestLogsReopen rotates both logs of a process while it logs from
// several goroutines, as USR1 does under load: no line is lost or torn.
func TestLogsReopen(t *testing.T) {
	dir := t.TempDir()
	errPath, accessPath := filepath.Join(dir, "error.log"), filepath.Join(dir, "access.log")
	logs := open(t, config.Log{ErrorLogfile: errPath, Level: "info", Format: "json", AccessLogfile: accessPath, AccessLogFormat: "combined"})

	const goroutines, perGoroutine = 4, 200
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range perGoroutine {
				logs.Error.Info("tick", zap.Int("g", g), zap.Int("i", i))
				logs.Access.Info(fmt.Sprintf("g%d i%d", g, i))
			}
		})
	}
	for i := range 3 {
		if err := os.Rename(errPath, fmt.Sprintf("%s.%d", errPath, i)); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(accessPath, fmt.Sprintf("%s.%d", accessPath, i)); err != nil {
			t.Fatal(err)
		}
		if err := logs.Reopen(); err != nil {
			t.Errorf("Reopen() = %v", err)
		}
	}
	wg.Wait()
	if err := logs.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}

	var errLines, accessLines []string
	for _, suffix := range []string{".0", ".1", ".2", ""} {
		errLines = append(errLines, nonEmpty(readLines(t, errPath+suffix))...)
		accessLines = append(accessLines, nonEmpty(readLines(t, accessPath+suffix))...)
	}
	if len(errLines) != goroutines*perGoroutine || len(accessLines) != goroutines*perGoroutine {
		t.Errorf("after rotation: %d error and %d access lines, want %d of each",
			len(errLines), len(accessLines), goroutines*perGoroutine)
	}
	for _, line := range errLines {
		decodeJSON(t, line)
	}
}

func nonEmpty(lines []string) []string {
	var out []string
	for _, l := range lines {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

func TestCloseFlushes(t *testing.T) {
	dir := t.TempDir()
	errPath, accessPath := filepath.Join(dir, "error.log"), filepath.Join(dir, "access.log")
	logs := open(t, config.Log{ErrorLogfile: errPath, Level: "debug", Format: "json", AccessLogfile: accessPath, AccessLogFormat: "combined"})

	for i := range 100 {
		logs.Error.Debug("line", zap.Int("i", i))
		logs.Access.Info(fmt.Sprint("access ", i))
	}
	if err := logs.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}

	if got := len(readLines(t, errPath)); got != 100 {
		t.Errorf("error log has %d lines after Close, want 100", got)
	}
	if got := readLines(t, accessPath); len(got) != 100 || got[99] != "access 99" {
		t.Errorf("access log has %d lines after Close, last %q; want 100, last \"access 99\"", len(got), got[len(got)-1])
	}
}

func TestFileClosed(t *testing.T) {
	f, err := logging.OpenFile(filepath.Join(t.TempDir(), "x.log"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("late\n")); err == nil {
		t.Error("Write after Close = nil, want an error")
	}
}
