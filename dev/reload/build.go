package reload

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// module is a Go module found on disk.
type module struct {
	// Root is the directory holding go.mod.
	Root string
	// Path is the module path its go.mod declares.
	Path string
}

// findModule walks up from dir to the nearest go.mod.
func findModule(dir string) (module, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return module{}, err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil {
			path := modulePath(data)
			if path == "" {
				return module{}, fmt.Errorf("%s: no module line", filepath.Join(dir, "go.mod"))
			}
			return module{Root: dir, Path: path}, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return module{}, err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return module{}, errors.New("no go.mod in it or any parent directory")
		}
		dir = parent
	}
}

// modulePath returns the path a go.mod's module directive declares, ""
// when it has none.
func modulePath(gomod []byte) string {
	sc := bufio.NewScanner(strings.NewReader(string(gomod)))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		rest, ok := strings.CutPrefix(line, "module")
		if !ok || (rest != "" && rest[0] != ' ' && rest[0] != '\t' && rest[0] != '"') {
			continue
		}
		rest, _, _ = strings.Cut(rest, "//")
		rest = strings.TrimSpace(rest)
		if unq, err := strconv.Unquote(rest); err == nil {
			return unq
		}
		return rest
	}
	return ""
}

// mainPackage returns the import path to rebuild the running program from
// with go build in mod, or an error saying why that cannot be done.
func mainPackage(bi *debug.BuildInfo, mod module) (string, error) {
	switch {
	case bi == nil || bi.Path == "":
		return "", errors.New("the binary carries no build information")
	case bi.Path == "" || bi.Path == "command-line-arguments":
		return "", errors.New("the binary was built from files, not a package")
	case bi.Main.Path != mod.Path:
		return "", fmt.Errorf("it was built from module %s, not %s (%s)", bi.Main.Path, mod.Path, mod.Root)
	}
	return bi.Path, nil
}

// builder builds a new binary of the program into its own directory,
// numbering each build, so the program running keeps its binary until it
// is replaced.
type builder struct {
	// dir is where the command runs: the module root.
	dir string
	// pkg is the main package for go build; "" when shell is used.
	pkg string
	// shell is a --reload-build command line, run by sh -c, that writes
	// the binary to output.
	shell, output string
	// out is the directory binaries are built into.
	out  string
	name string
	n    int
}

// newShellBuilder builds with a --reload-build command line. Its binary is
// the -o argument, copied out after each build so the next build can
// overwrite it while the program runs.
func newShellBuilder(dir, command, out, name string) (*builder, error) {
	output := outputFlag(command)
	if output == "" {
		return nil, fmt.Errorf("--reload-build %q: name the binary it writes with -o PATH", command)
	}
	if !filepath.IsAbs(output) {
		output = filepath.Join(dir, output)
	}
	return &builder{dir: dir, shell: command, output: output, out: out, name: name}, nil
}

// outputFlag returns the value of a command line's -o flag, "" if none.
func outputFlag(command string) string {
	words := strings.Fields(command)
	for i, w := range words {
		switch {
		case (w == "-o" || w == "--o") && i+1 < len(words):
			return words[i+1]
		case strings.HasPrefix(w, "-o="):
			return strings.TrimPrefix(w, "-o=")
		}
	}
	return ""
}

// String is the build command, for logs and the failure page.
func (b *builder) String() string {
	if b.shell != "" {
		return b.shell
	}
	return "go build " + b.pkg
}

// next returns the path for the next build's binary.
func (b *builder) next() string {
	b.n++
	return filepath.Join(b.out, b.name+"-"+strconv.Itoa(b.n))
}

// build runs one build, writing the binary to bin. It returns the build's
// output when it failed (err is then a *buildError), or ctx's error when
// ctx ended first; a build cut short leaves no process behind. Builds may
// run concurrently (one being cancelled).
func (b *builder) build(ctx context.Context, bin string) error {
	var cmd *exec.Cmd
	if b.shell != "" {
		cmd = exec.CommandContext(ctx, "/bin/sh", "-c", b.shell)
	} else {
		cmd = exec.CommandContext(ctx, "go", "build", "-o", bin, b.pkg)
	}
	cmd.Dir = b.dir
	// Its own process group: go build's compilers and linkers go with it
	// when it is cancelled, and a terminal's Ctrl-C does not reach them
	// before the watcher decides.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		os.Remove(bin)
		return ctx.Err()
	}
	if err != nil {
		if len(out) == 0 {
			out = []byte(err.Error())
		}
		return &buildError{Command: b.String(), Output: string(out)}
	}
	if b.shell != "" {
		if err := copyBinary(b.output, bin); err != nil {
			return &buildError{Command: b.String(), Output: err.Error()}
		}
	}
	return nil
}

// buildError is a build that failed, with what it printed.
type buildError struct {
	Command string
	Output  string
}

func (e *buildError) Error() string { return "build failed: " + e.Command }

// copyBinary copies the executable at from to to.
func copyBinary(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("the build's binary: %w", err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		return fmt.Errorf("copy the build's binary: %w", err)
	}
	_, err = io.Copy(dst, src)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(to)
		return fmt.Errorf("copy the build's binary: %w", err)
	}
	return nil
}
