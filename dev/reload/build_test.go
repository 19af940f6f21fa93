package reload

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestModulePath(t *testing.T) {
	tests := []struct {
		name    string
		giveMod string
		want    string
	}{
		{name: "plain", giveMod: "module example.com/app\n\ngo 1.26\n", want: "example.com/app"},
		{name: "comment before", giveMod: "// the app\nmodule example.com/app\n", want: "example.com/app"},
		{name: "trailing comment", giveMod: "module example.com/app // app\n", want: "example.com/app"},
		{name: "quoted", giveMod: "module \"example.com/app\"\n", want: "example.com/app"},
		{name: "tab", giveMod: "module\texample.com/app\n", want: "example.com/app"},
		{name: "indented", giveMod: "  module example.com/app\n", want: "example.com/app"},
		{name: "no module line", giveMod: "go 1.26\n", want: ""},
		{name: "modules word is not module", giveMod: "modules x\nmodule example.com/app\n", want: "example.com/app"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := modulePath([]byte(tt.giveMod)); got != tt.want {
				t.Errorf("modulePath(%q) = %q, want %q", tt.giveMod, got, tt.want)
			}
		})
	}
}

func TestFindModule(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "app", "go.mod"), "module example.com/app\n")
	writeFile(t, filepath.Join(root, "app", "cmd", "app", "main.go"), "package main\n")
	writeFile(t, filepath.Join(root, "app", "tools", "go.mod"), "module example.com/app/tools\n")
	tests := []struct {
		name     string
		giveDir  string
		wantRoot string
		wantPath string
	}{
		{name: "module root", giveDir: "app", wantRoot: "app", wantPath: "example.com/app"},
		{name: "package below", giveDir: "app/cmd/app", wantRoot: "app", wantPath: "example.com/app"},
		{name: "nested module", giveDir: "app/tools", wantRoot: "app/tools", wantPath: "example.com/app/tools"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := findModule(filepath.Join(root, tt.giveDir))
			want := module{Root: filepath.Join(root, tt.wantRoot), Path: tt.wantPath}
			if err != nil || got != want {
				t.Errorf("findModule(%s) = %+v, %v, want %+v", tt.giveDir, got, err, want)
			}
		})
	}
	if got, err := findModule(root); err == nil {
		t.Errorf("findModule(no go.mod above) = %+v, want an error", got)
	}
}

func TestMainPackage(t *testing.T) {
	mod := module{Root: "/src/app", Path: "example.com/app"}
	info := func(pkg, modPath string) *debug.BuildInfo {
		return &debug.BuildInfo{Path: pkg, Main: debug.Module{Path: modPath}}
	}
	tests := []struct {
		name    string
		give    *debug.BuildInfo
		want    string
		wantErr string
	}{
		{name: "main package of the module", give: info("example.com/app/cmd/app", "example.com/app"), want: "example.com/app/cmd/app"},
		{name: "module root is main", give: info("example.com/app", "example.com/app"), want: "example.com/app"},
		{name: "another module", give: info("example.com/other/cmd/x", "example.com/other"), wantErr: "built from module example.com/other"},
		{name: "go run main.go", give: info("command-line-arguments", "example.com/app"), wantErr: "built from files"},
		{name: "no build info", give: nil, wantErr: "no build information"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := mainPackage(tt.give, mod)
			if got != tt.want || (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("mainPackage = %q, %v, want %q, %q", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestOutputFlag(t *testing.T) {
	tests := []struct {
		name    string
		giveCmd string
		want    string
	}{
		{name: "go build", giveCmd: "go build -o bin/myapp ./cmd/myapp", want: "bin/myapp"},
		{name: "equals", giveCmd: "go build -o=bin/myapp ./cmd/myapp", want: "bin/myapp"},
		{name: "with tags first", giveCmd: "go build -tags dev -o /tmp/x .", want: "/tmp/x"},
		{name: "none", giveCmd: "make build", want: ""},
		{name: "dangling", giveCmd: "go build -o", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := outputFlag(tt.giveCmd); got != tt.want {
				t.Errorf("outputFlag(%q) = %q, want %q", tt.giveCmd, got, tt.want)
			}
		})
	}
}

// tinyModule writes a module whose main prints version.
func tinyModule(t *testing.T, version string) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "go.mod"), "module example.com/tiny\n\ngo 1.26\n")
	writeTinyMain(t, dir, version)
	return dir
}

func writeTinyMain(t *testing.T, dir, version string) {
	t.Helper()
	writeFile(t, filepath.Join(dir, "main.go"), "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Print(\""+version+"\") }\n")
}

func runBinary(t *testing.T, bin string) string {
	t.Helper()
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatalf("run %s: %v", bin, err)
	}
	return string(out)
}

