package logging_test

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/drover/drover/internal/config"
	"github.com/drover/drover/internal/logging"
)

// captureStderr runs f with os.Stderr redirected to a pipe and returns
// what f wrote there.
func captureStderr(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stderr
	os.Stderr = w
	done := make(chan []byte)
	go func() { b, _ := io.ReadAll(r); done <- b }()
	func() {
		defer func() { os.Stderr = saved }()
		f()
	}()
	w.Close()
	out := <-done
	r.Close()
	return string(out)
}

// TestErrorLogFormat checks what --log-format gives on a terminal and off
// one: auto is console (colored) on a terminal and JSON otherwise.
func TestErrorLogFormat(t *testing.T) {
	tests := []struct {
		name       string
		giveFormat string
		giveDev    bool
		giveTTY    bool
		wantJSON   bool
		wantColor  bool
	}{
		{name: "auto on a terminal", giveFormat: "auto", giveTTY: true, wantColor: true},
		{name: "auto off a terminal", giveFormat: "auto", wantJSON: true},
		{name: "json on a terminal", giveFormat: "json", giveTTY: true, wantJSON: true},
		{name: "console off a terminal", giveFormat: "console"},
		{name: "console on a terminal", giveFormat: "console", giveTTY: true, wantColor: true},
		{name: "dev on a terminal", giveFormat: "console", giveDev: true, giveTTY: true, wantColor: true},
		{name: "dev off a terminal", giveFormat: "console", giveDev: true},
		{name: "dev asked for json", giveFormat: "json", giveDev: true, giveTTY: true, wantJSON: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := captureStderr(t, func() {
				logs, err := logging.OpenOnTerminal(config.Log{ErrorLogfile: "-", Level: "info", Format: tt.giveFormat}, tt.giveDev, tt.giveTTY)
				if err != nil {
					t.Fatal(err)
				}
				logs.Error.Info("worker ready", zap.Int("worker_pid", 7))
				logs.Close()
			})
			gotJSON := strings.HasPrefix(out, "{")
			gotColor := strings.Contains(out, "\x1b[")
			if gotJSON != tt.wantJSON || gotColor != tt.wantColor {
				t.Errorf("format %q, dev %v, terminal %v: %q; want JSON %v, color %v", tt.giveFormat, tt.giveDev, tt.giveTTY, out, tt.wantJSON, tt.wantColor)
			}
		})
	}
}

// TestConsoleStack checks that a console log prints a "stack" field as
// lines of its own, the program's frames first, and that JSON keeps it as
// a field.
func TestConsoleStack(t *testing.T) {
	const stack = "goroutine 7 [running]:\n" +
		"runtime/debug.Stack()\n\t/go/src/runtime/debug/stack.go:26 +0x5e\n" +
		"github.com/drover/drover/app.(*recoverer).recovered(0x1, {0x2}, 0x3)\n\t/src/app/recover.go:58 +0x1\n" +
		"panic({0x1, 0x2})\n\t/go/src/runtime/panic.go:785 +0x132\n" +
		"example.com/shop.(*cart).add(...)\n\t/src/shop/cart.go:10 +0x1\n" +
		"net/http.HandlerFunc.ServeHTTP(0x1, {0x2}, 0x3)\n\t/go/src/net/http/server.go:2220 +0x29\n" +
		"github.com/drover/drover/app.Chain.func1({0x2}, 0x3)\n\t/src/app/chain.go:99 +0x1\n" +
		"main.handler({0x2}, 0x3)\n\t/src/cmd/shop/main.go:20 +0x1\n" +
		"created by net/http.(*Server).Serve in goroutine 1\n\t/go/src/net/http/server.go:3285 +0x4b4\n"
	out := captureStderr(t, func() {
		logs, err := logging.OpenOnTerminal(config.Log{ErrorLogfile: "-", Level: "info", Format: "console"}, true, false)
		if err != nil {
			t.Fatal(err)
		}
		logs.Error.Error("panic serving request", zap.String("path", "/x"), zap.ByteString("stack", []byte(stack)))
		logs.Close()
	})
	want := "goroutine 7 [running]:\n" +
		"  example.com/shop.(*cart).add(...)\n      /src/shop/cart.go:10\n" +
		"  main.handler({0x2}, 0x3)\n      /src/cmd/shop/main.go:20\n" +
		"  -- drover and the standard library --\n" +
		"  net/http.HandlerFunc.ServeHTTP(0x1, {0x2}, 0x3)\n      /go/src/net/http/server.go:2220\n" +
		"  github.com/drover/drover/app.Chain.func1({0x2}, 0x3)\n      /src/app/chain.go:99\n" +
		"  created by net/http.(*Server).Serve in goroutine 1\n      /go/src/net/http/server.go:3285\n"
	first, rest, _ := strings.Cut(out, "\n")
	if !strings.Contains(first, "panic serving request") || !strings.Contains(first, `{"path": "/x"}`) || strings.Contains(first, "goroutine") {
		t.Errorf("first line = %q, want the message and the other fields, not the stack", first)
	}
	if rest != want {
		t.Errorf("stack printed as\n%s\nwant\n%s", rest, want)
	}

	out = captureStderr(t, func() {
		logs, err := logging.OpenOnTerminal(config.Log{ErrorLogfile: "-", Level: "info", Format: "json"}, false, false)
		if err != nil {
			t.Fatal(err)
		}
		logs.Error.Error("panic serving request", zap.ByteString("stack", []byte(stack)))
		logs.Close()
	})
	if m := decodeJSON(t, strings.TrimSpace(out)); m["stack"] != stack {
		t.Errorf("JSON stack = %q, want the field unchanged", m["stack"])
	}
}

// TestDurationKeysSayTheirUnit walks drover's sources: every zap.Duration
// field is logged in seconds (the encoders' SecondsDurationEncoder), so
// its key must end in _s (boot_s, took_s), as the README's log section
// promises. A worker's PID is worker_pid, never pid.
func TestDurationKeysSayTheirUnit(t *testing.T) {
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil || !bytes.Contains(src, []byte("zap.")) {
			return err
		}
		f, err := parser.ParseFile(fset, path, src, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); !ok || x.Name != "zap" {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			key, _ := strconv.Unquote(lit.Value)
			switch {
			case sel.Sel.Name == "Duration" && !strings.HasSuffix(key, "_s"):
				t.Errorf("%s: zap.Duration(%q): a duration's key ends in _s (seconds)", fset.Position(call.Pos()), key)
			case strings.HasPrefix(sel.Sel.Name, "Int") && key == "pid" && strings.Contains(path, "worker"):
				t.Errorf("%s: zap.%s(%q): a worker's PID is worker_pid", fset.Position(call.Pos()), sel.Sel.Name, key)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
