package e2e

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestMakeRunEndsCleanlyOnCtrlC runs the README's first command, make run,
// waits for its serving line, and sends SIGINT to its process group as a
// terminal's Ctrl-C does: drover stops with status 0, so make prints no
// "make: *** … Error" line (make itself then ends as SIGINT tells it to,
// which a shell shows as nothing).
func TestMakeRunEndsCleanlyOnCtrlC(t *testing.T) {
	if testing.Short() {
		t.Skip("builds through make")
	}
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("make", "-C", repo, "--no-print-directory", "run", "STATE_DIR="+t.TempDir())
	cmd.Env = append(os.Environ(), "DROVER_BIND=127.0.0.1:0") // not the fixed 8000 of make run
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	defer syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)

	var mu sync.Mutex
	var out strings.Builder
	serving := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		once := sync.Once{}
		for sc.Scan() {
			mu.Lock()
			out.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if strings.Contains(sc.Text(), " serving http://") {
				once.Do(func() { close(serving) })
			}
		}
	}()
	output := func() string { mu.Lock(); defer mu.Unlock(); return out.String() }
	select {
	case <-serving:
	case <-time.After(90 * time.Second):
		t.Fatalf("make run printed no serving line in 90s:\n%s", output())
	}
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		interrupted := errors.As(err, &exit) && exit.Sys().(syscall.WaitStatus).Signal() == syscall.SIGINT
		if (err != nil && !interrupted) || strings.Contains(output(), "make: ***") || !strings.Contains(output(), `"supervisor stopped"`) {
			t.Errorf("make run after Ctrl-C: %v\n%s", err, output())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("make run did not stop within 15s of Ctrl-C:\n%s", output())
	}
}