func TestBuilderBuildsIntoNumberedBinaries(t *testing.T) {
	dir := tinyModule(t, "v1")
	b := &builder{dir: dir, pkg: "example.com/tiny", out: t.TempDir(), name: "tiny"}
	first := b.next()
	if err := b.build(context.Background(), first); err != nil {
		t.Fatalf("build: %v", err)
	}
	writeTinyMain(t, dir, "v2")
	second := b.next()
	if err := b.build(context.Background(), second); err != nil {
		t.Fatalf("build: %v", err)
	}
	if first == second || runBinary(t, first) != "v1" || runBinary(t, second) != "v2" {
		t.Errorf("builds %s and %s print %q and %q, want v1 and v2", first, second, runBinary(t, first), runBinary(t, second))
	}
}

func TestBuilderReportsCompilerOutput(t *testing.T) {
	dir := tinyModule(t, "v1")
	writeFile(t, filepath.Join(dir, "main.go"), "package main\n\nfunc main() { oops( }\n")
	b := &builder{dir: dir, pkg: "example.com/tiny", out: t.TempDir(), name: "tiny"}
	bin := b.next()
	err := b.build(context.Background(), bin)
	var be *buildError
	if !errors.As(err, &be) || !strings.Contains(be.Output, "main.go:3") || !strings.Contains(be.Output, "syntax error") {
		t.Fatalf("build of a syntax error = %v, want a buildError with the compiler's message", err)
	}
	if _, err := os.Stat(bin); err == nil {
		t.Errorf("a failed build left %s", bin)
	}
}

func TestShellBuilderCopiesTheNamedBinary(t *testing.T) {
	dir := tinyModule(t, "v7")
	b, err := newShellBuilder(dir, "go build -o bin/tiny .", t.TempDir(), "tiny")
	if err != nil {
		t.Fatal(err)
	}
	bin := b.next()
	if err := b.build(context.Background(), bin); err != nil {
		t.Fatalf("build: %v", err)
	}
	if got := runBinary(t, bin); got != "v7" {
		t.Errorf("shell build's binary prints %q, want v7", got)
	}
	if _, err := newShellBuilder(dir, "make", "", "tiny"); err == nil {
		t.Error("newShellBuilder accepted a command with no -o")
	}
}

func TestBuilderCancelStopsTheWholeBuild(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pgid")
	// A build that would take a minute, with a grandchild in its group;
	// the shell writes its PID, which is the group's ID.
	b, err := newShellBuilder(dir, "echo $$ > "+pidFile+"; sleep 60 & sleep 60; true -o x", t.TempDir(), "slow")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.build(ctx, b.next()) }()
	pgid := 0
	for deadline := time.Now().Add(5 * time.Second); pgid == 0 || len(groupMembers(pgid)) < 3; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the build did not start its sleeps (group %d: %v)", pgid, groupMembers(pgid))
		}
		data, _ := os.ReadFile(pidFile)
		pgid, _ = strconv.Atoi(strings.TrimSpace(string(data)))
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled build = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cancelled build still running after 5s")
	}
	for deadline := time.Now().Add(2 * time.Second); len(groupMembers(pgid)) > 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("processes of the cancelled build still running: %v", groupMembers(pgid))
		}
	}
}

// groupMembers lists the live (not zombie) processes in process group
// pgid, from /proc.
func groupMembers(pgid int) []int {
	if pgid == 0 {
		return nil
	}
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...; comm may hold spaces.
		fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
		if len(fields) > 2 && fields[0] != "Z" && fields[2] == strconv.Itoa(pgid) {
			out = append(out, pid)
		}
	}
	return out
}
